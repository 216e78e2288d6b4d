"""Save a model as a ``.keras`` file atomically, with its card beside it.

>>> from cnnviz.core.model import reference_model
>>> save_model(reference_model(), "model.keras").name
'model.keras'
"""

from __future__ import annotations

import os
from pathlib import Path

import keras

from ..io.files import atomic_path, write_json
from .cards import read_sidecar, said, sidecar
from .checks import ModelError
from .probe import Probe


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save ``model`` as a ``.keras`` file atomically: an interrupted save leaves the old file intact. A described
    model (:func:`cnnviz.describe`) is saved with its range, class names and convention in the card beside it.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelError(f"save to a '.keras' file (got {path.name}); Keras 3 saves models in its .keras format.")
    told = {}
    if isinstance(model, Probe):  # a described model (cnnviz.describe): what the user said goes into the card
        told = {"input_range": [float(v) for v in model.input_range], "class_names": list(model.class_names),
                "convention": model.convention}
        model = model.source
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    facts = {**said(model), **told}
    if facts:  # what the user told cnnviz (input_range=...) goes into the card beside the file
        card = read_sidecar(path, "card") or {}
        write_json({**card, **facts}, sidecar(path, "card"))
    return path

__all__ = ["save_model"]
