"""The CAM family, compiled: Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM (a conv layer's maps, weighted by what
they do to the target, upsampled to the input).

Every gradient runs inside one ``tf.function`` over the probe's graph (an eager backward pass through some
models, a mini-Xception among them, can end the process in TensorFlow's oneDNN ``Conv2DBackpropFilter``).
The formulas are tf-keras-vis' own (its ``Gradcam``, ``GradcamPlusPlus``, ``Layercam``, ``Scorecam``), and
the maps are upsampled as it does (bilinear, corners aligned); ``bench/cam_vs_tf_keras_vis.py`` times both.

>>> import cnnviz
>>> from cnnviz.core.build import get_probe
>>> probe = get_probe()
>>> x = probe.prepare(cnnviz.load_sample().x_test[:2])
>>> GradCAM(probe).attribute(x, [7, 2]).shape
(2, 28, 28)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from ..core.compiled import compiled
from ..core.probe import Probe
from .base import Method, check_needs, register

SCORE_BATCH = 1024  # masked images per forward call (Score-CAM)


def upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(N, h, w[, C]) -> (N, H, W[, C]) by bilinear interpolation with aligned corners (scipy's ``zoom``, order 1).

    >>> upsample(np.array([[[0.0, 1.0]]]), (1, 3)).tolist()
    [[[0.0, 0.5, 1.0]]]
    """
    def weights(n_in: int, n_out: int) -> np.ndarray:
        pos = np.zeros(n_out) if n_out == 1 or n_in == 1 else np.arange(n_out) * (n_in - 1) / (n_out - 1)
        lo = np.minimum(np.floor(pos).astype(int), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = pos - lo
        w = np.zeros((n_out, n_in))
        np.add.at(w, (np.arange(n_out), lo), 1 - frac)
        np.add.at(w, (np.arange(n_out), hi), frac)
        return w

    rows, cols = weights(maps.shape[1], size[0]), weights(maps.shape[2], size[1])
    spec = "Hh,nhw,Ww->nHW" if maps.ndim == 3 else "Hh,nhwc,Ww->nHWc"
    return np.einsum(spec, rows, maps.astype(np.float64), cols).astype(np.float32)


def _cam_fn(probe: Probe, layer: str):
    """One compiled call: (the layer's maps, d logit[target] / d maps, logit[target]) for a batch."""
    key = ("cam_gradients", layer)
    if key not in probe.cache:
        import tensorflow as tf

        from .gradients import scores_model

        scores = scores_model(probe)
        model = keras.Model(scores.inputs[0], [probe.tensor(layer), scores.outputs[0]])

        def fn(x, t):  # graph-mode tf.gradients: a tape gives None for a Keras 3 model's intermediate output
            maps, logits = model(x, training=False)
            score = tf.gather(logits, t, axis=1, batch_dims=1)
            grads = tf.gradients(tf.reduce_sum(score), maps, unconnected_gradients="zero")[0]
            return maps, grads, score

        signature = [tf.TensorSpec((None, *probe.input_shape), tf.float32), tf.TensorSpec((None,), tf.int32)]
        probe.cache[key] = compiled(fn, signature)
    return probe.cache[key]


def _maps_fn(probe: Probe, layer: str):
    """One compiled forward call: the layer's maps for a batch (Score-CAM needs no gradient)."""
    key = ("cam_maps", layer)
    if key not in probe.cache:
        import tensorflow as tf

        model = keras.Model(probe.model.inputs[0], probe.tensor(layer))
        spec = [tf.TensorSpec((None, *probe.input_shape), tf.float32)]
        probe.cache[key] = compiled(lambda x: model(x, training=False), spec)
    return probe.cache[key]


class CAMMethod(Method):
    """A CAM method on ``layer`` (default: the last conv layer); subclasses turn (maps, gradients) into a CAM."""

    needs = ("conv_layer",)

    def __init__(self, probe: Probe, layer: str | None = None) -> None:
        super().__init__(probe)
        self.layer = check_needs(type(self), probe, layer)

    def cam(self, maps: np.ndarray, grads: np.ndarray, score: np.ndarray) -> np.ndarray:
        """(N, h, w) class activation maps from the layer's maps and gradients (N, h, w, C)."""
        raise NotImplementedError

    def layer_cam(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        maps, grads, score = (np.asarray(v, np.float32) for v in _cam_fn(self.probe, self.layer)(
            np.asarray(inputs, np.float32), np.asarray(targets, np.int32)))
        return self.cam(maps, grads, score)

    def attribute(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        if len(inputs) == 0:
            return np.zeros(inputs.shape[:3], np.float32)
        cam = self.layer_cam(inputs, targets)
        return np.nan_to_num(upsample(cam, inputs.shape[1:3]))


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


@register
class GradCAM(CAMMethod):
    """Grad-CAM (Selvaraju et al. 2017): maps weighted by their mean gradient."""

    name = "gradcam"
    title = "Grad-CAM"

    def cam(self, maps, grads, score):
        weights = grads.mean(axis=(1, 2), keepdims=True)
        return _relu((maps * weights).sum(axis=-1))


@register
class GradCAMPlusPlus(CAMMethod):
    """Grad-CAM++ (Chattopadhyay et al. 2018): higher-order weights per location. tf-keras-vis' formula
    without its factor exp(logit), a positive number per image (it only scales the map, and overflows)."""

    name = "gradcam++"
    title = "Grad-CAM++"

    def cam(self, maps, grads, score):
        first = grads.astype(np.float64)
        second, third = first * first, first * first * first
        total = maps.sum(axis=(1, 2), keepdims=True)
        denom = 2.0 * second + third * total
        alphas = second / (denom + (second == 0.0))
        norm = alphas.sum(axis=(1, 2), keepdims=True)
        alphas = alphas / (norm + (norm == 0.0))
        weights = (_relu(first) * alphas).sum(axis=(1, 2), keepdims=True)
        return _relu((weights * maps).sum(axis=-1)).astype(np.float32)


@register
class LayerCAM(CAMMethod):
    """LayerCAM (Jiang et al. 2021): each location weighted by its own positive gradient."""

    name = "layercam"
    title = "LayerCAM"

    def cam(self, maps, grads, score):
        return _relu((maps * _relu(grads)).sum(axis=-1))


@register
class ScoreCAM(CAMMethod):
    """Score-CAM (Wang et al. 2020): maps weighted by the softmax score of the input masked with each map
    (each map upsampled and scaled to [0, 1]); every masked image of a batch goes through the model in a few
    big compiled calls, no gradient at all.

    A masked image is ``baseline + mask * (x - baseline)``: where a map is 0 the model sees its own "nothing",
    the same ``baseline`` as Integrated Gradients and Occlusion (default: black, the low end of the model's
    input range: 0 for a [0, 1] or [0, 255] model, -1 for a [-1, 1] one). The paper and tf-keras-vis multiply
    ``x * mask``, which fills with 0 in the model's input space: the same for a [0, 1] model, mid-grey for a
    [-1, 1] one. ``baseline`` takes a number, one image or one per image, in the model's range.

    >>> import cnnviz
    >>> from cnnviz.core.build import get_probe
    >>> probe = get_probe(input_range=(-1, 1))
    >>> x = probe.prepare(cnnviz.load_sample().x_test[:1])
    >>> ScoreCAM(probe).masked(x, np.zeros((1, 28, 28, 1), np.float32)).min()  # all masked out: black, not grey
    np.float32(-1.0)
    """

    name = "scorecam"
    title = "Score-CAM"
    needs = ("conv_layer", "baseline")

    def __init__(self, probe: Probe, layer: str | None = None, baseline: Any = None,
                 batch_size: int = SCORE_BATCH) -> None:
        super().__init__(probe, layer)
        self.baseline = baseline
        self.batch_size = max(1, int(batch_size))

    def masked(self, inputs: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """Every image of ``inputs`` (n, H, W, c) under each of its masks (n, H, W, C) in [0, 1]: (n * C, H, W, c),
        image-major, the masked-out part set to the baseline."""
        from .gradients import baseline_batch

        base = baseline_batch(self.probe, inputs, self.baseline)
        m = np.moveaxis(masks, -1, 1)[..., None]  # (n, C, H, W, 1)
        out = base[:, None] + m * (inputs - base)[:, None]
        return out.reshape(-1, *inputs.shape[1:]).astype(np.float32)

    def layer_cam(self, inputs, targets):
        from .gradients import _logits

        inputs = np.asarray(inputs, np.float32)
        maps = np.asarray(_maps_fn(self.probe, self.layer)(inputs), np.float32)  # (N, h, w, C)
        n, channels = len(inputs), maps.shape[-1]
        big = upsample(maps, inputs.shape[1:3])  # (N, H, W, C)
        lo = big.min(axis=(1, 2), keepdims=True)
        hi = big.max(axis=(1, 2), keepdims=True)
        masks = (big - lo) / (hi - lo + keras.config.epsilon())
        weights = np.zeros((n, channels), np.float32)
        per_call = max(1, self.batch_size // channels)  # images whose C masked copies go in one call
        for s in range(0, n, per_call):
            part = inputs[s:s + per_call]
            logits = _logits(self.probe, self.masked(part, masks[s:s + per_call]), self.batch_size)
            z = logits - logits.max(axis=1, keepdims=True)
            soft = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            t = np.repeat(np.asarray(targets[s:s + per_call]), channels)
            weights[s:s + per_call] = soft[np.arange(len(t)), t].reshape(len(part), channels)
        return _relu(np.einsum("nhwc,nc->nhw", maps, weights))
