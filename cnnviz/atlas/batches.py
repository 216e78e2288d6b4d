"""The images of a dataset in batches, in dataset order (an array, an ``.npz``, an MNIST object or a
``tf.data.Dataset``), and each batch as shown ([0, 1]) and as the model takes it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from ..core.probe import Probe
from ..io.decode import DataError


def image_batches(data: Any, labels: Any, batch_size: int) -> tuple[Iterator[tuple[np.ndarray, np.ndarray | None]], str]:
    """Batches of (images, labels or None) in dataset order, and a name for the source."""
    if isinstance(data, tf.data.Dataset):
        def from_dataset():
            batched = data if _is_batched(data) else data.batch(batch_size)
            for element in batched.as_numpy_iterator():
                if isinstance(element, tuple):
                    yield element[0], (element[1] if len(element) > 1 else None)
                else:
                    yield element, None
        return from_dataset(), "tf.data.Dataset"
    source = "array"
    if isinstance(data, (str, os.PathLike)):
        from ..io.data import read_mnist_npz

        mnist = read_mnist_npz(data)
        source = Path(data).name
        data, labels = mnist.x_train, mnist.y_train
    if hasattr(data, "x_train"):  # an MNIST object: its training images
        source = Path(getattr(data, "source", "mnist")).name
        data, labels = data.x_train, data.y_train
    array = np.asarray(data)
    if array.ndim < 3:
        raise DataError(f"dataset_examples takes a batch of images (N, H, W[, C]); got shape {array.shape}.")
    if labels is not None and len(labels) != len(array):
        raise DataError(f"{len(labels)} labels for {len(array)} images; pass one label per image.")

    def from_array():
        for start in range(0, len(array), batch_size):
            yield array[start : start + batch_size], (None if labels is None else np.asarray(labels)[start : start + batch_size])
    return from_array(), source


def _is_batched(ds: tf.data.Dataset) -> bool:
    spec = ds.element_spec[0] if isinstance(ds.element_spec, tuple) else ds.element_spec
    return spec.shape.rank == 4 or (spec.shape.rank == 3 and spec.shape[-1] not in (1, 3))


def as_display(batch: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """uint8 0-255 or float 0-1 images -> float32 (N, H, W, C) in [0, 1]: :func:`cnnviz.io.images.pixels_batch`."""
    from ..io.images import pixels_batch

    return pixels_batch(batch, shape)


def as_model_input(probe: Probe, display: np.ndarray) -> np.ndarray:
    to_model = getattr(probe, "to_model", None)  # the model contract: [0, 1] -> the model's input range
    return np.asarray(to_model(display), dtype=np.float32) if to_model is not None else display
