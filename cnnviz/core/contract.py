"""What a classifier expects and gives, read once from its layers and its card: the model contract.

- the input value range (0-255 for a ``Rescaling(1/255)`` model, [0, 1], [-1, 1] ...) and where it came from,
- the output kind (softmax probabilities, logits, sigmoid) and the logits head that goes with it,
- the convolution-like layers, class names, and how to turn user images into display images in [0, 1].

Each decision is a registry (a dict or an ordered tuple of small functions), not an if-chain.

>>> import keras
>>> m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
...                       keras.layers.Dense(3, activation="softmax")])
>>> from cnnviz.core.graph import flatten
>>> detect_input_range(flatten(m), m)
((0.0, 255.0), 'Rescaling layer rescaling (scale 0.00392)')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from .graph import FlatGraph

Range = tuple[float, float]
UNIT: Range = (0.0, 1.0)
PIXELS: Range = (0.0, 255.0)
SYMMETRIC: Range = (-1.0, 1.0)

# --------------------------------------------------------------------------- convolution-like layers

CONV_TYPES: tuple[type, ...] = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D,
                                keras.layers.Conv2DTranspose)


def is_conv(layer: keras.layers.Layer) -> bool:
    """True for Conv2D, SeparableConv2D, DepthwiseConv2D and Conv2DTranspose.

    >>> is_conv(keras.layers.SeparableConv2D(4, 3)), is_conv(keras.layers.Dense(2))
    (True, False)
    """
    return isinstance(layer, CONV_TYPES)


def conv_kernels(layer: keras.layers.Layer) -> dict[str, np.ndarray]:
    """A conv-like layer's kernels by role: 'kernel' (Conv2D, Conv2DTranspose), 'depthwise' (DepthwiseConv2D,
    and with 'pointwise' for SeparableConv2D); shapes as Keras stores them."""
    if isinstance(layer, keras.layers.SeparableConv2D):
        return {"depthwise": _np(layer.depthwise_kernel), "pointwise": _np(layer.pointwise_kernel)}
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return {"depthwise": _np(layer.kernel)}
    return {"kernel": _np(layer.kernel)}


def _np(x: Any) -> np.ndarray:
    return keras.ops.convert_to_numpy(x).copy()


def _pre_conv(layer, x):
    return keras.ops.conv(x, layer.kernel, strides=layer.strides, padding=layer.padding,
                          dilation_rate=layer.dilation_rate, data_format=layer.data_format)


def _pre_depthwise(layer, x):
    return keras.ops.depthwise_conv(x, layer.kernel, strides=layer.strides, padding=layer.padding,
                                    dilation_rate=layer.dilation_rate, data_format=layer.data_format)


def _pre_separable(layer, x):
    return keras.ops.separable_conv(x, layer.depthwise_kernel, layer.pointwise_kernel, strides=layer.strides,
                                    padding=layer.padding, dilation_rate=layer.dilation_rate,
                                    data_format=layer.data_format)


def _pre_transpose(layer, x):
    return keras.ops.conv_transpose(x, layer.kernel, strides=layer.strides, padding=layer.padding,
                                    output_padding=layer.output_padding, dilation_rate=layer.dilation_rate,
                                    data_format=layer.data_format)


def _pre_dense(layer, x):
    return keras.ops.matmul(x, layer.kernel)


# a layer's output before its activation, per type (subclasses first)
PRE_ACTIVATION: dict[type, Callable] = {
    keras.layers.SeparableConv2D: _pre_separable,
    keras.layers.DepthwiseConv2D: _pre_depthwise,
    keras.layers.Conv2DTranspose: _pre_transpose,
    keras.layers.Conv2D: _pre_conv,
    keras.layers.Dense: _pre_dense,
}


def pre_activation_fn(layer: keras.layers.Layer) -> Callable | None:
    """The function computing ``layer``'s pre-activation, or None for layers without one."""
    for kind, fn in PRE_ACTIVATION.items():
        if isinstance(layer, kind):
            return fn
    return None


@keras.saving.register_keras_serializable(package="cnnviz")
class PreActivation(keras.layers.Layer):
    """A conv-like or Dense layer's output before its activation (same weights, shared, not copied).

    On the classifier's last Dense layer this is the logits head: the scores before the softmax."""

    def __init__(self, layer: keras.layers.Layer, **kwargs):
        super().__init__(**kwargs)
        self.wrapped = layer

    def call(self, x):
        layer = self.wrapped
        y = pre_activation_fn(layer)(layer, x)
        if getattr(layer, "bias", None) is not None:
            y = y + layer.bias
        return y


# --------------------------------------------------------------------------- input range


def _rescaling_range(layer) -> Range | None:
    scale = float(np.max(np.abs(np.asarray(layer.scale, np.float64))))
    return PIXELS if scale < 0.05 else UNIT


