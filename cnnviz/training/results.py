"""What a training run leaves: :class:`TrainResult`, and the model, history and card saved together.

>>> load_card()["parameters"]
34826
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf

from ..core.cards import read_sidecar, sidecar
from ..core.display import shows
from ..core.saving import save_model
from ..io.data import MNIST
from ..io.files import write_json
from .recipes import Recipe


@shows("cnnviz.notebook:_plot_train_result")  # drawn by this figure when it ends a notebook cell
@dataclass
class TrainResult:
    """What :func:`train` returns: the model, its per-epoch history, and the test score when computed."""

    model: keras.Model
    history: dict[str, list[float]]
    recipe: Recipe
    seconds: float
    test_loss: float | None = None
    test_accuracy: float | None = None
    path: Path | None = None
    card: dict[str, Any] = field(default_factory=dict)


def save_trained(result: TrainResult, path: str | os.PathLike) -> Path:
    """Save a trained model with ``<name>.history.json`` and ``<name>.card.json`` beside it, all atomically.

    >>> from cnnviz.training.loop import train
    >>> r = train("sample", epochs=1, verbose=0)
    >>> save_trained(r, "my_model.keras").name
    'my_model.keras'
    """
    path = Path(path)
    save_model(result.model, path)
    write_json(result.history, sidecar(path, "history"))
    write_json(result.card, sidecar(path, "card"))
    return path


def model_card(result: TrainResult, mnist: MNIST, **settings: Any) -> dict[str, Any]:
    """The facts of a training run as a JSON-able dict."""
    import platform

    return {
        "model": result.model.name,
        "parameters": int(result.model.count_params()),
        "test_accuracy": result.test_accuracy,
        "test_loss": result.test_loss,
        "recipe": result.recipe.name,
        "recipe_description": result.recipe.description,
        "epochs_run": len(result.history.get("loss", [])),
        "seconds": round(result.seconds, 1),
        "data": {"source": Path(mnist.source).name, "sha256": mnist.sha256(), "train_images": int(len(mnist.x_train)),
                 "test_images": int(len(mnist.x_test))},
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count(),
                    "gpus": settings.pop("devices", [])},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version()},
        "settings": settings,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def load_history(path: str | os.PathLike | None = None) -> dict[str, list[float]] | None:
    """The training history saved beside a model (``None``: the shipped model's).

    >>> len(load_history()["accuracy"]) >= 1
    True
    """
    return read_sidecar(path, "history")


def load_card(path: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The model card saved beside a model (``None``: the shipped model's).

    >>> load_card()["parameters"]
    34826
    """
    return read_sidecar(path, "card")

__all__ = ["TrainResult", "save_trained", "load_history", "load_card"]
