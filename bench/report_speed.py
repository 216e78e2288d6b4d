"""How long the full report takes: every default (shipped model, all ten classes, full maximization
steps, 4 example digits from the bundled sample), once as PDF and once as HTML, plus export in all
three formats. The issue's target: under 60 s for the report on 2 CPU cores.

    .venv/bin/python bench/report_speed.py [--out DIR] [--repeat N]
    .venv/bin/python bench/report_speed.py --mobilenet [--size 224] [--all-layers]
    .venv/bin/python bench/report_speed.py --xception

``--xception``: the report (HTML, every default, input range [-1, 1]) on the public mini-Xception architecture
(64x64 grey, 7 classes, seeded random weights; tests/zoo.py), saved as .h5, with two face-like photos made in
code (tests/photos.py) as its example images. The goal: <= 60 s on 2 CPU cores.

``--mobilenet``: the report (PDF and HTML, default options) on keras.applications.MobileNetV2 with
random weights (``--size`` 224 or 96: a 224x224x3 or 96x96x3 input, 1000 classes), saved to a
.keras file first, as a user would pass it. The goal: each report <= 4 minutes and <= 25 MB.

Each run is timed end to end inside the process (the model and TensorFlow are loaded before the
first timing; the loading is reported on its own line). The first run includes TensorFlow's
tracing of the compiled maximization loops.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=None, help="where to write report.pdf, report.html and figures/ (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each kind (default: 1)")
    parser.add_argument("--mobilenet", action="store_true", help="MobileNetV2 (random weights) instead of the shipped model")
    parser.add_argument("--xception", action="store_true", help="the 64x64 grey mini-Xception instead of the shipped model")
    parser.add_argument("--size", type=int, default=224, choices=(96, 128, 160, 192, 224), help="MobileNetV2 input size")
    parser.add_argument("--all-layers", action="store_true", help="max_layers=None (every layer; slow)")
    parser.add_argument("--kinds", default="pdf,html", help="--mobilenet: which reports (default: pdf,html)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="cnnviz-report-bench-"))
    if args.xception:
        return xception(out)
    if args.mobilenet:
        return mobilenet(out, args.size, args.all_layers, [f"report.{k.strip()}" for k in args.kinds.split(",")])

    start = time.perf_counter()
    import cnnviz

    cnnviz.load_model()
    print(f"import cnnviz + load the shipped model: {time.perf_counter() - start:.1f} s")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.2f}")

    rows = []
    for k in range(args.repeat):
        for kind, run in (
            ("report.pdf", lambda: cnnviz.report(out / "report.pdf", examples=4, progress=False)),
            ("report.html", lambda: cnnviz.report(out / "report.html", examples=4, progress=False)),
            ("export png,svg,pdf", lambda: cnnviz.export_figures(out / "figures", examples=4, progress=False)),
        ):
            t = time.perf_counter()
            result = run()
            seconds = time.perf_counter() - t
            size = sum(p.stat().st_size for p in (result.files if hasattr(result, "files") else [result.path]))
            assert not result.failures, result.failures
            rows.append((kind, k + 1, seconds, len(result.figures), size))
            print(f"{kind:<20} run {k + 1}: {seconds:6.1f} s  ({len(result.figures)} figures, {size / 1e6:.1f} MB)",
                  flush=True)
    print(f"files in {out}")


def mobilenet(out: Path, size: int, all_layers: bool, kinds: list[str]) -> None:
    """The baseline first (the shipped model's PDF report, 19.2 s on an idle machine in the README), then
    the MobileNetV2 reports, in one run: on a loaded machine the ratio to the baseline is what carries over."""
    start = time.perf_counter()
    import keras

    import cnnviz

    t = time.perf_counter()
    cnnviz.report(out / "shipped.pdf", progress=False)
    baseline = time.perf_counter() - t
    print(f"baseline: the shipped model's PDF report {baseline:.1f} s (load average {os.getloadavg()[0]:.2f})",
          flush=True)
    start = time.perf_counter()

    model = keras.applications.MobileNetV2(weights=None, input_shape=(size, size, 3), classes=1000)
    path = out / f"mobilenet_v2_{size}.keras"
    model.save(path)
    print(f"MobileNetV2 {size}x{size}x3, 1000 classes, {model.count_params():,} parameters, {len(model.layers)} layers; "
          f"built and saved in {time.perf_counter() - start:.1f} s")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.2f}")
    settings = {"max_layers": None} if all_layers else {}
    for name in kinds:
        lines: list[str] = []

        def say(line: str, lines: list[str] = lines) -> None:
            lines.append(line)
            print(f"   {line}", flush=True)

        t = time.perf_counter()
        result = cnnviz.report(out / name, path, progress=say, **settings)
        seconds = time.perf_counter() - t
        size_mb = result.path.stat().st_size / 1e6
        slowest = sorted((line for line in lines if line.endswith(" s") and line.startswith("[")),
                         key=lambda line: -float(line.rsplit(" ", 2)[-2]))[:4]
        print(f"{name:<12} {seconds:6.1f} s = {seconds / baseline:.1f}x the baseline  {size_mb:5.1f} MB  "
              f"({len(result.figures)} figures, "
              f"{len(result.failures)} failures; load average now {os.getloadavg()[0]:.2f})", flush=True)
        print("   slowest: " + "; ".join(slowest))
        for failure in result.failures:
            print(f"   failed: {failure}")
    print(f"files in {out}")


def _say_and_keep(lines: list[str]):
    def say(line: str) -> None:
        lines.append(line)
        print(f"   {line}", flush=True)

    return say


def xception(out: Path) -> None:
    """The shipped model's PDF report first (the baseline), then the mini-Xception's HTML report, in one run."""
    import sys

    import cnnviz

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from photos import face
    from zoo import mini_xception

    t = time.perf_counter()
    cnnviz.report(out / "shipped.pdf", progress=False)
    baseline = time.perf_counter() - t
    print(f"baseline: the shipped model's PDF report {baseline:.1f} s (load average {os.getloadavg()[0]:.2f})",
          flush=True)
    path = out / "mini_xception.h5"
    mini_xception().save(path)
    faces = [face(200, seed=0), face(160, seed=1)]
    lines: list[str] = []
    t = time.perf_counter()
    result = cnnviz.report(out / "xception.html", path, images=faces, input_range=(-1, 1),
                           class_names=["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
                           progress=_say_and_keep(lines))
    seconds = time.perf_counter() - t
    slowest = sorted((line for line in lines if line.endswith(" s") and line.startswith("[")),
                     key=lambda line: -float(line.rsplit(" ", 2)[-2]))[:5]
    print(f"mini-Xception HTML report {seconds:.1f} s = {seconds / baseline:.2f}x the baseline "
          f"({len(result.figures)} figures, {len(result.failures)} failures; load average {os.getloadavg()[0]:.2f})")
    print("   slowest: " + "; ".join(slowest))


if __name__ == "__main__":
    main()
