"""The kinds of objective: what a target reads (a class logit, a channel, a neuron, a filter's mean, a direction,
diversity) and the penalties on the image (L1, L2, total variation, blur, the latent's L2). Build them with the
constructors of :mod:`cnnviz.optvis.objectives`.

>>> ClassLogit(6).tensors()
{'logits'}
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from .algebra import Channel, ClassLogit, Context, Objective, _name, _pick  # noqa: F401 (the kinds a shorthand names live with the algebra)

# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class ClassLogProbability(Objective):
    """The log-softmax of class ``c``: its logit against all the others'. Raising a logit can raise another class's
    more (a BatchNorm/ReLU network scales all of them together); this cannot, so it is what the class image's
    back-off climbs when the logit's image is not the target's."""

    c: int | None = None

    def score(self, ctx: Context) -> tf.Tensor:
        return _pick(tf.nn.log_softmax(ctx.activations["logits"], axis=-1), self.c, ctx.targets)

    def tensors(self) -> set[str]:
        return {"logits"}

    @property
    def description(self) -> str:
        return "class log-probability" if self.c is None else f"class_log_probability({self.c})"


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


__all__ = ["BlurPenalty", "Channel", "ClassLogProbability", "ClassLogit", "Direction", "Diversity", "FilterActivation", "L1", "L2",
           "LatentL2", "Neuron", "TotalVariation"]
