"""Files and images: the one image path (:mod:`cnnviz.io.images`), decoding image files safely, the MNIST data
sets, and atomic file writes. Knows nothing of models: numpy arrays in, numpy arrays out.

Imports nothing else of cnnviz. See docs/architecture.md.
"""

import importlib as _importlib
import importlib.util as _importlib_util


def __getattr__(name: str):
    """``cnnviz.<package>.<module>`` after ``import cnnviz`` alone: the submodule, imported on first use."""
    if name.startswith("_") or _importlib_util.find_spec(f"{__name__}.{name}") is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _importlib.import_module(f"{__name__}.{name}")
