"""Memory of the dashboard's calls over many models, with and without the process-wide bound on compiled loops.

    .venv/bin/python bench/loop_memory.py [--models 12]

Each of ``--models`` fresh ``reference_model(seed=i)`` files is shown as the dashboard shows it, in three input
ranges (the file as it is, described as 0-255 and as -1..1): Look inside (prepare, feature maps, saliency,
Grad-CAM) and the class-image page (one class image, the fake-vs-constrained figure's images), through the
dashboard's own cached calls (``cnnviz.dashboard.cached``, bare Streamlit caches). Each setting runs in a child
process of its own, one after the other in this run: the bound as shipped (``MAX_LOOPS_IN_PROCESS``) and no bound
(every renderer keeps its ``MAX_LOOPS``). Printed: resident memory (after a collection and a trim) after each
model, the plateau (the last model) and the seconds; the dashboard keeps 8 models loaded
(``cnnviz.dashboard.models.MAX_LOADED``), so memory is flat from the 9th model on in both settings.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(folder: str, models: int, bound: int | None) -> None:
    """One setting, in this (child) process: prints one JSON line."""
    import logging

    import numpy as np

    logging.disable(logging.WARNING)  # bare-mode Streamlit caches warn that no app runs
    import cnnviz
    from cnnviz.optvis import render

    if bound is None:
        render.LOOPS.size = 10**9
    from timing import rss_mb  # bench/timing.py, beside this script

    from cnnviz.dashboard import cached
    from cnnviz.dashboard.describe import with_facts
    from cnnviz.dashboard.memory import give_back

    def rss() -> int:
        give_back()
        return int(rss_mb())

    files = []
    for i in range(models):
        files.append(os.path.join(folder, f"model-{i}.keras"))
        cnnviz.save_model(cnnviz.core.model.reference_model(seed=1000 + i), files[-1])
    after, start = [], time.perf_counter()
    for i, path in enumerate(files):
        for input_range in (None, (0, 255), (-1, 1)):
            ref = with_facts(path, {"input_range": input_range}) if input_range else path
            digit = np.random.default_rng(i).random((28, 28)).astype("float32") * (255 if input_range else 1)
            maps = cached.feature_maps(ref, cached.prepare(ref, digit))
            for method in ("saliency", "gradcam"):
                cached.attribution(ref, maps.inputs, method)
            cached.maximize_open(ref, (i % 10,), "default", 0.0, 0.0, 0, 0.0, 10, i, "pixels", 1, "")
            cached.fake_vs_constrained(ref, 10, i)
        after.append(rss())
    print(json.dumps({"rss_after_each_model": after, "seconds": time.perf_counter() - start,
                      "loops_kept": len(render.LOOPS)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.models, None if args.child[1] == "none" else int(args.child[1]))
        return
    from cnnviz.optvis.render import MAX_LOOPS_IN_PROCESS

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    results = {}
    for name, bound in ((f"bound {MAX_LOOPS_IN_PROCESS}", str(MAX_LOOPS_IN_PROCESS)), ("no bound", "none")):
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run([sys.executable, __file__, "--models", str(args.models), "--child", folder, bound],
                                 capture_output=True, text=True, env=env, check=True).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
    print(f"{args.models} models x 3 input ranges, Look inside + class images each; load {os.getloadavg()[0]:.1f}")
    for name, r in results.items():
        print(f"{name:<10} RSS after each model (MiB): {' '.join(map(str, r['rss_after_each_model']))}; "
              f"plateau {r['rss_after_each_model'][-1]} MiB; {r['seconds']:.0f} s; loops kept {r['loops_kept']}")
    a, b = (r["rss_after_each_model"][-1] for r in results.values())
    c, d = (r["seconds"] for r in results.values())
    print(f"plateau bound / no bound: {a / b:.2f} ({a - b:+d} MiB); seconds {c / d:.2f}x")


if __name__ == "__main__":
    main()
