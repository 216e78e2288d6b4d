"""Score a model on labelled images: accuracy, loss, per-class accuracy, confusion matrix.

The data can be MNIST (default: the full test set; ``"sample"``: the bundled one), arrays ``(x, y)``,
an ``.npz`` file, a ``tf.data.Dataset`` of ``(x, y)`` batches, or a folder with one sub-folder per
class (Keras' ``image_dataset_from_directory`` layout). Images go through the probe (the model's
input range, size and channels); what had to be adapted is said in ``Evaluation.notes``. The loss is
the one Keras computes for the model's output kind (probabilities, logits or sigmoid), so it equals
``model.evaluate`` with that loss compiled.

>>> import cnnviz
>>> report = cnnviz.evaluate(data="sample")
>>> report.accuracy > 0.95
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .core.build import get_probe
from .core.display import shows
from .core.probe import Probe
from .io.data import MNIST
from .io.decode import DataError


@shows("cnnviz.plots:plot_confusion")  # drawn by this figure when it ends a notebook cell
@dataclass(frozen=True)
class Evaluation:
    """Test accuracy and loss, accuracy per class, and the confusion matrix (rows: true, columns: predicted).

    ``loss_name``: the Keras loss used (matching the model's output kind); ``notes``: how the data was adapted
    to the model (grey -> RGB, resize, ...); ``class_names``: the model's classes (or the folder names)."""

    accuracy: float
    loss: float
    per_class_accuracy: np.ndarray
    confusion: np.ndarray
    images: int
    source: str
    loss_name: str = ""
    output_kind: str = ""
    class_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def loss_for(probe: Probe) -> keras.losses.Loss:
    """The Keras loss for the model's output kind, computed from the probe's logits as ``model.evaluate`` does
    (Keras reads a softmax or sigmoid output's logits, so confident mistakes are not clipped at 1e-7).

    >>> type(loss_for(get_probe())).__name__
    'SparseCategoricalCrossentropy'
    """
    if probe.binary or probe.output_kind == "sigmoid":  # one unit (two classes), or independent sigmoid units
        return keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)


def evaluate(model: keras.Model | Probe | str | os.PathLike | None = None, data: Any = None, *,
             batch_size: int = 500, input_range: tuple[float, float] | None = None) -> Evaluation:
    """Evaluate ``model`` (default: the shipped one) on ``data`` (default: the full MNIST test set).

    ``data``: ``"sample"``, an MNIST object or mnist.npz path, ``(x, y)`` arrays, any ``.npz`` with
    ``x_test``/``y_test`` (or ``x``/``y``), a ``tf.data.Dataset`` of ``(x, y)``, or a class-per-folder directory.

    >>> evaluate(data="sample").confusion.shape
    (10, 10)
    """
    from .core.model import load_model

    if not isinstance(model, (keras.Model, Probe)) and model is not None:
        model = load_model(model)
    probe = get_probe(model, input_range=input_range)
    batches, source, names = _batches(data, probe, batch_size)
    loss_fn = loss_for(probe)
    losses, predicted, labels, notes = [], [], [], list(probe.warnings)
    n = probe.num_classes
    for x, y in batches:
        prepared, batch_notes = probe.prepare_with_notes(x)
        notes += [m for m in batch_notes if m not in notes]
        y = _labels(y, len(prepared), n)
        raw, probs = probe.classify(prepared, batch_size)
        target = _loss_target(probe, y, n)
        if probe.binary:  # logits (0, z): the single unit's logit is z
            raw = raw[:, 1:] - raw[:, :1]
        losses.append(keras.ops.convert_to_numpy(loss_fn(target, raw)).reshape(len(y), -1).mean(axis=1))
        predicted.append(probs.argmax(axis=1))
        labels.append(y)
    if not labels:
        raise DataError(f"{source} holds no images to evaluate.")
    labels_all, predicted_all = np.concatenate(labels), np.concatenate(predicted)
    confusion = np.zeros((n, n), dtype=np.int64)
    np.add.at(confusion, (labels_all, predicted_all), 1)
    totals = confusion.sum(axis=1)
    per_class = np.divide(np.diag(confusion), totals, out=np.zeros(n), where=totals > 0)
    if probe.input_range_assumed:
        notes.append(f"input range [{probe.input_range[0]:g}, {probe.input_range[1]:g}] is assumed (nothing in the "
                     "model says); pass input_range= if it was trained on other values")
    return Evaluation(accuracy=float((predicted_all == labels_all).mean()), loss=float(np.concatenate(losses).mean()),
                      per_class_accuracy=per_class, confusion=confusion, images=len(labels_all), source=source,
                      loss_name=type(loss_fn).__name__, output_kind=probe.output_kind,
                      class_names=names or list(probe.class_names), notes=notes)


def _loss_target(probe: Probe, y: np.ndarray, n: int) -> np.ndarray:
    if probe.binary:
        return y.astype(np.float32)[:, None]
    if probe.output_kind == "sigmoid":
        return np.eye(n, dtype=np.float32)[y]
    return y


