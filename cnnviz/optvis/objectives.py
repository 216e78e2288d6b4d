"""Objectives: what an optimized image should do, as values that compose.

Each objective is a frozen dataclass, so two objectives that mean the same are equal and hash the
same (the compiled loop is cached on that value). They combine like numbers::

    channel("conv2", 5) - 10 * l1()          # a filter, with fewer pixels lit
    class_logit(6) - 0.5 * class_logit(5)    # a 6 that is not a 5
    "conv2:5" + diversity("conv2")           # the string shorthand works where it reads well

An objective is *maximized*; penalties (:func:`l1`, :func:`l2`, :func:`total_variation`,
:func:`blur_penalty`, :func:`latent_l2`) measure what to keep small, so subtract them.

An index left as ``None`` (``class_logit()``, ``channel("conv2")``) means "the target of each image
in the batch": ``cnnviz.maximize([0, 1, 2])`` runs one compiled loop for three classes that way.

>>> objective = channel("conv2", 5) - 10 * l1()
>>> objective == as_objective("conv2:5") - 10 * l1()
True
>>> sorted(objective.tensors())
['conv2:pre']
"""

from __future__ import annotations

from typing import Any

from ..registry import Registry

# the algebra and the kinds live in their own modules; this is where users (and cnnviz, as ``O.*``) find them
from .algebra import (  # noqa: F401
    Context,
    Objective,
    Scaled,
    Sum,
    as_objective,
    evaluate,
    scale_penalties,
    skeleton,
)
from .kinds import (  # noqa: F401
    L1,
    L2,
    BlurPenalty,
    Channel,
    ClassLogit,
    ClassLogProbability,
    Direction,
    Diversity,
    FilterActivation,
    LatentL2,
    Neuron,
    TotalVariation,
)

# --------------------------------------------------------------------------- the public constructors


def class_logit(c: int | None = None) -> Objective:
    """The logit of class ``c`` (None: each image's own target class).

    >>> class_logit(6) == class_logit(6)
    True
    """
    return ClassLogit(None if c is None else int(c))


def class_log_probability(c: int | None = None) -> Objective:
    """The log-softmax of class ``c`` (None: each image's own target): its logit against the other classes'.

    >>> class_log_probability(6).description
    'class_log_probability(6)'
    """
    return ClassLogProbability(None if c is None else int(c))


def channel(layer: str, i: int | None = None) -> Objective:
    """The mean (pre-activation) of channel ``i`` of ``layer``, or of a dense layer's unit ``i``.

    >>> channel("conv2", 5).tensors()
    {'conv2:pre'}
    """
    return Channel(layer, None if i is None else int(i))


def neuron(layer: str, i: int | None = None, x: int | None = None, y: int | None = None) -> Objective:
    """Channel ``i`` of ``layer`` at one position (``x``, ``y``; default the centre of the map).

    >>> neuron("conv1", 3, x=5, y=7).x
    5
    """
    return Neuron(layer, None if i is None else int(i), x, y)


def direction(layer: str, vector: Any) -> Objective:
    """How strongly ``layer``'s activation points along ``vector`` (one number per channel).

    >>> len(direction("conv2", [1.0] * 64).vector)
    64
    """
    import numpy as np

    v = tuple(float(a) for a in np.asarray(vector, dtype=np.float64).ravel())
    if not v or not any(v):
        raise ValueError("direction() needs a non-zero vector with one number per channel of the layer.")
    return Direction(layer, v)


def diversity(layer: str) -> Objective:
    """Rewards images of the same target for differing at ``layer`` (Gram-matrix style, Lucid).

    >>> diversity("conv2").tensors()
    {'conv2'}
    """
    return Diversity(layer)


def l1(constant: float = 0.0) -> Objective:
    """Mean absolute pixel value (from ``constant``); subtract it: ``class_logit(6) - 30 * l1()``.

    >>> l1() == L1()
    True
    """
    return L1(float(constant))


def l2(constant: float = 0.0) -> Objective:
    """Mean squared pixel value (from ``constant``); subtract it.

    >>> l2().penalty
    True
    """
    return L2(float(constant))


def total_variation() -> Objective:
    """Mean difference between neighbouring pixels; subtract it for smoother images.

    >>> (class_logit(1) - 10 * total_variation()).description
    'class_logit(1) - 10 * total_variation()'
    """
    return TotalVariation()


def blur_penalty(sigma: float = 1.0) -> Objective:
    """Distance between the image and its own blur (held fixed); subtract it.

    >>> blur_penalty(0.5).sigma
    0.5
    """
    return BlurPenalty(float(sigma))


def latent_l2() -> Objective:
    """Mean square of the parameters (a generator's latent); subtract it to stay near the prior.

    >>> latent_l2().penalty
    True
    """
    return LatentL2()


#: The objectives by the name their formula prints (``channel('conv2', 5) - 10 * l1()``): evaluating a printed
#: formula with these names gives the same objective.
OBJECTIVES: Registry[Any] = Registry("objective", hint=", or 'layer:channel', a class index, an Objective")
for _make in (class_logit, channel, neuron, direction, diversity, l1, l2, total_variation, blur_penalty, latent_l2,
              class_log_probability):
    OBJECTIVES.register(_make.__name__, _make)

__all__ = [
    "OBJECTIVES",
    "Context",
    "Objective",
    "Sum",
    "Scaled",
    "as_objective",
    "blur_penalty",
    "channel",
    "class_log_probability",
    "class_logit",
    "direction",
    "diversity",
    "l1",
    "l2",
    "latent_l2",
    "neuron",
    "total_variation",
]
