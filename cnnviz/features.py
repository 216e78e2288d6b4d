"""Feature maps, pooling, filter weights, and the dataset images that excite a filter most.

>>> import cnnviz
>>> fm = cnnviz.feature_maps(cnnviz.load_sample().x_test[0])
>>> {name: maps.shape[1:] for name, maps in fm.maps.items()}
{'conv1': (26, 26, 32), 'pool1': (13, 13, 32), 'conv2': (11, 11, 64), 'pool2': (5, 5, 64)}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from .core.build import get_probe
from .core.contract import conv_kernels, is_conv
from .core.display import shows
from .core.probe import Probe
from .io.data import load_sample

POOLING_KINDS = ("max", "average", "global max", "global average")


@shows("cnnviz.plots:plot_feature_maps")  # drawn by this figure when it ends a notebook cell
@dataclass
class FeatureMaps:
    """Activations of the spatial layers for a batch: ``maps[name]`` is (N, h, w, channels).

    ``inputs``: the prepared batch (N, H, W, C); ``probabilities``: (N, classes).
    """

    inputs: np.ndarray
    maps: dict[str, np.ndarray]
    probabilities: np.ndarray
    notes: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)  # the model's, for titles (empty: the indices)

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def blank(self) -> np.ndarray:
        """True for each input that is blank (one value everywhere): there the model is only guessing
        (see :data:`cnnviz.io.data.BLANK_NOTE`)."""
        from .io.data import is_blank

        return is_blank(self.inputs)


def feature_maps(image: Any, model: keras.Model | None = None, layers: Sequence[str] | None = None, *,
                 input_range: tuple[float, float] | None = None) -> FeatureMaps:
    """The activations of each conv/pool layer (or ``layers``) for one image or a batch, in one forward pass.

    ``inputs`` is the batch in the model's range; ``notes`` say what was adapted (grey -> RGB, resize).

    >>> feature_maps(load_sample().x_test[:3], layers=["conv1"]).maps["conv1"].shape
    (3, 26, 26, 32)
    """
    probe = get_probe(model, input_range=input_range)
    probe.require_layers()
    names = list(layers) if layers is not None else probe.spatial_layer_names
    for name in names:
        probe.layer(name)  # raises with the valid names
    inputs, notes = probe.prepare_with_notes(image)
    out = probe.forward(inputs)
    return FeatureMaps(inputs=inputs, maps={n: out[n] for n in names}, probabilities=out["probabilities"], notes=notes,
                       class_names=list(probe.class_names))


def predict(image: Any, model: keras.Model | None = None, *, input_range: tuple[float, float] | None = None,
            batch_size: int = 256) -> np.ndarray:
    """Class probabilities (N, classes) for one image or a batch: the model's own input, or anything
    :func:`cnnviz.preprocess` reads (converted into the model's range). A sigmoid or one-logit model gives
    two columns, (not c, c).

    >>> predict(load_sample().x_test[:2]).shape
    (2, 10)
    """
    probe = get_probe(model, input_range=input_range)
    return probe.classify(probe.prepare(image), batch_size)[1]


def pool(feature_map: np.ndarray, kind: str = "max", size: int = 2) -> np.ndarray:
    """Pool one 2-D map the tutorial's four ways: "max", "average" (``size`` x ``size`` windows,
    stride ``size``) or "global max", "global average" (one number, returned as a 1x1 array).

    >>> pool(np.arange(16.0).reshape(4, 4), "max").tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    fmap = np.asarray(feature_map, dtype=np.float32)
    if fmap.ndim != 2:
        raise ValueError(f"pool takes one 2-D feature map; got shape {fmap.shape}. Pick one channel: maps[0, :, :, k].")
    if kind == "global max":
        return np.array([[fmap.max()]])
    if kind == "global average":
        return np.array([[fmap.mean()]])
    if kind not in ("max", "average"):
        raise ValueError(f"unknown pooling {kind!r}; use one of: {', '.join(POOLING_KINDS)}.")
    if size < 1 or size > min(fmap.shape):
        raise ValueError(f"pool size {size} does not fit a {fmap.shape[0]}x{fmap.shape[1]} map.")
    h, w = fmap.shape[0] // size, fmap.shape[1] // size  # like Keras' "valid" pooling: the remainder is dropped
    blocks = fmap[: h * size, : w * size].reshape(h, size, w, size)
    return blocks.max(axis=(1, 3)) if kind == "max" else blocks.mean(axis=(1, 3))


