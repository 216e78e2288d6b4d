"""Evidence that concepts are real, from one fit: fidelity (removing them changes the prediction) and the matching
of two dictionaries (stability). The checks that fit again are in :mod:`cnnviz.concepts.refit`.

>>> a = np.eye(3)[:2]
>>> match_dictionaries(a, a[::-1])["mean_cosine"]
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: ratio of the logit drop (top concept / random concept) below which the figure says the concepts are doubtful
FIDELITY_GOAL = 3.0
STABILITY_GOAL = 0.9


def match_dictionaries(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Mean cosine of the best one-to-one matching between the rows of two dictionaries (Hungarian algorithm).

    >>> match_dictionaries(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 2.0], [1.0, 1.0]]))["pairs"]
    [[0, 1], [1, 0]]
    """
    from scipy.optimize import linear_sum_assignment

    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    unit_a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    unit_b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    cos = unit_a @ unit_b.T
    rows, cols = linear_sum_assignment(-cos)
    matched = cos[rows, cols]
    return {"mean_cosine": round(float(matched.mean()), 6), "cosines": matched.tolist(),
            "pairs": [[int(r), int(c)] for r, c in zip(rows, cols)]}


def fidelity(result: Any, seed: int = 0) -> dict[str, Any]:
    """Over the held-out images of each class: that class's logit drop when its most important concept is projected
    out of the layer (its coefficient times its dictionary row subtracted, clipped at 0 as the layer's output is
    non-negative, then the rest of the network run), against the drop for a random other concept (seeded).

    Returns per-class mean drops and the overall means and ratio (top / random).
    """
    from .tail import logits_from

    held = result._holdout
    probe, acts, coeff, targets = result._probe, held["acts"], held["coeff"], held["targets"]
    base = held["logits"][np.arange(len(targets)), targets]
    top = result.top_concepts()[targets]  # each image's class's top concept
    rng = np.random.default_rng(seed)
    other = (top + rng.integers(1, result.n, len(targets))) % result.n  # a random concept other than the top one

    def drop(which: np.ndarray, batch: int = 256) -> np.ndarray:  # in batches: no full copy of the activations
        out = np.zeros(len(which), np.float32)
        for i in range(0, len(which), batch):
            k = which[i:i + batch]
            rows = np.arange(i, i + len(k))
            part = coeff[rows, :, :, k][..., None] * result.dictionary[k][:, None, None, :]
            edited = np.maximum(acts[i:i + len(k)] - part, 0)
            logits = logits_from(probe, result.layer, held["inputs"][i:i + len(k)], edited)
            out[i:i + len(k)] = base[i:i + len(k)] - logits[np.arange(len(k)), targets[i:i + len(k)]]
        return out

    d_top, d_random = drop(top), drop(other)
    per_class = {int(c): [float(d_top[targets == c].mean()), float(d_random[targets == c].mean())]
                 for c in np.unique(targets)}
    mean_top, mean_random = float(d_top.mean()), float(d_random.mean())
    ratio = mean_top / mean_random if mean_random > 0 else float("inf")
    return {"top_drop": mean_top, "random_drop": mean_random, "ratio": ratio, "per_class": per_class,
            "images": int(len(targets))}
