"""Deprecated alias: ``cnnviz.callbacks`` moved to :mod:`cnnviz.training.callbacks`; importing this module warns.

It goes in the next release. (cnnviz-rewrite: skip: this file names the old path on purpose.)
"""

import warnings as _warnings

from .training import callbacks as _target
from .training.callbacks import *  # noqa: F403

_warnings.warn("cnnviz.callbacks moved to cnnviz.training.callbacks; import it from there (the old path goes in the next release).",
               DeprecationWarning, stacklevel=2)


def __getattr__(name: str):
    return getattr(_target, name)


def __dir__() -> list[str]:
    return dir(_target)
