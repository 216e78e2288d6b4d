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
   reading the first page). Goal: <= 3 s idle for each page.
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
         "views/train.py"]


def first_visits() -> None:
    """One fresh server: the first page, then each other page's first visit; prints one JSON line."""
    import json

    from streamlit.testing.v1 import AppTest

    started = time.perf_counter()
    at = AppTest.from_file(str(APP), default_timeout=600).run()
    times = {"views/model.py (fresh server)": time.perf_counter() - started}
    assert not at.exception, at.exception
    if os.environ.get("CNNVIZ_DASHBOARD_WARM", "1") != "0":
        from cnnviz.dashboard import warm

        t = time.perf_counter()
        warm.wait(timeout=600)
        times["(warm-up finished after the first page)"] = time.perf_counter() - t
        times.update({f"  warm-up step: {name}": seconds for name, seconds in warm.TIMINGS.items()})
    for page in PAGES:
        at.switch_page(page)
        t = time.perf_counter()
        at.run()
        times[page] = time.perf_counter() - t
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
    print(f"{'page (first visit)':48s} " + "  ".join(f"{label:>11s}" for label in rows))
    for page in pages:
        print(f"{page:48s} " + "  ".join(f"{r[page]:10.2f}s" if page in r else f"{'-':>11s}" for r in rows.values()))
    print(f"machine: {os.cpu_count()} CPU cores, python {sys.version.split()[0]}; goal <= 3 s per page, idle")


if __name__ == "__main__":
    if "--one-server" in sys.argv:
        first_visits()
    elif "--first-visits" in sys.argv:
        compare_first_visits()
    else:
        main()
