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

from dataclasses import dataclass, field
from typing import Any

import tensorflow as tf


@dataclass(frozen=True)
class Context:
    """What an objective reads inside the loop: activations by tensor name, the per-image targets,
    the image the parameterisation made (display range [0, 1], before transforms), and the raw parameters."""

    activations: dict[str, tf.Tensor]
    targets: tf.Tensor
    image: tf.Tensor
    param: tf.Tensor


class Objective:
    """Base of every objective: ``score(ctx) -> (batch,)``; composes with ``+ - *`` and unary ``-``."""

    penalty = False  # penalties are left out of the recorded score trace

    def score(self, ctx: Context) -> tf.Tensor:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def tensors(self) -> set[str]:
        """The probe tensors ("logits", "conv2:pre", ...) this objective reads."""
        return set()

    @property
    def description(self) -> str:
        return repr(self)

    def __str__(self) -> str:
        return self.description

    def __add__(self, other: Any) -> Objective:
        return Sum((*_terms(self), *_terms(as_objective(other))))

    def __radd__(self, other: Any) -> Objective:
        if isinstance(other, (int, float)) and other == 0:  # sum([...]) starts from 0
            return self
        return as_objective(other) + self

    def __sub__(self, other: Any) -> Objective:
        return self + (-1.0) * as_objective(other)

    def __rsub__(self, other: Any) -> Objective:
        return as_objective(other) - self

    def __mul__(self, weight: float) -> Objective:
        if not isinstance(weight, (int, float)) or isinstance(weight, bool):
            raise TypeError(f"an objective is scaled by a number, not by {type(weight).__name__}.")
        if isinstance(self, Scaled):
            return Scaled(float(weight) * self.weight, self.term, self.calibration)
        return Scaled(float(weight), self)

    __rmul__ = __mul__

    def __neg__(self) -> Objective:
        return (-1.0) * self

    def __truediv__(self, divisor: float) -> Objective:
        return self * (1.0 / divisor)


def _terms(objective: Objective) -> tuple[Objective, ...]:
    return objective.terms if isinstance(objective, Sum) else (objective,)


@dataclass(frozen=True)
class Sum(Objective):
    """The sum of several objectives."""

    terms: tuple[Objective, ...]

    def score(self, ctx: Context) -> tf.Tensor:
        return tf.add_n([t.score(ctx) for t in self.terms])

    def tensors(self) -> set[str]:
        return set().union(*(t.tensors() for t in self.terms))

    @property
    def description(self) -> str:
        text = ""
        for term in self.terms:
            part = term.description
            if not text:
                text = part
            elif part.startswith("-"):
                text += f" - {part[1:]}"
            else:
                text += f" + {part}"
        return text


@dataclass(frozen=True)
class Scaled(Objective):
    """``weight * term``. ``calibration``: the factor :func:`scale_penalties` multiplied the user's weight by
    (the description shows the user's weight, ``weight / calibration``; equality and the loop use ``weight``)."""

    weight: float
    term: Objective
    calibration: float = field(default=1.0, compare=False)

    @property
    def penalty(self) -> bool:  # type: ignore[override]
        return self.term.penalty

    def score(self, ctx: Context) -> tf.Tensor:
        return self.weight * self.term.score(ctx)

    def tensors(self) -> set[str]:
        return self.term.tensors()

    @property
    def description(self) -> str:
        w = self.weight / self.calibration
        inner = self.term.description
        if isinstance(self.term, Sum):
            inner = f"({inner})"
        if _number(w) == "1":
            return inner
        if _number(w) == "-1":
            return f"-{inner}"
        return f"{_number(w)} * {inner}"


def _number(w: float) -> str:
    """A weight as written: 6 significant digits, so float noise (0.30000000000000004) does not show.

    >>> _number(0.1 + 0.2), _number(30.0), _number(1e-7)
    ('0.3', '30', '1e-07')
    """
    return f"{w:.6g}"


# --------------------------------------------------------------------------- targets


def _pick(x: tf.Tensor, index: int | None, targets: tf.Tensor) -> tf.Tensor:
    """Column ``index`` of (batch, units), or each row's own target when ``index`` is None."""
    if index is None:
        return tf.gather(x, targets, axis=1, batch_dims=1)
    return x[:, index]


@dataclass(frozen=True)
class ClassLogit(Objective):
    """The logit (score before the softmax) of class ``c``."""

    c: int | None = None

    def score(self, ctx: Context) -> tf.Tensor:
        return _pick(ctx.activations["logits"], self.c, ctx.targets)

    def tensors(self) -> set[str]:
        return {"logits"}

    @property
    def description(self) -> str:
        return "class logit" if self.c is None else f"class_logit({self.c})"


def _name(layer: str, pre: bool) -> str:
    return f"{layer}:pre" if pre else layer


