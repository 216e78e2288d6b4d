"""Deprecated alias: ``cnnviz.objectives`` moved to :mod:`cnnviz.optvis.objectives`; importing it warns, and it goes in the next release.

(cnnviz-rewrite: skip: this file names the old path on purpose.)
"""

from .moved import moved

moved(__name__, "cnnviz.optvis.objectives", globals())
