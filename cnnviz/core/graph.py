"""Replay any Keras classifier as one flat functional graph whose layers share the model's weights.

Every layer of the model (also inside nested Sequential / functional sub-models) is called once
more, through a thin :class:`Alias` that owns no weights of its own, on a fresh ``keras.Input``.
Each alias has a single node, so ``alias.output`` is on the graph that runs (tf-keras-vis relies
on it), and training the original model changes what the flat graph computes: no copies.

Subclassed models (``class MyNet(keras.Model)``) are traced by calling their ``call`` on a
``keras.Input``; when that fails or disagrees with the model, by chaining ``model.layers``.

>>> import keras
>>> flat = flatten(keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3, name="c"),
...                                   keras.layers.Flatten(name="f"), keras.layers.Dense(2, name="d")]))
>>> list(flat.layers)
['c', 'f', 'd']
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
from keras import tree


class NotTraceable(ValueError):
    """The model's computation could not be written as a graph of its layers."""


@keras.saving.register_keras_serializable(package="cnnviz")
class Alias(keras.layers.Layer):
    """Calls ``layer`` (same object, same weights); a fresh node on the probe's graph under the same name."""

    def __init__(self, layer: keras.layers.Layer, **kwargs: Any):
        kwargs.setdefault("name", layer.name)
        kwargs.setdefault("dtype", layer.dtype_policy)
        super().__init__(autocast=False, **kwargs)
        self.wrapped = layer

    def call(self, inputs, *args, training=None, **kwargs):
        return self.wrapped(inputs, *args, training=training, **kwargs)


@dataclass
class Record:
    """One layer on the flat graph: the model's own layer, its output and (first) input tensors there."""

    layer: keras.layers.Layer
    output: Any
    input: Any
    parent: str = ""  # the nested sub-model it lives in ("" for the top level)


@dataclass
class FlatGraph:
    """``inputs`` (one keras.Input), ``output`` (the model's output on it), ``layers``: name -> :class:`Record`,
    input side first; ``traced``: how a subclassed model was traced ("" for functional/Sequential models)."""

    inputs: Any
    output: Any
    layers: dict[str, Record] = field(default_factory=dict)
    traced: str = ""


def is_graph_model(model: keras.Model) -> bool:
    """True for Sequential and functional models (their structure is known without running ``call``).

    >>> is_graph_model(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))
    True
    """
    from keras.src.models.functional import Functional

    return isinstance(model, (keras.Sequential, Functional))


def input_spec(model: keras.Model) -> tuple[tuple, str] | None:
    """(shape of one input without the batch axis, dtype) of ``model``, also for a built subclassed model;
    None when unknown (a subclassed model never called).

    >>> input_spec(keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten()]))
    ((4, 4, 1), 'float32')
    """
    try:
        inputs = model.inputs
    except AttributeError:  # subclassed models have no .inputs
        inputs = None
    if inputs:
        return tuple(inputs[0].shape[1:]), str(inputs[0].dtype)
    candidates = [getattr(model, "_build_shapes_dict", None) or {}]
    # a model built by an eager call without its own build(): its layers' build shapes, checked by a call below
    candidates += [getattr(layer, "_build_shapes_dict", None) or {} for layer in model.layers]
    for shapes in candidates:
        if len(shapes) != 1:
            continue
        shape = next(iter(shapes.values()))
        if not (isinstance(shape, (tuple, list)) and len(shape) == 4 and all(isinstance(d, (int, type(None)))
                                                                             for d in shape)):
            continue
        if shapes is candidates[0] or _runs_on(model, tuple(shape[1:])):
            return tuple(shape[1:]), "float32"
    return None


def _runs_on(model: keras.Model, shape: tuple) -> bool:
    try:
        out = model(np.zeros((1, *shape), np.float32), training=False)
    except Exception:  # not the model's input shape
        return False
    return len(getattr(out, "shape", ())) == 2


