"""Public home of :mod:`cnnviz.optvis.param`: ``from cnnviz.param import ...`` (see that module)."""

from .optvis.param import *  # noqa: F403
from .optvis.param import __all__  # noqa: F401
