"""Write the README's figures to docs/ with the shipped model and the bundled sample.

Usage: python scripts/make_figures.py
"""

from pathlib import Path

import numpy as np

import cnnviz

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    sample = cnnviz.load_sample()
    seven = sample.x_test[np.flatnonzero(sample.y_test == 7)[0]]
    figures = {
        "history": cnnviz.plot_history(cnnviz.load_history()),
        "confusion_sample": cnnviz.plot_confusion(cnnviz.evaluate(data="sample")),
        "feature_maps": cnnviz.plot_feature_maps(cnnviz.feature_maps(seven), max_maps=16),
        "pooling": cnnviz.plot_pooling(cnnviz.feature_maps(seven).maps["conv1"][0, 6:12, 6:12, 3],
                                       title="Pooling a 6x6 corner of conv1 map #3"),
        "filters_conv1": cnnviz.plot_filters(cnnviz.filters("conv1"), layer="conv1"),
        "filter_patterns_conv2": cnnviz.plot_filter_patterns(cnnviz.maximize_filter("conv2", list(range(16)))),
        "top_examples": cnnviz.plot_top_examples(cnnviz.top_examples("conv2", 5, k=8)),
        "maximize": cnnviz.plot_maximization(cnnviz.maximize(list(range(10)))),
        "fake_vs_constrained": cnnviz.plot_fake_vs_constrained(cnnviz.fake_vs_constrained()),
        "gradcam": cnnviz.plot_attribution(cnnviz.attribute(sample.x_test[:3], method="gradcam")),
    }
    for name, fig in figures.items():
        print(cnnviz.save_figure(fig, DOCS / f"{name}.png", dpi=100))


if __name__ == "__main__":
    main()