def flatten(model: keras.Model, input_shape: tuple | None = None, dtype: str | None = None) -> FlatGraph:
    """The flat graph of ``model`` (see the module doc); raises :class:`NotTraceable` when it cannot be built.

    Integer inputs (uint8 images) become float32 on the flat graph, so that gradients reach the pixels."""
    if input_shape is None:
        spec = input_spec(model)
        if spec is None:
            raise NotTraceable(f"{type(model).__name__} has no known input shape; call it on one batch first.")
        input_shape, dtype = spec
    dtype = "float32" if dtype is None or "int" in str(dtype) else str(dtype)
    inputs = keras.Input(shape=input_shape, dtype=dtype, name="image")
    graph = FlatGraph(inputs=inputs, output=None)
    if is_graph_model(model):
        graph.output = _unwrap(_replay(model, [inputs], graph, ""))
        return graph
    traced = trace_subclassed(model, input_shape, dtype or "float32")
    graph.output = _unwrap(_replay(traced.model, [inputs], graph, ""))
    graph.traced = traced.how
    return graph


@dataclass
class Traced:
    model: keras.Model
    how: str


def trace_subclassed(model: keras.Model, input_shape: tuple, dtype: str = "float32") -> Traced:
    """A functional model with the same layers (and weights) as the subclassed ``model``, checked on random input.

    First ``model.call`` on a ``keras.Input``; then ``model.layers`` as a chain."""
    x = np.random.default_rng(0).uniform(0, 1, size=(2, *input_shape)).astype(dtype)
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    attempts = []
    for how, build in (("call traced on a keras.Input", _trace_call), ("layers chained in order", _trace_chain)):
        try:
            candidate = build(model, input_shape, dtype)
            got = keras.ops.convert_to_numpy(candidate(x, training=False))
        except Exception as exc:  # a call that is not symbolic-friendly: try the next way
            attempts.append(f"{how}: {exc.__class__.__name__}")
            continue
        if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-5):
            return Traced(candidate, how)
        attempts.append(f"{how}: a different output")
    raise NotTraceable("; ".join(attempts))


def _trace_call(model: keras.Model, input_shape: tuple, dtype: str) -> keras.Model:
    inputs = keras.Input(shape=input_shape, dtype=dtype)
    params = inspect.signature(model.call).parameters
    output = model.call(inputs, training=False) if "training" in params else model.call(inputs)
    return keras.Model(inputs, output)


def _trace_chain(model: keras.Model, input_shape: tuple, dtype: str) -> keras.Model:
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    if not layers:
        raise NotTraceable("no layers")
    inputs = keras.Input(shape=input_shape, dtype=dtype)
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def _unwrap(output: Any) -> Any:
    flat = tree.flatten(output)
    if len(flat) != 1:
        raise NotTraceable(f"the model has {len(flat)} outputs; cnnviz shows models with one class output.")
    return flat[0]


def _replay(model: keras.Model, inputs: list, graph: FlatGraph, parent: str) -> Any:
    if isinstance(model, keras.Sequential):
        x = inputs[0]
        for layer in model.layers:
            x = _call(layer, (x,), {}, graph, parent)
        return x
    if is_graph_model(model):
        return model._run_through_graph(inputs, operation_fn=lambda op: op,
                                        call_fn=lambda op, *a, **k: _call(op, a, k, graph, parent))
    traced = trace_subclassed(model, tuple(inputs[0].shape[1:]), inputs[0].dtype)  # a subclassed sub-model
    return _replay(traced.model, inputs, graph, parent)


def _call(op: Any, args: tuple, kwargs: dict, graph: FlatGraph, parent: str) -> Any:
    if isinstance(op, keras.layers.InputLayer):
        return args[0]
    if isinstance(op, keras.Model):  # a nested sub-model: its layers join the flat graph
        return _replay(op, tree.flatten(args[0]), graph, op.name)
    if not isinstance(op, keras.layers.Layer):  # a bare op (x + y on Keras tensors): no weights, no name to show
        return op(*args, **kwargs)
    name = _unique(op.name, graph.layers, parent)
    output = Alias(op, name=name)(*args, **kwargs)
    flat = tree.flatten(output)
    if len(flat) == 1:
        graph.layers[name] = Record(layer=op, output=flat[0], input=args[0] if args else None, parent=parent)
    return output


def _unique(name: str, taken: dict, parent: str) -> str:
    if name not in taken:
        return name
    base = f"{parent}.{name}" if parent else name
    candidate, i = base, 2
    while candidate in taken:
        candidate, i = f"{base}_{i}", i + 1
    return candidate
