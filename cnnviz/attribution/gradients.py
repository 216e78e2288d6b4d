"""Gradient methods, computed here in batches (one compiled tape per model): saliency, Gradient x Input,
Integrated Gradients.

>>> import cnnviz
>>> from cnnviz.core.build import get_probe
>>> probe = get_probe()
>>> x = probe.prepare(cnnviz.load_sample().x_test[:2])
>>> Saliency(probe).attribute(x, [7, 2]).shape
(2, 28, 28)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from ..core.checks import ModelError
from ..core.compiled import compiled as quiet_compiled
from ..core.probe import Probe
from .base import Method, reduce_channels, register

DEFAULT_BATCH = 512  # rows (images x steps) per gradient call: the memory cap (Captum's internal_batch_size)


def gradients(probe: Probe, inputs: np.ndarray, targets: Sequence[int], batch_size: int = DEFAULT_BATCH) -> np.ndarray:
    """d logit[target] / d input for every image, (N, H, W, C), ``batch_size`` rows at a time.

    >>> from cnnviz.core.build import get_probe
    >>> gradients(get_probe(), np.zeros((3, 28, 28, 1), np.float32), [0, 1, 2]).shape
    (3, 28, 28, 1)
    """
    fn = _gradient_fn(probe)
    inputs = np.asarray(inputs, np.float32)
    targets = np.asarray(targets, np.int32)
    out = np.empty_like(inputs)
    step = max(1, int(batch_size))
    for start in range(0, len(inputs), step):
        out[start:start + step] = fn(inputs[start:start + step], targets[start:start + step]).numpy()
    return out


def target_logits(probe: Probe, inputs: np.ndarray, targets: Sequence[int], batch_size: int = 1024) -> np.ndarray:
    """logit[target] of every image, (N,)."""
    logits = _logits(probe, inputs, batch_size)
    return logits[np.arange(len(logits)), np.asarray(targets)]


def _logits(probe: Probe, inputs: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    fn = _logits_fn(probe)
    parts = [fn(np.asarray(inputs[s:s + batch_size], np.float32)).numpy() for s in range(0, len(inputs), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, probe.num_classes), np.float32)


class _Symmetric(keras.layers.Layer):
    """(a, b) -> ((a - b) / 2, (b - a) / 2): the same softmax, a gradient for both classes."""

    def call(self, logits):
        half = 0.5 * (logits[:, 1:2] - logits[:, 0:1])
        return keras.ops.concatenate([-half, half], axis=-1)


def scores_model(probe: Probe) -> keras.Model:
    """The logits every method explains. For a single-unit (sigmoid / one-logit) model the probe's logits are
    (0, z); here they are (-z/2, z/2): the same softmax, and "not c" gets the gradient -z/2 instead of none."""
    if "attribution_scores" not in probe.cache:
        model = probe.logits_model
        if getattr(probe, "binary", False):
            symmetric = _Symmetric(name=f"{model.name}_symmetric_logits")(model.outputs[0])
            model = keras.Model(model.inputs[0], symmetric, name=f"{model.name}_symmetric")
        probe.cache["attribution_scores"] = model
    return probe.cache["attribution_scores"]


def _last_line(exc: Exception) -> str:
    """The line of a tracing error that says what failed (Keras wraps it in tracebacks and bold codes)."""
    import re

    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(exc).splitlines()]
    lines = [line for line in lines if line and not line.startswith(("File ", "in user code", "Arguments", "•"))]
    said = [line for line in lines if "Exception encountered" not in line and not line.startswith(type(exc).__name__)]
    return f"{type(exc).__name__}: {(said or lines or [''])[-1][:200]}"


def _compiled(probe: Probe, fn, signature, backward: bool = True):
    """``fn`` as one compiled graph, for every model: an eager backward pass can end the process (oneDNN's
    ``Conv2DBackpropFilter`` on a mini-Xception, TF 2.21). A model that cnnviz could not read layer by layer
    is traced here once, up front; one whose call needs real values cannot be: a ``backward`` function is then
    refused in one line, a forward one runs eagerly (a forward pass is safe)."""
    import tensorflow as tf

    compiled = quiet_compiled(fn, signature)
    if getattr(probe, "opaque", ""):
        try:
            compiled.get_concrete_function()
        except Exception as exc:  # noqa: BLE001  (whatever the model's call raised while tracing)
            if not backward:
                return lambda *args: fn(*(tf.convert_to_tensor(a) for a in args))
            name = type(getattr(probe, "source", probe.model)).__name__
            raise ModelError(
                f"{name}.call() cannot run inside tf.function ({_last_line(exc)}), "
                "so cnnviz cannot compile its gradients, and it runs none eagerly (an eager backward pass can end "
                "the process in TensorFlow's oneDNN). Predictions still work; for attributions, make call() "
                "traceable (no float()/numpy() of a tensor) or build the network with the functional API.") from None
    return compiled


def _gradient_fn(probe: Probe):
    if "attribution_grad" not in probe.cache:
        import tensorflow as tf

        model = scores_model(probe)
        shape = (None, *probe.input_shape)

        def grad(x, t):
            with tf.GradientTape() as tape:
                tape.watch(x)
                logits = model(x, training=False)
                score = tf.reduce_sum(tf.gather(logits, t, axis=1, batch_dims=1))
            return tape.gradient(score, x)

        signature = [tf.TensorSpec(shape, tf.float32), tf.TensorSpec((None,), tf.int32)]
        probe.cache["attribution_grad"] = _compiled(probe, grad, signature)
    return probe.cache["attribution_grad"]


def _logits_fn(probe: Probe):
    if "attribution_logits" not in probe.cache:
        import tensorflow as tf

        model = scores_model(probe)
        spec = [tf.TensorSpec((None, *probe.input_shape), tf.float32)]
        probe.cache["attribution_logits"] = _compiled(probe, lambda x: model(x, training=False), spec, backward=False)
    return probe.cache["attribution_logits"]


def blank(probe: Probe, inputs: np.ndarray) -> np.ndarray:
    """The "nothing here" image in the model's range: black (display value 0) for every image."""
    to_model = getattr(probe, "to_model", None)
    zero = np.zeros_like(inputs, dtype=np.float32)
    return np.asarray(to_model(zero), np.float32) if to_model is not None else zero


