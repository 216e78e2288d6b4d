"""Feature visualization in Lucid's four parts, each a small module of values that compose.

- :mod:`.objectives`: what to maximize (``class_logit``, ``channel``, ``neuron``, ``direction``,
  ``diversity``; penalties ``l1``, ``l2``, ``total_variation``, ``blur_penalty``), with ``+ - *``;
- :mod:`.param`: how the image is represented (``pixels``, ``fourier``, ``generator``);
- :mod:`.transforms`: random changes each step (``jitter``, ``pad``, ``scale``, ``rotate``);
- :mod:`.render`: the compiled loop that puts them together.

:func:`cnnviz.maximize` is the friendly front door; these are for building your own.

>>> from cnnviz.optvis import objectives
>>> (objectives.channel("conv2", 5) - 10 * objectives.l1()).description
"channel('conv2', 5) - 10 * l1()"
"""

from . import objectives, param, render, transforms

__all__ = ["objectives", "param", "render", "transforms"]
