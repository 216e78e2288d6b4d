"""Activation maximization: the input the network thinks is most "6" (or most "filter 12 of conv2").

The friendly front door to :mod:`cnnviz.optvis` (Lucid's four parts: ``cnnviz.optvis.objectives``,
``cnnviz.optvis.param``, ``cnnviz.optvis.transforms`` and the compiled loop). ``class`` is a Python keyword,
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

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import keras
import numpy as np

from .notebook import shows
from .optvis import objectives as O
from .optvis import param as P
from .optvis import transforms as T
from .optvis.render import check_steps, render
from .probe import Probe, get_probe
from .public import public
from .versions import weights_version

# --------------------------------------------------------------------------- presets


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


NONE = Regularization()
#: Light L1 and smoothing: strokes on black, and every class still at softmax >= 0.99 on the shipped model.
DEFAULT = Regularization(l1=30.0, tv=10.0, jitter=2, blur=0.75)
#: The tutorial's constraint: "fewer pixels" (L1, with light smoothing), which turns fake digits into
#: readable ones. Tuned by eye on the shipped model (l1 30..1000, tv 5..50): above ~150 the images go dark.
L1_CONSTRAINT = Regularization(l1=60.0, tv=10.0, jitter=2, blur=0.5)
PRESETS: dict[str, Regularization] = {"none": NONE, "default": DEFAULT, "l1": L1_CONSTRAINT}

#: logit_spread() of the shipped model (its logits' rise in 20 free steps): the presets' weights were
#: tuned there, and on another model they are multiplied by that model's spread divided by this one.
REFERENCE_LOGIT_SPREAD = 5.453
CALIBRATION_STEPS = 20
#: The shipped model's rise in the same 20 steps without jitter and blur (3.1x the jittered one).
REFERENCE_FREE_RISE = 17.09
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
#: ``reached``, one meaning everywhere. A class image is reached when its target is the model's top class
#: with softmax >= REACHED_SOFTMAX; any other objective (a channel, a neuron) when its score on the final image
#: is above its mean over real images (the bundled sample's first REAL_IMAGES test images, prepared for the
#: model): the target moved past what real inputs give it.
REACHED_SOFTMAX = 0.8
REAL_IMAGES = 256
#: The default class image backs off when it misses: penalties x these factors, with BACKOFF_STEPS x the steps.
BACKOFF_PENALTIES = (0.25, 0.0)
BACKOFF_STEPS = 2


@shows("cnnviz.notebook:_plot_maximization_result")  # drawn by this figure when it ends a notebook cell
@dataclass
class MaximizationResult:
    """Images that maximize an objective, one per target (``n`` per target when asked for several).

    ``images``: (N, H, W, C) in the display range [0, 1] (what to look at); ``model_images``: the same in the
    model's input range (what the model was fed); ``scores``: (rows, N), the objective (without penalties) at
    the steps in ``score_steps`` (every step up to 1,000 steps, every k-th after); ``probabilities``: (N,
    classes) of the final images; ``reached``: per image, whether the target was reached (class: it is the
    model's top class with softmax >= :data:`REACHED_SOFTMAX`; other objectives: the objective on the final
    image is above its mean over real images, ``real_scores``); ``message``: one line with every image's
    softmax (or score), saying which were not reached; ``adjustments``: what the default did on its own
    (lighter penalties, more steps) for targets it first missed.
    """

    images: np.ndarray
    targets: list[int]
    scores: np.ndarray
    probabilities: np.ndarray
    objective: str
    regularization: Regularization | None
    steps: int
    seed: int
    layer: str | None = None
    model_images: np.ndarray | None = None
    reached: np.ndarray | None = None
    message: str = ""
    param: str = "pixels"
    prior: str | None = None
    transforms: tuple = ()
    score_steps: np.ndarray | None = None
    spec: O.Objective | None = field(default=None, repr=False)
    class_names: list[str] = field(default_factory=list)  # the model's, for titles (empty: the indices)
    final_scores: np.ndarray | None = None
    real_scores: np.ndarray | None = None
    adjustments: list[str] = field(default_factory=list)
    backed_off: np.ndarray | None = None  # per image: made by the default's back-off (see ``adjustments``)

    @property
    def predicted(self) -> np.ndarray:
        """The class the model gives each final image."""
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """The softmax each image gets for its own target class (class objectives only)."""
        return self.probabilities[np.arange(len(self.targets)), self.targets]

    @property
    def kind(self) -> str:
        """"data prior" (natural digits the model responds to) or "pixels" (what it responds to at all)."""
        return "data prior" if self.prior == "data" else "pixels"

    def __len__(self) -> int:
        return len(self.targets)


# --------------------------------------------------------------------------- adapting to the model


def calibration_cache(probe: Probe) -> dict:
    """The calibration values of ``probe`` for its model's current weights (a fresh dict once they change:
    train the model, or load other weights, and the next call calibrates again, as a fresh copy would)."""
    version = weights_version(probe.source)
    held = probe.cache.get("optvis-calibration")
    if held is None or held[0] != version:
        held = probe.cache["optvis-calibration"] = (version, {})
    return held[1]


def logit_spread(probe: Probe) -> float:
    """How far this model's class logits climb: the mean rise of each of the first ten classes' logit in
    :data:`CALIBRATION_STEPS` steps of the default loop with its penalties switched off (cached on the probe
    for the current weights;    the same compiled loop as the default call, so no extra tracing). The presets' penalties are weighed against
    that rise: a model whose logits spread over 300 gets heavier penalties than one whose logits spread over 3,
    and one with large but noisy gradients (a random-weight MobileNet) does not get crushing ones.

    >>> logit_spread(get_probe()) > 0
    True
    """
    cache = calibration_cache(probe)
    key = "logit-spread"
    if key not in cache:
        targets = list(range(min(10, probe.num_classes)))
        spec = O.class_logit() - O.scale_penalties(DEFAULT.penalties(), 0.0)  # the default loop, penalties off
        out = render(probe, spec, P.pixels(DEFAULT.blur), (T.jitter(DEFAULT.jitter),), targets,
                     steps=CALIBRATION_STEPS, learning_rate=0.1, seed=0)
        cache[key] = float(max(np.mean(out.scores[-1] - out.scores[0]), 1e-3))
    return cache[key]


def adapted_default(probe: Probe) -> Regularization:
    """The "default" preset for this model: :data:`DEFAULT`, or, on a model whose logits climb more than 5x
    faster without the default's 2-pixel jitter and blur than with them (untrained or shift-sensitive
    features: a random-weight MobileNet climbs 8,000x faster; the shipped model 3.1x), the same without jitter
    and blur. A ratio, so scaling the logits does not change the choice. Cached on the probe.

    >>> adapted_default(get_probe()) == DEFAULT
    True
    """
    cache = calibration_cache(probe)
    key = "adapted-default"
    if key not in cache:
        reg = DEFAULT
        with_jitter = logit_spread(probe)
        targets = list(range(min(10, probe.num_classes)))
        spec = O.class_logit() - O.scale_penalties(DEFAULT.penalties(), 0.0)
        out = render(probe, spec, P.pixels(), (), targets, steps=CALIBRATION_STEPS, learning_rate=0.1, seed=0)
        free = float(np.mean(out.scores[-1] - out.scores[0]))
        if free > 5 * with_jitter:
            reg = replace(DEFAULT, jitter=0, blur=0.0)
            # the penalties follow the loop actually used, on the same scale as the shipped model's jittered rise
            cache["logit-spread"] = free * REFERENCE_LOGIT_SPREAD / REFERENCE_FREE_RISE
        cache[key] = reg
    return cache[key]


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
        uniq = sorted(set(targets))
        out = render(probe, O.scale_penalties(objective, 0.0), P.pixels(), (), uniq, steps=CALIBRATION_STEPS,
                     learning_rate=0.1, seed=0)
        probe.cache[key] = float(max(np.mean(out.scores[-1] - out.scores[0]), 1e-3))
    return float(np.clip(probe.cache[key] / REFERENCE_FREE_RISE, 0.001, 100.0))


def _has_penalties(objective: O.Objective) -> bool:
    return objective.penalty or any(_has_penalties(t) for t in getattr(objective, "terms", ())) or (
        isinstance(objective, O.Scaled) and _has_penalties(objective.term))


def _diversity_layer(probe: Probe) -> str:
    convs = [n for n in probe.layer_names if n in getattr(probe, "conv_layer_names", [])]
    spatial = probe.spatial_layer_names
    return (convs or spatial or [probe.layer_names[-2]])[-1]


def objective_scores(probe: Probe, objective: O.Objective, model_images: np.ndarray, targets: Sequence[int],
                     batch: int = 256) -> np.ndarray:
    """``objective`` without its penalties on images already in the model's range, one target per image (a
    forward pass only)."""
    import tensorflow as tf

    from .optvis.render import renderer

    skel, weights = O.skeleton(objective)
    rend = renderer(probe, tuple(skel.tensors()) or ("logits",))
    w = tf.constant(weights, tf.float32)
    out = []
    for s in range(0, len(model_images), batch):
        x = tf.constant(model_images[s:s + batch], tf.float32)
        ctx = O.Context(rend.activations(x), tf.constant(np.asarray(targets[s:s + batch], np.int32)), x, x)
        out.append(O.evaluate(skel, ctx, w, penalties=False).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def as_fired(objective: O.Objective) -> O.Objective:
    """``objective`` read after each layer's activation (a channel climbs its pre-activation, which can rise a
    long way while the channel stays off): what ``reached`` compares with real images.

    >>> as_fired(O.channel("conv2", 5)).pre
    False
    """
    from dataclasses import fields, is_dataclass

    if not is_dataclass(objective):
        return objective
    changes: dict[str, Any] = {}
    for f in fields(objective):
        value = getattr(objective, f.name)
        if f.name == "pre" and value is True:
            changes["pre"] = False
        elif isinstance(value, O.Objective):
            changes[f.name] = as_fired(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, O.Objective) for v in value):
            changes[f.name] = tuple(as_fired(v) for v in value)
    return replace(objective, **changes) if changes else objective


def uses_target(objective: O.Objective) -> bool:
    """Whether ``objective`` reads each image's target (a class logit, or a channel chosen by the target);
    ``"conv2:5"`` does not, so optimizing it "for" ten classes gives ten copies of one image.

    >>> uses_target(O.as_objective("conv2:5")), uses_target(O.as_objective("conv2")), uses_target(O.class_logit())
    (False, True, True)
    """
    from dataclasses import fields, is_dataclass

    if isinstance(objective, O.ClassLogit):
        return objective.c is None
    if not is_dataclass(objective):
        return False
    for f in fields(objective):
        value = getattr(objective, f.name)
        if f.name == "index" and value is None and not objective.penalty:
            return True
        parts = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, O.Objective) and uses_target(v) for v in parts):
            return True
    return False


def real_scores(probe: Probe, objective: O.Objective, targets: Sequence[int]) -> np.ndarray | None:
    """The mean of ``objective`` (no penalties) over real images, per target; None when the bundled sample
    cannot be given to this model."""
    from .data import load_sample

    try:
        images = probe.prepare(load_sample().x_test[:REAL_IMAGES])
    except Exception:  # noqa: BLE001  (a model the MNIST sample does not fit: nothing to compare with)
        return None
    means = {}
    for t in set(targets):
        means[t] = float(objective_scores(probe, objective, images, [t] * len(images)).mean())
    return np.array([means[t] for t in targets], np.float32)


def _check_result(probe: Probe, targets: list[int], images: np.ndarray, scores: np.ndarray,
                  is_class: bool, objective: O.Objective | None = None) -> tuple:
    model_images = np.asarray(probe.to_model(images), np.float32)  # what the model was fed
    probabilities = probe.forward(model_images)["probabilities"]
    final = real = None
    if is_class:
        idx = np.arange(len(targets))
        conf = probabilities[idx, targets]
        reached = (probabilities.argmax(axis=1) == np.asarray(targets)) & (conf >= REACHED_SOFTMAX)
        shown = [f"{t}: softmax {c:.3f}" + ("" if r else f" (top class {p}, NOT REACHED)" if p != t else " (NOT REACHED)")
                 for t, c, p, r in zip(targets, conf, probabilities.argmax(axis=1), reached)]
        rule = f"reached = the target is the top class with softmax >= {REACHED_SOFTMAX:g}"
    else:
        fired = as_fired(objective) if objective is not None else None
        final = objective_scores(probe, fired, model_images, targets) if fired is not None else scores[-1]
        real = real_scores(probe, fired, targets) if fired is not None else None
        if real is None:
            reached = final > scores[0] + 1e-6
            shown = [f"{final[k]:.3g}" + ("" if r else " (NOT REACHED)") for k, r in enumerate(reached)]
            rule = "reached = the objective rose (no real images to compare with for this model)"
        else:
            reached = final > real
            shown = [f"{final[k]:.3g} vs real images' {real[k]:.3g}" + ("" if r else " (NOT REACHED)")
                     for k, r in enumerate(reached)]
            rule = "reached = above its mean over real images"
    count = int(np.sum(reached))
    missing = ", ".join(str(t) if is_class else str(k + 1) for k, (t, r) in enumerate(zip(targets, reached)) if not r)
    head = (f"all {len(targets)} reached" if count == len(targets)
            else f"not reached: {'class' if is_class else 'image'} {missing} ({count} of {len(targets)} reached)")
    message = f"{head}; {rule}: {'; '.join(shown)}"
    if count < len(targets):
        message += ". Try more steps, a lighter regularization (regularization='none') or another seed."
    return model_images, probabilities, np.asarray(reached, bool), message, final, real


def _default_lr(param: P.Param) -> float:
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
        return _default_lr(param)
    return float(min(0.3, max(0.1, PIXEL_PATH / steps)))


#: Transforms that make pixel class images more readable (Lucid's robustness set, sized for 28x28 digits).
READABLE_TRANSFORMS = (T.pad(2), T.jitter(2), T.scale((0.9, 1.1)), T.rotate(10))


def _as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple, range, np.ndarray)) else [value]


def _regularization(regularization: Regularization | str | None, overrides: dict[str, Any],
                    default: Regularization = DEFAULT) -> Regularization:
    if regularization is None:
        reg = default
    elif isinstance(regularization, str):
        if regularization not in PRESETS:
            raise ValueError(f"unknown regularization {regularization!r}; use one of {', '.join(PRESETS)} or a Regularization.")
        reg = PRESETS[regularization]
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


# --------------------------------------------------------------------------- the one engine call


def _run(probe: Probe, objective: O.Objective, param: P.Param, transforms: tuple, targets: list[int], *, steps: int,
         learning_rate: float, seed: int, start: Any, reg: Regularization | None, layer: str | None, is_class: bool,
         prior: str | None, decay: float = 0.0) -> MaximizationResult:
    start_images = _start_images(probe, start, len(targets))
    pool = PRIOR_POOL if (prior == "data" and is_class) else 0
    out = render(probe, objective, param, transforms, targets, steps=steps, learning_rate=learning_rate, seed=seed,
                 start=start_images, decay=decay, pool=pool)
    model_images, probabilities, reached, message, final, real = _check_result(
        probe, targets, out.images, out.scores, is_class, None if is_class else objective)
    return MaximizationResult(
        images=out.images, targets=targets, scores=out.scores, probabilities=probabilities,
        objective=objective.description if not is_class else "class logit", regularization=reg, steps=int(steps),
        seed=int(seed), layer=layer, model_images=model_images, reached=reached, message=message,
        param=getattr(param, "name", type(param).__name__), prior=prior, transforms=tuple(transforms),
        score_steps=out.score_steps, spec=objective, class_names=list(probe.class_names), final_scores=final,
        real_scores=real)


def _back_off(probe: Probe, result: MaximizationResult, reg: Regularization, factor: float, param: P.Param,
              transforms: tuple, steps: int, seed: int, decay: float) -> MaximizationResult:
    """The default class image missed some targets: run those again with lighter penalties
    (:data:`BACKOFF_PENALTIES`) and :data:`BACKOFF_STEPS` x the steps, keep the better image, say what was done."""
    more = check_steps(min(steps * BACKOFF_STEPS, 10_000))
    result.backed_off = np.zeros(len(result), bool)
    for share in BACKOFF_PENALTIES:
        missed = [k for k in range(len(result)) if not result.reached[k]]
        if not missed:
            break
        spec = O.class_logit()
        if share > 0:
            spec = spec - O.scale_penalties(reg.penalties(), factor * share)
        targets = [result.targets[k] for k in missed]
        again = _run(probe, spec, param, transforms, targets, steps=more,
                     learning_rate=class_learning_rate(param, more), seed=seed, start=None, reg=reg, layer=None,
                     is_class=True, prior=None, decay=decay)
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
        _, _, result.reached, result.message, _, _ = _check_result(
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
    ``transforms``: the open engine (:mod:`cnnviz.optvis.objectives`, :mod:`cnnviz.optvis.param`, :mod:`cnnviz.optvis.transforms`).
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
        return maximize_filter(layer, neuron, model=probe, steps=150 if steps is None else steps,
                               learning_rate=0.1 if learning_rate is None else learning_rate, seed=seed, start=start,
                               regularization=regularization, n=n, param=param, transforms=transforms, **overrides)

    if prior == "data":
        if regularization is not None or any(v is not None for v in overrides.values()):
            raise ValueError("regularization/l1/tv/... shape pixel images; prior='data' keeps images natural by "
                             "itself. Drop one of them.")
        if param is not None or start is not None:
            raise ValueError("prior='data' sets its own parameterisation (the generator's latent); drop param=/start=.")

    if objective is None:  # ---------------------------------------------------------------- class images
        if class_ is None:
            raise ValueError("which class? e.g. maximize(6), maximize(class_=6), maximize([0, 1, 2]).")
        classes = [probe.check_class(c) for c in _as_list(class_)]
        if not classes:
            raise ValueError("the list of classes is empty.")
        targets = [c for c in classes for _ in range(int(n))]
        factor = penalty_factor(probe)
        spec: O.Objective = O.class_logit()
        if prior == "data":
            reg = None
            spec = spec - PRIOR_WEIGHT * factor * O.latent_l2()
            chosen_param: P.Param = P.generator("mnist")
            chosen_transforms: tuple = T.as_transforms(transforms)
        else:
            adapt = regularization is None or (isinstance(regularization, str) and regularization == "default")
            reg = _regularization(None if adapt else regularization, overrides,
                                  default=adapted_default(probe) if adapt else DEFAULT)
            penalties = reg.penalties()
            if penalties is not None:
                spec = spec - O.scale_penalties(penalties, factor)
            chosen_param = P.as_param(param) if param is not None else P.pixels(reg.blur)
            chosen_transforms = (T.as_transforms(transforms) if transforms is not None
                                 else ((T.jitter(reg.jitter),) if reg.jitter > 0 else ()))
        if n > 1:
            spec = spec + DIVERSITY_WEIGHT * factor * O.diversity(_diversity_layer(probe))
        steps = class_steps(chosen_param) if steps is None else steps
        result = _run(probe, spec, chosen_param, chosen_transforms, targets, steps=steps,
                      learning_rate=(class_learning_rate(chosen_param, check_steps(steps)) if learning_rate is None
                                     else learning_rate), seed=seed,
                      start=start, reg=reg, layer=None, is_class=True, prior=prior,
                      decay=DEFAULT_DECAY if decay is None else decay)
        automatic = (prior is None and adapt and n == 1 and param is None and start is None and learning_rate is None
                     and all(v is None for v in overrides.values()) and reg.penalties() is not None)
        if automatic and not result.reached.all():
            result = _back_off(probe, result, reg, factor, chosen_param, chosen_transforms, steps, seed,
                               DEFAULT_DECAY if decay is None else decay)
        return result

    # ----------------------------------------------------------------------------------- any objective
    spec = O.as_objective(objective)
    for name in spec.tensors() - {"logits"}:
        probe.layer(name.split(":")[0])  # a clear error for an unknown layer, before tracing
    targets = [probe.check_class(c) for c in _as_list(class_)] if class_ is not None else [0]
    targets = [t for t in targets for _ in range(int(n))]
    reg = _regularization(regularization, overrides, default=NONE) if (
        regularization is not None or any(v is not None for v in overrides.values())) else None
    is_class = isinstance(spec, O.ClassLogit) or (
        isinstance(spec, O.Sum) and any(isinstance(t, O.ClassLogit) and t.c is None for t in spec.terms))
    adjustments: list[str] = []
    if is_class:
        factor = penalty_factor(probe)
    elif _has_penalties(spec) or (reg is not None and reg.penalties() is not None):
        factor = objective_factor(probe, spec, targets)
        if _has_penalties(spec):
            spec = O.scale_penalties(spec, factor)
        adjustments.append(f"penalty weights x{factor:.3g}: they are relative to a class logit, and this objective "
                           f"climbs {factor:.3g}x as fast")
    else:
        factor = 1.0
    if reg is not None and reg.penalties() is not None:
        spec = spec - O.scale_penalties(reg.penalties(), factor)
    if prior == "data":
        chosen_param = P.generator("mnist")
        spec = spec - PRIOR_WEIGHT * penalty_factor(probe) * O.latent_l2()
    else:
        chosen_param = P.as_param(param) if param is not None else P.pixels(reg.blur if reg else 0.0)
    chosen_transforms = T.as_transforms(transforms) if transforms is not None else (
        (T.jitter(reg.jitter),) if reg is not None and reg.jitter > 0 else ())
    result = _run(probe, spec, chosen_param, chosen_transforms, targets, steps=200 if steps is None else steps,
                  learning_rate=_default_lr(chosen_param) if learning_rate is None else learning_rate, seed=seed,
                  start=start, reg=reg, layer=None, is_class=is_class and class_ is not None, prior=prior,
                  decay=0.0 if decay is None else decay)
    result.adjustments = adjustments
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
    steps: int = 150,
    learning_rate: float = 0.1,
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
    target_layer = probe.layer(layer)
    channels = int(target_layer.output.shape[-1])
    indices = _as_list(index)
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < channels:
            raise ValueError(f"filter {i!r} is out of range: layer {layer!r} has filters 0..{channels - 1}.")
    targets = [int(i) for i in indices for _ in range(int(n))]
    reg = _regularization(regularization, {k: overrides.pop(k, None) for k in ("l1", "l2", "tv", "jitter", "blur")},
                          default=NONE)
    if overrides:
        raise TypeError(f"maximize_filter() got unexpected keyword arguments: {', '.join(overrides)}.")
    spec = filter_activation(layer)
    penalties = reg.penalties()
    if penalties is not None:
        spec = spec - O.scale_penalties(penalties, penalty_factor(probe))
    chosen_param = P.as_param(param) if param is not None else P.pixels(reg.blur)
    chosen_transforms = T.as_transforms(transforms) if transforms is not None else (
        (T.jitter(reg.jitter),) if reg.jitter > 0 else ())
    return _run(probe, spec, chosen_param, chosen_transforms, targets, steps=steps, learning_rate=learning_rate,
                seed=seed, start=start, reg=reg, layer=layer, is_class=False, prior=None)


@dataclass
class ClassExamples:
    """Dataset images that a class's logit is highest for, strongest first: ``images`` (classes, k, H, W, C)
    in the display range, ``logits`` (classes, k), ``indices`` (classes, k) into the images searched."""

    classes: list[int]
    images: np.ndarray
    logits: np.ndarray
    indices: np.ndarray


def class_examples(classes: int | Sequence[int] | None = None, k: int = 4, *, images: Any = None,
                   model: keras.Model | Probe | None = None) -> ClassExamples:
    """The ``k`` dataset images (default: the bundled test sample) with the highest logit for each class: the
    model-free comparison people read best (Borowski et al., ICLR 2021: natural examples predict a unit's
    response better than synthetic images). Show them next to the class images.

    >>> ex = class_examples([3, 6], k=2)
    >>> ex.images.shape
    (2, 2, 28, 28, 1)
    """
    probe = get_probe(model)
    classes = list(range(min(10, probe.num_classes))) if classes is None else [probe.check_class(c) for c in _as_list(classes)]
    if images is None:
        from .data import load_sample

        images = load_sample().x_test
    batch = probe.prepare(images)
    logits = np.concatenate([keras.ops.convert_to_numpy(probe.logits_model(batch[i:i + 500], training=False))
                             for i in range(0, len(batch), 500)])
    k = int(min(k, len(batch)))
    order = np.argsort(-logits[:, classes], axis=0)[:k].T  # (classes, k)
    display = np.clip(probe.to_display(batch), 0, 1)
    return ClassExamples(classes=classes, images=display[order], logits=np.take_along_axis(logits[:, classes].T, order, 1),
                         indices=order)


@shows("cnnviz.plots:plot_fake_vs_constrained")  # drawn by this figure when it ends a notebook cell
@dataclass
class ClassImages:
    """The tutorial's experiment: every class maximized without regularization and with the L1 constraint
    (and, when asked, with the data prior, and each class's top dataset example)."""

    plain: MaximizationResult
    constrained: MaximizationResult
    data: MaximizationResult | None = None
    examples: ClassExamples | None = None


def fake_vs_constrained(model: keras.Model | None = None, *, classes: Sequence[int] | None = None, steps: int | None = None,
                        seed: int = 0, data_prior: bool = False, examples: bool = False) -> ClassImages:
    """The tutorial's "what does the network see": fake digits (no constraint) vs readable ones (L1);
    ``data_prior=True`` adds the data-prior digits (MNIST-shaped models), ``examples=True`` each class's
    top example from the bundled sample.

    >>> exp = fake_vs_constrained(steps=50)
    >>> exp.plain.images.shape == exp.constrained.images.shape
    True
    """
    probe = get_probe(model)
    classes = list(range(min(10, probe.num_classes))) if classes is None else list(classes)
    return ClassImages(
        plain=maximize(classes, model=probe, steps=steps, seed=seed, regularization="none"),
        constrained=maximize(classes, model=probe, steps=steps, seed=seed, regularization="l1"),
        data=maximize(classes, model=probe, seed=seed, prior="data") if data_prior else None,
        examples=class_examples(classes, k=1, model=probe) if examples else None,
    )


def data_prior_available(model: keras.Model | Probe | None = None) -> bool:
    """Whether ``prior="data"`` means something for this model: the shipped generator draws 28x28 grey MNIST
    digits (other shapes are resized and repeated, so ``maximize`` still runs, but "natural digits" is then a
    claim about MNIST, not about the model's data).

    >>> data_prior_available()
    True
    """
    from .optvis.param import _decoder_path

    return _decoder_path("mnist").is_file() and get_probe(model).input_shape == (28, 28, 1)

#: unknown keyword options are one-line errors (cnnviz.public), as in every public call
class_examples, fake_vs_constrained = public(class_examples), public(fake_vs_constrained)

__all__ = [
    "ClassExamples", "ClassImages", "MaximizationResult", "PRESETS", "Regularization",
    "class_examples", "fake_vs_constrained", "maximize", "maximize_filter",
]
