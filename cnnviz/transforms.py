"""Deprecated alias: ``cnnviz.transforms`` moved to :mod:`cnnviz.optvis.transforms`; importing it warns, and it goes in the next release.

(cnnviz-rewrite: skip: this file names the old path on purpose.)
"""

from .moved import moved

moved(__name__, "cnnviz.optvis.transforms", globals())
