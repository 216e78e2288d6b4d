"""A probe wraps any Keras image classifier into the clean functional models cnnviz needs: the model contract.

Built once per model and cached. It replays the model as one flat graph that shares the model's
weights (nested sub-models opened up, subclassed models traced; see :mod:`cnnviz.graph`), names
every layer, and knows the contract (see :mod:`cnnviz.contract`):

- ``input_range`` / ``input_range_source``: the pixel values the model expects and where that was read;
  ``to_model`` / ``to_display`` map between display images in [0, 1] and that range (numpy or tf);
  ``prepare(image)`` returns a batch in the MODEL's range: the one place where images are converted;
- ``output_kind`` ("softmax", "logits", "sigmoid"), ``num_classes``, ``class_names``, and the
  ``"logits"`` / ``"probabilities"`` tensors, right for every kind;
- ``conv_layer_names`` (Conv2D, SeparableConv2D, DepthwiseConv2D, Conv2DTranspose, also nested) and
  ``last_conv_layer``.

>>> probe = get_probe()
>>> probe.layer_names
['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'predictions']
>>> probe.input_range, probe.output_kind, probe.last_conv_layer
((0.0, 1.0), 'softmax', 'conv2')
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

import keras
import numpy as np

from . import contract
from .contract import PreActivation, Range
from .data import DataError
from .graph import FlatGraph, NotTraceable, flatten, input_spec, is_graph_model
from .model import ModelError, card_of, check_classifier, load_shipped, remember

__all__ = ["PreActivation", "Probe", "get_probe"]

SPATIAL_TYPES = ("Conv", "Pool", "Activation", "ReLU", "BatchNormalization", "Dropout")


@dataclass(eq=False)
class Probe:
    """The models cnnviz looks through and the model's contract. Build with :func:`get_probe`."""

    model: keras.Model  # the flat graph (input -> the model's output), sharing the source's weights
    layer_names: list[str]
    logits_model: keras.Model
    activations_model: keras.Model
    source: keras.Model  # the model as the user gave it
    input_range: Range
    input_range_source: str
    output_kind: str
    binary: bool
    class_names: list[str]
    traced: str = ""  # how a subclassed model was traced ("" otherwise)
    opaque: str = ""  # why per-layer views are not available ("" when they are)
    _shape: tuple = ()  # an untraceable model's input shape (it has no .inputs)
    _records: dict[str, Any] = field(default_factory=dict, repr=False)
    _tensors: dict[str, Any] = field(default_factory=dict, repr=False)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  # compiled helpers built on this probe

    # ------------------------------------------------------------------ input side

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of one input image."""
        return tuple(int(d) for d in (self._shape or self.model.inputs[0].shape[1:]))

    @property
    def input_range_assumed(self) -> bool:
        """True when nothing in the model, its card or the user said the range: [0, 1] is a guess."""
        return self.input_range_source.startswith("assumed")

    def to_model(self, images_01: Any) -> Any:
        """Display images in [0, 1] -> the model's range (affine; numpy arrays or tf tensors, also in a graph).

        >>> get_probe().to_model(np.array([0.0, 1.0]))
        array([0., 1.])
        """
        lo, hi = self.input_range
        return images_01 * (hi - lo) + lo if (lo, hi) != (0.0, 1.0) else images_01

    def to_display(self, x: Any) -> Any:
        """The inverse of :meth:`to_model`: model-range values -> display values (1 = the top of the range)."""
        lo, hi = self.input_range
        return (x - lo) / (hi - lo) if (lo, hi) != (0.0, 1.0) else x

    def prepare(self, image: Any) -> np.ndarray:
        """``image`` as a float32 batch (N, H, W, C) in the MODEL's range (what the model takes as is).

        A float array already shaped like the model's input and within its range is taken as model
        input (except [0, 1] floats for a 0-255 model: those are scaled, with a note); anything else (uint8, files, PIL images, other sizes, grey for colour) is read as pixels,
        adapted (see :meth:`prepare_with_notes`) and mapped with :meth:`to_model`.

        >>> get_probe().prepare(np.zeros((2, 28, 28), np.uint8)).shape
        (2, 28, 28, 1)
        """
        return self.prepare_with_notes(image)[0]

    def prepare_with_notes(self, image: Any) -> tuple[np.ndarray, list[str]]:
        """:meth:`prepare`, and what was adapted to fit the model (grey -> RGB, resize, 0-255 floats)."""
        h, w, c = self.input_shape
        lo, hi = self.input_range
        if isinstance(image, np.ndarray) or hasattr(image, "numpy"):
            array = np.asarray(image.numpy() if hasattr(image, "numpy") else image)
            if array.dtype != object and np.issubdtype(array.dtype, np.floating) and array.shape[-3:] == (h, w, c):
                if not np.isfinite(array).all():
                    raise DataError("the image contains NaN or infinite values; pass finite pixel values.")
                batch = array.reshape((-1, h, w, c)).astype(np.float32)
                slack = 0.01 * (hi - lo)
                if hi - lo > 10 and batch.size and batch.min() >= 0 and 0 < batch.max() <= 1.0:
                    return self.to_model(batch).astype(np.float32), [
                        f"float images in [0, 1] given to a model taking {lo:g}..{hi:g}: scaled into its range"]
                if batch.size == 0 or (batch.min() >= lo - slack and batch.max() <= hi + slack):
                    return batch, []
                if batch.min() < 0 or batch.max() > 255:
                    raise DataError(f"the images hold values {batch.min():.3g}..{batch.max():.3g}; this model takes "
                                    f"{lo:g}..{hi:g} ({self.input_range_source}). Pass pixels in 0-255 or 0-1, or "
                                    "model input in its range.")
                return self.to_model(batch / 255.0).astype(np.float32), [
                    f"float images in 0-255 given to a model taking {lo:g}..{hi:g}: read as pixels"]
        try:
            batch, notes = contract.display_batch(image, (h, w, c))
        except DataError as exc:
            if "this model takes" in str(exc):
                raise
            raise DataError(f"{str(exc).rstrip('.')}; this model takes {h}x{w}x{c} images.") from None
        return np.asarray(self.to_model(batch), np.float32), notes

    # ------------------------------------------------------------------ output side

    @property
    def num_classes(self) -> int:
        """Number of classes; a single sigmoid (or logit) unit counts as two: "not c" and "c"."""
        return int(self.logits_model.outputs[0].shape[-1])

    @property
    def logits_from_softmax(self) -> bool:
        """True when the model ends in a softmax whose logits the probe exposes."""
        return self.output_kind == "softmax"

    def default_classes(self, limit: int = 10) -> list[int]:
        """The first ``min(limit, num_classes)`` classes (what the report and CLI show by default).

        >>> get_probe().default_classes(3)
        [0, 1, 2]
        """
        return list(range(min(int(limit), self.num_classes)))

    def check_class(self, index: int) -> int:
        """``index`` as an int, or a ValueError if it is not a class of this model."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"a class must be an integer 0..{self.num_classes - 1}; got {index!r}.")
        if not 0 <= int(index) < self.num_classes:
            raise ValueError(f"class {index} is out of range: this model has classes 0..{self.num_classes - 1}.")
        return int(index)

    # ------------------------------------------------------------------ layers

    @property
    def conv_layer_names(self) -> list[str]:
        """Convolution-like layers (Conv2D, SeparableConv2D, DepthwiseConv2D, Conv2DTranspose), input side first."""
        return [n for n in self.layer_names if contract.is_conv(self._records[n].layer)]

    @property
    def last_conv_layer(self) -> str | None:
        """The convolution-like layer nearest the output (Grad-CAM's default), or None."""
        convs = self.conv_layer_names
        return convs[-1] if convs else None

    @property
    def spatial_layer_names(self) -> list[str]:
        """Layers whose output is a stack of 2-D maps (conv, pooling, ...), input side first."""
        return [n for n in self.layer_names if len(self._tensors[n].shape) == 4]

    def layer(self, name: str) -> keras.layers.Layer:
        """The model's own layer called ``name`` (nested ones too), or a ValueError listing the valid names."""
        self._check_open()
        if name not in self._records:
            raise ValueError(f"layer {name!r} not found; layers are: {', '.join(self.layer_names)}.")
        return self._records[name].layer

    def tensor(self, name: str):
        """The symbolic tensor called ``name`` on the probe's graph: a layer's output, "logits", "probabilities",
        or "<layer>:pre" (a conv-like or dense layer before its activation)."""
        self._check_open()
        if name in ("logits", "probabilities"):
            return self._tensors[name]
        if name.endswith(":pre"):
            layer = self.layer(name[:-4])
            record = self._records[name[:-4]]
            if contract.pre_activation_fn(layer) is None:
                return record.output
            key = ("pre", name[:-4])
            if key not in self.cache:
                self.cache[key] = PreActivation(layer, name=f"{name[:-4]}_pre")(record.input)
            return self.cache[key]
        self.layer(name)
        return self._tensors[name]

    def require_layers(self) -> None:
        """Raise :class:`ModelError` (what works, what does not, what to do) when the layers cannot be shown."""
        if self.opaque:
            raise ModelError(self.opaque)

    _check_open = require_layers

    # ------------------------------------------------------------------ running

    def classify(self, images: np.ndarray, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """(logits, probabilities) for a prepared batch, in batches; cheaper than :meth:`forward` on big models."""
        key = "classify_head"
        if key not in self.cache:
            self.cache[key] = self.activations_model if self.opaque else keras.Model(
                self.model.inputs[0], [self._tensors["logits"], self._tensors["probabilities"]])
        head = self.cache[key]
        parts = [[keras.ops.convert_to_numpy(t) for t in head(images[i : i + batch_size], training=False)]
                 for i in range(0, len(images), batch_size)]
        if not parts:
            return np.zeros((0, self.num_classes), np.float32), np.zeros((0, self.num_classes), np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def forward(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Every layer's activation for a prepared batch, plus 'logits' and 'probabilities', in one pass."""
        outputs = self.activations_model(images, training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        names = [*self.layer_names, "logits", "probabilities"]
        return {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, outputs)}

    def with_input_range(self, input_range: Range | None) -> Probe:
        """This probe with another input range (its own cache of compiled helpers)."""
        found, source = contract.detect_input_range(None, self.source, None, input_range) if input_range else (
            self.input_range, self.input_range_source)
        return replace(self, input_range=found, input_range_source=source, cache={})


def _build(model: keras.Model) -> Probe:
    if is_graph_model(model):
        check_classifier(model)
    try:
        graph = flatten(model)
    except NotTraceable as exc:
        if is_graph_model(model):
            raise ModelError(f"the model could not be read layer by layer ({exc}).") from None
        return _opaque(model, str(exc))
    return _from_graph(model, graph)


def _from_graph(model: keras.Model, graph: FlatGraph) -> Probe:
    if len(graph.inputs.shape) != 4 or graph.inputs.shape[-1] not in (1, 3):
        raise ModelError(f"the model takes input of shape {tuple(graph.inputs.shape)}; cnnviz needs images "
                         "(batch, height, width, 1 or 3 channels).")
    if len(graph.output.shape) != 2:
        raise ModelError(f"the model outputs shape {tuple(graph.output.shape)}; cnnviz needs a classifier that "
                         "outputs (batch, classes).")
    kind, logits, probabilities, binary = contract.output_head(graph)
    names = list(graph.layers)
    tensors = {n: r.output for n, r in graph.layers.items()}
    tensors.update(logits=logits, probabilities=probabilities)
    inputs = graph.inputs
    flat = keras.Model(inputs, graph.output, name=f"{model.name}_flat")
    logits_model = keras.Model(inputs, logits, name=f"{model.name}_logits")
    activations_model = keras.Model(inputs, [tensors[n] for n in names] + [logits, probabilities],
                                    name=f"{model.name}_probe")
    card = card_of(model)
    found, source = contract.detect_input_range(graph, model, card)
    num = int(logits.shape[-1])
    return Probe(model=flat, layer_names=names, logits_model=logits_model, activations_model=activations_model,
                 source=model, input_range=found, input_range_source=source, output_kind=kind, binary=binary,
                 class_names=contract.class_names(num, binary, card, model), traced=graph.traced,
                 _records=dict(graph.layers), _tensors=tensors)


class _EagerHead(keras.Model):
    """An untraceable model's output as (logits, probabilities), run eagerly (its call needs real values).

    ``inputs``/``outputs`` give tf-keras-vis and the probe the shapes they ask for."""

    def __init__(self, source: keras.Model, shape: tuple, kind: str, units: int, which: str):
        super().__init__(name=f"{source.name}_{which}")
        self.source, self._shape, self._kind, self._units, self._which = source, tuple(shape), kind, units, which

    @property
    def inputs(self):
        return [keras.KerasTensor((None, *self._shape))]

    @property
    def outputs(self):
        n = 2 if self._units == 1 else self._units
        return [keras.KerasTensor((None, n))]

    def call(self, x, training=False):
        if isinstance(x, (list, tuple)):
            x = x[0]
        out = self.source(x, training=False)
        ops, eps = keras.ops, 1e-7
        if self._kind == "softmax":
            logits, probabilities = ops.log(ops.maximum(out, 1e-30)), out
        elif self._kind == "sigmoid":
            p = ops.clip(out, eps, 1 - eps)
            logits, probabilities = contract._binary(ops.log(p) - ops.log(1 - p)), ops.concatenate([1 - out, out], -1)
        elif self._units == 1:
            logits = contract._binary(out)
            probabilities = ops.softmax(logits, axis=-1)
        else:
            logits, probabilities = out, ops.softmax(out, axis=-1)
        return logits if self._which == "logits" else [logits, probabilities]


def _opaque(model: keras.Model, why: str) -> Probe:
    """A subclassed model cnnviz cannot trace: predictions and input attributions only (run eagerly)."""
    spec = input_spec(model)
    if spec is None:
        raise ModelError(f"{type(model).__name__} has not been called yet, so its input shape is unknown: call it "
                         "on one batch (model(x)) before giving it to cnnviz.")
    shape = spec[0]
    x = np.random.default_rng(0).uniform(0, 1, size=(4, *shape)).astype(np.float32)
    values = keras.ops.convert_to_numpy(model(x, training=False))
    if values.ndim != 2:
        raise ModelError(f"the model outputs shape {values.shape}; cnnviz needs a classifier that outputs "
                         "(batch, classes).")
    units = values.shape[-1]
    if units > 1 and values.min() >= 0 and np.allclose(values.sum(-1), 1, atol=1e-3):
        kind = "softmax"
    elif units == 1 and values.min() >= 0 and values.max() <= 1:
        kind = "sigmoid"
    else:
        kind = "logits"
    message = (f"{type(model).__name__} is a subclassed model whose call() cnnviz could not trace into layers ({why}). "
               "What works: predict, evaluate, and attribution on the input (saliency, SmoothGrad). What does not: "
               "per-layer views (feature maps, filters, Grad-CAM, class and filter images). To get them, build the "
               "network with the functional API (keras.Input -> layers -> keras.Model) or as a keras.Sequential.")
    card = card_of(model)
    found, source = contract.detect_input_range(FlatGraph(inputs=None, output=None), model, card)
    binary = units == 1
    n = 2 if binary else units
    return Probe(model=model, layer_names=[], logits_model=_EagerHead(model, shape, kind, units, "logits"),
                 activations_model=_EagerHead(model, shape, kind, units, "both"), source=model, input_range=found,
                 input_range_source=source, output_kind=kind, binary=binary,
                 class_names=contract.class_names(n, binary, card, model), opaque=message, _shape=tuple(shape))


_ATTR = "_cnnviz_probes"  # {None: probe, "override": probe}, kept on the model so it lives as long as the model
_lock = threading.RLock()


def _probes_of(model: keras.Model) -> dict | None:
    return model.__dict__.get(_ATTR)


def _keep(model: keras.Model, probes: dict) -> None:
    object.__setattr__(model, _ATTR, probes)  # past Keras' attribute tracking: not a sub-layer, not saved


def get_probe(model: keras.Model | Probe | None = None, *, input_range: Range | None = None) -> Probe:
    """The (cached) probe of ``model``; ``None`` -> the shipped model.

    ``input_range=(lo, hi)`` overrides the range read from the model; it is remembered for this model
    (later calls without it get the same) and written into the model card by :func:`cnnviz.save_model`.

    >>> get_probe().num_classes
    10
    """
    if isinstance(model, Probe):
        return model if input_range is None else model.with_input_range(contract.check_range(input_range))
    if model is None:
        model = load_shipped()
    if input_range is not None:
        input_range = contract.check_range(input_range)
    with _lock:
        probes = _probes_of(model)
        if probes is None:
            base = _build(model)
            probes = {None: base}
            _keep(model, probes)
            if base.model is not model:
                _keep(base.model, probes)  # the probe's own flat model maps back to the same probes
        if input_range is not None:
            remember(model, input_range=input_range)
            probes["override"] = probes[None].with_input_range(input_range)
        return probes.get("override") or probes[None]
