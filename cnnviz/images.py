"""Deprecated alias: ``cnnviz.images`` moved to :mod:`cnnviz.io.images`; importing it warns, and it goes in the next release.

(cnnviz-rewrite: skip: this file names the old path on purpose.)
"""

from .moved import moved

moved(__name__, "cnnviz.io.images", globals())
