"""What cnnviz can show: one image input, one class output; :class:`ModelError` says what is not.

>>> import keras
>>> check_classifier(keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(2)]))
"""

from __future__ import annotations

from typing import Any

import keras


class ModelError(ValueError):
    """A model file could not be read, or is not an image classifier cnnviz can show."""


def check_classifier(model: Any, name: str = "the model") -> None:
    """Raise :class:`ModelError` unless ``model`` maps one image batch to one vector of class scores.

    >>> check_classifier("not a model")
    Traceback (most recent call last):
    ...
    cnnviz.core.checks.ModelError: the model is a str, not a Keras model.
    """
    if not isinstance(model, keras.Model):
        raise ModelError(f"{name} is a {type(model).__name__}, not a Keras model.")
    try:
        inputs, outputs = model.inputs or [], model.outputs or []
    except AttributeError:
        return  # a subclassed model: the probe traces it (or says what it cannot show)
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(f"{name} has {len(inputs)} inputs and {len(outputs)} outputs; cnnviz shows models with one image input and one class output.")
    in_shape, out_shape = tuple(inputs[0].shape), tuple(outputs[0].shape)
    if len(in_shape) != 4 or (in_shape[-1] not in (1, 3)):
        raise ModelError(f"{name} takes input of shape {in_shape}; cnnviz needs images (batch, height, width, 1 or 3 channels).")
    if len(out_shape) != 2 or (out_shape[-1] or 0) < 1:
        raise ModelError(f"{name} outputs shape {out_shape}; cnnviz needs a classifier that outputs (batch, classes) "
                         "(one sigmoid unit counts as two classes).")

__all__ = ["ModelError", "check_classifier"]
