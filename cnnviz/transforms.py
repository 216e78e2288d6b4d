"""Deprecated: the old import path of :mod:`cnnviz.optvis.transforms` (one release; use ``cnnviz.optvis.transforms``)."""

import warnings

from .optvis.transforms import *  # noqa: F403
from .optvis.transforms import __all__  # noqa: F401

warnings.warn("cnnviz.transforms is deprecated; use cnnviz.optvis.transforms", DeprecationWarning, stacklevel=2)
