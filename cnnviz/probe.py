"""A probe wraps any Keras image classifier into the clean functional models cnnviz needs.

Built once per model and cached. It names every layer, exposes a logits (pre-softmax)
head that shares the classifier's weights, and a multi-output model that returns every
layer's activation in one forward pass. tf-keras-vis 0.8.7 breaks on Keras 3 Sequential
models and on re-called layers; the probe's models are what it can work with.

>>> probe = get_probe()
>>> probe.layer_names
['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'predictions']
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from .data import DataError, preprocess
from .model import _single_graph, check_classifier, load_model

SPATIAL_TYPES = ("Conv", "Pool", "Activation", "ReLU", "BatchNormalization", "Dropout")


@keras.saving.register_keras_serializable(package="cnnviz")
class PreActivation(keras.layers.Layer):
    """A Conv2D or Dense layer's output before its activation (same weights, shared, not copied).

    On the classifier's last Dense layer this is the logits head: the scores before the softmax."""

    def __init__(self, layer: keras.layers.Layer, **kwargs):
        super().__init__(**kwargs)
        self.wrapped = layer

    def call(self, x):
        layer = self.wrapped
        if isinstance(layer, keras.layers.Conv2D):
            y = keras.ops.conv(x, layer.kernel, strides=layer.strides, padding=layer.padding,
                               dilation_rate=layer.dilation_rate, data_format=layer.data_format)
        else:
            y = keras.ops.matmul(x, layer.kernel)
        if layer.bias is not None:
            y = y + layer.bias
        return y


@dataclass(eq=False)
class Probe:
    """The models cnnviz looks through. Build with :func:`get_probe`."""

    model: keras.Model
    layer_names: list[str]
    logits_model: keras.Model
    activations_model: keras.Model
    logits_from_softmax: bool
    _layer_index: dict[str, int] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  # compiled helpers built on this probe

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of one input image."""
        return tuple(int(d) for d in self.model.inputs[0].shape[1:])

    @property
    def num_classes(self) -> int:
        return int(self.model.outputs[0].shape[-1])

    @property
    def conv_layer_names(self) -> list[str]:
        """Names of the convolution layers, input side first."""
        return [n for n in self.layer_names if isinstance(self.model.get_layer(n), keras.layers.Conv2D)]

    @property
    def spatial_layer_names(self) -> list[str]:
        """Layers whose output is a stack of 2-D maps (conv, pooling, ...), input side first."""
        return [n for n in self.layer_names if len(self.layer(n).output.shape) == 4]

    def layer(self, name: str) -> keras.layers.Layer:
        """The layer called ``name``, or a ValueError listing the valid names."""
        if name not in self._layer_index:
            raise ValueError(f"layer {name!r} not found; layers are: {', '.join(self.layer_names)}.")
        return self.model.get_layer(name)

    def tensor(self, name: str):
        """The symbolic tensor called ``name``: a layer's output, "logits", or "<layer>:pre" (a conv or
        dense layer before its activation, which still has gradients where a ReLU is off)."""
        if name == "logits":
            return self.logits_model.outputs[0]
        if name.endswith(":pre"):
            layer = self.layer(name[:-4])
            if not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
                return layer.output
            key = ("pre", layer.name)
            if key not in self.cache:
                self.cache[key] = PreActivation(layer, name=f"{layer.name}_pre")(layer.input)
            return self.cache[key]
        return self.layer(name).output

    def check_class(self, index: int) -> int:
        """``index`` as an int, or a ValueError if it is not a class of this model."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"a class must be an integer 0..{self.num_classes - 1}; got {index!r}.")
        if not 0 <= int(index) < self.num_classes:
            raise ValueError(f"class {index} is out of range: this model has classes 0..{self.num_classes - 1}.")
        return int(index)

    def prepare(self, image: Any) -> np.ndarray:
        """Turn ``image`` into a float32 batch (N, H, W, C) this model takes; raises ValueError when it cannot.

        For single-channel square models, anything :func:`cnnviz.preprocess` reads works.
        An array already shaped like the model's input is passed through as it is.
        """
        h, w, c = self.input_shape
        if isinstance(image, np.ndarray) or hasattr(image, "numpy"):
            array = np.asarray(image.numpy() if hasattr(image, "numpy") else image)
            if array.dtype != object and np.issubdtype(array.dtype, np.floating) and array.shape[-3:] == (h, w, c):
                if not np.isfinite(array).all():
                    raise DataError("the image contains NaN or infinite values; pass finite pixel values.")
                return array.reshape((-1, h, w, c)).astype(np.float32)
        if c == 1 and h == w:
            return preprocess(image, size=h)
        return _prepare_color(image, h, w, c)

    def forward(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Every layer's activation for a prepared batch, plus 'logits' and 'probabilities', in one pass."""
        outputs = self.activations_model(images, training=False)
        names = [*self.layer_names, "logits"]
        result = {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, outputs)}
        result["probabilities"] = result[self.layer_names[-1]]
        if not self.logits_from_softmax:
            result["probabilities"] = keras.ops.convert_to_numpy(keras.ops.softmax(result["logits"], axis=-1))
        return result