def pooling(feature_map: np.ndarray, size: int = 2) -> dict[str, np.ndarray]:
    """All four kinds of pooling of one map, in the tutorial's order.

    >>> list(pooling(np.ones((4, 4))))
    ['max', 'average', 'global max', 'global average']
    """
    return {kind: pool(feature_map, kind, size) for kind in POOLING_KINDS}


def filters(layer: str = "conv1", model: keras.Model | None = None) -> np.ndarray:
    """The kernel of a convolution-like layer as an ordinary convolution's: (kh, kw, in_channels, filters).

    SeparableConv2D: depthwise and pointwise kernels multiplied into the one Conv2D kernel that computes
    the same; DepthwiseConv2D: the equivalent Conv2D kernel (each filter non-zero on its own input channel
    only); Conv2DTranspose: its kernel with the in/out axes in this order.

    >>> filters("conv1").shape
    (3, 3, 1, 32)
    """
    probe = get_probe(model)
    target = probe.layer(layer)
    if not is_conv(target):
        raise ValueError(f"layer {layer!r} is a {type(target).__name__}, not a convolution; conv layers are: "
                         f"{', '.join(probe.conv_layer_names) or 'none'}.")
    kernels = conv_kernels(target)
    if "pointwise" in kernels:
        dw, pw = kernels["depthwise"], kernels["pointwise"]  # (kh, kw, in, m), (1, 1, in * m, out)
        kh, kw, cin, mult = dw.shape
        return np.einsum("hwim,imo->hwio", dw, pw[0, 0].reshape(cin, mult, -1)).astype(np.float32)
    if "depthwise" in kernels:
        dw = kernels["depthwise"]
        kh, kw, cin, mult = dw.shape
        full = np.zeros((kh, kw, cin, cin * mult), np.float32)
        for i in range(cin):
            full[:, :, i, i * mult : (i + 1) * mult] = dw[:, :, i, :]
        return full
    if isinstance(target, keras.layers.Conv2DTranspose):
        return np.transpose(kernels["kernel"], (0, 1, 3, 2)).copy()
    return kernels["kernel"]


@shows("cnnviz.plots:plot_top_examples")  # drawn by this figure when it ends a notebook cell
@dataclass
class TopExamples:
    """The ``k`` images that excite a filter most, strongest first.

    ``images``: (k, H, W, C) inputs; ``activations``: each image's strongest response of
    the filter; ``indices``: positions in the dataset; ``boxes``: (top, left, bottom, right)
    of the receptive field of the strongest position, in input pixels (bottom/right exclusive).
    """

    layer: str
    filter: int
    images: np.ndarray
    activations: np.ndarray
    indices: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray | None = None


def top_examples(layer: str, index: int, k: int = 9, *, images: Any = None, labels: np.ndarray | None = None,
                 model: keras.Model | None = None, batch_size: int = 500) -> TopExamples:
    """The ``k`` images (default: the bundled test sample) whose strongest response of filter ``index`` of ``layer``
    is highest, sorted strongest first, with the receptive field of that response.

    >>> top = top_examples("conv2", 5, k=4)
    >>> bool(np.all(np.diff(top.activations) <= 0))
    True
    """
    probe = get_probe(model)
    probe.layer(layer)
    target_shape = probe.tensor(layer).shape
    channels = int(target_shape[-1])
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < channels:
        raise ValueError(f"filter {index!r} is out of range: layer {layer!r} has filters 0..{channels - 1}.")
    if images is None:
        sample = load_sample()
        images, labels = sample.x_test, sample.y_test
    inputs = probe.prepare(images)
    if k < 1:
        raise ValueError(f"k must be at least 1 (got {k}).")
    k = min(k, len(inputs))
    sub = _layer_model(probe, layer)
    best_values, best_positions = [], []
    for start in range(0, len(inputs), batch_size):
        act = keras.ops.convert_to_numpy(sub(inputs[start : start + batch_size], training=False))[..., index]
        if act.ndim == 1:  # dense
            best_values.append(act)
            best_positions.append(np.zeros((len(act), 2), int))
            continue
        flat = act.reshape(len(act), -1)
        arg = flat.argmax(axis=1)
        best_values.append(flat[np.arange(len(flat)), arg])
        best_positions.append(np.stack(np.unravel_index(arg, act.shape[1:3]), axis=1))
    values, positions = np.concatenate(best_values), np.concatenate(best_positions)
    order = np.argsort(-values, kind="stable")[:k]
    h, w, _ = probe.input_shape
    if len(target_shape) == 4:
        boxes = field_boxes(probe, layer, positions[order, 0], positions[order, 1])
    else:
        boxes = np.tile([0, 0, h, w], (len(order), 1))
    return TopExamples(layer=layer, filter=int(index), images=inputs[order], activations=values[order],
                       indices=order, boxes=boxes, labels=None if labels is None else np.asarray(labels)[order])


