"""Activation maximization: the input the network thinks is most "6" (or most "filter 12 of conv2").

Lucid's four parts, each small and swappable:

- *objective*: what to maximize, from the probe's activations: a class logit, a filter's
  mean activation, a dense neuron (:class:`Objective`, composable with ``+`` and ``*``);
- *parameterisation*: how the image is represented: pixels through a sigmoid, so it
  stays in [0, 1], optionally blurred (:func:`pixel_image`);
- *transforms*: random jitter for robustness, applied only while optimizing;
- *render*: one compiled loop (``tf.function`` + ``tf.while_loop``) over a whole batch
  of targets, Adam on the parameters, with L1 / L2 / total-variation penalties.

``class`` is a Python keyword, so all of these work::

    cnnviz.maximize(6)
    cnnviz.maximize(class_=6)
    cnnviz.maximize(**{"class": 6})
    cnnviz.maximize([0, 1, 2])        # a list runs as one batch

>>> import cnnviz
>>> result = cnnviz.maximize(6, steps=50)
>>> result.images.shape
(1, 28, 28, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .probe import Probe, get_probe

# --------------------------------------------------------------------------- objectives


@dataclass(frozen=True)
class Objective:
    """What to maximize: ``fn(activations, targets) -> (batch,)`` scores, where ``activations`` maps
    layer names (and "logits") to tensors and ``targets`` holds one int per batch item.
    Objectives add and scale: ``class_logit() + 0.5 * channel_mean("conv2")``.
    """

    fn: Callable[[dict[str, tf.Tensor], tf.Tensor], tf.Tensor]
    description: str
    layers: tuple[str, ...]

    def __call__(self, activations: dict[str, tf.Tensor], targets: tf.Tensor) -> tf.Tensor:
        return self.fn(activations, targets)

    def __add__(self, other: Objective) -> Objective:
        return Objective(lambda a, t: self.fn(a, t) + other.fn(a, t), f"{self.description} + {other.description}",
                         tuple(dict.fromkeys(self.layers + other.layers)))

    def __mul__(self, weight: float) -> Objective:
        return Objective(lambda a, t: weight * self.fn(a, t), f"{weight} * {self.description}", self.layers)

    __rmul__ = __mul__


def class_logit() -> Objective:
    """Item i of the batch maximizes the logit (pre-softmax score) of class ``targets[i]``."""
    return Objective(lambda a, t: tf.gather(a["logits"], t, axis=1, batch_dims=1), "class logit", ("logits",))


def channel_mean(layer: str, pre_activation: bool = True) -> Objective:
    """Item i maximizes the mean activation of channel ``targets[i]`` of ``layer`` (a filter, or a dense unit).

    By default the activation before the ReLU: a filter that is off everywhere at the start
    still has a gradient to climb (Lucid does the same).
    """
    name = f"{layer}:pre" if pre_activation else layer

    def fn(a: dict[str, tf.Tensor], t: tf.Tensor) -> tf.Tensor:
        x = a[name]
        if len(x.shape) == 4:
            x = tf.reduce_mean(x, axis=(1, 2))
        return tf.gather(x, t, axis=1, batch_dims=1)

    return Objective(fn, f"mean activation of a {layer} channel", (name,))


def filter_activation(layer: str) -> Objective:
    """What :func:`maximize_filter` climbs: the filter's mean activation after the ReLU plus a tenth of the
    mean before it. The pre-ReLU part keeps a gradient for a filter that is off everywhere at the start;
    the post-ReLU part makes the optimum the filter's stroke repeated as a texture (the pre-ReLU mean of a
    first conv layer alone is linear in the input, and its optimum a blank white or black image)."""
    post, pre = channel_mean(layer, pre_activation=False), channel_mean(layer, pre_activation=True)
    return Objective(lambda a, t: post(a, t) + 0.1 * pre(a, t), f"mean activation of a {layer} filter",
                     tuple(dict.fromkeys(post.layers + pre.layers)))


# --------------------------------------------------------------------------- parameterisation & transforms


def gaussian_kernel(sigma: float, channels: int) -> tf.Tensor:
    """A depthwise Gaussian blur kernel (k, k, channels, 1)."""
    radius = max(1, int(round(2.5 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    g = np.exp(-(x**2) / (2 * sigma**2))
    k2 = np.outer(g, g) / np.outer(g, g).sum()
    return tf.constant(np.tile(k2[:, :, None, None], (1, 1, channels, 1)), tf.float32)


def pixel_image(param: tf.Tensor, blur_kernel: tf.Tensor | None) -> tf.Tensor:
    """Parameters -> image in [0, 1]: a sigmoid of each pixel, then an optional blur."""
    image = tf.sigmoid(param)
    if blur_kernel is not None:
        image = tf.nn.depthwise_conv2d(image, blur_kernel, strides=[1, 1, 1, 1], padding="SAME")
    return image


def jitter(image: tf.Tensor, shift: tf.Tensor) -> tf.Tensor:
    """Shift the whole batch by ``shift`` = (dy, dx) pixels, wrapping around."""
    return tf.roll(image, shift=shift, axis=[1, 2])


def jitter_shifts(steps: tf.Tensor, pixels: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """One random (dy, dx) in [-pixels, pixels] per step, drawn at once (stateless: same seed, same shifts)."""
    return tf.random.stateless_uniform(tf.stack([steps, 2]), seed=tf.stack([seed, 0]), minval=-pixels,
                                       maxval=pixels + 1, dtype=tf.int32)


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """Mean absolute difference between neighbouring pixels, per image."""
    dy = tf.abs(image[:, 1:, :, :] - image[:, :-1, :, :])
    dx = tf.abs(image[:, :, 1:, :] - image[:, :, :-1, :])
    return tf.reduce_mean(dy, axis=(1, 2, 3)) + tf.reduce_mean(dx, axis=(1, 2, 3))


# --------------------------------------------------------------------------- settings and result


@dataclass(frozen=True)
class Regularization:
    """Penalties and transforms. ``l1``, ``l2``, ``tv`` weigh the mean pixel |x|, x², and total variation
    against the objective; ``jitter`` shifts by up to that many pixels each step; ``blur`` is a Gaussian
    sigma in pixels applied to the image (0: none)."""

    l1: float = 0.0
    l2: float = 0.0
    tv: float = 0.0
    jitter: int = 0
    blur: float = 0.0


NONE = Regularization()
#: Light L1 and smoothing: strokes on black, and every class still at softmax >= 0.99 on the shipped model.
DEFAULT = Regularization(l1=30.0, tv=10.0, jitter=2, blur=0.5)
#: The tutorial's constraint: "fewer pixels" (L1, with light smoothing), which turns fake digits into
#: readable ones. Tuned by eye on the shipped model (l1 30..1000, tv 5..50): above ~150 the images go dark.
L1_CONSTRAINT = Regularization(l1=60.0, tv=10.0, jitter=2, blur=0.5)


@dataclass
class MaximizationResult:
    """Images that maximize an objective, one per target.

    ``images``: (N, H, W, C) in [0, 1]; ``scores``: (steps, N), the objective at each step;
    ``probabilities``: (N, classes) of the final images; ``targets``: what each image maximizes.
    """

    images: np.ndarray
    targets: list[int]
    scores: np.ndarray
    probabilities: np.ndarray
    objective: str
    regularization: Regularization
    steps: int
    seed: int
    layer: str | None = None

    @property
    def predicted(self) -> np.ndarray:
        """The class the model gives each final image."""
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """The softmax each image gets for its own target class (class objectives only)."""
        return self.probabilities[np.arange(len(self.targets)), self.targets]

    def __len__(self) -> int:
        return len(self.targets)


# --------------------------------------------------------------------------- render


class _Renderer:
    """The compiled optimization loop for one probe and one set of layers.

    Adam is written out inside the loop (state as loop variables, no tf.Variables), so one
    trace serves every target, seed, step count, learning rate and penalty weight: only
    a new objective, blur or batch size traces again.
    """

    def __init__(self, probe: Probe, layers: tuple[str, ...]):
        self.probe = probe
        names = [n for n in layers if n != "logits"]
        outputs = [probe.tensor(n) for n in names] + [probe.tensor("logits")]
        self.model = keras.Model(probe.model.inputs[0], outputs)
        self.names = [*names, "logits"]
        self._compiled: dict[Any, Callable] = {}

    def activations(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs = self.model(image, training=False)
        if not isinstance(outputs, (list, tuple)):  # a one-output model returns the tensor itself
            outputs = [outputs]
        return dict(zip(self.names, outputs))

    def run(self, objective: Objective, targets: list[int], param0: np.ndarray, steps: int, lr: float,
            reg: Regularization, seed: int) -> tuple[np.ndarray, np.ndarray]:
        uses = (reg.l1 > 0, reg.l2 > 0, reg.tv > 0, reg.jitter > 0)  # terms left out of the graph when off
        key = (objective.description, reg.blur, uses)
        loop = self._compiled.get(key)
        if loop is None:
            blur = gaussian_kernel(reg.blur, param0.shape[-1]) if reg.blur > 0 else None
            loop = self._compiled[key] = (self._compile(objective, blur, uses), blur)
        fn, blur = loop
        weights = tf.constant([reg.l1, reg.l2, reg.tv], tf.float32)
        param, scores = fn(tf.constant(param0), tf.constant(targets, tf.int32), tf.constant(steps),
                           tf.constant(lr, tf.float32), weights, tf.constant(reg.jitter), tf.constant(seed, tf.int32))
        return pixel_image(param, blur).numpy(), scores.numpy()

    def _compile(self, objective: Objective, blur: tf.Tensor | None, uses: tuple[bool, bool, bool, bool]) -> Callable:
        beta1, beta2, eps = 0.9, 0.999, 1e-7
        use_l1, use_l2, use_tv, use_jitter = uses

        shape = (None, *self.probe.input_shape)
        signature = [tf.TensorSpec(shape, tf.float32), tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int32),
                     tf.TensorSpec([], tf.float32), tf.TensorSpec([3], tf.float32), tf.TensorSpec([], tf.int32),
                     tf.TensorSpec([], tf.int32)]

        @tf.function(input_signature=signature)  # one trace for every batch size, target, seed and setting
        def loop(param, targets, steps, lr, weights, jitter_px, seed):
            trace = tf.TensorArray(tf.float32, size=steps)
            zeros = tf.zeros_like(param)
            shifts = jitter_shifts(steps, jitter_px, seed) if use_jitter else None

            def body(i, param, m, v, trace):
                with tf.GradientTape() as tape:
                    tape.watch(param)
                    image = pixel_image(param, blur)
                    seen = jitter(image, shifts[i]) if use_jitter else image
                    score = objective(self.activations(seen), targets)
                    loss = -tf.reduce_sum(score)
                    if use_l1:
                        loss += weights[0] * tf.reduce_sum(tf.reduce_mean(tf.abs(image), axis=(1, 2, 3)))
                    if use_l2:
                        loss += weights[1] * tf.reduce_sum(tf.reduce_mean(tf.square(image), axis=(1, 2, 3)))
                    if use_tv:
                        loss += weights[2] * tf.reduce_sum(total_variation(image))
                grad = tape.gradient(loss, param)
                t = tf.cast(i + 1, tf.float32)
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * tf.square(grad)
                step = lr * (m / (1 - beta1**t)) / (tf.sqrt(v / (1 - beta2**t)) + eps)
                return i + 1, param - step, m, v, trace.write(i, score)

            _, param, _, _, trace = tf.while_loop(lambda i, *_: i < steps, body, (tf.constant(0), param, zeros, zeros, trace))
            return param, trace.stack()

        return loop


def _renderer(probe: Probe, layers: tuple[str, ...]) -> _Renderer:
    key = ("renderer", layers)
    if key not in probe.cache:  # compiled loops live as long as the probe (and so the model)
        probe.cache[key] = _Renderer(probe, layers)
    return probe.cache[key]


def _start(probe: Probe, n: int, seed: int, start: Any) -> np.ndarray:
    """Initial parameters: the logit of a start image, or low-amplitude noise around a dark grey."""
    shape = (n, *probe.input_shape)
    if start is None:
        rng = np.random.default_rng(seed)
        return (rng.normal(-2.0, 0.5, size=shape)).astype(np.float32)
    image = probe.prepare(start)
    if len(image) == 1:
        image = np.repeat(image, n, axis=0)
    if image.shape != shape:
        raise ValueError(f"the start image gives a batch of shape {image.shape}; expected {shape} (one image, or one per target).")
    clipped = np.clip(image, 0.02, 0.98)
    return np.log(clipped / (1 - clipped)).astype(np.float32)


def _regularization(regularization: Regularization | str | None, overrides: dict[str, Any]) -> Regularization:
    presets = {"none": NONE, "default": DEFAULT, "l1": L1_CONSTRAINT}
    if regularization is None:
        reg = DEFAULT
    elif isinstance(regularization, str):
        if regularization not in presets:
            raise ValueError(f"unknown regularization {regularization!r}; use one of {', '.join(presets)} or a Regularization.")
        reg = presets[regularization]
    else:
        reg = regularization
    given = {k: v for k, v in overrides.items() if v is not None}
    for name, value in given.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0 (got {value}).")
    reg = replace(reg, **given)
    return replace(reg, jitter=int(reg.jitter))


def _render(probe: Probe, objective: Objective, targets: list[int], *, steps: int, learning_rate: float, seed: int,
            start: Any, reg: Regularization, layer: str | None) -> MaximizationResult:
    if steps < 1:
        raise ValueError(f"steps must be at least 1 (got {steps}).")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be > 0 (got {learning_rate}).")
    param0 = _start(probe, len(targets), seed, start)
    renderer = _renderer(probe, objective.layers)
    images, scores = renderer.run(objective, targets, param0, int(steps), float(learning_rate), reg, int(seed))
    probabilities = probe.forward(images)["probabilities"]
    return MaximizationResult(images=images, targets=targets, scores=scores, probabilities=probabilities,
                              objective=objective.description, regularization=reg, steps=int(steps), seed=int(seed),
                              layer=layer)


def maximize(
    class_: int | Sequence[int] | None = None,
    *,
    model: keras.Model | None = None,
    steps: int = 200,
    learning_rate: float = 0.1,
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
    **kwargs: Any,
) -> MaximizationResult:
    """The image(s) that maximize a class's logit (or a dense ``layer``'s ``neuron``).

    ``class_`` (also ``class=`` through ``**{"class": 6}``, or the first positional argument):
    one class or a list, run as one batch. ``regularization``: "default" (light L1 + TV +
    jitter), "none" (the tutorial's fake digits), "l1" (its "fewer pixels" constraint), or a
    :class:`Regularization`; ``l1``, ``l2``, ``tv``, ``jitter``, ``blur`` override single
    fields. Same ``seed`` -> same image. ``start``: an image to start from.

    >>> r = maximize(**{"class": 6}, steps=100)
    >>> int(r.predicted[0])
    6
    """
    if "class" in kwargs:
        if class_ is not None:
            raise ValueError("give the class once: maximize(6), maximize(class_=6) or maximize(**{'class': 6}).")
        class_ = kwargs.pop("class")
    if kwargs:
        raise TypeError(f"maximize() got unexpected keyword arguments: {', '.join(kwargs)}.")
    probe = get_probe(model)
    reg = _regularization(regularization, {"l1": l1, "l2": l2, "tv": tv, "jitter": jitter, "blur": blur})
    if layer is not None or neuron is not None:
        if layer is None or neuron is None:
            raise ValueError("a neuron target needs both layer= and neuron=.")
        return maximize_filter(layer, neuron, model=probe, steps=steps, learning_rate=learning_rate, seed=seed,
                               start=start, regularization=reg)
    if class_ is None:
        raise ValueError("which class? e.g. maximize(6), maximize(class_=6), maximize([0, 1, 2]).")
    targets = [probe.check_class(c) for c in (class_ if isinstance(class_, (list, tuple, range, np.ndarray)) else [class_])]
    if not targets:
        raise ValueError("the list of classes is empty.")
    return _render(probe, class_logit(), targets, steps=steps, learning_rate=learning_rate, seed=seed,
                   start=start, reg=reg, layer=None)


def maximize_filter(
    layer: str,
    index: int | Sequence[int],
    *,
    model: keras.Model | Probe | None = None,
    steps: int = 150,
    learning_rate: float = 0.1,
    seed: int = 0,
    start: Any = None,
    regularization: Regularization | str | None = "none",
    **overrides: Any,
) -> MaximizationResult:
    """The input pattern(s) that most excite filter ``index`` of ``layer`` (its mean activation).

    Works for conv layers (a filter) and dense layers (a neuron); a list of indices runs as one batch.

    >>> r = maximize_filter("conv1", [0, 1, 2], steps=50)
    >>> r.images.shape
    (3, 28, 28, 1)
    """
    probe = get_probe(model)
    target_layer = probe.layer(layer)
    channels = int(target_layer.output.shape[-1])
    indices = list(index) if isinstance(index, (list, tuple, range, np.ndarray)) else [index]
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < channels:
            raise ValueError(f"filter {i!r} is out of range: layer {layer!r} has filters 0..{channels - 1}.")
    indices = [int(i) for i in indices]
    reg = _regularization(regularization, {k: overrides.pop(k, None) for k in ("l1", "l2", "tv", "jitter", "blur")})
    if overrides:
        raise TypeError(f"maximize_filter() got unexpected keyword arguments: {', '.join(overrides)}.")
    return _render(probe, filter_activation(layer), indices, steps=steps, learning_rate=learning_rate, seed=seed,
                   start=start, reg=reg, layer=layer)


@dataclass
class ClassImages:
    """The tutorial's experiment: every class maximized without regularization and with the L1 constraint."""

    plain: MaximizationResult
    constrained: MaximizationResult


def fake_vs_constrained(model: keras.Model | None = None, *, classes: Sequence[int] | None = None, steps: int = 200,
                        seed: int = 0) -> ClassImages:
    """The tutorial's "what does the network see": fake digits (no constraint) vs readable ones (L1).

    >>> exp = fake_vs_constrained(steps=50)
    >>> exp.plain.images.shape == exp.constrained.images.shape
    True
    """
    probe = get_probe(model)
    classes = list(range(probe.num_classes)) if classes is None else list(classes)
    return ClassImages(
        plain=maximize(classes, model=probe.model, steps=steps, seed=seed, regularization="none"),
        constrained=maximize(classes, model=probe.model, steps=steps, seed=seed, regularization="l1"),
    )
