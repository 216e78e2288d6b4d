"""Activation maximization: the input the network thinks is most "6" (or most "filter 12 of conv2").

The friendly front door to :mod:`cnnviz.optvis` (Lucid's four parts: ``cnnviz.objectives``,
``cnnviz.param``, ``cnnviz.transforms`` and the compiled loop). ``class`` is a Python keyword,
so all of these work::

    cnnviz.maximize(6)
    cnnviz.maximize(class_=6)
    cnnviz.maximize(**{"class": 6})
    cnnviz.maximize([0, 1, 2])                    # a list runs as one batch
    cnnviz.maximize(6, n=4)                       # four different 6s
    cnnviz.maximize(6, prior="data")              # a 6 drawn by a generative model of MNIST
    cnnviz.maximize(objective=channel("conv2", 5) - 10 * l1(), param=fourier(), transforms=[jitter(2)])

Two kinds of answer, both true: with pixels (``prior=None``) the image shows what the model responds
to *at all*, which can be a pattern no person would draw ("fake digits"); with ``prior="data"`` it
shows what the model responds to *among natural digits* (images the generator can draw).

>>> import cnnviz
>>> result = cnnviz.maximize(6, steps=50)
>>> result.images.shape
(1, 28, 28, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from .optvis import objectives as O
from .optvis import param as P
from .optvis import presets as S
from .optvis import transforms as T
from .optvis.calibration import adapted_default, objective_factor, penalty_factor
from .optvis.presets import Regularization
from .optvis.reached import check_result
from .optvis.render import check_steps, render
from .optvis.result import MaximizationResult
from .probe import Probe, get_probe


def as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple, range, np.ndarray)) else [value]


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
    class_like = kind == "class" or (kind == "objective" and (isinstance(objective, O.ClassLogit) or (
        isinstance(objective, O.Sum) and any(isinstance(t, O.ClassLogit) and t.c is None for t in objective.terms))))
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


def _run(probe: Probe, plan: Plan, start: Any = None, seed: int = 0) -> MaximizationResult:
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


def _back_off(probe: Probe, result: MaximizationResult, reg: Regularization, factor: float, param: P.Param,
              transforms: tuple, steps: int, seed: int, decay: float) -> MaximizationResult:
    """The default class image missed some targets: run those again with lighter penalties
    (:data:`~.presets.BACKOFF_PENALTIES`) and :data:`~.presets.BACKOFF_STEPS` x the steps, keep the better image, say what was done."""
    more = check_steps(min(steps * S.BACKOFF_STEPS, 10_000))
    result.backed_off = np.zeros(len(result), bool)
    for share in S.BACKOFF_PENALTIES:
        missed = [k for k in range(len(result)) if not result.reached[k]]
        if not missed:
            break
        spec = O.class_logit()
        if share > 0:
            spec = spec - O.scale_penalties(reg.penalties(), factor * share)
        targets = [result.targets[k] for k in missed]
        again = _run(probe, Plan(spec, param, transforms, targets, more, S.class_learning_rate(param, more), decay,
                                 reg, is_class=True), None, seed)
        changed = []
        for j, k in enumerate(missed):
            if again.confidence[j] > result.confidence[k]:
                changed.append(f"{result.targets[k]}: softmax {result.confidence[k]:.3f} -> {again.confidence[j]:.3f}")
                result.images[k], result.model_images[k] = again.images[j], again.model_images[j]
                result.probabilities[k] = again.probabilities[j]
                result.backed_off[k] = True
        if changed:
            lighter = f"penalties x{share:g}" if share > 0 else "no penalties"
            result.adjustments.append(f"the default missed, so {lighter} and {more} steps for {', '.join(changed)} "
                                      "(the curves show the first try)")
        _, _, result.reached, result.message, _, _ = check_result(
            probe, result.targets, result.images, result.scores, True)
    return result


def maximize(
    class_: int | Sequence[int] | None = None,
    *,
    model: keras.Model | Probe | None = None,
    objective: O.Objective | str | int | None = None,
    param: P.Param | str | None = None,
    transforms: Sequence[T.Transform] | T.Transform | None = None,
    n: int = 1,
    prior: str | None = None,
    steps: int | None = None,
    learning_rate: float | None = None,
    seed: int = 0,
    start: Any = None,
    regularization: Regularization | str | None = None,
    l1: float | None = None,
    l2: float | None = None,
    tv: float | None = None,
    jitter: int | None = None,
    blur: float | None = None,
    layer: str | None = None,
    neuron: int | Sequence[int] | None = None,
    decay: float | None = None,
    input_range: tuple[float, float] | None = None,
    **kwargs: Any,
) -> MaximizationResult:
    """The image(s) that maximize a class's logit (or any objective), ``n`` different ones per target.

    ``class_`` (also ``class=`` through ``**{"class": 6}``, or the first positional argument): one class or a
    list, run as one batch. ``regularization``: "default" (light L1 + TV + jitter), "none" (the tutorial's fake
    digits), "l1" (its "fewer pixels" constraint), or a :class:`Regularization`; ``l1``, ``l2``, ``tv``,
    ``jitter``, ``blur`` override single fields. Penalties are scaled to the model's logits, so "default" works
    whether they spread over 3 or 300.

    ``prior="data"``: optimize the latent vector of cnnviz's generative model of MNIST (a VAE decoder) instead
    of pixels, with a penalty keeping it near the prior: the image is a plausible handwritten digit that the
    model calls the class (what the model responds to *among natural digits*; pixels show what it responds to
    *at all*). ``n``: images per target, kept apart by a diversity term. ``objective``, ``param``,
    ``transforms``: the open engine (:mod:`cnnviz.objectives`, :mod:`cnnviz.param`, :mod:`cnnviz.transforms`).
    Same ``seed`` -> same images. ``start``: an image to start from (pixel parameterisation). ``decay``: how
    far the learning rate falls along a cosine by the last step (0: constant; default: the kind's own).
    ``input_range=(lo, hi)``: the pixel range the model expects, when cnnviz cannot read it from the model.
    The optimizer works on display images in [0, 1] and maps them with ``probe.to_model`` inside the loop, so
    one learning rate fits a model that takes [0, 1], [-1, 1] or 0-255.
    ``result.reached`` and ``result.message`` say which targets were not reached.

    >>> r = maximize(**{"class": 6}, steps=100)
    >>> int(r.predicted[0]), bool(r.reached[0])
    (6, True)
    """
    if "class" in kwargs:
        if class_ is not None:
            raise ValueError("give the class once: maximize(6), maximize(class_=6) or maximize(**{'class': 6}).")
        class_ = kwargs.pop("class")
    if kwargs:
        raise TypeError(f"maximize() got unexpected keyword arguments: {', '.join(kwargs)}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 64:
        raise ValueError(f"n (images per target) must be a whole number from 1 to 64 (got {n!r}).")
    if prior not in (None, "none", "pixels", "data"):
        raise ValueError(f"unknown prior {prior!r}; use prior='data' (natural digits) or None (pixels).")
    prior = "data" if prior == "data" else None
    overrides = {"l1": l1, "l2": l2, "tv": tv, "jitter": jitter, "blur": blur}
    probe = get_probe(model, input_range=input_range)
    if layer is not None or neuron is not None:
        if class_ is not None or objective is not None:
            raise ValueError("class_ and layer=/neuron= name two different targets; give one: maximize(6) or "
                             "maximize(layer='conv2', neuron=5).")
        if layer is None or neuron is None:
            raise ValueError("a neuron target needs both layer= and neuron=.")
        return maximize_filter(layer, neuron, model=probe, steps=steps, learning_rate=learning_rate, seed=seed,
                               start=start, regularization=regularization, n=n, param=param, transforms=transforms,
                               **overrides)
    if prior == "data":
        if regularization is not None or any(v is not None for v in overrides.values()):
            raise ValueError("regularization/l1/tv/... shape pixel images; prior='data' keeps images natural by "
                             "itself. Drop one of them.")
        if param is not None or start is not None:
            raise ValueError("prior='data' sets its own parameterisation (the generator's latent); drop param=/start=.")
    if objective is None:
        if class_ is None:
            raise ValueError("which class? e.g. maximize(6), maximize(class_=6), maximize([0, 1, 2]).")
        classes = [probe.check_class(c) for c in as_list(class_)]
        if not classes:
            raise ValueError("the list of classes is empty.")
        kind, spec = "class", O.class_logit()
    else:
        kind, spec = "objective", O.as_objective(objective)
        for name in spec.tensors() - {"logits"}:
            probe.layer(name.split(":")[0])  # a clear error for an unknown layer, before tracing
        classes = [probe.check_class(c) for c in as_list(class_)] if class_ is not None else [0]
    targets = [c for c in classes for _ in range(int(n))]
    plan = resolve(probe, kind, spec, targets, regularization=regularization, overrides=overrides, param=param,
                   transforms=transforms, prior=prior, n=n, steps=steps, learning_rate=learning_rate, decay=decay,
                   judged_as_class=kind == "class" or class_ is not None)
    result = _run(probe, plan, start, seed)
    automatic = (kind == "class" and prior is None and (regularization is None or regularization == "default")
                 and n == 1 and param is None and start is None and learning_rate is None
                 and all(v is None for v in overrides.values()) and plan.reg.penalties() is not None)
    if automatic and not result.reached.all():
        result = _back_off(probe, result, plan.reg, plan.factor, plan.param, plan.transforms, plan.steps, seed,
                           plan.decay)
    return result


def filter_activation(layer: str) -> O.Objective:
    """What :func:`maximize_filter` climbs (see :class:`cnnviz.optvis.objectives.FilterActivation`).

    >>> filter_activation("conv1") == filter_activation("conv1")
    True
    """
    return O.FilterActivation(layer)


def maximize_filter(
    layer: str,
    index: int | Sequence[int],
    *,
    model: keras.Model | Probe | None = None,
    steps: int | None = None,
    learning_rate: float | None = None,
    seed: int = 0,
    start: Any = None,
    regularization: Regularization | str | None = None,
    n: int = 1,
    param: P.Param | str | None = None,
    transforms: Sequence[T.Transform] | T.Transform | None = None,
    input_range: tuple[float, float] | None = None,
    **overrides: Any,
) -> MaximizationResult:
    """The input pattern(s) that most excite filter ``index`` of ``layer`` (its mean activation).

    Works for conv layers (a filter) and dense layers (a neuron); a list of indices runs as one batch.
    ``regularization`` defaults to "none" for filters (and for ``maximize(layer=, neuron=)``, the same target).
    ``n``: images per filter, from different random starts (no diversity term: filters have no shared scale).

    >>> r = maximize_filter("conv1", [0, 1, 2], steps=50)
    >>> r.images.shape
    (3, 28, 28, 1)
    """
    probe = get_probe(model, input_range=input_range)
    channels = int(probe.layer(layer).output.shape[-1])
    indices = as_list(index)
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < channels:
            raise ValueError(f"filter {i!r} is out of range: layer {layer!r} has filters 0..{channels - 1}.")
    given = {k: overrides.pop(k, None) for k in ("l1", "l2", "tv", "jitter", "blur")}
    if overrides:
        raise TypeError(f"maximize_filter() got unexpected keyword arguments: {', '.join(overrides)}.")
    plan = resolve(probe, "filter", filter_activation(layer), [int(i) for i in indices for _ in range(int(n))],
                   regularization=regularization, overrides=given, param=param, transforms=transforms, prior=None,
                   n=n, steps=steps, learning_rate=learning_rate, decay=None, layer=layer)
    return _run(probe, plan, start, seed)


def data_prior_available(model: keras.Model | Probe | None = None) -> bool:
    """Whether ``prior="data"`` means something for this model: the shipped generator draws 28x28 grey MNIST
    digits (other shapes are resized and repeated, so ``maximize`` still runs, but "natural digits" is then a
    claim about MNIST, not about the model's data).

    >>> data_prior_available()
    True
    """
    from .optvis.param import _decoder_path

    return _decoder_path("mnist").is_file() and get_probe(model).input_shape == (28, 28, 1)
