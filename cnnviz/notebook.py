"""The figures results show in Jupyter for the result types cnnviz has (the registry is :mod:`cnnviz.core.display`).

Each result class names its figure where it is defined (``@shows("cnnviz.plots:plot_feature_maps")``);
the figures of results without a ``plot_*`` of their own are drawn here.

>>> import cnnviz
>>> png = cnnviz.feature_maps(cnnviz.load_sample().x_test[0], layers=["conv1"])._repr_png_()
>>> png[:4]
b'\\x89PNG'
"""

from __future__ import annotations

from .core.display import NOTEBOOK_DPI, PlotSpec

# the results cnnviz has today, by the name the package exports (so it survives modules moving)
DEFAULTS: dict[str, PlotSpec] = {
    "FeatureMaps": "cnnviz.plots:plot_feature_maps",
    "MaximizationResult": "cnnviz.notebook:_plot_maximization_result",
    "ClassImages": "cnnviz.plots:plot_fake_vs_constrained",
    "Attribution": "cnnviz.plots:plot_attribution",
    "TopExamples": "cnnviz.plots:plot_top_examples",
    "TrainResult": "cnnviz.notebook:_plot_train_result",
    "Evaluation": "cnnviz.plots:plot_confusion",
    "ConvolutionStep": "cnnviz.convolution:plot_convolution_step",
    "SnapshotRun": "cnnviz.replay:plot_snapshots",
    "Snapshot": "cnnviz.notebook:_plot_snapshot",
}


# -- figures for results without a plot_* of their own ---------------------------------------------------------------
def _plot_maximization_result(result):
    from .plots import plot_filter_patterns, plot_maximization

    return plot_filter_patterns(result) if getattr(result, "layer", None) else plot_maximization(result)


def _plot_train_result(result):
    from .plots import plot_history

    accuracy = getattr(result, "test_accuracy", None)
    title = "Training curves" + (f" (test accuracy {accuracy:.4f})" if accuracy is not None else "")
    return plot_history(result.history, title=title)


def _plot_snapshot(snapshot):
    from .replay import snapshot_frame
    from .training.snapshots import SnapshotRun

    return snapshot_frame(SnapshotRun([snapshot], directory=snapshot.path.parent if snapshot.path else None), 0,
                          dpi=NOTEBOOK_DPI)
