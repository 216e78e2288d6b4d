"""Dashboard speed, measured with Streamlit's AppTest on the shipped model.

    .venv/bin/python bench/dashboard_speed.py

1. first page: from a fresh process to the Model page rendered (imports TensorFlow, loads the model);
2. "Look inside" interaction: a new gallery image (never seen before, so nothing is cached) re-rendered:
   softmax, every layer's feature maps, pooling, saliency and Grad-CAM;
3. ten-class maximization with the defaults (cnnviz.maximize(range(10)), 200 steps), first call and warm.

Targets (issue 4): 5 s, 300 ms, 3 s. AppTest runs the script as the server does, minus the browser.

    .venv/bin/python bench/dashboard_speed.py --first-visits

4. first visits (issue 21): a fresh server (a fresh process), then every page's first visit in turn, once
   without and once with the server's start-up warm-up (CNNVIZ_DASHBOARD_WARM=0 / 1), each in its own
   process, in one run. With the warm-up, the visits start after the warm-up thread ends (a user
   reading the first page). Goal: <= 3 s idle for each page. The machine may be busy: each visit is timed
   with a load factor measured around it (a fixed single-thread loop's wall time over its CPU time, which is
   its idle time), and the idle time is estimated as wall / load factor.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
APP = Path(__file__).resolve().parents[1] / "cnnviz" / "dashboard" / "app.py"


def main() -> None:
    started = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120).run()
    first_page = time.perf_counter() - started
    assert not at.exception, at.exception
    print(f"first page (Model) rendered, fresh process:  {first_page:6.2f} s   (target 5 s)")

    at.switch_page("views/look_inside.py")
    at.session_state["input_source"] = "Gallery"
    at.run()
    at.selectbox(key="gallery_digit").set_value(0).run()  # warm up: first attribution traces its graph
    times = []
    for digit in range(1, 10):
        for example in (1, 2):
            at.selectbox(key="gallery_digit").set_value(digit)
            at.slider(key="gallery_example").set_value(example)
            t = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t)
            assert not at.exception, at.exception
    print(f"Look inside, new gallery image re-rendered:  median {statistics.median(times) * 1000:5.0f} ms, "
          f"max {max(times) * 1000:5.0f} ms over {len(times)} images   (target 300 ms)")

    import cnnviz

    t = time.perf_counter()
    result = cnnviz.maximize(list(range(10)))
    cold = time.perf_counter() - t
    warm = []
    for seed in (1, 2, 3):
        t = time.perf_counter()
        cnnviz.maximize(list(range(10)), seed=seed)
        warm.append(time.perf_counter() - t)
    on_target = int((result.predicted == result.targets).sum())
    print(f"ten-class maximization, defaults (200 steps): first {cold:5.2f} s, then {statistics.median(warm):5.2f} s "
          f"({on_target}/10 on target)   (target 3 s)")
    print(f"machine: {os.cpu_count()} CPU cores, python {sys.version.split()[0]}")


PAGES = ["views/look_inside.py", "views/convolution.py", "views/filters.py", "views/class_images.py",
         "views/train.py", "views/concepts.py"]


def load_factor() -> float:
    """How much slower than idle this machine runs a single thread now: a fixed pure-Python loop's wall time over
    its own CPU time (the CPU time is what the loop takes alone on the machine; the rest is waiting for a core)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    total = 0
    for i in range(1_000_000):
        total += i * i
    return max(1.0, (time.perf_counter() - wall) / max(time.thread_time() - cpu, 1e-9))


def timed(fn) -> dict[str, float]:
    """``fn()``'s wall time, its process CPU time, and the machine's load factor around it (mean of before and
    after); ``idle`` estimates the wall time on an idle machine: wall / load factor."""
    before = load_factor()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    factor = (before + load_factor()) / 2
    return {"wall": wall, "cpu": cpu, "load": factor, "idle": wall / factor}


def first_visits() -> None:
    """One fresh server: the first page, then each other page's first visit; prints one JSON line."""
    import json

    holder = {}

    def server_start():  # what a real server has done before its first page is asked for
        from streamlit.testing.v1 import AppTest

        holder["AppTest"] = AppTest

    def first_page():
        holder["at"] = holder["AppTest"].from_file(str(APP), default_timeout=600).run()

    times = {"(server start: import Streamlit)": timed(server_start),
             "views/model.py (a fresh server's first page)": timed(first_page)}
    at = holder["at"]
    assert not at.exception, at.exception
    if os.environ.get("CNNVIZ_DASHBOARD_WARM", "1") != "0":
        from cnnviz.dashboard import warm

        t = time.perf_counter()
        warm.wait(timeout=900)
        times["(warm-up finished after the first page)"] = {"wall": time.perf_counter() - t}
        times.update({f"  warm-up step: {name}": {"wall": seconds} for name, seconds in warm.TIMINGS.items()})
    for page in PAGES:
        at.switch_page(page)
        times[page] = timed(at.run)
        assert not at.exception, (page, at.exception)
    print(json.dumps(times))


def compare_first_visits() -> None:
    import json
    import subprocess

    rows = {}
    for label, flag in (("no warm-up", "0"), ("warm-up", "1")):
        out = subprocess.run([sys.executable, __file__, "--one-server"], capture_output=True, text=True, check=True,
                             env={**os.environ, "CNNVIZ_DASHBOARD_WARM": flag})
        rows[label] = json.loads(out.stdout.strip().splitlines()[-1])
    pages = list(dict.fromkeys(k for r in rows.values() for k in r))

    def cell(r: dict, page: str) -> str:
        t = r.get(page)
        if t is None:
            return f"{'-':>26s}"
        if "idle" not in t:
            return f"{t['wall']:7.2f}s{'':19s}"
        return f"{t['wall']:7.2f}s x{t['load']:4.2f} ->{t['idle']:6.2f}s{t['cpu']:5.1f}"

    print("first visit: wall time, the load factor around it (a fixed loop's wall / its CPU time), the estimated idle "
          "time (wall / load factor), the page's process CPU seconds")
    print(f"{'page (first visit)':48s} " + "".join(f"{label:>27s}" for label in rows))
    for page in pages:
        print(f"{page:48s} " + "".join(" " + cell(r, page) for r in rows.values()))
    worst = max(t["idle"] for t in rows["warm-up"].values() if "idle" in t)
    print(f"machine: {os.cpu_count()} CPU cores, python {sys.version.split()[0]}; goal <= 3 s per page, idle; "
          f"with the warm-up the slowest page is {worst:.2f} s estimated idle")


if __name__ == "__main__":
    if "--one-server" in sys.argv:
        first_visits()
    elif "--first-visits" in sys.argv:
        compare_first_visits()
    else:
        main()
