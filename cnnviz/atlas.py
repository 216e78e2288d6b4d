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

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .data import DataError
from .distribute import get_strategy
from .features import TopExamples, field_boxes
from .model import atomic_path
from .probe import Probe, get_probe

ATLAS_VERSION = 1
LOGITS = "logits"


@dataclass
class Atlas:
    """Top-k dataset examples of every channel of ``layers`` (``"logits"``: the class scores).

    For a layer with C channels: ``indices[layer]`` (C, k) dataset positions, strongest first
    (-1 where the dataset had fewer than k images); ``activations[layer]`` (C, k) each image's
    strongest response; ``boxes[layer]`` (C, k, 4) top, left, bottom, right of the receptive
    field of that response in input pixels (bottom/right exclusive; the whole image for dense
    layers and logits). ``images``: the images that appear anywhere, in [0, 1] display range,
    ``image_indices`` their dataset positions (sorted); ``labels`` theirs when known.
    """

    layers: list[str]
    k: int
    indices: dict[str, np.ndarray]
    activations: dict[str, np.ndarray]
    boxes: dict[str, np.ndarray]
    images: np.ndarray
    image_indices: np.ndarray
    labels: np.ndarray | None = None
    images_seen: int = 0
    source: str = ""
    model_name: str = ""
    model_fingerprint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def channels(self, layer: str) -> int:
        """How many channels ``layer`` has in this atlas."""
        self._check_layer(layer)
        return int(self.indices[layer].shape[0])

    def _check_layer(self, layer: str) -> None:
        if layer not in self.indices:
            raise ValueError(f"layer {layer!r} is not in this atlas; it has: {', '.join(self.layers)}.")

    def top(self, layer: str, channel: int, k: int | None = None) -> TopExamples:
        """The top examples of one channel as :class:`cnnviz.features.TopExamples` (images in [0, 1]).

        >>> import cnnviz
        >>> dataset_examples(data=cnnviz.load_sample().x_test[:50], layers=["conv1"], k=2).top("conv1", 0).indices.shape
        (2,)
        """
        self._check_layer(layer)
        channels = self.channels(layer)
        if isinstance(channel, bool) or not isinstance(channel, (int, np.integer)) or not 0 <= channel < channels:
            raise ValueError(f"channel {channel!r} is out of range: layer {layer!r} has channels 0..{channels - 1}.")
        idx = self.indices[layer][channel]
        keep = idx >= 0
        if k is not None:
            keep &= np.arange(len(idx)) < k
        idx = idx[keep]
        rows = np.searchsorted(self.image_indices, idx)
        return TopExamples(layer=layer, filter=int(channel), images=self.images[rows],
                           activations=self.activations[layer][channel][keep], indices=idx,
                           boxes=self.boxes[layer][channel][keep],
                           labels=None if self.labels is None else self.labels[rows])

    def save(self, path: str | os.PathLike) -> Path:
        """Write the atlas to one ``.npz`` file, atomically (a reader never sees half a file).

        >>> import cnnviz, tempfile
        >>> a = dataset_examples(data=cnnviz.load_sample().x_test[:20], layers=["conv1"], k=2)
        >>> load_atlas(a.save(tempfile.mkdtemp() + "/atlas.npz")).layers
        ['conv1']
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"an atlas is saved as .npz; got {path.name!r}.")
        arrays: dict[str, np.ndarray] = {
            "version": np.array(ATLAS_VERSION), "layers": np.array(self.layers), "k": np.array(self.k),
            "images": self.images, "image_indices": self.image_indices, "images_seen": np.array(self.images_seen),
            "source": np.array(self.source), "model_name": np.array(self.model_name),
            "model_fingerprint": np.array(self.model_fingerprint),
        }
        if self.labels is not None:
            arrays["labels"] = self.labels
        for n, layer in enumerate(self.layers):
            arrays[f"indices_{n}"] = self.indices[layer]
            arrays[f"activations_{n}"] = self.activations[layer]
            arrays[f"boxes_{n}"] = self.boxes[layer]
        with atomic_path(path, ".npz") as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)
        return path


def load_atlas(path: str | os.PathLike) -> Atlas:
    """Read an atlas written by :meth:`Atlas.save` (no pickles: plain arrays only).

    >>> import cnnviz, tempfile
    >>> a = dataset_examples(data=cnnviz.load_sample().x_test[:20], layers=["logits"], k=1)
    >>> load_atlas(a.save(tempfile.mkdtemp() + "/a.npz")).channels("logits")
    10
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            files = dict(f.items())
    except FileNotFoundError:
        raise DataError(f"no atlas at {path}; make one with: cnnviz atlas --data mnist.npz -o {path.name}") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not an atlas .npz file ({exc}).") from None
    if "version" not in files or int(files["version"]) != ATLAS_VERSION:
        raise DataError(f"{path} is not a cnnviz atlas (version {ATLAS_VERSION}); rebuild it with cnnviz atlas.")
    layers = [str(s) for s in files["layers"]]
    return Atlas(
        layers=layers, k=int(files["k"]),
        indices={layer: files[f"indices_{n}"] for n, layer in enumerate(layers)},
        activations={layer: files[f"activations_{n}"] for n, layer in enumerate(layers)},
        boxes={layer: files[f"boxes_{n}"] for n, layer in enumerate(layers)},
        images=files["images"], image_indices=files["image_indices"], labels=files.get("labels"),
        images_seen=int(files["images_seen"]), source=str(files["source"]), model_name=str(files["model_name"]),
        model_fingerprint=str(files.get("model_fingerprint", "")),
    )


