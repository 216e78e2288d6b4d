"""Calibration: the presets' penalty weights scaled to a model, measured once per model weights.

The presets were tuned on the shipped model. On another model the class preset's penalties are multiplied by
:func:`penalty_factor` (how far its logits climb, over the shipped model's climb), and an objective's own
penalties by :func:`objective_factor` (how fast that objective climbs, over a class logit's). Both are short
free runs of the compiled loop, cached on the probe for the current weights (train the model, or load other
weights, and the next call calibrates again, as a fresh copy would).

>>> from cnnviz.core.build import get_probe
>>> calibrate(get_probe()).preset == DEFAULT
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.probe import Probe
from ..core.versions import weights_version
from . import objectives as O
from . import param as P
from .presets import DEFAULT, Regularization
from .render import render

#: logit_spread() of the shipped model (its logits' rise in 20 free steps): the presets' weights were
#: tuned there, and on another model they are multiplied by that model's spread divided by this one.
REFERENCE_LOGIT_SPREAD = 5.453
CALIBRATION_STEPS = 20
#: The shipped model's rise in the same 20 steps without jitter and blur (3.1x the jittered one).
REFERENCE_FREE_RISE = 17.09


@dataclass(frozen=True)
class Calibration:
    """What the class preset becomes on one model: ``preset`` (:func:`adapted_default`) and ``factor`` (what the
    presets' penalty weights are multiplied by, :func:`penalty_factor`)."""

    preset: Regularization
    factor: float


def calibrate(probe: Probe) -> Calibration:
    """The default preset and the penalty factor of ``probe``'s model (two short runs the first time, then cached)."""
    return Calibration(adapted_default(probe), penalty_factor(probe))


def calibration_cache(probe: Probe) -> dict:
    """The calibration values of ``probe`` for its model's current weights (a fresh dict once they change)."""
    version = weights_version(probe.source)
    held = probe.cache.get("optvis-calibration")
    if held is None or held[0] != version:
        held = probe.cache["optvis-calibration"] = (version, {})
    return held[1]


def _rise(probe: Probe, spec: O.Objective, param: P.Param, transforms: tuple, targets: list[int]) -> float:
    """The mean rise of ``spec`` over :data:`CALIBRATION_STEPS` steps from seed 0."""
    out = render(probe, spec, param, transforms, targets, steps=CALIBRATION_STEPS,
                 learning_rate=0.1, seed=0)
    return float(np.mean(out.scores[-1] - out.scores[0]))


def _free_class_logit() -> O.Objective:
    """The default class objective with its penalties switched off (so the default call's own compiled loop)."""
    return O.class_logit() - O.scale_penalties(DEFAULT.penalties(), 0.0)


def _class_targets(probe: Probe) -> list[int]:
    return list(range(min(10, probe.num_classes)))


def logit_spread(probe: Probe) -> float:
    """How far this model's class logits climb: the mean rise of each of the first ten classes' logit in
    :data:`CALIBRATION_STEPS` steps of the default loop with its penalties switched off (the same compiled loop
    as the default call, so no extra tracing). The presets' penalties are weighed against that rise: a model
    whose logits spread over 300 gets heavier penalties than one whose logits spread over 3, and one with large
    but noisy gradients (a random-weight MobileNet) does not get crushing ones.

    >>> from cnnviz.core.build import get_probe
    >>> logit_spread(get_probe()) > 0
    True
    """
    cache = calibration_cache(probe)
    if "logit-spread" not in cache:
        rise = _rise(probe, _free_class_logit(), DEFAULT.param(), DEFAULT.transforms(), _class_targets(probe))
        cache["logit-spread"] = float(max(rise, 1e-3))
    return cache["logit-spread"]


def adapted_default(probe: Probe) -> Regularization:
    """The "default" preset for this model: :data:`DEFAULT`, or, on a model whose logits climb more than 5x
    faster without the default's 2-pixel jitter and blur than with them (untrained or shift-sensitive
    features: a random-weight MobileNet climbs 8,000x faster; the shipped model 3.1x), the same without jitter
    and blur. A ratio, so scaling the logits does not change the choice. Both rises decide it, so this takes
    two short runs on a model's first call (the jittered one is the default call's own compiled loop).

    >>> from cnnviz.core.build import get_probe
    >>> adapted_default(get_probe()) == DEFAULT
    True
    """
    cache = calibration_cache(probe)
    if "adapted-default" not in cache:
        reg = DEFAULT
        with_jitter = logit_spread(probe)
        free = _rise(probe, _free_class_logit(), P.pixels(), (), _class_targets(probe))
        if free > 5 * with_jitter:
            reg = replace(DEFAULT, jitter=0, blur=0.0)
            # the penalties follow the loop actually used, on the same scale as the shipped model's jittered rise
            cache["logit-spread"] = free * REFERENCE_LOGIT_SPREAD / REFERENCE_FREE_RISE
        cache["adapted-default"] = reg
    return cache["adapted-default"]


def penalty_factor(probe: Probe) -> float:
    """What the presets' penalty weights are multiplied by on this model (1 on the shipped one)."""
    adapted_default(probe)  # settles which loop the spread was measured on
    return float(np.clip(logit_spread(probe) / REFERENCE_LOGIT_SPREAD, 0.01, 100.0))


def objective_factor(probe: Probe, objective: O.Objective, targets: list[int]) -> float:
    """What the penalty weights written into a non-class objective are multiplied by: its rise in
    :data:`CALIBRATION_STEPS` free steps (penalties off, no transforms) over a class logit's on the shipped model
    (:data:`REFERENCE_FREE_RISE`). Weights are so relative to the class presets, as on :func:`penalty_factor`:
    ``"conv2:5" - 10 * l1()`` keeps the channel firing (it rises 0.59 where a class logit rises 17.1)."""
    skel, _ = O.skeleton(objective)
    key = ("optvis-objective-rise", skel, tuple(sorted(set(targets))))
    if key not in probe.cache:
        probe.cache[key] = float(max(_rise(probe, O.scale_penalties(objective, 0.0), P.pixels(), (), sorted(set(targets))), 1e-3))
    return float(np.clip(probe.cache[key] / REFERENCE_FREE_RISE, 0.001, 100.0))


__all__ = ["CALIBRATION_STEPS", "Calibration", "adapted_default", "calibrate", "logit_spread", "objective_factor",
           "penalty_factor"]
