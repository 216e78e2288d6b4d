"""Deprecated alias: ``cnnviz.param`` moved to :mod:`cnnviz.optvis.param`; importing it warns, and it goes in the next release.

(cnnviz-rewrite: skip: this file names the old path on purpose.)
"""

from .moved import moved

moved(__name__, "cnnviz.optvis.param", globals())
