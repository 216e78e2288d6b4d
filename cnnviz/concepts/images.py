"""Each concept's feature visualization: the optvis engine climbing the concept's direction at the layer.

All concepts are drawn as one batch by one compiled loop: image ``i`` climbs the mean over positions of the
layer's activation projected on concept ``i``'s unit direction (Lucid's ``direction`` objective, one per
target), scaled so that a typical held-out image scores 1. With the data prior (a generator of MNIST digits)
where the model has one; else a Fourier image with jitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from ..optvis.objectives import Context, Objective, latent_l2
from ..optvis.param import Param, fourier, generator
from ..optvis.render import render
from ..optvis.transforms import jitter

PRIOR_LATENT_WEIGHT = 0.5  #: latent penalty against a direction score of ~1 on a typical image
STEPS = {"generator": 80, "fourier": 128}
LEARNING_RATE = {"generator": 0.1, "fourier": 0.05}


@dataclass(frozen=True)
class ConceptDirections(Objective):
    """Image ``i`` scores the mean over positions of ``layer`` projected on row ``targets[i]`` of a matrix held in
    a variable (so refitting the dictionary does not trace the loop again); equal by (layer, shape)."""

    layer: str
    shape: tuple[int, int]
    matrix: Any = field(compare=False, hash=False, repr=False)

    def score(self, ctx: Context) -> tf.Tensor:
        a = ctx.activations[self.layer]
        mean = tf.reduce_mean(a, axis=(1, 2))  # (B, C)
        rows = tf.gather(self.matrix, ctx.targets)  # (B, C)
        return tf.reduce_sum(mean * rows, axis=1)

    def tensors(self) -> set[str]:
        return {self.layer}

    @property
    def description(self) -> str:
        return f"concept directions at {self.layer!r}"


def _objective(probe: Any, layer: str, rows: np.ndarray) -> ConceptDirections:
    key = ("concept-directions", layer, rows.shape)
    if key not in probe.cache:  # one variable per (layer, n): bounded
        probe.cache[key] = tf.Variable(np.zeros(rows.shape, np.float32), trainable=False)
    probe.cache[key].assign(rows.astype(np.float32))
    return ConceptDirections(layer, tuple(rows.shape), probe.cache[key])


def visualize(result: Any, probe: Any, *, seed: int = 0, steps: int | None = None) -> tuple[np.ndarray, str]:
    """(n, H, W, C) images in [0, 1], one per concept, and a note ("" when all rose)."""
    from ..maximize import data_prior_available

    unit = result.dictionary / np.maximum(np.linalg.norm(result.dictionary, axis=1, keepdims=True), 1e-12)
    acts = result._holdout["acts"]
    typical = np.maximum(acts.mean(axis=(1, 2)) @ unit.T, 0).mean(axis=0)  # (n,) a typical image's score
    rows = unit / np.maximum(typical, 1e-6)[:, None]
    spec: Objective = _objective(probe, result.layer, rows)
    if data_prior_available(probe):
        param: Param = generator("mnist")
        spec = spec - PRIOR_LATENT_WEIGHT * latent_l2()
        transforms: tuple = ()
    else:
        param, transforms = fourier(), (jitter(2),)
    name = param.name
    out = render(probe, spec, param, transforms, list(range(result.n)), steps=steps or STEPS[name],
                 learning_rate=LEARNING_RATE[name], seed=seed)
    start, end = out.scores[0], out.scores[-1]
    flat = [i for i in range(result.n) if not end[i] > start[i] + 1e-6]
    how = "data prior (natural digits)" if name == "generator" else "Fourier pixels, no data prior"
    note = f"feature visualizations: {how}"
    if flat:
        note += f"; concepts {', '.join(map(str, flat))} did not rise (their images show a start, not the concept)"
    return out.images, note