def _normalization_range(layer) -> Range | None:
    if getattr(layer, "invert", False) or getattr(layer, "mean", None) is None:
        return None
    mean = np.abs(keras.ops.convert_to_numpy(layer.mean)).max()
    std = np.sqrt(np.abs(keras.ops.convert_to_numpy(layer.variance))).max()
    if mean == 0 and abs(std - 1) < 1e-6:  # never adapted: no information
        return None
    return PIXELS if max(mean, std) > 2.0 else UNIT


def _describe_rescaling(layer) -> str:
    scale = float(np.max(np.abs(np.asarray(layer.scale, np.float64))))
    offset = float(np.max(np.abs(np.asarray(layer.offset, np.float64))))
    return f"Rescaling layer {layer.name} (scale {scale:.3g}" + (f", offset {offset:.3g})" if offset else ")")


def _describe_normalization(layer) -> str:
    mean = keras.ops.convert_to_numpy(layer.mean).ravel()
    return f"Normalization layer {layer.name} (mean {np.round(mean[:3], 3).tolist()})"


# layers near the input that tell the range: type -> (range or None, description)
RANGE_LAYERS: dict[type, tuple[Callable, Callable]] = {
    keras.layers.Rescaling: (_rescaling_range, _describe_rescaling),
    keras.layers.Normalization: (_normalization_range, _describe_normalization),
}

# keras.applications networks that expect a range they do not say in their layers: name prefix -> range
APPLICATION_RANGES: dict[str, Range] = {
    "mobilenetv2_": SYMMETRIC,
    "mobilenet_": SYMMETRIC,
    "inception_v3": SYMMETRIC,
    "xception": SYMMETRIC,
    "NASNet": SYMMETRIC,
}


def _from_layers(graph: FlatGraph, model: keras.Model) -> tuple[Range, str] | None:
    for record in graph.layers.values():
        for kind, (rule, describe) in RANGE_LAYERS.items():
            if isinstance(record.layer, kind):
                found = rule(record.layer)
                if found is not None:
                    return found, describe(record.layer)
        if record.layer.weights and not isinstance(record.layer, tuple(RANGE_LAYERS)):
            return None  # the first layer with weights: preprocessing lies before it
    return None


def _from_dtype(graph: FlatGraph, model: keras.Model) -> tuple[Range, str] | None:
    dtype = str(model.inputs[0].dtype) if getattr(model, "inputs", None) else "float32"
    return (PIXELS, f"the model's input dtype is {dtype}") if dtype in ("uint8", "int32", "int64") else None


def _from_application(graph: FlatGraph, model: keras.Model) -> tuple[Range, str] | None:
    names = [model.name, *{r.parent for r in graph.layers.values() if r.parent}]
    for name in names:
        for prefix, found in APPLICATION_RANGES.items():
            if name.startswith(prefix):
                return found, (f"keras.applications convention for {name} (inputs scaled to "
                               f"[{found[0]:g}, {found[1]:g}]); pass input_range= if yours differs")
    return None


def _from_card(card: dict | None) -> tuple[Range, str] | None:
    if not card:
        return None
    if card.get("input_range") is not None:
        lo, hi = card["input_range"]
        return (float(lo), float(hi)), "the model card"
    if "recipe" in card:  # trained by cnnviz.train, which always feeds pixels / 255
        return UNIT, "the model card (trained by cnnviz on pixels / 255)"
    return None


RANGE_RULES: tuple[Callable, ...] = (_from_layers, _from_dtype, _from_application)


def detect_input_range(graph: FlatGraph, model: keras.Model, card: dict | None = None,
                       override: Range | None = None) -> tuple[Range, str]:
    """The value range the model expects, and where that came from (``assumed`` when nothing says)."""
    if override is not None:
        return check_range(override), "given by the user (input_range=)"
    found = _from_card(card)
    if found:
        return found
    for rule in RANGE_RULES:
        found = rule(graph, model)
        if found:
            return found
    return UNIT, "assumed: nothing in the model says (no Rescaling/Normalization layer, float input, no card)"


def check_range(value: Any) -> Range:
    """``(lo, hi)`` as floats with lo < hi, or a ValueError saying what is wrong.

    >>> check_range([0, 255])
    (0.0, 255.0)
    """
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"input_range must be two numbers (lo, hi), e.g. (0, 255); got {value!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"input_range must have lo < hi, both finite; got ({lo:g}, {hi:g}).")
    return lo, hi


def parse_range(text: str) -> Range:
    """``"LO,HI"`` (as the CLI's ``--input-range`` takes it) -> (lo, hi).

    >>> parse_range("-1,1")
    (-1.0, 1.0)
    """
    parts = str(text).replace(":", ",").split(",")
    if len(parts) != 2:
        raise ValueError(f"input range {text!r}: write it as LO,HI, e.g. 0,255 or -1,1.")
    return check_range(parts)


