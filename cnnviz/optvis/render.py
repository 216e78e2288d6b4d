"""The compiled optimization loop: objective + parameterisation + transforms -> images.

One ``tf.function`` around a ``tf.while_loop`` runs a whole batch (every target, every copy) for all
steps; Adam is written out inside it (its state as loop variables, no ``tf.Variable``), so one trace
serves every target, seed, step count, learning rate and penalty weight. The cache key is the
*value* of (objective skeleton, parameterisation, transforms): two equal objectives share a loop.

The image is made in the display range [0, 1] and mapped to the model's input range inside the
graph (``lo + (hi - lo) * image``), so one learning rate works for a model that takes [0, 1],
[-1, 1] or 0-255 pixels.

>>> from cnnviz.core.build import get_probe
>>> from cnnviz.optvis import objectives as obj, param
>>> out = render(get_probe(), obj.class_logit(), param.pixels(), (), [6], steps=30)
>>> out.images.shape, out.scores.shape
((1, 28, 28, 1), (30, 1))
"""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..core.batches import FORWARD_BATCH
from ..core.compiled import compiled
from . import transforms as tfm
from .objectives import Context, Objective, evaluate, skeleton
from .param import Param

#: A run longer than this is refused (a typo such as 100000000 would otherwise run for hours).
MAX_STEPS = 20_000
#: The score trace keeps at most this many rows (every k-th step on longer runs).
MAX_TRACE = 1_000
#: Compiled loops kept per renderer (objectives come from free text: one loop per distinct skeleton); the least
#: recently used goes first. Tracing one again costs about a second on the shipped model.
MAX_LOOPS = 16
#: Renderers (one per set of tensors read) kept per probe, least recently used first out.
MAX_RENDERERS = 8
#: Compiled loops kept in the whole process, over every renderer of every probe and view: a traced loop holds
#: ~4-15 MiB (its graph, its gradient, TensorFlow's instantiated kernels), and without this bound a server showing
#: 8 models in 3 input ranges kept ~80 MiB of loops per model (``bench/loop_memory.py``).
MAX_LOOPS_IN_PROCESS = 24


class Budget:
    """One bound on the entries of many :class:`LRU` caches together: past ``size`` entries, the least recently
    used entry of any of them is dropped from its cache. Holds its caches weakly (a cache that is collected takes
    its entries out).

    >>> budget = Budget(2)
    >>> a, b = LRU(5, budget), LRU(5, budget)
    >>> [a.get_or_build(1, lambda: "a1"), b.get_or_build(1, lambda: "b1"), a.get_or_build(2, lambda: "a2")]
    ['a1', 'b1', 'a2']
    >>> list(a), list(b), len(budget)
    ([2], [1], 2)
    """

    def __init__(self, size: int):
        self.size = size
        self._order: OrderedDict[tuple[int, Any], Any] = OrderedDict()  # (id(cache), key) -> weakref to the cache
        self._lock = threading.Lock()
        self._collected: list[weakref.ref] = []  # caches collected since: their entries go at the next look

    def __len__(self) -> int:
        with self._lock:
            self._purge()
            return len(self._order)

    def used(self, cache: LRU, key: Any) -> list[tuple[LRU, Any]]:
        """Note that ``cache[key]`` was used or built; return the (cache, key) entries now over the bound."""
        entry = (id(cache), key)
        with self._lock:
            self._purge()
            if entry in self._order:
                self._order.move_to_end(entry)
                return []
            self._order[entry] = weakref.ref(cache, self._forget_cache)
            over = []
            while len(self._order) > self.size:
                (_, old_key), ref = self._order.popitem(last=False)
                owner = ref()
                if owner is not None:
                    over.append((owner, old_key))
            return over

    def dropped(self, cache: LRU, key: Any) -> None:
        """``cache`` dropped ``key`` by its own bound."""
        with self._lock:
            self._order.pop((id(cache), key), None)

    def _forget_cache(self, ref: weakref.ref) -> None:
        # called by the collector, possibly inside used() on this thread: noted only (a list append is atomic)
        self._collected.append(ref)

    def _purge(self) -> None:
        while self._collected:
            ref = self._collected.pop()
            for entry in [e for e, r in self._order.items() if r is ref]:
                del self._order[entry]


