"""Deprecated alias: ``cnnviz.images`` moved to :mod:`cnnviz.io.images`; importing this module warns.

It goes in the next release. (cnnviz-rewrite: skip: this file names the old path on purpose.)
"""

import warnings as _warnings

from .io import images as _target
from .io.images import *  # noqa: F403

_warnings.warn("cnnviz.images moved to cnnviz.io.images; import it from there (the old path goes in the next release).",
               DeprecationWarning, stacklevel=2)


def __getattr__(name: str):
    return getattr(_target, name)


def __dir__() -> list[str]:
    return dir(_target)