@dataclass(frozen=True)
class Channel(Objective):
    """The mean activation of channel ``index`` of ``layer`` over all positions (a dense layer: the unit)."""

    layer: str
    index: int | None = None
    pre: bool = True

    def score(self, ctx: Context) -> tf.Tensor:
        x = ctx.activations[_name(self.layer, self.pre)]
        if len(x.shape) == 4:
            x = tf.reduce_mean(x, axis=(1, 2))
        return _pick(x, self.index, ctx.targets)

    def tensors(self) -> set[str]:
        return {_name(self.layer, self.pre)}

    @property
    def description(self) -> str:
        return f"channel({self.layer!r}, {self.index})" if self.index is not None else f"mean activation of a {self.layer} channel"


@dataclass(frozen=True)
class Neuron(Objective):
    """The activation of channel ``index`` of ``layer`` at one position (``x``, ``y``; default the centre)."""

    layer: str
    index: int | None = None
    x: int | None = None
    y: int | None = None
    pre: bool = True

    def score(self, ctx: Context) -> tf.Tensor:
        a = ctx.activations[_name(self.layer, self.pre)]
        if len(a.shape) == 4:
            h, w = int(a.shape[1]), int(a.shape[2])
            y = h // 2 if self.y is None else self.y
            x = w // 2 if self.x is None else self.x
            a = a[:, y, x, :]
        return _pick(a, self.index, ctx.targets)

    def tensors(self) -> set[str]:
        return {_name(self.layer, self.pre)}


@dataclass(frozen=True)
class FilterActivation(Objective):
    """A filter's mean activation after the ReLU plus a tenth of the mean before it (what
    :func:`cnnviz.maximize_filter` climbs): the pre-ReLU part keeps a gradient for a filter that is off
    everywhere at the start, the post-ReLU part makes the optimum the filter's stroke as a texture."""

    layer: str
    index: int | None = None

    def score(self, ctx: Context) -> tf.Tensor:
        post = Channel(self.layer, self.index, pre=False).score(ctx)
        return post + 0.1 * Channel(self.layer, self.index, pre=True).score(ctx)

    def tensors(self) -> set[str]:
        return {self.layer, f"{self.layer}:pre"}

    @property
    def description(self) -> str:
        return f"mean activation of a {self.layer} filter"


@dataclass(frozen=True)
class Direction(Objective):
    """How far ``layer``'s activation (averaged over positions) points along ``vector`` (a dot product with
    the unit vector): a direction in activation space rather than one unit."""

    layer: str
    vector: tuple[float, ...]
    pre: bool = True

    def score(self, ctx: Context) -> tf.Tensor:
        a = ctx.activations[_name(self.layer, self.pre)]
        if len(a.shape) == 4:
            a = tf.reduce_mean(a, axis=(1, 2))
        v = tf.constant(self.vector, tf.float32)
        return tf.linalg.matvec(a, v / tf.norm(v))

    def tensors(self) -> set[str]:
        return {_name(self.layer, self.pre)}

    @property
    def description(self) -> str:
        return f"direction({self.layer!r}, {len(self.vector)}-vector)"


@dataclass(frozen=True)
class Diversity(Objective):
    """Lucid's diversity term: minus the mean cosine similarity between an image's Gram matrix at ``layer``
    and those of the other images *with the same target*. Adding it makes a batch of images of one class
    differ in style (which strokes, where), not only in noise."""

    layer: str

    def score(self, ctx: Context) -> tf.Tensor:
        a = ctx.activations[self.layer]
        b = tf.shape(a)[0]
        flat = tf.reshape(a, [b, -1, a.shape[-1]])
        gram = tf.reshape(tf.matmul(flat, flat, transpose_a=True), [b, -1])
        gram = tf.math.l2_normalize(gram, axis=1)
        sim = tf.matmul(gram, gram, transpose_b=True)
        same = tf.cast(tf.equal(ctx.targets[:, None], ctx.targets[None, :]), tf.float32) - tf.eye(b)
        return -tf.reduce_sum(sim * same, axis=1) / tf.maximum(tf.reduce_sum(same, axis=1), 1.0)

    def tensors(self) -> set[str]:
        return {self.layer}


# --------------------------------------------------------------------------- penalties (on the image)


