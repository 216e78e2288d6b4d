"""Write the README's figures to docs/ with the shipped model and the bundled sample.

Usage: python scripts/make_figures.py [NAME ...]   (no NAME: every figure; e.g. `snapshots learning`)
"""

import sys
from pathlib import Path

import numpy as np

import cnnviz
from cnnviz.maximize import fake_vs_constrained
from cnnviz.replay import plot_snapshots
from cnnviz.training.results import load_history

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main(names: list[str]) -> None:
    DOCS.mkdir(exist_ok=True)
    sample = cnnviz.load_sample()
    seven = sample.x_test[np.flatnonzero(sample.y_test == 7)[0]]
    figures = {  # name -> how to draw it (only the figures asked for are computed)
        "history": lambda: cnnviz.plots.plot_history(load_history()),
        "confusion_sample": lambda: cnnviz.plots.plot_confusion(cnnviz.evaluate(data="sample")),
        "feature_maps": lambda: cnnviz.plots.plot_feature_maps(cnnviz.feature_maps(seven), max_maps=16),
        "pooling": lambda: cnnviz.plots.plot_pooling(cnnviz.feature_maps(seven).maps["conv1"][0, 6:12, 6:12, 3],
                                               title="Pooling a 6x6 corner of conv1 map #3"),
        "filters_conv1": lambda: cnnviz.plots.plot_filters(cnnviz.filters("conv1"), layer="conv1"),
        "filter_patterns_conv2": lambda: cnnviz.plots.plot_filter_patterns(cnnviz.maximize_filter("conv2", list(range(16)))),
        "top_examples": lambda: cnnviz.plots.plot_top_examples(cnnviz.top_examples("conv2", 5, k=8)),
        "maximize": lambda: cnnviz.plots.plot_maximization(cnnviz.maximize(list(range(10)))),
        "fake_vs_constrained": lambda: cnnviz.plots.plot_fake_vs_constrained(fake_vs_constrained()),
        "gradcam": lambda: cnnviz.plots.plot_attribution(cnnviz.attribute(sample.x_test[:3], method="gradcam")),
        "snapshots": lambda: plot_snapshots(cnnviz.load_snapshots()),  # the shipped recorded run
    }
    animations = {"learning": lambda path: cnnviz.replay(cnnviz.load_snapshots(), path)}
    unknown = set(names) - set(figures) - set(animations)
    if unknown:
        raise SystemExit(f"unknown figure(s) {', '.join(sorted(unknown))}; known: {', '.join([*figures, *animations])}")
    for name, draw in figures.items():
        if not names or name in names:
            print(cnnviz.plots.save_figure(draw(), DOCS / f"{name}.png", dpi=100 if name != "snapshots" else 110))
    for name, make in animations.items():
        if not names or name in names:
            print(make(DOCS / f"{name}.gif"))


if __name__ == "__main__":
    main(sys.argv[1:])
