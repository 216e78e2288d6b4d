"""Evidence that needs new fits: completeness (how much of the layer n concepts explain, beside PCA's rank-n
limit) and stability (another seed finds the same concepts).

>>> import cnnviz
>>> stability("conv2", n=3)["mean_cosine"] > 0.8  # doctest: +SKIP
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.display import shows
from .evidence import match_dictionaries
from .fit import concepts


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
    a, b = (concepts(layer, data, n=n, model=model, seed=s, visualize=False, evidence=False, k=1, **kwargs)
            for s in seeds)
    return match_dictionaries(a.dictionary, b.dictionary)
