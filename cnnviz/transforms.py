"""Public home of :mod:`cnnviz.optvis.transforms`: ``from cnnviz.transforms import ...`` (see that module)."""

from .optvis.transforms import *  # noqa: F403
from .optvis.transforms import __all__  # noqa: F401
