"""Transforms: random changes applied to the image at each step, before the model sees it.

An image that still excites the target after a shift, a zoom or a small rotation cannot rely on
single-pixel tricks, so transforms make the result more robust and more readable (Lucid's
``transform.py``). A list composes, applied in order::

    cnnviz.maximize(6, transforms=[pad(2), jitter(2), scale((0.9, 1.1)), rotate(10)])

Each is a frozen dataclass; randomness is stateless (the run's seed and the step number), so the
same seed gives the same image. The model's input size never changes.

>>> t = jitter(2)
>>> x = tf.ones((1, 8, 8, 1))
>>> apply([t], x, seed=tf.constant(0), step=tf.constant(0)).shape
TensorShape([1, 8, 8, 1])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import tensorflow as tf

from ..registry import Registry


def _uniform(seed: tf.Tensor, step: tf.Tensor, salt: int, shape: Sequence[int], lo, hi, dtype=tf.float32) -> tf.Tensor:
    pair = tf.stack([tf.cast(seed, tf.int32), tf.cast(step, tf.int32) * 64 + salt])
    return tf.random.stateless_uniform(shape, seed=pair, minval=lo, maxval=hi, dtype=dtype)


class Transform:
    """Base of every transform: ``__call__(image, seed, step, salt) -> image`` of the same shape."""

    def __call__(self, image: tf.Tensor, seed: tf.Tensor, step: tf.Tensor, salt: int = 0) -> tf.Tensor:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class Jitter(Transform):
    """Shift the whole batch by up to ``px`` pixels each way, wrapping around."""

    px: int = 2

    def __call__(self, image, seed, step, salt=0):
        shift = _uniform(seed, step, salt, [2], -self.px, self.px + 1, tf.int32)
        return tf.roll(image, shift=shift, axis=[1, 2])


@dataclass(frozen=True)
class Pad(Transform):
    """Pad by ``px`` pixels of ``value`` and crop back to the size at a random offset: a shift that brings
    in background instead of wrapping (what Lucid's pad + jitter do, at a fixed input size)."""

    px: int = 2
    value: float = 0.0

    def __call__(self, image, seed, step, salt=0):
        p = self.px
        h, w = int(image.shape[1]), int(image.shape[2])
        padded = tf.pad(image, [[0, 0], [p, p], [p, p], [0, 0]], constant_values=self.value)
        oy = _uniform(seed, step, salt, [], 0, 2 * p + 1, tf.int32)
        ox = _uniform(seed, step, salt + 1, [], 0, 2 * p + 1, tf.int32)
        out = padded[:, oy:oy + h, ox:ox + w, :]
        out.set_shape(image.shape)  # a random offset hides the static size from TensorFlow
        return out


def _affine(image: tf.Tensor, zoom: tf.Tensor, angle: tf.Tensor) -> tf.Tensor:
    """Zoom by ``zoom`` and rotate by ``angle`` radians about the centre (bilinear, zeros outside)."""
    h, w = float(image.shape[1]), float(image.shape[2])
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    # output (x, y) samples input (a0 x + a1 y + a2, b0 x + b1 y + b2): the inverse of zoom + rotation
    a2 = cx - cos * cx - sin * cy
    b2 = cy + sin * cx - cos * cy
    matrix = tf.stack([cos, sin, a2, -sin, cos, b2, 0.0, 0.0])[None, :]
    matrix = tf.repeat(matrix, tf.shape(image)[0], axis=0)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=image, transforms=matrix, output_shape=tf.shape(image)[1:3], fill_value=0.0,
        interpolation="BILINEAR", fill_mode="CONSTANT")
    out.set_shape(image.shape)
    return out


@dataclass(frozen=True)
class Scale(Transform):
    """Zoom by a factor drawn from ``factors`` (uniform between their min and max) about the centre."""

    factors: tuple[float, ...] = (0.9, 1.1)

    def __call__(self, image, seed, step, salt=0):
        lo, hi = min(self.factors), max(self.factors)
        zoom = _uniform(seed, step, salt, [], lo, hi) if hi > lo else tf.constant(lo, tf.float32)
        return _affine(image, zoom, tf.constant(0.0))


@dataclass(frozen=True)
class Rotate(Transform):
    """Rotate by an angle drawn uniformly from [-``degrees``, ``degrees``] about the centre."""

    degrees: float = 10.0

    def __call__(self, image, seed, step, salt=0):
        rad = math.radians(self.degrees)
        return _affine(image, tf.constant(1.0), _uniform(seed, step, salt, [], -rad, rad))


def jitter(px: int = 2) -> Transform:
    """Random shift by up to ``px`` pixels (wrapping around).

    >>> jitter(2) == jitter(2)
    True
    """
    if int(px) < 0:
        raise ValueError(f"jitter must be >= 0 pixels (got {px}).")
    return Jitter(int(px))


def pad(px: int = 2, value: float = 0.0) -> Transform:
    """Random shift by up to ``px`` pixels that brings in background ``value`` (display range).

    >>> pad(4).px
    4
    """
    if int(px) < 0:
        raise ValueError(f"pad must be >= 0 pixels (got {px}).")
    return Pad(int(px), float(value))


def scale(factors: Sequence[float] | float = (0.9, 1.1)) -> Transform:
    """Random zoom by a factor between min(factors) and max(factors).

    >>> scale((0.9, 1.1)).factors
    (0.9, 1.1)
    """
    values = (factors,) if isinstance(factors, (int, float)) else tuple(factors)
    if not values or min(values) <= 0:
        raise ValueError(f"scale factors must be > 0 (got {factors!r}).")
    return Scale(tuple(float(f) for f in values))


def rotate(degrees: float = 10.0) -> Transform:
    """Random rotation by up to ``degrees`` either way.

    >>> rotate(5) == rotate(5.0)
    True
    """
    return Rotate(float(abs(degrees)))


def apply(transforms: Sequence[Transform], image: tf.Tensor, *, seed: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
    """Apply ``transforms`` in order (each with its own random stream).

    >>> apply([], tf.zeros((1, 4, 4, 1)), seed=tf.constant(0), step=tf.constant(0)).shape
    TensorShape([1, 4, 4, 1])
    """
    for i, t in enumerate(transforms):
        image = t(image, seed, step, salt=2 * i)
    return image


#: The transforms by name (each with its defaults): ``as_transforms(["pad", jitter(1)])`` takes names too.
TRANSFORMS: Registry[Callable[[], Transform]] = Registry("transform", hint=", or cnnviz.optvis.transforms.jitter(), ...")
for _make in (jitter, pad, scale, rotate):
    TRANSFORMS.register(_make.__name__, _make)


def as_transforms(value: Transform | str | Sequence[Transform | str] | None) -> tuple[Transform, ...]:
    """A tuple of transforms from one, a name (:data:`TRANSFORMS`), a list of them, or None.

    >>> as_transforms(jitter(1)), as_transforms(["pad", jitter(1)])
    ((Jitter(px=1),), (Pad(px=2, value=0.0), Jitter(px=1)))
    """
    if value is None:
        return ()
    if isinstance(value, (Transform, str)):
        value = (value,)
    out = tuple(TRANSFORMS.get(t)() if isinstance(t, str) else t for t in value)
    for t in out:
        if not isinstance(t, Transform):
            raise TypeError(f"{t!r} is not a transform; use cnnviz.optvis.transforms.jitter(), pad(), scale(), rotate().")
    return out


__all__ = ["Jitter", "Pad", "Rotate", "Scale", "TRANSFORMS", "Transform", "apply", "as_transforms", "jitter", "pad", "rotate", "scale"]