def _prepare_color(image: Any, h: int, w: int, c: int) -> np.ndarray:
    from PIL import Image

    from .data import _to_array

    array = _to_array(image)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4:
        raise DataError(f"an image of shape {array.shape} cannot be read; expected (H, W, C) or (N, H, W, C).")
    values = array.astype(np.float32)
    if not np.isfinite(values).all():
        raise DataError("the image contains NaN or infinite values; pass finite pixel values.")
    out = []
    for img in values:
        mode_img = img[..., :3] if img.shape[-1] >= 3 else np.repeat(img[..., :1], 3, axis=-1)
        scale = 255.0 if mode_img.max() > 1.0 else 1.0
        pil = Image.fromarray(np.clip(mode_img / scale * 255, 0, 255).astype(np.uint8)).resize((w, h))
        arr = np.asarray(pil, np.float32) / 255.0
        out.append(arr if c == 3 else arr.mean(axis=-1, keepdims=True))
    return np.stack(out)


def _build(model: keras.Model) -> Probe:
    check_classifier(model)
    # a Sequential that Keras rebuilt (e.g. loaded with keras.saving.load_model) has layers on two graphs:
    # look through a single-graph clone instead (its weights are a copy taken now)
    model = _single_graph(model)
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    names = [layer.name for layer in layers]
    if len(set(names)) != len(names):
        raise ValueError(f"the model's layer names are not unique ({', '.join(names)}); give each layer its own name.")
    inputs = model.inputs[0]
    last = layers[-1]
    activation = getattr(last, "activation", None)
    act_name = getattr(activation, "__name__", "")
    if isinstance(last, keras.layers.Dense) and act_name == "softmax":
        logits = PreActivation(last, name="logits")(last.input)
        from_softmax = True
    elif isinstance(last, (keras.layers.Softmax, keras.layers.Activation)) and (
        isinstance(last, keras.layers.Softmax) or getattr(last.activation, "__name__", "") == "softmax"
    ):
        logits = last.input
        from_softmax = True
    else:  # no softmax at the end: the outputs are already logits
        logits = model.outputs[0]
        from_softmax = False
    logits_model = keras.Model(inputs, logits, name=f"{model.name}_logits")
    activations_model = keras.Model(inputs, [layer.output for layer in layers] + [logits], name=f"{model.name}_probe")
    return Probe(model=model, layer_names=names, logits_model=logits_model, activations_model=activations_model,
                 logits_from_softmax=from_softmax, _layer_index={n: i for i, n in enumerate(names)})


_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_probe(model: keras.Model | None = None) -> Probe:
    """The (cached) probe of ``model``; ``None`` -> the shipped model.

    >>> get_probe().num_classes
    10
    """
    if model is None:
        model = load_model()
    if isinstance(model, Probe):
        return model
    probe = _cache.get(model)
    if probe is None:
        probe = _build(model)
        _cache[model] = probe
    return probe
