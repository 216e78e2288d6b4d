"""Faithfulness: does removing the pixels a map calls important change the model's answer?

Deletion (Petsiuk et al. 2018, RISE): set pixels to the baseline in order of decreasing attribution, in
28 equal steps from 0% to 100% of the pixels, and follow the softmax of the class the model predicted on
the untouched image. A faithful map makes it fall fast: a LOW area under the curve is good. Insertion
starts from the blank image and puts the pixels back in the same order: a HIGH area is good. The area is
the mean of the 29 points. A random order is always there as the row to beat; ties in a map are broken
in that same random order, so a constant map scores exactly like random order.

>>> import cnnviz
>>> result = faithfulness(cnnviz.load_sample().x_test[:4], methods=["saliency"])
>>> sorted(result.auc)
['random', 'saliency']
>>> result.curves["saliency"].shape
(4, 29)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from ..core.build import get_probe
from ..core.probe import Probe
from .base import Method, get_method, options_for
from .gradients import _logits, blank

STEPS = 28
METRICS = ("deletion", "insertion")


@dataclass
class Faithfulness:
    """Per-method curves (N images, 29 points) and areas, for ``metric`` ("deletion": lower is better;
    "insertion": higher is better). ``random`` is the baseline row."""

    metric: str
    fractions: np.ndarray
    curves: dict[str, np.ndarray]
    targets: np.ndarray
    titles: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def auc(self) -> dict[str, np.ndarray]:
        """Area under each image's curve (the mean of its 29 points), per method."""
        return {name: curve.mean(axis=1) for name, curve in self.curves.items()}

    def better_than_random(self, name: str) -> bool:
        """Whether ``name``'s mean area beats random order's in this metric's direction."""
        a, r = self.auc[name].mean(), self.auc["random"].mean()
        return bool(a < r) if self.metric == "deletion" else bool(a > r)

    def table(self) -> list[dict[str, Any]]:
        """One row per method: mean area, its spread over the images, and whether it beats random order."""
        rows = []
        for name, areas in self.auc.items():
            rows.append({"method": name, "title": self.titles.get(name, name), "auc": float(areas.mean()),
                         "std": float(areas.std()), "beats_random": None if name == "random" else self.better_than_random(name)})
        return rows


def baseline_for(probe: Probe, inputs: np.ndarray, baseline: Any = None) -> np.ndarray:
    """What a removed pixel becomes, in the model's range: ``baseline`` if given; black for one-channel
    (MNIST-like) models; else each image's per-channel mean."""
    if baseline is not None:
        b = np.asarray(baseline, np.float32)
        return np.broadcast_to(b if b.ndim != inputs.ndim - 1 else b[None], inputs.shape).astype(np.float32)
    if inputs.shape[-1] == 1:
        return blank(probe, inputs)
    return np.broadcast_to(inputs.mean(axis=(1, 2), keepdims=True), inputs.shape).astype(np.float32)


def random_orders(n: int, pixels: int, seed: int) -> np.ndarray:
    """One random permutation of the pixels per image, from a local generator."""
    rng = np.random.default_rng(seed)
    return np.argsort(rng.random((n, pixels)), axis=1)


def orders_from_maps(maps: np.ndarray, tie_break: np.ndarray) -> np.ndarray:
    """Pixels by decreasing attribution, ties broken in ``tie_break``'s order (one permutation per image)."""
    flat = maps.reshape(len(maps), -1)
    permuted = np.take_along_axis(flat, tie_break, axis=1)
    within = np.argsort(-permuted, axis=1, kind="stable")
    return np.take_along_axis(tie_break, within, axis=1)


