"""Deprecated alias: ``cnnviz.callbacks`` moved to :mod:`cnnviz.training.callbacks`; importing it warns, and it goes in the next release.

(cnnviz-rewrite: skip: this file names the old path on purpose.)
"""

from .moved import moved

moved(__name__, "cnnviz.training.callbacks", globals())
