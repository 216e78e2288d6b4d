"""The model contract: read any Keras image classifier (graph, contract, probe), load and save models with their
cards, and the small pieces every layer above uses (messages, output paths, versions, notebook display).

Imports only :mod:`cnnviz.io` (and TensorFlow/Keras/numpy). See docs/architecture.md.
"""

import importlib as _importlib
import importlib.util as _importlib_util


def __getattr__(name: str):
    """``cnnviz.<package>.<module>`` after ``import cnnviz`` alone: the submodule, imported on first use."""
    if name.startswith("_") or _importlib_util.find_spec(f"{__name__}.{name}") is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _importlib.import_module(f"{__name__}.{name}")
