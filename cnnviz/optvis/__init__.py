"""Feature visualization in Lucid's four parts, each a small module of values that compose.

- :mod:`.objectives`: what to maximize (``class_logit``, ``channel``, ``neuron``, ``direction``,
  ``diversity``; penalties ``l1``, ``l2``, ``total_variation``, ``blur_penalty``), with ``+ - *``;
- :mod:`.param`: how the image is represented (``pixels``, ``fourier``, ``generator``);
- :mod:`.transforms`: random changes each step (``jitter``, ``pad``, ``scale``, ``rotate``);
- :mod:`.render`: the compiled loop that puts them together.

Objectives are built in :mod:`.algebra` (``+ - *``, the loop's view) and :mod:`.kinds` (each target and
penalty). :func:`cnnviz.maximize` draws on :mod:`.presets` (regularization presets and every default),
:mod:`.calibration` (the presets scaled to a model), :mod:`.plan` (a spec resolved into one render),
:mod:`.reached` (whether an image reached its target) and :mod:`.result` (what it returns).

:func:`cnnviz.maximize` is the friendly front door; these are for building your own.

>>> from cnnviz.optvis import objectives
>>> (objectives.channel("conv2", 5) - 10 * objectives.l1()).description
"channel('conv2', 5) - 10 * l1()"
"""

from . import objectives, param, render, transforms
from .presets import Regularization
from .result import MaximizationResult

__all__ = ["MaximizationResult", "Regularization", "objectives", "param", "render", "transforms"]
