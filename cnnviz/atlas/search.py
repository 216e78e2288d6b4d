"""Dataset examples for every channel in one pass: the top-k images of each conv/dense channel and class logit.

One streaming pass over an array, an ``.npz`` or a ``tf.data.Dataset``: each batch goes
through the model once; for every channel the strongest response of each image (the
maximum over positions, as :func:`cnnviz.top_examples` defines it) is reduced to that
batch's top k in the graph, and merged on the host with the running top k. Only indices,
values and positions are kept during the pass (memory bounded by one batch of maps), and
the few images that won are copied at the end. Under a ``tf.distribute`` strategy each
replica takes a slice of every batch; the candidates of all replicas are gathered and
merged exactly (ties go to the lower dataset index, as in the brute-force loop).

>>> import cnnviz
>>> atlas = dataset_examples(data=cnnviz.load_sample().x_test[:200], k=3)
>>> atlas.layers
['conv1', 'conv2', 'predictions', 'logits']
>>> top = atlas.top("conv2", 5)
>>> top.images.shape, bool(np.all(np.diff(top.activations) <= 0))
((3, 28, 28, 1), True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..core.build import get_probe
from ..core.distribute import get_strategy
from ..core.probe import Probe
from ..features import field_boxes
from ..io.decode import DataError
from .batches import as_display, as_model_input, image_batches
from .files import LOGITS, Atlas, model_fingerprint


def default_layers(probe: Probe) -> list[str]:
    """Every conv and dense layer of the model, input side first, then ``"logits"``.

    >>> default_layers(get_probe())
    ['conv1', 'conv2', 'predictions', 'logits']
    """
    chosen = [n for n in probe.layer_names if isinstance(probe.layer(n), (keras.layers.Conv2D, keras.layers.Dense))]
    return [*chosen, LOGITS]



class _Reducer:
    """The in-graph part: one batch (or replica slice) -> each channel's top-k candidates."""

    def __init__(self, probe: Probe, layers: Sequence[str], k: int):
        outputs = [probe.tensor(name) for name in layers]
        self.model = keras.Model(probe.model.inputs[0], outputs, name="atlas_probe")
        self.k = k
        self.spatial = [len(o.shape) == 4 for o in outputs]
        self.widths = [int(o.shape[2]) if s else 1 for o, s in zip(outputs, self.spatial)]

    def step(self, images: tf.Tensor, index: tf.Tensor):
        """Per layer: (C, k) values, (C, k) dataset indices, (C, k) flat positions; -inf/-1 pad short batches.
        Channels first throughout: no integer tensor is transposed (oneDNN's int32 transpose logs an error line on
        some CPUs)."""
        outs = self.model(images, training=False)
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        results = []
        for out, spatial in zip(outs, self.spatial):
            if spatial:
                flat = tf.transpose(tf.reshape(out, [tf.shape(out)[0], -1, out.shape[-1]]), [2, 0, 1])  # (C, B, P)
                values = tf.reduce_max(flat, axis=2)
                position = tf.argmax(flat, axis=2, output_type=tf.int32)
            else:
                values = tf.transpose(out)  # (C, B)
                position = tf.zeros_like(values, dtype=tf.int32)
            values = tf.where(index[None, :] >= 0, values, tf.constant(-np.inf, values.dtype))  # padding never wins
            channels = values.shape[0]
            pad = tf.fill([channels, self.k], tf.constant(-np.inf, values.dtype))
            top_v, top_i = tf.math.top_k(tf.cast(tf.concat([values, pad], axis=1), tf.float32), k=self.k,
                                         sorted=True)  # (C, k); ties: lower first
            idx_all = tf.concat([tf.cast(index, tf.int64), tf.fill([self.k], tf.constant(-1, tf.int64))], axis=0)
            pos_all = tf.concat([position, tf.zeros([channels, self.k], tf.int32)], axis=1)
            results.append((top_v, tf.gather(idx_all, top_i), tf.gather(pos_all, top_i, batch_dims=1)))
        return results


def _merge(values: np.ndarray, indices: np.ndarray, positions: np.ndarray, k: int):
    """Exact top-k per channel of (n, C) candidates: highest value first, ties to the lower dataset index."""
    values = np.where(indices < 0, -np.inf, values)
    order = np.lexsort((np.where(indices < 0, np.iinfo(np.int64).max, indices), -values), axis=0)[:k]
    take = np.take_along_axis
    return take(values, order, 0), take(indices, order, 0), take(positions, order, 0)