class LRU(OrderedDict):
    """A dict that keeps its ``size`` most recently used entries (thread-safe get-or-build), and, with a
    :class:`Budget`, counts them against a bound shared with other caches.

    >>> cache = LRU(2)
    >>> [cache.get_or_build(k, lambda: k * 10) for k in (1, 2, 1, 3)]
    [10, 20, 10, 30]
    >>> list(cache)
    [1, 3]
    """

    def __init__(self, size: int, budget: Budget | None = None):
        super().__init__()
        self.size = size
        self.budget = budget
        self.lock = threading.RLock()

    def get_or_build(self, key: Any, build: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self:
                self.move_to_end(key)
                value = self[key]
            else:
                value = self[key] = build()
                while len(self) > self.size:
                    old_key, _ = self.popitem(last=False)
                    if self.budget is not None:
                        self.budget.dropped(self, old_key)
        if self.budget is not None:  # other caches' entries over the shared bound: dropped without this lock held
            for owner, old_key in self.budget.used(self, key):  # (two caches building at once never wait on each other)
                owner.discard(old_key)
        return value

    def discard(self, key: Any) -> None:
        """Drop ``key`` if it is here."""
        with self.lock:
            self.pop(key, None)


#: the bound on compiled loops in this process (see :data:`MAX_LOOPS_IN_PROCESS`)
LOOPS = Budget(MAX_LOOPS_IN_PROCESS)


def input_range(probe: Any) -> tuple[float, float]:
    """The pixel range the probe's model expects (``probe.input_range`` when the probe knows it, else [0, 1])."""
    lo, hi = getattr(probe, "input_range", (0.0, 1.0)) or (0.0, 1.0)
    return float(lo), float(hi)


@dataclass
class Rendered:
    """What one run returns: display images in [0, 1], the raw parameters, and the recorded scores."""

    images: np.ndarray
    param: np.ndarray
    scores: np.ndarray
    score_steps: np.ndarray


class Renderer:
    """The compiled loops of one probe for one set of tensors (built once, cached on the probe)."""

    def __init__(self, probe: Any, tensors: tuple[str, ...]):
        self.probe = probe
        self.names = list(tensors)
        outputs = [probe.tensor(n) for n in self.names]
        self.model = keras.Model(probe.model.inputs[0], outputs)
        self.lo, self.hi = input_range(probe)
        self._compiled = LRU(MAX_LOOPS, LOOPS)

    def to_model(self, images_01: tf.Tensor) -> tf.Tensor:
        """Display images -> the model's range (the probe's own mapping when it has one)."""
        mapping = getattr(self.probe, "to_model", None)
        return mapping(images_01) if mapping is not None else self.lo + (self.hi - self.lo) * images_01

    def activations(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        outputs = self.model(image, training=False)
        if not isinstance(outputs, (list, tuple)):  # a one-output model returns the tensor itself
            outputs = [outputs]
        return dict(zip(self.names, outputs))

    def loop(self, skel: Objective, n_weights: int, param: Param, transforms: tuple[tfm.Transform, ...]) -> tuple:
        def build() -> tuple:
            built = param.build(self.probe.input_shape)
            return self._compile(skel, n_weights, built, transforms), built

        return self._compiled.get_or_build((skel, param, transforms), build)

    def _compile(self, skel: Objective, n_weights: int, built: Any, transforms: tuple[tfm.Transform, ...]) -> Callable:
        beta1, beta2, eps = 0.9, 0.999, 1e-7
        signature = [tf.TensorSpec((None, *built.shape), tf.float32), tf.TensorSpec([None], tf.int32),
                     tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32), tf.TensorSpec([n_weights], tf.float32),
                     tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32)]

        def run(p, targets, steps, lr, weights, seed, every, decay):
            slots = (steps + every - 1) // every
            trace = tf.zeros(tf.stack([slots, tf.shape(p)[0]]))
            zeros = tf.zeros_like(p)

            def body(i, p, m, v, trace, best, best_total):
                with tf.GradientTape() as tape:
                    tape.watch(p)
                    image = built.image(p)
                    seen = tfm.apply(transforms, image, seed=seed, step=i) if transforms else image
                    ctx = Context(self.activations(self.to_model(seen)), targets, image, p)
                    total = evaluate(skel, ctx, weights)
                    loss = -tf.reduce_sum(total)
                score = evaluate(skel, ctx, weights, penalties=False)
                grad = tape.gradient(loss, p)
                t = tf.cast(i + 1, tf.float32)
                m = beta1 * m + (1 - beta1) * grad
                v = beta2 * v + (1 - beta2) * tf.square(grad)
                # learning rate: constant, or cosine-decayed to (1 - decay) of itself at the last step
                frac = t / tf.cast(steps, tf.float32)
                rate = lr * (1.0 - decay * 0.5 * (1.0 - tf.cos(math.pi * frac)))
                step = rate * (m / (1 - beta1**t)) / (tf.sqrt(v / (1 - beta2**t)) + eps)
                trace = tf.tensor_scatter_nd_update(trace, [[i // every]], score[None])
                better = total > best_total  # keep each image's best parameters seen (chaotic models oscillate)
                mask = tf.reshape(better, tf.concat([[-1], tf.ones([tf.rank(p) - 1], tf.int32)], 0))
                best = tf.where(mask, p, best)
                best_total = tf.where(better, total, best_total)
                return i + 1, p - step, m, v, trace, best, best_total

            floor = tf.fill(tf.shape(p)[:1], -np.inf)
            _, p, _, _, trace, best, _ = tf.while_loop(lambda i, *_: i < steps, body,
                                                       (tf.constant(0), p, zeros, zeros, trace, p, floor))
            return best, built.image(best), trace

        return compiled(run, signature)  # one trace for every batch size, target, seed and weight


def _best_starts(rend: Renderer, built: Any, targets: list[int], pool: int, seed: int) -> np.ndarray:
    candidates = built.init(pool, seed=seed)  # decoded and scored FORWARD_BATCH at a time (cnnviz.core.batches)
    logits = np.concatenate([
        keras.ops.convert_to_numpy(rend.probe.logits_model(rend.to_model(built.image(tf.constant(chunk))),
                                                           training=False))
        for chunk in np.array_split(candidates, -(-len(candidates) // FORWARD_BATCH))])
    chosen: list[int] = []
    for t in targets:
        order = np.argsort(-logits[:, t])
        chosen.append(int(next(i for i in order if i not in chosen)))
    return candidates[chosen]


def renderer(probe: Any, tensors: Sequence[str]) -> Renderer:
    """The (cached) renderer of ``probe`` for these tensors."""
    renderers = probe.cache.setdefault("optvis-renderers", LRU(MAX_RENDERERS))  # bounded, live with the probe
    names = tuple(sorted(tensors))
    return renderers.get_or_build(names, lambda: Renderer(probe, names))


def record_every(steps: int) -> int:
    """Record every k-th step so the trace keeps at most :data:`MAX_TRACE` rows.

    >>> record_every(200), record_every(20000)
    (1, 20)
    """
    return max(1, math.ceil(steps / MAX_TRACE))


def check_steps(steps: Any) -> int:
    """``steps`` as an int, or a ValueError saying what is allowed.

    >>> check_steps(200)
    200
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"steps must be a whole number (got {steps!r}).")
    if steps < 1:
        raise ValueError(f"steps must be at least 1 (got {steps}).")
    if steps > MAX_STEPS:
        raise ValueError(f"steps={steps:,} is more than cnnviz runs ({MAX_STEPS:,}); 100-1,000 steps are enough "
                         "for every model cnnviz has met.")
    return int(steps)


def render(probe: Any, objective: Objective, param: Param, transforms: tuple[tfm.Transform, ...], targets: list[int],
           *, steps: int = 200, learning_rate: float = 0.1, seed: int = 0, start: np.ndarray | None = None,
           decay: float = 0.0, pool: int = 0) -> Rendered:
    """Optimize one image per entry of ``targets`` (each image's target for objectives whose index is None).
    Each image is the best one seen (highest objective, penalties included) over the steps.

    ``start``: display images in [0, 1] (one per target) to start from, where the parameterisation can.
    ``decay``: 0 keeps the learning rate constant; 0.9 lowers it along a cosine to a tenth at the end.
    ``pool``: draw that many random starts and give each image the start whose logit for its target is highest
    (each start used once): a cheap guard against a start from which the class cannot be reached.
    """
    steps = check_steps(steps)
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0 (got {learning_rate}).")
    skel, weights = skeleton(objective)
    rend = renderer(probe, tuple(skel.tensors()) or ("logits",))
    run, built = rend.loop(skel, len(weights), param, tuple(transforms))
    if start is None and pool > len(targets):
        p0 = _best_starts(rend, built, targets, pool, seed)
    elif start is None:
        p0 = built.init(len(targets), seed=seed)
    else:
        if built.from_image is None:
            raise ValueError(f"start= is not available with the {param.name} parameterisation; use pixels().")
        p0 = built.from_image(np.asarray(start, np.float32))
    every = record_every(steps)
    p, images, trace = run(tf.constant(p0), tf.constant(targets, tf.int32), tf.constant(steps), tf.constant(learning_rate, tf.float32),
                           tf.constant(weights, tf.float32), tf.constant(seed, tf.int32), tf.constant(every),
                           tf.constant(decay, tf.float32))
    slots = trace.shape[0]
    score_steps = np.minimum((np.arange(slots) + 1) * every, steps) - 1
    return Rendered(images=images.numpy(), param=p.numpy(), scores=trace.numpy(), score_steps=score_steps)
