"""Results show their figure in Jupyter: a registry from result type to its ``plot_*`` function.

A result that is the last line of a notebook cell is drawn by its natural ``plot_*``
function (``FeatureMaps`` -> ``plot_feature_maps``, ``TrainResult`` -> the curves, ...)
through IPython's ``_repr_png_`` hook; the text repr stays what it was elsewhere. A result
class opts in with one line where it is defined (part of its definition, not a patch made later)::

    @shows("cnnviz.plots:plot_feature_maps")
    @dataclass
    class FeatureMaps: ...

or with ``register(FeatureMaps, plot_feature_maps)``. Plot functions are named as "module:function"
strings, resolved at display time (the figure views sit in a layer above the results, see
docs/architecture.md), or given as callables; each takes the result and returns a matplotlib Figure.

>>> class Thing: pass
>>> figure_of(Thing()) is None
True
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
    figure_bytes = _resolve("cnnviz.plots:figure_bytes")  # by name: the figure views sit above this module
    return figure_bytes(figure, "png", dpi=NOTEBOOK_DPI)


def register(cls: type, plot: PlotSpec) -> type:
    """Show ``cls`` instances in notebooks with ``plot`` (a callable or "module:function"); returns ``cls``.

    >>> class Thing: pass
    >>> register(Thing, "cnnviz.plots:plot_history") is Thing and hasattr(Thing, "_repr_png_")
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
