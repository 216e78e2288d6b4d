"""Evidence that concepts are real: fidelity (removing them changes the prediction), stability (another fit
finds them again) and completeness (how much of the layer n concepts explain, beside PCA's rank-n limit).

>>> a = np.eye(3)[:2]
>>> match_dictionaries(a, a[::-1])["mean_cosine"]
1.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.display import shows

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

    def drop(which: np.ndarray) -> np.ndarray:
        part = coeff[np.arange(len(which)), :, :, which][..., None] * result.dictionary[which][:, None, None, :]
        edited = np.maximum(acts - part, 0)
        logits = logits_from(probe, result.layer, held["inputs"], edited)
        return base - logits[np.arange(len(targets)), targets]

    d_top, d_random = drop(top), drop(other)
    per_class = {int(c): [float(d_top[targets == c].mean()), float(d_random[targets == c].mean())]
                 for c in np.unique(targets)}
    mean_top, mean_random = float(d_top.mean()), float(d_random.mean())
    ratio = mean_top / mean_random if mean_random > 0 else float("inf")
    return {"top_drop": mean_top, "random_drop": mean_random, "ratio": ratio, "per_class": per_class,
            "images": int(len(targets))}


@dataclass
class Completeness:
    """R^2 on held-out images of an ``n``-concept dictionary and of PCA at the same ``n``, for each ``ns``."""

    layer: str
    ns: list[int]
    r2: list[float]
    pca_r2: list[float]
    images_seen: int = 0
    notes: list[str] = field(default_factory=list)


shows("cnnviz.concepts.plots:plot_concept_completeness")(Completeness)


def concept_completeness(layer: str, data: Any = None, ns: tuple[int, ...] = (4, 8, 16, 32), *, model: Any = None,
                         seed: int = 0, **kwargs: Any) -> Completeness:
    """R^2 of the reconstruction for each n in ``ns`` beside PCA's (the rank-n limit): helps choose n.

    >>> c = concept_completeness("conv2", ns=(2, 4))  # doctest: +SKIP
    >>> all(a <= p + 0.02 for a, p in zip(c.r2, c.pca_r2))  # doctest: +SKIP
    True
    """
    from .fit import concepts

    unknown = set(kwargs) - {"labels", "holdout_data", "holdout_labels", "holdout", "positions", "strategy",
                             "batch_size"}
    if unknown:
        raise TypeError(f"concept_completeness() got unexpected keyword arguments: {', '.join(sorted(unknown))}.")
    fits = [concepts(layer, data, n=int(n), model=model, seed=seed, visualize=False, evidence=False, k=1, **kwargs)
            for n in ns]
    return Completeness(layer=layer, ns=[int(n) for n in ns], r2=[f.r2 for f in fits], pca_r2=[f.pca_r2 for f in fits],
                        images_seen=fits[0].images_seen)


def stability(layer: str, data: Any = None, n: int = 8, *, model: Any = None, seeds: tuple[int, int] = (0, 1),
              **kwargs: Any) -> dict[str, Any]:
    """The dictionary fitted with two seeds, matched one to one: mean cosine (1: the same concepts).

    >>> stability("conv2", n=3)["mean_cosine"] > 0.8  # doctest: +SKIP
    True
    """
    from .fit import concepts

    a, b = (concepts(layer, data, n=n, model=model, seed=s, visualize=False, evidence=False, k=1, **kwargs)
            for s in seeds)
    return match_dictionaries(a.dictionary, b.dictionary)
