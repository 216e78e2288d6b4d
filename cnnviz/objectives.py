"""Deprecated: the old import path of :mod:`cnnviz.optvis.objectives` (one release; use ``cnnviz.optvis.objectives``)."""

import warnings

from .optvis.objectives import *  # noqa: F403
from .optvis.objectives import __all__  # noqa: F401

warnings.warn("cnnviz.objectives is deprecated; use cnnviz.optvis.objectives", DeprecationWarning, stacklevel=2)
