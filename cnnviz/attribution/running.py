"""Running a method on a prepared batch: one target per image, ``CHUNK`` images per call.

>>> resolve_targets(None, [0, 0], None, np.array([[0.1, 0.9], [0.8, 0.2]]))
[1, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import Method

CHUNK = 256  # images per call: bounds the memory of noise tunnels and integrated gradients on big batches


def resolve_targets(probe: Any, inputs: np.ndarray, target: int | Sequence[int] | None,
                    probabilities: np.ndarray) -> list[int]:
    """One class per image: the predicted class when ``target`` is None, else ``target`` (one, or one per image)."""
    if target is None:
        return [int(i) for i in probabilities.argmax(axis=1)]
    raw = list(target) if isinstance(target, (list, tuple, np.ndarray, range)) else [target] * len(inputs)
    if len(raw) != len(inputs):
        raise ValueError(f"{len(raw)} targets for {len(inputs)} images: give one target, or one per image.")
    return [probe.check_class(t) for t in raw]


def run(instance: Method, inputs: np.ndarray, targets: Sequence[int], chunk: int = CHUNK) -> np.ndarray:
    """Raw maps (N, H, W) of ``instance`` for a prepared batch, ``chunk`` images at a time."""
    parts = [np.asarray(instance.attribute(inputs[s:s + chunk], list(targets[s:s + chunk])), np.float32)
             for s in range(0, len(inputs), chunk)]
    return np.nan_to_num(np.concatenate(parts))
