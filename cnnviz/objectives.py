"""Public home of :mod:`cnnviz.optvis.objectives`: ``from cnnviz.objectives import ...`` (see that module)."""

from .optvis.objectives import *  # noqa: F403
from .optvis.objectives import __all__  # noqa: F401
