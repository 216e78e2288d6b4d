"""What a concept fit reads: every image's activations at a layer, at a seeded subset of its positions,
computed over the replicas of a strategy, in batches split into fitted and held-out images; and a bounded,
seeded, uniform sample of those positions over the whole stream (what the NMF is fitted on)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..atlas.batches import as_display, as_model_input, image_batches
from ..core.batches import FORWARD_BATCH
from ..core.probe import Probe

#: positions per image that the fit sees (a seeded random subset; all of them when the layer has fewer)
POSITIONS = 16
#: positions offered to the sample when the data's length is known (small data: more positions per image)
TARGET_ROWS = 400_000
SAMPLE_ROWS = 200_000  #: positions the NMF is fitted on (conv2, n = 8: 25,000 or 50,000 sometimes land in another optimum, 100,000 did not in 5 samples)
SAMPLE_FLOATS = 12_800_000  #: and at most this many numbers (51 MB): fewer positions for wide layers


class Stream:
    """Batches of (model inputs, display images, labels or None, dataset indices) split into fit and held-out."""

    def __init__(self, probe: Probe, data: Any, labels: Any, holdout_data: Any, holdout_labels: Any,
                 batch_size: int, holdout: int):
        self.probe, self.holdout = probe, holdout
        self.batches, self.source = image_batches(data, labels, batch_size)
        self.explicit = holdout_data
        if holdout_data is not None:
            self.holdout_batches, _ = image_batches(holdout_data, holdout_labels, batch_size)

    def __iter__(self) -> Iterator[tuple[str, np.ndarray, np.ndarray, Any, np.ndarray]]:
        seen = kept = 0
        for b, (batch, labels) in enumerate(self.batches):
            display = as_display(batch, self.probe.input_shape)
            index = np.arange(seen, seen + len(display))
            seen += len(display)
            if self.explicit is None and b % 10 == 9 and kept < self.holdout:  # every 10th batch: held out
                take = min(len(display), self.holdout - kept)
                kept += take
                yield "holdout", as_model_input(self.probe, display[:take]), display[:take], (
                    None if labels is None else labels[:take]), index[:take]
                continue
            yield "fit", as_model_input(self.probe, display), display, labels, index
        if self.explicit is not None:
            seen = 0
            for batch, labels in self.holdout_batches:
                if kept >= self.holdout:
                    break
                display = as_display(batch, self.probe.input_shape)[: self.holdout - kept]
                kept += len(display)
                yield "holdout", as_model_input(self.probe, display), display, (
                    None if labels is None else labels[: len(display)]), np.arange(seen, seen + len(display))
                seen += len(display)


def positions_per_image(positions: int | None, data: Any, available: int) -> int:
    """Positions per image: as given; else enough that an array of known length offers ~:data:`TARGET_ROWS`
    positions (all positions of a small sample), and at least :data:`POSITIONS`."""
    if positions is not None:
        return int(positions)
    length = len(data) if hasattr(data, "__len__") and not isinstance(data, (str, bytes)) else 0
    if not length:
        return POSITIONS
    return int(np.clip(-(-TARGET_ROWS // length), POSITIONS, available))


class Reservoir:
    """A uniform sample without replacement of at most ``cap`` rows from a stream of unknown length: each row gets
    a seeded random key and the ``cap`` smallest keys stay (memory: ``cap`` rows plus one batch).

    >>> r = Reservoir(3, 2, np.random.default_rng(0))
    >>> for start in range(0, 10, 4):
    ...     r.add(np.arange(start, min(start + 4, 10), dtype=np.float32)[:, None].repeat(2, axis=1))
    >>> r.rows.shape, r.offered
    ((3, 2), 10)
    """

    def __init__(self, cap: int, channels: int, rng: np.random.Generator):
        self.cap, self.rng, self.offered = int(cap), rng, 0
        self.rows = np.zeros((0, channels), np.float32)
        self.keys = np.zeros(0)

    def add(self, rows: np.ndarray) -> None:
        self.offered += len(rows)
        keys = self.rng.random(len(rows))
        if len(self.keys) >= self.cap:  # full: only rows whose key beats the largest kept one can enter
            new = keys < self.keys.max()
            keys, rows = keys[new], rows[new]
        keys = np.concatenate([self.keys, keys])
        rows = np.concatenate([self.rows, np.asarray(rows, np.float32)])
        if len(keys) > self.cap:
            keep = np.sort(np.argpartition(keys, self.cap - 1)[: self.cap])  # stream order kept: reproducible
            keys, rows = keys[keep], rows[keep]
        self.keys, self.rows = keys, rows


def sample_rows(channels: int) -> int:
    """How many positions the NMF is fitted on for a layer of ``channels``: :data:`SAMPLE_ROWS`, fewer for wide
    layers (at most :data:`SAMPLE_FLOATS` numbers)."""
    return int(max(1000, min(SAMPLE_ROWS, SAMPLE_FLOATS // max(int(channels), 1))))


def sampler(probe: Probe, layer: str, strategy: Any) -> Any:
    """A compiled step: images, (B, k) flat positions -> (B, k, C) activations there (gathered over replicas)."""
    replicas = int(strategy.num_replicas_in_sync)
    with strategy.scope():
        sub = keras.Model(probe.model.inputs[0], probe.tensor(layer))

    @tf.function(reduce_retracing=True)
    def step(images, picks):
        def replica_fn():
            ctx = tf.distribute.get_replica_context()
            per = tf.shape(images)[0] // replicas
            start = ctx.replica_id_in_sync_group * per
            out = sub(images[start:start + per], training=False)
            flat = tf.reshape(out, [tf.shape(out)[0], -1, out.shape[-1]])
            return tf.cast(tf.gather(flat, picks[start:start + per], axis=1, batch_dims=1), tf.float32)
        return strategy.gather(strategy.run(replica_fn), axis=0)

    return step, replicas


def stream_rows(step: Any, replicas: int, inputs: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """The sampled rows of a batch, FORWARD_BATCH images per replica per call (a whole 1,000-image batch at once
    left oneDNN holding 138 MiB for good: :mod:`cnnviz.core.batches`)."""
    chunk = FORWARD_BATCH * replicas
    return np.concatenate([_rows(step, replicas, inputs[i:i + chunk], picks[i:i + chunk])
                           for i in range(0, len(inputs), chunk)])


def _rows(step: Any, replicas: int, inputs: np.ndarray, picks: np.ndarray) -> np.ndarray:
    short = -len(inputs) % replicas  # every replica gets a slice of the same size: pad, then drop the padding
    if short:
        inputs = np.concatenate([inputs, np.repeat(inputs[:1], short, axis=0)])
        picks = np.concatenate([picks, np.repeat(picks[:1], short, axis=0)])
    out = step(tf.constant(inputs, tf.float32), tf.constant(picks, tf.int32)).numpy()
    return out[: len(out) - short]