def model_fingerprint(model: keras.Model) -> str:
    """A hash of a model's weights: an atlas is only shown beside the model it was made from.

    >>> len(model_fingerprint(get_probe().model))
    16
    """
    import hashlib

    digest = hashlib.sha256()
    for weights in model.get_weights():
        digest.update(np.ascontiguousarray(weights).tobytes())
    return digest.hexdigest()[:16]


def find_atlas(model_path: str | os.PathLike | None, model: keras.Model | None = None) -> tuple[Atlas | None, str]:
    """The atlas beside a model file (``None``: the shipped model), checked against ``model``'s weights when given;
    and one line saying what was found (or why there is none).

    >>> atlas, why = find_atlas("/nonexistent/m.keras")
    >>> atlas is None, why.startswith("no atlas")
    (True, True)
    """
    from .model import PRETRAINED_NAME, pretrained_dir

    path = atlas_path_for(pretrained_dir() / PRETRAINED_NAME if model_path is None else model_path)
    if not path.is_file():
        return None, f"no atlas beside the model ({path.name}); make one with: cnnviz atlas --data mnist.npz -o {path}"
    try:
        atlas = load_atlas(path)
    except DataError as exc:
        return None, str(exc)
    model = getattr(model, "source", model)  # a described model (cnnviz.describe): its Keras model
    if model is not None and atlas.model_fingerprint and atlas.model_fingerprint != model_fingerprint(model):
        return None, f"{path.name} was made from other weights than this model's; rebuild it with cnnviz atlas."
    return atlas, f"top examples of {atlas.images_seen:,} images ({atlas.source}) from {path.name}"


def atlas_path_for(model_path: str | os.PathLike) -> Path:
    """Where the atlas of a model file lives: ``<name>.atlas.npz`` beside it.

    >>> atlas_path_for("models/mnist_cnn.keras").name
    'mnist_cnn.atlas.npz'
    """
    model_path = Path(model_path)
    return model_path.with_name(model_path.stem + ".atlas.npz")


def default_layers(probe: Probe) -> list[str]:
    """Every conv and dense layer of the model, input side first, then ``"logits"``.

    >>> default_layers(get_probe())
    ['conv1', 'conv2', 'predictions', 'logits']
    """
    chosen = [n for n in probe.layer_names if isinstance(probe.layer(n), (keras.layers.Conv2D, keras.layers.Dense))]
    return [*chosen, LOGITS]


def _batches(data: Any, labels: Any, batch_size: int) -> tuple[Iterator[tuple[np.ndarray, np.ndarray | None]], str]:
    """Batches of (images, labels or None) in dataset order, and a name for the source."""
    if isinstance(data, tf.data.Dataset):
        def from_dataset():
            batched = data if _is_batched(data) else data.batch(batch_size)
            for element in batched.as_numpy_iterator():
                if isinstance(element, tuple):
                    yield element[0], (element[1] if len(element) > 1 else None)
                else:
                    yield element, None
        return from_dataset(), "tf.data.Dataset"
    source = "array"
    if isinstance(data, (str, os.PathLike)):
        from .data import read_mnist_npz

        mnist = read_mnist_npz(data)
        source = Path(data).name
        data, labels = mnist.x_train, mnist.y_train
    if hasattr(data, "x_train"):  # an MNIST object: its training images
        source = Path(getattr(data, "source", "mnist")).name
        data, labels = data.x_train, data.y_train
    array = np.asarray(data)
    if array.ndim < 3:
        raise DataError(f"dataset_examples takes a batch of images (N, H, W[, C]); got shape {array.shape}.")
    if labels is not None and len(labels) != len(array):
        raise DataError(f"{len(labels)} labels for {len(array)} images; pass one label per image.")

    def from_array():
        for start in range(0, len(array), batch_size):
            yield array[start : start + batch_size], (None if labels is None else np.asarray(labels)[start : start + batch_size])
    return from_array(), source