def _same_padding_before(n: int | None, kernel: int, stride: int) -> int:
    """Rows (or columns) TensorFlow's "same" padding adds before an input of size ``n`` (half, rounded down)."""
    if n is None:
        return (kernel - 1) // 2
    out = -(-n // stride)
    return max((out - 1) * stride + kernel - n, 0) // 2


def receptive_field(probe: Probe, layer: str) -> tuple[int, int, int, int, int, int]:
    """(size_h, size_w, stride_h, stride_w, offset_h, offset_w) of one position of ``layer`` in input pixels, from
    each layer's kernel, stride, dilation and padding: position (i, j) sees rows ``offset_h + i * stride_h`` up to
    ``+ size_h`` (negative or past the image: padding), and the same for columns. Layers taken in order (a chain).

    >>> receptive_field(get_probe(), "conv2")
    (8, 8, 2, 2, 0, 0)
    """
    probe.layer(layer)
    rf, jump, offset = [1, 1], [1, 1], [0, 0]
    for name in probe.layer_names:
        current = probe.layer(name)
        kernel = getattr(current, "kernel_size", None) or getattr(current, "pool_size", None)
        strides = getattr(current, "strides", None)
        if kernel is not None and strides is not None:
            dilation = getattr(current, "dilation_rate", (1, 1))
            try:
                size = tuple(current.input.shape[1:3])
            except (AttributeError, ValueError):
                size = (None, None)
            for axis in (0, 1):
                effective = (kernel[axis] - 1) * dilation[axis] + 1
                before = (_same_padding_before(size[axis], effective, strides[axis])
                          if getattr(current, "padding", "valid") == "same" else 0)
                offset[axis] -= before * jump[axis]
                rf[axis] += (effective - 1) * jump[axis]
                jump[axis] *= strides[axis]
        if name == layer:
            break
    return rf[0], rf[1], jump[0], jump[1], offset[0], offset[1]


def receptive_field_of(probe: Probe, layer: str) -> tuple[int, int, int, int]:
    """(size_h, size_w, stride_h, stride_w) of one position of ``layer``, in input pixels (see :func:`receptive_field`).

    >>> receptive_field_of(get_probe(), "conv2")
    (8, 8, 2, 2)
    """
    return receptive_field(probe, layer)[:4]


def field_boxes(probe: Probe, layer: str, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """(top, left, bottom, right) in input pixels of positions (rows, cols) of ``layer``, clipped to the image
    (bottom/right exclusive).

    >>> field_boxes(get_probe(), "conv2", np.array([0]), np.array([1])).tolist()
    [[0, 2, 8, 10]]
    """
    size_h, size_w, jump_h, jump_w, off_h, off_w = receptive_field(probe, layer)
    h, w, _ = probe.input_shape
    tops, lefts = off_h + np.asarray(rows) * jump_h, off_w + np.asarray(cols) * jump_w
    return np.stack([np.clip(tops, 0, h), np.clip(lefts, 0, w), np.clip(tops + size_h, 0, h),
                     np.clip(lefts + size_w, 0, w)], axis=-1)


def _layer_model(probe: Probe, layer: str) -> keras.Model:
    key = ("layer_model", layer)
    if key not in probe.cache:
        probe.cache[key] = keras.Model(probe.model.inputs[0], probe.tensor(layer))
    return probe.cache[key]


__all__ = [
    "FeatureMaps", "TopExamples", "feature_maps", "filters", "pool", "predict", "receptive_field",
    "top_examples",
]
