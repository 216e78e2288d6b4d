"""The layer table: one row per layer (name, type, output shape, parameters).

>>> from cnnviz.core.model import reference_model
>>> layer_table(reference_model())[0]["name"]
'conv1'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import keras

from .build import get_probe
from .graph import is_graph_model


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer: name, type, output shape, parameters: the tutorial's 28x28 -> 26x26 -> 13x13 ...

    A subclassed model's rows come from its traced layers (or one row for the whole model when it cannot
    be traced).

    >>> from cnnviz.core.model import reference_model
    >>> [row["output_shape"] for row in layer_table(reference_model())][:2]
    [(26, 26, 32), (13, 13, 32)]
    """
    if is_graph_model(model):
        return [_row(layer.name, layer, layer.output.shape) for layer in _layers(model)]
    probe = get_probe(model)
    model = probe.source  # a described model (cnnviz.describe): its Keras model
    if is_graph_model(model):
        return [_row(layer.name, layer, layer.output.shape) for layer in _layers(model)]
    if probe.opaque:
        return [_row(model.name, model, probe.model.outputs[0].shape)]
    return [_row(name, probe.layer(name), probe.tensor(name).shape) for name in probe.layer_names]


def _row(name: str, layer: keras.layers.Layer, shape: Any) -> dict[str, Any]:
    return {"name": name, "type": type(layer).__name__, "output_shape": tuple(shape[1:]),
            "parameters": int(layer.count_params())}


def _layers(model: keras.Model) -> Iterable[keras.layers.Layer]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]

__all__ = ["layer_table"]