def _is_batched(ds: tf.data.Dataset) -> bool:
    spec = ds.element_spec[0] if isinstance(ds.element_spec, tuple) else ds.element_spec
    return spec.shape.rank == 4 or (spec.shape.rank == 3 and spec.shape[-1] not in (1, 3))


def _to_display(batch: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """uint8 0-255 or float 0-1 images -> float32 (N, H, W, C) in [0, 1]: :func:`cnnviz.images.pixels_batch`."""
    from .images import pixels_batch

    return pixels_batch(batch, shape)


def _to_model(probe: Probe, display: np.ndarray) -> np.ndarray:
    to_model = getattr(probe, "to_model", None)  # the model contract: [0, 1] -> the model's input range
    return np.asarray(to_model(display), dtype=np.float32) if to_model is not None else display


class _Reducer:
    """The in-graph part: one batch (or replica slice) -> each channel's top-k candidates."""

    def __init__(self, probe: Probe, layers: Sequence[str], k: int):
        outputs = [probe.tensor(name) for name in layers]
        self.model = keras.Model(probe.model.inputs[0], outputs, name="atlas_probe")
        self.k = k
        self.spatial = [len(o.shape) == 4 for o in outputs]
        self.widths = [int(o.shape[2]) if s else 1 for o, s in zip(outputs, self.spatial)]

    def step(self, images: tf.Tensor, index: tf.Tensor):
        """Per layer: (k, C) values, (k, C) dataset indices, (k, C) flat positions; -inf/-1 pad short batches."""
        outs = self.model(images, training=False)
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        results = []
        for out, spatial in zip(outs, self.spatial):
            if spatial:
                flat = tf.reshape(out, [tf.shape(out)[0], -1, out.shape[-1]])  # (B, positions, C)
                values = tf.reduce_max(flat, axis=1)
                position = tf.argmax(flat, axis=1, output_type=tf.int32)
            else:
                values = out
                position = tf.zeros_like(values, dtype=tf.int32)
            values = tf.where(index[:, None] >= 0, values, tf.constant(-np.inf, values.dtype))  # padding never wins
            channels = values.shape[-1]
            pad = tf.fill([self.k, channels], tf.constant(-np.inf, values.dtype))
            values_t = tf.concat([tf.transpose(values), tf.transpose(pad)], axis=1)  # (C, B + k)
            top_v, top_i = tf.math.top_k(tf.cast(values_t, tf.float32), k=self.k, sorted=True)  # ties: lower first
            idx_all = tf.concat([tf.cast(index, tf.int64), tf.fill([self.k], tf.constant(-1, tf.int64))], axis=0)
            pos_all = tf.concat([tf.transpose(position), tf.zeros([channels, self.k], tf.int32)], axis=1)
            results.append((tf.transpose(top_v), tf.transpose(tf.gather(idx_all, top_i)),
                            tf.transpose(tf.gather(pos_all, top_i, batch_dims=1))))
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
        from .data import load_sample

        sample = load_sample()
        data, labels = sample.x_test, sample.y_test
    batches, source = _batches(data, labels, int(batch_size))
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
        return tf.nest.map_structure(lambda t: strategy.gather(t, axis=0), per_replica)

    shape = probe.input_shape
    state: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    images_kept: dict[int, np.ndarray] = {}
    labels_kept: dict[int, Any] = {}
    seen = 0
    for batch, batch_labels in batches:
        display = _to_display(batch, shape)
        index = np.arange(seen, seen + len(display), dtype=np.int64)
        inputs = _to_model(probe, display)
        short = -len(display) % replicas  # every replica gets a slice of the same size: pad, marked with index -1
        if short:
            inputs = np.concatenate([inputs, np.repeat(inputs[:1], short, axis=0)])
            index = np.concatenate([index, np.full(short, -1, np.int64)])
        results = distributed(tf.constant(inputs), tf.constant(index))
        winners: set[int] = set()
        for name, (v, i, p) in zip(names, results):
            v, i, p = v.numpy(), i.numpy(), p.numpy()
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


__all__ = ["Atlas", "dataset_examples", "load_atlas"]