def curves_for_orders(probe: Probe, inputs: np.ndarray, base: np.ndarray, orders: np.ndarray, targets: np.ndarray,
                      metric: str, steps: int = STEPS, batch_size: int = 2048) -> np.ndarray:
    """Softmax of ``targets`` after each of the ``steps`` + 1 stages of deletion or insertion, (N, steps + 1)."""
    n, h, w, c = inputs.shape
    pixels = h * w
    counts = np.round(np.linspace(0, pixels, steps + 1)).astype(int)
    rank = np.empty_like(orders)
    np.put_along_axis(rank, orders, np.arange(pixels)[None].repeat(n, 0), axis=1)  # rank[i, p]: when p goes
    out = np.empty((n, steps + 1), np.float32)
    per = max(1, batch_size // (steps + 1))
    for start in range(0, n, per):
        sl = slice(start, min(start + per, n))
        changed = rank[sl, None, :] < counts[None, :, None]  # (k, steps+1, pixels)
        if metric == "insertion":
            changed = ~changed
        changed = changed.reshape(-1, steps + 1, h, w, 1)
        batch = np.where(changed, base[sl, None], inputs[sl, None]).reshape(-1, h, w, c)
        logits = _logits(probe, batch, batch_size).reshape(-1, steps + 1, probe.num_classes)
        probs = _softmax(logits)
        out[sl] = np.take_along_axis(probs, targets[sl, None, None].repeat(steps + 1, 1), axis=2)[..., 0]
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def faithfulness(images: Any, methods: Sequence[str | type[Method]] = ("saliency", "gradcam", "ig"), *,
                 metric: str = "deletion", model: keras.Model | None = None, baseline: Any = None,
                 maps: dict[str, np.ndarray] | None = None, seed: int = 0, steps: int = STEPS,
                 **options: Any) -> Faithfulness:
    """Deletion or insertion curves of each method on ``images`` (plus random order), batched.

    ``maps`` adds precomputed maps (name -> (N, H, W)) as extra rows; ``options`` go to the methods
    (see :func:`cnnviz.attribute`).

    >>> import cnnviz
    >>> r = faithfulness(cnnviz.load_sample().x_test[:2], methods=["gradcam"], metric="insertion")
    >>> r.fractions[[0, -1]].tolist()
    [0.0, 1.0]
    """
    import time

    from .running import resolve_targets, run

    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use 'deletion' or 'insertion'.")
    if int(steps) < 1:
        raise ValueError(f"steps must be at least 1; got {steps}.")
    probe = get_probe(model)
    classes = [get_method(m) for m in methods]  # unknown names fail before any work
    # each method gets the options it takes; one that none of them takes is an error, before the work
    instances = [cls(probe, **o) for cls, o in zip(classes, options_for(classes, options))]
    inputs = probe.prepare(images)
    n, h, w, _ = inputs.shape
    for name, m in (maps or {}).items():
        if np.shape(m) != (n, h, w):
            raise ValueError(f"maps[{name!r}] has shape {np.shape(m)}; expected {(n, h, w)} (one map per image).")
    probs = _softmax(_logits(probe, inputs))
    targets = np.asarray(resolve_targets(probe, inputs, None, probs))
    base = baseline_for(probe, inputs, baseline)
    random = random_orders(n, h * w, seed)
    curves: dict[str, np.ndarray] = {}
    titles: dict[str, str] = {"random": "Random order"}
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    curves["random"] = curves_for_orders(probe, inputs, base, random, targets, metric, steps)
    seconds["random"] = time.perf_counter() - t0
    named = [(cls.name, cls.title, inst) for cls, inst in zip(classes, instances)]
    for name, title, inst in named:
        t0 = time.perf_counter()
        raw = np.abs(run(inst, inputs, list(targets)))
        curves[name] = curves_for_orders(probe, inputs, base, orders_from_maps(raw, random), targets, metric, steps)
        titles[name], seconds[name] = title, time.perf_counter() - t0
    for name, m in (maps or {}).items():
        curves[name] = curves_for_orders(probe, inputs, base, orders_from_maps(np.asarray(m), random), targets,
                                         metric, steps)
        titles[name] = name
    return Faithfulness(metric=metric, fractions=np.linspace(0, 1, steps + 1), curves=curves, targets=targets,
                        titles=titles, seconds=seconds)
