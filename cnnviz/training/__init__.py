"""Training: recipes, the training loop (:func:`cnnviz.train`), its input pipeline and augmentation, the
Snapshots callback and the snapshot files it writes, and timing experiments.

Imports the front doors it renders each epoch (maximize, attribution), :mod:`cnnviz.core` and :mod:`cnnviz.io`.
See docs/architecture.md.
"""

import importlib as _importlib
import importlib.util as _importlib_util


def __getattr__(name: str):
    """``cnnviz.<package>.<module>`` after ``import cnnviz`` alone: the submodule, imported on first use."""
    if name.startswith("_") or _importlib_util.find_spec(f"{__name__}.{name}") is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _importlib.import_module(f"{__name__}.{name}")