def _labels(y: Any, count: int, n: int) -> np.ndarray:
    y = np.asarray(y.numpy() if hasattr(y, "numpy") else y)
    if y.ndim == 2 and y.shape[1] == n and n > 1:  # one-hot
        y = y.argmax(axis=1)
    y = y.reshape(-1)
    if len(y) != count:
        raise DataError(f"{len(y)} labels for {count} images: give one class index per image.")
    if not np.all(np.isfinite(y.astype(np.float64))) or np.any(y != np.round(y)):
        raise DataError("labels must be whole class indices (0, 1, 2, ...) or one-hot rows.")
    y = y.astype(np.int64)
    if y.size and (y.min() < 0 or y.max() >= n):
        raise DataError(f"the labels go from {y.min()} to {y.max()}, but this model has {n} classes (0..{n - 1}); "
                        "pass data whose labels are this model's class indices.")
    return y


# --------------------------------------------------------------------------- data sources


def _batches(data: Any, probe: Probe, batch_size: int) -> tuple[Iterator, str, list[str] | None]:
    """(iterator of (x, y) batches, a description of the source, class names from the data or None)."""
    if isinstance(data, tuple) and len(data) == 2:
        x, y = data
        return _chunks(np.asarray(x), np.asarray(y), batch_size), f"{len(x)} given images", None
    if _is_dataset(data):
        return _dataset_batches(data), "a tf.data.Dataset", None
    if isinstance(data, (str, os.PathLike)) and data != "sample" and Path(data).expanduser().is_dir():
        return _folder(Path(data).expanduser(), probe, batch_size)
    if isinstance(data, (str, os.PathLike)) and data != "sample":
        path = Path(data).expanduser()
        arrays = _npz_arrays(path)
        if arrays is not None:
            x, y = arrays
            return _chunks(x, y, batch_size), str(path), None
    mnist = _mnist(data)
    return _chunks(mnist.x_test, mnist.y_test, batch_size), mnist.source, None


def _mnist(data: Any) -> MNIST:
    from .io.data import resolve_data

    return resolve_data(data)


def _chunks(x: np.ndarray, y: np.ndarray, batch_size: int) -> Iterator:
    if len(x) != len(y):
        raise DataError(f"{len(y)} labels for {len(x)} images: give one label per image.")
    for start in range(0, len(x), batch_size):
        yield x[start : start + batch_size], y[start : start + batch_size]


def _is_dataset(data: Any) -> bool:
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover
        return False
    return isinstance(data, tf.data.Dataset)


def _dataset_batches(dataset) -> Iterator:
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) >= 2):
        raise DataError("the tf.data.Dataset must yield (images, labels) pairs, as model.evaluate takes them.")
    batched = len(spec[0].shape) == 4 or (len(spec[0].shape) == 3 and spec[0].shape[-1] not in (1, 3, 4))
    for item in dataset if batched else dataset.batch(256):
        yield item[0].numpy(), item[1].numpy()


def _npz_arrays(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(x, y) from an .npz with x_test/y_test, x/y or images/labels; None for a file that is not an npz."""
    import zipfile

    if not path.is_file():
        raise DataError(f"data file {path} does not exist.")
    if not zipfile.is_zipfile(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            for xk, yk in (("x_test", "y_test"), ("x", "y"), ("images", "labels")):
                if xk in f.files and yk in f.files:
                    return f[xk], f[yk]
            keys = ", ".join(f.files) or "nothing"
    except ValueError as exc:
        raise DataError(f"{path} could not be read without unpickling ({exc}); save plain arrays with numpy.savez.") from None
    raise DataError(f"{path} has no images and labels cnnviz knows (it has: {keys}); use keys x_test and y_test, "
                    "or x and y.")


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def _folder(path: Path, probe: Probe, batch_size: int) -> tuple[Iterator, str, list[str]]:
    """A class-per-folder directory, read like keras.utils.image_dataset_from_directory (classes sorted by name)."""
    classes = sorted(d.name for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(f"{path} has no sub-folders; put the images of each class in a folder of its own "
                        "(e.g. data/cat/*.png, data/dog/*.png), as keras.utils.image_dataset_from_directory reads.")
    if len(classes) > probe.num_classes:
        raise DataError(f"{path} has {len(classes)} class folders ({', '.join(classes[:12])}) but the model has "
                        f"{probe.num_classes} classes.")
    files = [(f, i) for i, c in enumerate(classes) for f in sorted((path / c).iterdir())
             if f.suffix.lower() in IMAGE_SUFFIXES]
    if not files:
        raise DataError(f"{path}: no images ({', '.join(IMAGE_SUFFIXES)}) in its class folders.")

    def batches():
        for start in range(0, len(files), batch_size):
            chunk = files[start : start + batch_size]
            x = np.concatenate([probe.prepare(str(f)) for f, _ in chunk])
            yield x, np.array([i for _, i in chunk])

    return batches(), f"{path} ({len(files)} images in {len(classes)} class folders)", classes


__all__ = ["Evaluation", "evaluate"]
