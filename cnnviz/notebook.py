"""Results show their figure in Jupyter: a registry from result type to its ``plot_*`` function.

A result that is the last line of a notebook cell is drawn by its natural ``plot_*``
function (``FeatureMaps`` -> ``plot_feature_maps``, ``TrainResult`` -> the curves, ...)
through IPython's ``_repr_png_`` hook; the text repr stays what it was elsewhere. A result
class opts in with one line, either as a decorator where it is defined::

    @notebook.shows("cnnviz.plots:plot_feature_maps")
    @dataclass
    class FeatureMaps: ...

or from anywhere: ``notebook.register(FeatureMaps, plot_feature_maps)``. Plot functions are
named as "module:function" strings (resolved at display time, so no import cycles) or given
as callables; each takes the result and returns a matplotlib Figure.

>>> import cnnviz
>>> png = cnnviz.feature_maps(cnnviz.load_sample().x_test[0], layers=["conv1"])._repr_png_()
>>> png[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

PlotSpec = str | Callable[[Any], Any]

#: result type -> how to draw it ("module:function" or a callable returning a Figure)
REGISTRY: dict[type, PlotSpec] = {}
#: resolution of the figures drawn in a notebook
NOTEBOOK_DPI = 100

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


def _resolve(spec: PlotSpec) -> Callable[[Any], Any]:
    if callable(spec):
        return spec
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _repr_png_(self) -> bytes | None:
    """IPython's hook: the PNG of this result's figure (None, and so the text repr, if no plot is registered)."""
    figure = figure_of(self)
    if figure is None:
        return None
    from .plots import figure_bytes

    return figure_bytes(figure, "png", dpi=NOTEBOOK_DPI)


def register(cls: type, plot: PlotSpec) -> type:
    """Show ``cls`` instances in notebooks with ``plot`` (a callable or "module:function"); returns ``cls``.

    >>> class Thing: pass
    >>> register(Thing, "cnnviz.notebook:_plot_train_result") is Thing and hasattr(Thing, "_repr_png_")
    True
    """
    REGISTRY[cls] = plot
    cls._repr_png_ = _repr_png_
    return cls


def shows(plot: PlotSpec) -> Callable[[type], type]:
    """Class decorator form of :func:`register`: ``@shows("cnnviz.plots:plot_attribution")``.

    >>> @shows(lambda result: None)
    ... class Other: pass
    >>> Other in REGISTRY
    True
    """
    return lambda cls: register(cls, plot)


def figure_of(result: Any):
    """The figure a result is shown with in a notebook (its type's, or a registered base type's), or None.

    >>> import cnnviz
    >>> figure_of(cnnviz.load_snapshots()).axes[0].get_title()
    'start'
    """
    for cls in type(result).__mro__:
        if cls in REGISTRY:
            return _resolve(REGISTRY[cls])(result)
    return None


def register_defaults(namespace: Any) -> None:
    """Register every class in :data:`DEFAULTS` that ``namespace`` (the cnnviz package) exports.

    The result classes register themselves where they are defined (``@shows``); this is for
    namespaces that re-export classes defined elsewhere."""
    for name, plot in DEFAULTS.items():
        cls = getattr(namespace, name, None)
        if isinstance(cls, type) and cls not in REGISTRY:
            register(cls, plot)


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
    from .snapshots import SnapshotRun

    return snapshot_frame(SnapshotRun([snapshot], directory=snapshot.path.parent if snapshot.path else None), 0,
                          dpi=NOTEBOOK_DPI)