# --------------------------------------------------------------------------- output kind


def activation_name(layer: keras.layers.Layer) -> str:
    """The name of a layer's activation ("softmax", "sigmoid", "linear", ...); "softmax" for a Softmax layer."""
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "linear") if activation is not None else ""


def output_head(graph: FlatGraph) -> tuple[str, Any, Any, bool]:
    """(kind, logits, probabilities, binary) tensors on the flat graph.

    ``logits`` always has one column per class, so that softmax(logits) is the class probabilities:
    a single sigmoid unit z becomes two classes with logits (0, z)."""
    out = graph.output
    last = next((r for r in reversed(graph.layers.values()) if r.output is out), None)
    units = int(out.shape[-1])
    act = activation_name(last.layer) if last is not None else ""
    has_pre = last is not None and pre_activation_fn(last.layer) is not None
    if act in ("softmax", "sigmoid"):
        if has_pre:
            z = PreActivation(last.layer, name="logits_pre")(last.input)
        elif isinstance(last.layer, (keras.layers.Softmax, keras.layers.Activation)):
            z = last.input
        else:
            z = None
        if act == "softmax":
            logits = z if z is not None else keras.ops.log(keras.ops.maximum(out, 1e-12))
            return "softmax", logits, out, False
        if units == 1:
            if z is None:
                z = keras.ops.log(keras.ops.maximum(out, 1e-12)) - keras.ops.log(keras.ops.maximum(1 - out, 1e-12))
            return "sigmoid", _binary(z), keras.ops.concatenate([1 - out, out], axis=-1), True
        return "sigmoid", z if z is not None else out, out, False
    if units == 1:
        logits = _binary(out)
        return "logits", logits, keras.ops.softmax(logits, axis=-1), True
    return "logits", out, keras.ops.softmax(out, axis=-1), False


def _binary(z):
    return keras.ops.concatenate([keras.ops.zeros_like(z), z], axis=-1)


# --------------------------------------------------------------------------- class names


def class_names(num_classes: int, binary: bool, card: dict | None, model: keras.Model | None = None) -> list[str]:
    """Names from the card (``class_names``) or a ``class_names`` attribute of the model, else "0", "1", ...
    A binary model with one name c gets ("not c", "c").

    >>> class_names(2, True, {"class_names": ["3"]})
    ['not 3', '3']
    """
    names = (card or {}).get("class_names") or getattr(model, "class_names", None)
    if names is not None:
        names = [str(n) for n in names]
        if binary and len(names) == 1:
            return [f"not {names[0]}", names[0]]
        if len(names) == num_classes:
            return names
    return [str(i) for i in range(num_classes)]


# --------------------------------------------------------------------------- image convention


def _convention_from_card(model, card: dict | None, shape) -> tuple[str, str] | None:
    if card and card.get("convention"):
        return str(card["convention"]), "the model card"
    if card and "recipe" in card:
        return "mnist", "the model card (trained by cnnviz on MNIST)"
    return None


def _convention_of_reference(model, card: dict | None, shape) -> tuple[str, str] | None:
    if getattr(model, "name", "") == "mnist_cnn" and tuple(shape) == (28, 28, 1):
        return "mnist", "the reference MNIST CNN (mnist_cnn, 28x28x1)"
    return None


CONVENTION_RULES: tuple[Callable, ...] = (_convention_from_card, _convention_of_reference)


def detect_convention(model: keras.Model, card: dict | None, shape: tuple[int, int, int]) -> tuple[str, str]:
    """How the model wants its images ("mnist" or "as-is", see :mod:`cnnviz.io.images`) and where that came from.

    >>> detect_convention(keras.Sequential(name="faces"), None, (64, 64, 1))
    ('as-is', 'nothing says the model is MNIST-style: images are taken as they are')
    """
    for rule in CONVENTION_RULES:
        found = rule(model, card, shape)
        if found:
            return found
    return "as-is", "nothing says the model is MNIST-style: images are taken as they are"


# --------------------------------------------------------------------------- user images -> display images


def display_batch(image: Any, shape: tuple[int, int, int], convention: str = "as-is") -> tuple[np.ndarray, list[str]]:
    """Anything cnnviz reads -> float32 (N, H, W, C) in [0, 1] for a model taking ``shape`` = (H, W, C), by the
    model's image ``convention``, and notes on what was adapted: :func:`cnnviz.io.images.to_display`.

    >>> batch, notes = display_batch(np.zeros((5, 28, 28), np.uint8), (32, 32, 3))
    >>> batch.shape, notes
    ((5, 32, 32, 3), ['grey images given to a 3-channel model: the grey value is copied to R, G and B', 'images resized from 28x28 to 32x32'])
    """
    from ..io.images import to_display

    return to_display(image, shape, convention)