def dataset_examples(
    layers: Sequence[str] | None = None,
    data: Any = None,
    k: int = 9,
    strategy: str | tf.distribute.Strategy | None = None,
    batch_size: int = 1000,
    *,
    model: keras.Model | None = None,
    labels: np.ndarray | None = None,
) -> Atlas:
    """The top-``k`` dataset examples of every channel of ``layers`` (default: every conv and dense layer and the
    class logits), in one streaming pass over ``data``.

    ``data``: images (N, H, W[, C]) uint8 0-255 or float 0-1; an ``.npz`` path or MNIST object
    (its training images and labels); or a ``tf.data.Dataset`` of images or (images, labels),
    batched or not. Default: the bundled sample's 1,000 test images. ``strategy``: as in
    :func:`cnnviz.train`; each replica takes a slice of every batch and the per-replica top-k
    are merged exactly. Identical to :func:`cnnviz.top_examples` channel by channel.

    >>> import cnnviz
    >>> atlas = dataset_examples(["conv1"], data=cnnviz.load_sample().x_test[:100], k=4)
    >>> atlas.indices["conv1"].shape
    (32, 4)
    """
    probe = get_probe(model)
    names = list(layers) if layers is not None else default_layers(probe)
    for name in names:
        if name != LOGITS:
            probe.layer(name)  # raises with the valid names
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number >= 1 (got {k!r}).")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1 (got {batch_size!r}).")
    if data is None:
        from ..io.data import load_sample

        sample = load_sample()
        data, labels = sample.x_test, sample.y_test
    batches, source = image_batches(data, labels, int(batch_size))
    strategy = get_strategy(strategy)
    replicas = int(strategy.num_replicas_in_sync)
    k = int(k)
    with strategy.scope():
        reducer = _Reducer(probe, names, k)

    @tf.function(reduce_retracing=True)
    def distributed(images, index):
        def replica_fn():
            ctx = tf.distribute.get_replica_context()
            n = tf.shape(images)[0]
            per = n // replicas
            start = ctx.replica_id_in_sync_group * per
            stop = start + per
            return reducer.step(images[start:stop], index[start:stop])
        per_replica = strategy.run(replica_fn)
        return tf.nest.map_structure(lambda t: strategy.gather(t, axis=1), per_replica)  # (C, replicas * k)

    shape = probe.input_shape
    state: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    images_kept: dict[int, np.ndarray] = {}
    labels_kept: dict[int, Any] = {}
    seen = 0
    for batch, batch_labels in batches:
        display = as_display(batch, shape)
        index = np.arange(seen, seen + len(display), dtype=np.int64)
        inputs = as_model_input(probe, display)
        short = -len(display) % replicas  # every replica gets a slice of the same size: pad, marked with index -1
        if short:
            inputs = np.concatenate([inputs, np.repeat(inputs[:1], short, axis=0)])
            index = np.concatenate([index, np.full(short, -1, np.int64)])
        results = distributed(tf.constant(inputs), tf.constant(index))
        winners: set[int] = set()
        for name, (v, i, p) in zip(names, results):
            v, i, p = v.numpy().T, i.numpy().T, p.numpy().T  # (candidates, C)
            if name in state:
                old = state[name]
                v, i, p = np.concatenate([old[0], v]), np.concatenate([old[1], i]), np.concatenate([old[2], p])
            state[name] = _merge(v, i, p, k)
            winners.update(int(x) for x in np.unique(state[name][1]) if x >= 0)
        for idx in winners:  # copy the images that won from this batch; drop those that lost their place
            if idx not in images_kept and seen <= idx < seen + len(display):
                images_kept[idx] = display[idx - seen].copy()
                if batch_labels is not None:
                    labels_kept[idx] = batch_labels[idx - seen]
        for idx in [x for x in images_kept if x not in winners]:
            del images_kept[idx]
            labels_kept.pop(idx, None)
        seen += len(display)
    if seen == 0:
        raise DataError("the dataset is empty: dataset_examples needs at least one image.")

    h, w, _ = shape
    boxes = {}
    for name, spatial, width in zip(names, reducer.spatial, reducer.widths):
        _, idx, pos = state[name]
        if spatial:
            boxes[name] = field_boxes(probe, name, pos // width, pos % width)
        else:
            boxes[name] = np.broadcast_to(np.array([0, 0, h, w]), (*idx.shape, 4)).copy()
        boxes[name][idx < 0] = 0
    kept = np.array(sorted(images_kept), dtype=np.int64)
    images = np.stack([images_kept[i] for i in kept]) if len(kept) else np.zeros((0, *shape), np.float32)
    kept_labels = np.array([labels_kept[i] for i in kept]) if labels_kept and len(labels_kept) == len(kept) else None
    return Atlas(
        layers=names, k=k,
        indices={n: state[n][1].T.copy() for n in names},
        activations={n: state[n][0].T.astype(np.float32) for n in names},
        boxes={n: boxes[n].transpose(1, 0, 2).copy() for n in names},
        images=images, image_indices=kept, labels=kept_labels, images_seen=seen, source=source,
        model_name=probe.model.name, model_fingerprint=model_fingerprint(probe.model),
    )
