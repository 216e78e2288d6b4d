"""Deprecated: the old import path of :mod:`cnnviz.optvis.param` (one release; use ``cnnviz.optvis.param``)."""

import warnings

from .optvis.param import *  # noqa: F403
from .optvis.param import __all__  # noqa: F401

warnings.warn("cnnviz.param is deprecated; use cnnviz.optvis.param", DeprecationWarning, stacklevel=2)
