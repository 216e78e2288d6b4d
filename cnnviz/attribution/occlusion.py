"""Occlusion (Zeiler and Fergus 2014): slide a patch of baseline pixels over the image and record how much
the target's logit drops; each pixel gets the mean drop of the patches that covered it.

>>> import cnnviz
>>> from cnnviz.core.build import get_probe
>>> probe = get_probe()
>>> x = probe.prepare(cnnviz.load_sample().x_test[:1])
>>> Occlusion(probe, patch=7, stride=7).attribute(x, [7]).shape
(1, 28, 28)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.probe import Probe
from .base import Method, register
from .gradients import _logits, baseline_batch


@register
class Occlusion(Method):
    """Drop of the target logit when a ``patch`` x ``patch`` square (moved by ``stride``) is set to ``baseline``."""

    name = "occlusion"
    title = "Occlusion"
    needs = ("baseline",)

    def __init__(self, probe: Probe, patch: int = 4, stride: int = 2, baseline: Any = None,
                 batch_size: int = 4096) -> None:
        super().__init__(probe)
        h, w, _ = probe.input_shape
        if not 1 <= int(patch) <= min(h, w) or int(stride) < 1:
            raise ValueError(f"patch must be 1..{min(h, w)} and stride at least 1; got patch={patch}, stride={stride}.")
        self.patch, self.stride, self.baseline, self.batch_size = int(patch), int(stride), baseline, int(batch_size)

    def attribute(self, inputs: np.ndarray, targets: Sequence[int]) -> np.ndarray:
        n, h, w = inputs.shape[:3]
        p, s = self.patch, self.stride
        ys = sorted(set(range(0, h - p + 1, s)) | {h - p})  # the last row/column of patches reaches the edge
        xs = sorted(set(range(0, w - p + 1, s)) | {w - p})
        masks = np.zeros((len(ys) * len(xs), h, w), bool)
        for k, (y, x) in enumerate((y, x) for y in ys for x in xs):
            masks[k, y:y + p, x:x + p] = True
        base = baseline_batch(self.probe, inputs, self.baseline)
        t = np.asarray(targets)
        full = _logits(self.probe, inputs, self.batch_size)[np.arange(n), t]
        m = len(masks)
        drops = np.empty((n, m), np.float32)
        per = max(1, self.batch_size // m)  # images per forward batch
        for start in range(0, n, per):
            sl = slice(start, min(start + per, n))
            x, b = inputs[sl, None], base[sl, None]  # (k, 1, H, W, C)
            occluded = np.where(masks[None, :, :, :, None], b, x).reshape((-1,) + inputs.shape[1:])
            logits = _logits(self.probe, occluded, self.batch_size).reshape(x.shape[0], m, -1)
            drops[sl] = full[sl, None] - np.take_along_axis(logits, t[sl, None, None], axis=2)[..., 0]
        counts = masks.sum(axis=0)
        return (np.tensordot(drops, masks.astype(np.float32), axes=(1, 0)) / np.maximum(counts, 1)).astype(np.float32)