def baseline_batch(probe: Probe, inputs: np.ndarray, baseline: Any) -> np.ndarray:
    """``baseline`` (None: black; a number; one image; or one per image) as a batch shaped like ``inputs``."""
    if baseline is None:
        return blank(probe, inputs)
    b = np.asarray(baseline, np.float32)
    try:
        return np.broadcast_to(b if b.ndim != inputs.ndim - 1 else b[None], inputs.shape).astype(np.float32)
    except ValueError:
        raise ValueError(f"a baseline of shape {b.shape} does not fit images of shape {inputs.shape[1:]}; "
                         "give a number, one image or one per image.") from None


class GradientMethod(Method):
    """A method whose per-channel result (N, H, W, C) can be averaged over noise (see NoiseTunnel)."""

    gradient = True
    channels = "absmax"

    def __init__(self, probe: Probe, batch_size: int = DEFAULT_BATCH) -> None:
        super().__init__(probe)
        self.batch_size = batch_size

    def per_channel(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        raise NotImplementedError

    def attribute(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        return reduce_channels(self.per_channel(inputs, targets), self.channels)


@register
class Saliency(GradientMethod):
    """|d logit / d pixel|, the largest over colour channels (Simonyan et al. 2014)."""

    name = "saliency"
    title = "Saliency"

    def per_channel(self, inputs, targets):
        return gradients(self.probe, inputs, targets, self.batch_size)


@register
class GradientXInput(GradientMethod):
    """Gradient times input (Shrikumar et al. 2016), summed over channels: a first-order share of the logit."""

    name = "grad_x_input"
    title = "Gradient x Input"
    channels = "sum"

    def per_channel(self, inputs, targets):
        return gradients(self.probe, inputs, targets, self.batch_size) * inputs


@register
class IntegratedGradients(GradientMethod):
    """Integrated Gradients (Sundararajan et al. 2017): (x - baseline) times the gradient averaged on the
    straight path from the baseline to x (Gauss-Legendre nodes, as Captum). The sum over pixels approximates
    logit(x) - logit(baseline). Images x steps are batched ``batch_size`` rows at a time."""

    name = "ig"
    title = "Integrated Gradients"
    needs = ("baseline",)
    channels = "sum"

    def __init__(self, probe: Probe, steps: int = 32, baseline: Any = None, batch_size: int = DEFAULT_BATCH) -> None:
        super().__init__(probe, batch_size)
        if int(steps) < 1:
            raise ValueError(f"steps must be at least 1; got {steps}.")
        self.steps = int(steps)
        self.baseline = baseline

    def per_channel(self, inputs, targets):
        base = baseline_batch(self.probe, inputs, self.baseline)
        nodes, weights = np.polynomial.legendre.leggauss(self.steps)
        alphas, weights = (nodes + 1) / 2, weights / 2  # on [0, 1]; the weights sum to 1
        n, s = len(inputs), self.steps
        total = np.zeros_like(inputs, dtype=np.float64)
        rows = max(1, self.batch_size)
        flat_t = np.repeat(np.asarray(targets), s)
        for start in range(0, n * s, rows):  # row r is image r // s at alpha r % s
            idx = np.arange(start, min(start + rows, n * s))
            img, k = idx // s, idx % s
            a = alphas[k].reshape((-1,) + (1,) * (inputs.ndim - 1)).astype(np.float32)
            path = base[img] + a * (inputs[img] - base[img])
            g = gradients(self.probe, path, flat_t[idx], rows) * weights[k].reshape(a.shape)
            np.add.at(total, img, g)
        return ((inputs - base) * total).astype(np.float32)
