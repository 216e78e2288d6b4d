"""From a spec to one render: :func:`resolve` decides the objective, parameterisation, transforms, steps and
learning rate of a class, filter or objective image in one place (a :class:`Plan`); :func:`run` renders it and
checks what it reached; :func:`back_off` is the default class image's second try at targets it missed.

>>> from cnnviz.core.build import get_probe
>>> plan = resolve(get_probe(), "filter", O.FilterActivation("conv1"), [0], regularization=None, overrides={},
...                param=None, transforms=None, prior=None, n=1, steps=None, learning_rate=None, decay=None)
>>> plan.steps, plan.learning_rate, plan.param, plan.transforms
(150, 0.1, Pixels(blur=0.0, background=0.12), ())
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.probe import Probe
from . import objectives as O
from . import param as P
from . import presets as S
from . import transforms as T
from .calibration import adapted_default, objective_factor, penalty_factor
from .presets import Regularization
from .reached import check_result
from .render import check_steps, render
from .result import MaximizationResult


@dataclass
class Plan:
    """One render, resolved: what to climb, how the image is made and moved, and the run's settings."""

    objective: O.Objective
    param: P.Param
    transforms: tuple
    targets: list[int]
    steps: int
    learning_rate: float
    decay: float
    reg: Regularization | None
    is_class: bool  # judged as class images (softmax), else against real images
    prior: str | None = None
    layer: str | None = None
    factor: float = 1.0
    adjustments: tuple[str, ...] = ()


def _has_penalties(objective: O.Objective) -> bool:
    return objective.penalty or any(_has_penalties(t) for t in getattr(objective, "terms", ())) or (
        isinstance(objective, O.Scaled) and _has_penalties(objective.term))


def _diversity_layer(probe: Probe) -> str:
    convs = [n for n in probe.layer_names if n in getattr(probe, "conv_layer_names", [])]
    return (convs or probe.spatial_layer_names or [probe.layer_names[-2]])[-1]


def resolve(probe: Probe, kind: str, objective: O.Objective, targets: list[int], *, regularization: Any,
            overrides: dict[str, Any], param: Any, transforms: Any, prior: str | None, n: int, steps: int | None,
            learning_rate: float | None, decay: float | None, layer: str | None = None,
            judged_as_class: bool = True) -> Plan:
    """The one place that decides a render: ``kind`` is "class" (a class logit, with the calibrated default
    preset), "filter" (a layer's filter, no preset unless asked) or "objective" (anything else)."""
    adjustments: list[str] = []
    given = regularization is not None or any(v is not None for v in overrides.values())
    if kind == "class" and prior != "data":
        adapt = regularization is None or (isinstance(regularization, str) and regularization == "default")
        reg = S.resolve(None if adapt else regularization, overrides,
                        default=adapted_default(probe) if adapt else S.DEFAULT)
    elif kind == "filter" or (kind == "objective" and given):
        reg = S.resolve(regularization, overrides, default=S.NONE)
    else:
        reg = None
    penalties = reg.penalties() if reg is not None else None
    classes = (O.ClassLogit, O.ClassLogProbability)  # a class's score: judged by the softmax rule
    class_like = kind == "class" or (kind == "objective" and (isinstance(objective, classes) or (
        isinstance(objective, O.Sum) and any(isinstance(t, classes) and t.c is None for t in objective.terms))))
    if class_like or (kind == "filter" and penalties is not None):
        factor = penalty_factor(probe)
    elif kind == "objective" and (_has_penalties(objective) or penalties is not None):
        factor = objective_factor(probe, objective, targets)
        if _has_penalties(objective):
            objective = O.scale_penalties(objective, factor)
        adjustments.append(f"penalty weights x{factor:.3g}: they are relative to a class logit, and this objective "
                           f"climbs {factor:.3g}x as fast")
    else:
        factor = 1.0
    if penalties is not None:
        objective = objective - O.scale_penalties(penalties, factor)
    if prior == "data":
        objective = objective - S.PRIOR_WEIGHT * penalty_factor(probe) * O.latent_l2()
        param = P.generator("mnist")
    else:
        param = P.as_param(param) if param is not None else (reg.param() if reg is not None else P.pixels(0.0))
    transforms = T.as_transforms(transforms) if transforms is not None else (reg.transforms() if reg else ())
    if kind == "class" and n > 1:
        objective = objective + S.DIVERSITY_WEIGHT * factor * O.diversity(_diversity_layer(probe))
    if kind == "class":
        steps = S.class_steps(param) if steps is None else steps
        lr = S.class_learning_rate(param, check_steps(steps)) if learning_rate is None else learning_rate
        decay = S.DEFAULT_DECAY if decay is None else decay
    elif kind == "filter":
        steps, lr = (S.FILTER_STEPS if steps is None else steps), (S.FILTER_LR if learning_rate is None else learning_rate)
    else:
        steps = S.OBJECTIVE_STEPS if steps is None else steps
        lr = S.default_lr(param) if learning_rate is None else learning_rate
    return Plan(objective, param, tuple(transforms), targets, steps, lr, 0.0 if decay is None else decay, reg,
                class_like and judged_as_class, prior, layer, factor, tuple(adjustments))


