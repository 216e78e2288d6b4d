"""Score a model on MNIST's test set: accuracy, loss, per-class accuracy, confusion matrix.

>>> import cnnviz
>>> report = cnnviz.evaluate(data="sample")
>>> report.accuracy > 0.95
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import keras
import numpy as np

from .data import MNIST, to_model_input
from .model import load_model
from .train import resolve_data


@dataclass(frozen=True)
class Evaluation:
    """Test accuracy and loss, accuracy per class, and the confusion matrix (rows: true, columns: predicted)."""

    accuracy: float
    loss: float
    per_class_accuracy: np.ndarray
    confusion: np.ndarray
    images: int
    source: str


def evaluate(model: keras.Model | str | os.PathLike | None = None,
             data: MNIST | str | os.PathLike | None = None, *, batch_size: int = 1000) -> Evaluation:
    """Evaluate ``model`` (default: the shipped one) on the test split of ``data`` (default: the full MNIST).

    >>> evaluate(data="sample").confusion.shape
    (10, 10)
    """
    if not isinstance(model, keras.Model):
        model = load_model(model)
    mnist = resolve_data(data)
    probs = model.predict(to_model_input(mnist.x_test), batch_size=batch_size, verbose=0)
    labels = mnist.y_test.astype(int)
    eps = 1e-7
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], eps, 1.0))))
    predicted = probs.argmax(axis=1)
    n = probs.shape[1]
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    totals = confusion.sum(axis=1)
    per_class = np.divide(np.diag(confusion), totals, out=np.zeros(n), where=totals > 0)
    return Evaluation(accuracy=float((predicted == labels).mean()), loss=loss, per_class_accuracy=per_class,
                      confusion=confusion, images=len(labels), source=mnist.source)
