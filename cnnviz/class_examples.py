"""The dataset images each class's logit is highest for: the natural examples to show next to class images.

>>> ex = class_examples(6, k=1)
>>> ex.classes, ex.logits.shape
([6], (1, 1))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from .core.batches import FORWARD_BATCH
from .core.build import get_probe
from .core.options import public
from .core.probe import Probe
from .maximize import as_list


@dataclass
class ClassExamples:
    """Dataset images that a class's logit is highest for, strongest first: ``images`` (classes, k, H, W, C)
    in the display range, ``logits`` (classes, k), ``indices`` (classes, k) into the images searched."""

    classes: list[int]
    images: np.ndarray
    logits: np.ndarray
    indices: np.ndarray


#: images per forward call (small: oneDNN keeps memory per concurrent batch, :mod:`cnnviz.core.batches`)
BATCH = FORWARD_BATCH


def class_examples(classes: int | Sequence[int] | None = None, k: int = 4, *, images: Any = None,
                   model: keras.Model | Probe | None = None) -> ClassExamples:
    """The ``k`` dataset images (default: the bundled test sample) with the highest logit for each class: the
    model-free comparison people read best (Borowski et al., ICLR 2021: natural examples predict a unit's
    response better than synthetic images). Show them next to the class images.

    >>> ex = class_examples([3, 6], k=2)
    >>> ex.images.shape
    (2, 2, 28, 28, 1)
    """
    probe = get_probe(model)
    classes = list(range(min(10, probe.num_classes))) if classes is None else [probe.check_class(c) for c in as_list(classes)]
    if images is None:
        from .io.data import load_sample

        images = load_sample().x_test
    batch = probe.prepare(images)
    logits = np.concatenate([keras.ops.convert_to_numpy(probe.logits_model(batch[i:i + BATCH], training=False))
                             for i in range(0, len(batch), BATCH)])
    k = int(min(k, len(batch)))
    order = np.argsort(-logits[:, classes], axis=0)[:k].T  # (classes, k)
    display = np.clip(probe.to_display(batch), 0, 1)
    return ClassExamples(classes=classes, images=display[order], logits=np.take_along_axis(logits[:, classes].T, order, 1),
                         indices=order)


__all__ = ["ClassExamples", "class_examples"]

#: unknown keyword options are one-line errors (cnnviz.core.options), as in every public call
class_examples = public(class_examples)
