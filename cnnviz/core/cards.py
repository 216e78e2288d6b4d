"""The model card: the facts cnnviz keeps about a model (the card it was loaded with, what the user said) and the
JSON files saved beside a model file (``<name>.card.json``, ``<name>.history.json``).

>>> read_sidecar(None, "card")["parameters"]
34826
"""

from __future__ import annotations

import json
import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .pretrained import PRETRAINED_NAME, pretrained_dir

if TYPE_CHECKING:  # reading a card beside a file needs no TensorFlow (the dashboard's first page)
    import keras

# facts cnnviz keeps about a model object: the card it was loaded with, and what the user said (input_range)
_cards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_remembered: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def card_of(model: keras.Model) -> dict | None:
    """The card a model was loaded with, merged with what the user told cnnviz about it (``input_range``).

    >>> from cnnviz.core.model import load_model, reference_model
    >>> card_of(load_model())["parameters"]
    34826
    """
    card = dict(_cards.get(model) or {})
    card.update(_remembered.get(model) or {})
    return card or None


def remember(model: keras.Model, **facts: Any) -> None:
    """Keep ``facts`` (``input_range=(lo, hi)``, ``class_names=[...]``) with ``model``; saved into its card.

    >>> from cnnviz.core.model import reference_model
    >>> m = reference_model(); remember(m, input_range=(0, 255)); card_of(m)["input_range"]
    [0.0, 255.0]
    """
    entry = _remembered.setdefault(model, {})
    for key, value in facts.items():
        entry[key] = [float(v) for v in value] if key == "input_range" else list(value)


def keep_card(model: keras.Model, card: dict) -> None:
    """Keep the card ``model`` was loaded with (read back by :func:`card_of`)."""
    _cards[model] = card


def said(model: keras.Model) -> dict:
    """What the user told cnnviz about ``model`` (:func:`remember`), saved into its card."""
    return dict(_remembered.get(model) or {})


def sidecar(path: str | os.PathLike, kind: str) -> Path:
    """The JSON file saved beside a model: ``kind`` is 'history' or 'card'.

    >>> sidecar("out/model.keras", "history").name
    'model.history.json'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.{kind}.json")


def read_sidecar(path: str | os.PathLike | None, kind: str) -> dict | None:
    """The history or card saved beside a model (``None`` path: the shipped model's), or None.

    >>> read_sidecar(None, "card")["test_accuracy"] >= 0.992
    True
    """
    model_path = pretrained_dir() / PRETRAINED_NAME if path is None else Path(path)
    file = sidecar(model_path, kind)
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text())
    except (OSError, json.JSONDecodeError):
        return None