def _start_images(probe: Probe, start: Any, n: int) -> np.ndarray | None:
    """A start image (any form ``probe.prepare`` takes, in the model's range) as display images, one per target."""
    if start is None:
        return None
    image = probe.prepare(start)
    to_display = getattr(probe, "to_display", None)
    image = np.asarray(to_display(image) if to_display else image, np.float32)
    if len(image) == 1:
        image = np.repeat(image, n, axis=0)
    if image.shape[0] != n:
        raise ValueError(f"the start image gives a batch of {image.shape[0]}; expected 1 or {n} (one per target).")
    return image


def run(probe: Probe, plan: Plan, start: Any = None, seed: int = 0) -> MaximizationResult:
    """The one engine call: render ``plan`` and check what it reached."""
    pool = S.PRIOR_POOL if (plan.prior == "data" and plan.is_class) else 0
    out = render(probe, plan.objective, plan.param, plan.transforms, plan.targets, steps=plan.steps,
                 learning_rate=plan.learning_rate, seed=seed, start=_start_images(probe, start, len(plan.targets)),
                 decay=plan.decay, pool=pool)
    model_images, probabilities, reached, message, final, real = check_result(
        probe, plan.targets, out.images, out.scores, plan.is_class, None if plan.is_class else plan.objective)
    return MaximizationResult(
        images=out.images, targets=plan.targets, scores=out.scores, probabilities=probabilities,
        objective=plan.objective.description if not plan.is_class else "class logit", regularization=plan.reg,
        steps=int(plan.steps), seed=int(seed), layer=plan.layer, model_images=model_images, reached=reached,
        message=message, param=getattr(plan.param, "name", type(plan.param).__name__), prior=plan.prior,
        transforms=plan.transforms, score_steps=out.score_steps, spec=plan.objective,
        class_names=list(probe.class_names), final_scores=final, real_scores=real,
        adjustments=list(plan.adjustments))


def back_off(probe: Probe, result: MaximizationResult, reg: Regularization, factor: float, param: P.Param,
             transforms: tuple, steps: int, seed: int, decay: float) -> MaximizationResult:
    """The default class image missed some targets: run those again with lighter penalties
    (:data:`~.presets.BACKOFF_PENALTIES`) and :data:`~.presets.BACKOFF_STEPS` x the steps, then, for what still
    misses, climbing the class's log-probability (its logit against the others': raising a logit can raise another
    class's more); keep the better image, say what was done."""
    more = check_steps(min(steps * S.BACKOFF_STEPS, 10_000))
    result.backed_off = np.zeros(len(result), bool)
    stages = [(share, O.class_logit(), f"penalties x{share:g}" if share > 0 else "no penalties")
              for share in S.BACKOFF_PENALTIES]
    stages.append((0.0, O.class_log_probability(), "the class's log-probability (its logit against the others'), "
                                                   "no penalties"))
    for share, target, said in stages:
        missed = [k for k in range(len(result)) if not result.reached[k]]
        if not missed:
            break
        spec = target
        if share > 0 and reg.penalties() is not None:
            spec = spec - O.scale_penalties(reg.penalties(), factor * share)
        targets = [result.targets[k] for k in missed]
        again = run(probe, Plan(spec, param, transforms, targets, more, S.class_learning_rate(param, more), decay,
                                reg, is_class=True), None, seed)
        changed = []
        for j, k in enumerate(missed):
            if again.confidence[j] > result.confidence[k]:
                changed.append(f"{result.targets[k]}: softmax {result.confidence[k]:.3f} -> {again.confidence[j]:.3f}")
                result.images[k], result.model_images[k] = again.images[j], again.model_images[j]
                result.probabilities[k] = again.probabilities[j]
                result.backed_off[k] = True
        if changed:
            result.adjustments.append(f"the default missed, so {said} and {more} steps for {', '.join(changed)} "
                                      "(the curves show the first try)")
        _, _, result.reached, result.message, _, _ = check_result(
            probe, result.targets, result.images, result.scores, True)
    return result


__all__ = ["Plan", "back_off", "resolve", "run"]
