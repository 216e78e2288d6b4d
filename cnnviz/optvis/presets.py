"""Regularization presets and every default of :func:`cnnviz.maximize`, in one place.

A preset (:class:`Regularization`) is the penalties and transforms that shape pixel images; :data:`PRESETS`
names them ("none", "default", "l1"). The steps, learning rates and weights below are the defaults of the
three kinds of image (class, filter, any objective); :mod:`.calibration` scales the penalty weights to a model.

>>> PRESETS.get("l1").l1, FILTER_STEPS, class_steps(P.pixels())
(60.0, 150, 80)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ..registry import Registry
from . import objectives as O
from . import param as P
from . import transforms as T


@dataclass(frozen=True)
class Regularization:
    """Penalties and transforms of a preset. ``l1``, ``l2``, ``tv`` weigh the mean pixel |x|, x², and total
    variation against the objective (for a model whose logits spread like the shipped model's; cnnviz scales
    them to other models); ``jitter`` shifts by up to that many pixels each step; ``blur`` is a Gaussian sigma in
    pixels applied to the image (0: none)."""

    l1: float = 0.0
    l2: float = 0.0
    tv: float = 0.0
    jitter: int = 0
    blur: float = 0.0

    def penalties(self) -> O.Objective | None:
        """The preset's penalties as one objective to subtract (None when there are none)."""
        terms = [w * t for w, t in ((self.l1, O.l1()), (self.l2, O.l2()), (self.tv, O.total_variation())) if w > 0]
        return sum(terms[1:], terms[0]) if terms else None

    def param(self) -> P.Param:
        """The pixel parameterisation this preset implies (its blur)."""
        return P.pixels(self.blur)

    def transforms(self) -> tuple[T.Transform, ...]:
        """The transforms this preset implies (its jitter, or none)."""
        return (T.jitter(self.jitter),) if self.jitter > 0 else ()


NONE = Regularization()
#: Light L1 and smoothing: strokes on black, and every class still at softmax >= 0.99 on the shipped model.
DEFAULT = Regularization(l1=30.0, tv=10.0, jitter=2, blur=0.75)
#: The tutorial's constraint: "fewer pixels" (L1, with light smoothing), which turns fake digits into
#: readable ones. Tuned by eye on the shipped model (l1 30..1000, tv 5..50): above ~150 the images go dark.
L1_CONSTRAINT = Regularization(l1=60.0, tv=10.0, jitter=2, blur=0.5)
PRESETS: Registry[Regularization] = Registry("regularization", hint=", or a Regularization")
for _name, _preset in {"none": NONE, "default": DEFAULT, "l1": L1_CONSTRAINT}.items():
    PRESETS.register(_name, _preset)

# --------------------------------------------------------------------------- defaults

#: Filter images (``maximize_filter``, ``maximize(layer=, neuron=)``, the report, the dashboard): steps and rate.
FILTER_STEPS, FILTER_LR = 150, 0.1
#: Any other objective (``maximize(objective=...)``): steps (the rate is the parameterisation's own).
OBJECTIVE_STEPS = 200
#: prior="data": weight of the latent penalty (relative, like the presets), steps and learning rate.
PRIOR_WEIGHT, PRIOR_STEPS, PRIOR_LR = 2.0, 80, 0.1
#: prior="data": each class starts from the best of this many draws from the prior (by its logit): a start far
#: from the class can get stuck (softmax 0.002 in 1 of 50 runs without it).
PRIOR_POOL = 256
#: n > 1: weight of the diversity term (relative), and the layer it reads (the last conv-like layer).
DIVERSITY_WEIGHT = 3.0
#: Class images: the learning rate falls along a cosine to (1 - DEFAULT_DECAY) of itself by the last step.
DEFAULT_DECAY = 0.0
#: Class images: default steps per parameterisation. Pixels take 80 steps at learning rate 0.25, which read as
#: digits as well as the earlier 200 steps at 0.1 by every check of bench/class_image_readability.py (k-NN,
#: PCA + logistic regression, distance to the nearest real digit) in 0.4x the time.
CLASS_STEPS = {"pixels": 80, "fourier": 200, "generator": PRIOR_STEPS}
#: Pixels: learning rate x steps of the default class image (0.25 x 80 = 0.1 x 200).
PIXEL_PATH = 20.0
#: The default class image backs off when it misses: penalties x these factors, with BACKOFF_STEPS x the steps.
BACKOFF_PENALTIES = (0.25, 0.0)
BACKOFF_STEPS = 2
#: Transforms that make pixel class images more readable (Lucid's robustness set, sized for 28x28 digits).
READABLE_TRANSFORMS = (T.pad(2), T.jitter(2), T.scale((0.9, 1.1)), T.rotate(10))


def default_lr(param: P.Param) -> float:
    """Adam's step per parameterisation: pixels 0.1, Fourier 0.05 (each coefficient moves the whole image),
    a generator's latent 0.08."""
    return {"fourier": 0.05, "generator": PRIOR_LR}.get(getattr(param, "name", ""), 0.1)


def class_steps(param: P.Param) -> int:
    """Default steps of class images per parameterisation (:data:`CLASS_STEPS`; 200 for one not listed).

    >>> class_steps(P.pixels()), class_steps(P.fourier())
    (80, 200)
    """
    return CLASS_STEPS.get(getattr(param, "name", ""), 200)


def class_learning_rate(param: P.Param, steps: int) -> float:
    """Default learning rate of class images: for pixels, :data:`PIXEL_PATH` / steps within [0.1, 0.3] (the same
    Adam path however many steps: 80 steps at 0.25 read like 200 at 0.1); else the parameterisation's own.

    >>> class_learning_rate(P.pixels(), 80), class_learning_rate(P.pixels(), 200), class_learning_rate(P.pixels(), 20)
    (0.25, 0.1, 0.3)
    """
    if getattr(param, "name", "") != "pixels":
        return default_lr(param)
    return float(min(0.3, max(0.1, PIXEL_PATH / steps)))


def resolve(regularization: Regularization | str | None, overrides: dict[str, Any],
            default: Regularization = DEFAULT) -> Regularization:
    """A preset (a name, a :class:`Regularization`, or None for ``default``) with single fields overridden.

    >>> resolve("l1", {"tv": 0, "l1": None})
    Regularization(l1=60.0, l2=0.0, tv=0, jitter=2, blur=0.5)
    """
    if regularization is None:
        reg = default
    elif isinstance(regularization, str):
        reg = PRESETS.get(regularization)
    elif isinstance(regularization, Regularization):
        reg = regularization
    else:
        raise ValueError(f"regularization must be a preset name ({', '.join(PRESETS)}) or a Regularization.")
    given = {k: v for k, v in overrides.items() if v is not None}
    for name, value in given.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"{name} must be a number (got {value!r}).")
        if value < 0:
            raise ValueError(f"{name} must be >= 0 (got {value}).")
    reg = replace(reg, **given)
    return replace(reg, jitter=int(reg.jitter))


__all__ = ["DEFAULT", "L1_CONSTRAINT", "NONE", "PRESETS", "Regularization", "class_learning_rate", "class_steps",
           "default_lr", "resolve"]