def _mean(x: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(x, axis=list(range(1, len(x.shape))))


@dataclass(frozen=True)
class L1(Objective):
    """Mean |pixel - constant| of the image (display range): subtract it for "fewer pixels"."""

    constant: float = 0.0
    penalty = True

    def score(self, ctx: Context) -> tf.Tensor:
        return _mean(tf.abs(ctx.image - self.constant))

    @property
    def description(self) -> str:
        return "l1()"


@dataclass(frozen=True)
class L2(Objective):
    """Mean (pixel - constant)² of the image (display range)."""

    constant: float = 0.0
    penalty = True

    def score(self, ctx: Context) -> tf.Tensor:
        return _mean(tf.square(ctx.image - self.constant))

    @property
    def description(self) -> str:
        return "l2()"


@dataclass(frozen=True)
class TotalVariation(Objective):
    """Mean absolute difference between neighbouring pixels: subtract it for smoother images."""

    penalty = True

    def score(self, ctx: Context) -> tf.Tensor:
        image = ctx.image
        dy = tf.abs(image[:, 1:, :, :] - image[:, :-1, :, :])
        dx = tf.abs(image[:, :, 1:, :] - image[:, :, :-1, :])
        return _mean(dy) + _mean(dx)

    @property
    def description(self) -> str:
        return "total_variation()"


@dataclass(frozen=True)
class BlurPenalty(Objective):
    """Mean squared difference between the image and a blurred copy of itself (the copy held fixed):
    Lucid's ``blur_input_each_step`` as a penalty; subtract it to pull the image towards its blur."""

    sigma: float = 1.0
    penalty = True

    def score(self, ctx: Context) -> tf.Tensor:
        from .param import blur

        target = tf.stop_gradient(blur(ctx.image, self.sigma))
        return _mean(tf.square(ctx.image - target))

    @property
    def description(self) -> str:
        return f"blur_penalty({self.sigma:g})"


@dataclass(frozen=True)
class LatentL2(Objective):
    """Mean square of the raw parameters: with a generator's latent (a standard normal prior), subtracting
    it keeps the latent where the generator was trained, so the image stays a plausible digit."""

    penalty = True

    def score(self, ctx: Context) -> tf.Tensor:
        return _mean(tf.square(ctx.param))

    @property
    def description(self) -> str:
        return "latent_l2()"


# --------------------------------------------------------------------------- the public constructors


def class_logit(c: int | None = None) -> Objective:
    """The logit of class ``c`` (None: each image's own target class).

    >>> class_logit(6) == class_logit(6)
    True
    """
    return ClassLogit(None if c is None else int(c))


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


def as_objective(value: Any) -> Objective:
    """An objective from a shorthand: an :class:`Objective` as is, an int -> :func:`class_logit`,
    ``"conv2:5"`` -> :func:`channel`, ``"conv2"`` -> that layer's channel of each image's target.

    >>> as_objective("conv2:5") == channel("conv2", 5)
    True
    >>> as_objective(3) == class_logit(3)
    True
    """
    if isinstance(value, Objective):
        return value
    if isinstance(value, bool):
        raise TypeError("an objective cannot be a bool.")
    if isinstance(value, int):
        return class_logit(value)
    if isinstance(value, str):
        layer, sep, index = value.rpartition(":")
        if sep and index.strip().isdigit():
            return channel(layer, int(index))
        if value in ("logits", "class"):
            return class_logit()
        return channel(value)
    raise TypeError(f"cannot make an objective from {value!r}; use an Objective, a class index or 'layer:channel'.")


# --------------------------------------------------------------------------- structure (for the cache)


def skeleton(objective: Objective) -> tuple[Objective, list[float]]:
    """``objective`` with every weight set to 1, and the weights in traversal order.

    The compiled loop is cached on the skeleton (a value) and takes the weights as a tensor, so
    changing a penalty's weight, or rescaling the penalties to a model's logits, does not trace again.

    >>> skeleton(class_logit() - 30 * l1())[1]
    [-30.0]
    """
    weights: list[float] = []

    def walk(node: Objective) -> Objective:
        if isinstance(node, Scaled):
            weights.append(node.weight)
            return Scaled(1.0, walk(node.term))
        if isinstance(node, Sum):
            return Sum(tuple(walk(t) for t in node.terms))
        return node

    return walk(objective), weights


def evaluate(skel: Objective, ctx: Context, weights: tf.Tensor, *, penalties: bool = True) -> tf.Tensor:
    """Score a skeleton with ``weights`` fed as a tensor (same order as :func:`skeleton`).
    ``penalties=False`` leaves penalty terms out (the score that the trace records)."""
    counter = iter(range(10**6))

    def walk(node: Objective) -> tf.Tensor | None:
        if isinstance(node, Scaled):
            w = weights[next(counter)]
            inner = walk(node.term)
            return None if inner is None else w * inner
        if isinstance(node, Sum):
            parts = [p for p in (walk(t) for t in node.terms) if p is not None]
            return tf.add_n(parts) if parts else None
        if node.penalty and not penalties:
            return None
        return node.score(ctx)

    out = walk(skel)
    return tf.zeros_like(ctx.targets, dtype=tf.float32) if out is None else out


def scale_penalties(objective: Objective, factor: float) -> Objective:
    """Every penalty term of ``objective`` multiplied by ``factor`` (the rest unchanged).

    >>> scale_penalties(class_logit() - 30 * l1(), 2.0) == class_logit() - 60 * l1()
    True
    """
    if isinstance(objective, Sum):
        return Sum(tuple(scale_penalties(t, factor) for t in objective.terms))
    if isinstance(objective, Scaled) and objective.penalty:
        return Scaled(objective.weight * factor, objective.term, objective.calibration * factor)
    if objective.penalty:
        return Scaled(factor, objective, factor)
    return objective


__all__ = [
    "Context",
    "Objective",
    "Sum",
    "Scaled",
    "as_objective",
    "blur_penalty",
    "channel",
    "class_logit",
    "direction",
    "diversity",
    "l1",
    "l2",
    "latent_l2",
    "neuron",
    "total_variation",
]
