"""The objective algebra: the :class:`Objective` base with ``+ - *``, sums and weights, and how the compiled loop
sees an objective (:func:`skeleton`: weights out, so a new weight does not trace again; :func:`evaluate`).

>>> from cnnviz.optvis.objectives import channel, l1
>>> (channel("conv2", 5) - 10 * l1()).description
"channel('conv2', 5) - 10 * l1()"
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



# --------------------------------------------------------------------------- structure (for the cache)


def skeleton(objective: Objective) -> tuple[Objective, list[float]]:
    """``objective`` with every weight set to 1, and the weights in traversal order.

    The compiled loop is cached on the skeleton (a value) and takes the weights as a tensor, so
    changing a penalty's weight, or rescaling the penalties to a model's logits, does not trace again.

    >>> from cnnviz.optvis.objectives import class_logit, l1
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

    >>> from cnnviz.optvis.objectives import class_logit, l1
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


__all__ = ["Context", "Objective", "Scaled", "Sum", "evaluate", "scale_penalties", "skeleton"]


# --------------------------------------------------------------------------- the kinds a shorthand names
# (``"conv2:5" - 10 * l1()`` reads its string here, so they live with the algebra)


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


def as_objective(value: Any) -> Objective:
    """An objective from a shorthand: an :class:`Objective` as is, an int -> :class:`ClassLogit`,
    ``"conv2:5"`` -> :class:`Channel`, ``"conv2"`` -> that layer's channel of each image's target.

    >>> as_objective("conv2:5") == Channel("conv2", 5)
    True
    >>> as_objective(3) == ClassLogit(3)
    True
    """
    if isinstance(value, Objective):
        return value
    if isinstance(value, bool):
        raise TypeError("an objective cannot be a bool.")
    if isinstance(value, int):
        return ClassLogit(int(value))
    if isinstance(value, str):
        layer, sep, index = value.rpartition(":")
        if sep and index.strip().isdigit():
            return Channel(layer, int(index))
        if value in ("logits", "class"):
            return ClassLogit()
        return Channel(value)
    raise TypeError(f"cannot make an objective from {value!r}; use an Objective, a class index or 'layer:channel'.")
