"""Build (and cache) the probe of a model: :func:`get_probe`, and :func:`describe` to tell cnnviz about a model once.

The probe of a model is built once and kept on the model (so it lives as long as the model): a graph model is
replayed as one flat graph (:mod:`cnnviz.core.graph`), an untraceable subclassed model gets an eager head.

>>> get_probe().layer_names[:2]
['conv1', 'pool1']
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence

import keras
import numpy as np

from . import contract
from .cards import card_of
from .checks import ModelError, check_classifier
from .contract import Range
from .graph import FlatGraph, NotTraceable, flatten, input_spec, is_graph_model
from .model import load_model, load_shipped
from .probe import Probe, _lock

__all__ = ["describe", "get_probe"]


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
    style, style_source = contract.detect_convention(model, card, tuple(int(d) for d in inputs.shape[1:]))
    num = int(logits.shape[-1])
    return Probe(model=flat, layer_names=names, logits_model=logits_model, activations_model=activations_model,
                 source=model, input_range=found, input_range_source=source, output_kind=kind, binary=binary,
                 class_names=contract.class_names(num, binary, card, model), traced=graph.traced,
                 convention=style, convention_source=style_source, _records=dict(graph.layers), _tensors=tensors)


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
    style, style_source = contract.detect_convention(model, card, tuple(int(d) for d in shape))
    return Probe(model=model, layer_names=[], logits_model=_EagerHead(model, shape, kind, units, "logits"),
                 activations_model=_EagerHead(model, shape, kind, units, "both"), source=model, input_range=found,
                 input_range_source=source, output_kind=kind, binary=binary,
                 class_names=contract.class_names(n, binary, card, model), opaque=message, _shape=tuple(shape),
                 convention=style, convention_source=style_source)


_ATTR = "_cnnviz_probes"  # {None: probe, "override": probe}, kept on the model so it lives as long as the model


def _probes_of(model: keras.Model) -> dict | None:
    return model.__dict__.get(_ATTR)


def _keep(model: keras.Model, probes: dict) -> None:
    object.__setattr__(model, _ATTR, probes)  # past Keras' attribute tracking: not a sub-layer, not saved


#: One lock per model while its probe is built: two threads on one model build it once and share it; threads on
#: different models build theirs at the same time (one process-wide lock made every session wait for each new
#: upload's build, seconds under load).
_building: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached(model: keras.Model | None) -> Probe:
    if model is None:
        model = load_shipped()
    probes = _probes_of(model)
    if probes is not None:
        return probes[None]
    with _lock:
        building = _building.setdefault(model, threading.Lock())
    with building:
        probes = _probes_of(model)
        if probes is None:
            base = _build(model)
            base._views[(base.input_range, base.convention)] = base
            probes = {None: base}
            _keep(model, probes)
            if base.model is not model:
                _keep(base.model, probes)  # the probe's own flat model maps back to the same probes
    return probes[None]


def get_probe(model: keras.Model | Probe | None = None, *, input_range: Range | None = None,
              class_names: Sequence[str] | None = None, convention: str | None = None) -> Probe:
    """The (cached) probe of ``model`` (a Keras model, a described :class:`Probe`, or ``None``: the shipped model).

    ``input_range=(lo, hi)``, ``class_names=[...]``, ``convention="mnist"|"as-is"`` give a view for the caller
    only (:meth:`Probe.described`): nothing is remembered, the model and later calls are unchanged. To say
    them once for good, use :func:`describe` and pass its result as ``model=``.

    >>> get_probe().num_classes
    10
    >>> get_probe(input_range=(0, 255)).input_range, get_probe().input_range
    ((0.0, 255.0), (0.0, 1.0))
    """
    base = model if isinstance(model, Probe) else _cached(model)
    return base.described(input_range=input_range, class_names=class_names, convention=convention)


def describe(model: keras.Model | Probe | str | None = None, *, input_range: Range | None = None,
             class_names: Sequence[str] | None = None, convention: str | None = None) -> Probe:
    """Tell cnnviz about a model once: its input range, class names and image convention ("mnist": MNIST-style
    digits; "as-is": only resize, grey <-> RGB and the range). Returns a described model that every call
    takes as ``model=``; the Keras model itself, and every other caller of it, are unchanged.

    ``model`` may be a path to a .keras/.h5 file. What is not given is read from the model and its card.

    >>> import keras
    >>> m = keras.Sequential([keras.Input((64, 64, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
    ...                       keras.layers.Dense(2, activation="softmax")])
    >>> faces = describe(m, input_range=(-1, 1), class_names=["cat", "dog"])
    >>> faces.input_range, faces.class_names, faces.convention, get_probe(m).input_range
    ((-1.0, 1.0), ['cat', 'dog'], 'as-is', (0.0, 1.0))
    """
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        model = load_model(model)
    return get_probe(model, input_range=input_range, class_names=class_names, convention=convention)
