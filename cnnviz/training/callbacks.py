"""Keras callbacks: :class:`Snapshots` records what the network learns while ``model.fit`` runs.

Every ``every`` epochs (or batches) it records the first conv layer's filters, that layer's
feature maps for a few fixed probe images, the class images (a few maximization steps,
warm-started from the previous snapshot's images so each snapshot stays cheap), a saliency
map of the probe images, and the metrics. It writes them as TensorBoard image and scalar
summaries (its own event file in ``log_dir``) and as a folder :func:`cnnviz.load_snapshots`
reads back. Each file is written atomically, so a run killed at any moment leaves readable
snapshots.

>>> import cnnviz, keras
>>> data = cnnviz.load_sample()
>>> model = cnnviz.core.model.reference_model()
>>> model.compile("adam", "sparse_categorical_crossentropy")
>>> _ = model.fit(data.x_train[:256, ..., None] / 255.0, data.y_train[:256], epochs=1, verbose=0,
...               callbacks=[Snapshots("logs/run1")])
>>> cnnviz.load_snapshots("logs/run1").steps
[0, 1]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .snapshots import Snapshot, filter_images, load_snapshots, normalize_maps, tile, write_snapshot

UNITS = ("epoch", "batch")
#: how many probe images are taken from the bundled sample when none are given
DEFAULT_PROBES = 4


def _images_plugin_metadata():
    from tensorflow.core.framework import summary_pb2

    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="images"))


def write_image_summary(tag: str, images: np.ndarray, step: int) -> None:
    """Write images (N, H, W, 1 or 3) in [0, 1] to the current summary writer exactly as ``tf.summary.image``
    does (an 'images' plugin tensor [width, height, png, ...]), without needing the tensorboard package."""
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    pngs = [tf.io.encode_png(np.round(image * 255).astype(np.uint8)) for image in images]
    h, w = images.shape[1:3]
    tensor = tf.stack([tf.as_string(w), tf.as_string(h), *pngs])
    tf.summary.write(tag, tensor, step=step, metadata=_images_plugin_metadata())


def write_scalar_summary(tag: str, value: float, step: int) -> None:
    """Write one scalar the way ``tf.summary.scalar`` does (the 'scalars' plugin), without tensorboard."""
    from tensorflow.core.framework import summary_pb2

    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    tf.summary.write(tag, tf.constant(float(value), tf.float32), step=step, metadata=meta)


def _upscale(image: np.ndarray, target: int = 192) -> np.ndarray:
    factor = max(1, target // max(image.shape[:2]))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def default_probe_images(n: int = DEFAULT_PROBES) -> np.ndarray:
    """``n`` test digits of the bundled sample, each of a different class, as uint8 (n, 28, 28, 1).

    >>> default_probe_images().shape
    (4, 28, 28, 1)
    """
    from ..io.data import load_sample

    sample = load_sample()
    picked, seen = [], set()
    for i, label in enumerate(sample.y_test):
        if int(label) not in seen:
            seen.add(int(label))
            picked.append(i)
        if len(picked) == n:
            break
    return sample.x_test[picked][..., None]


class Snapshots(keras.callbacks.Callback):
    """Record filters, feature maps, class images, saliency and metrics every ``every`` epochs or batches.

    ``log_dir``: where the TensorBoard event file and the ``snapshot-*.npz`` files go.
    ``unit``: "epoch" or "batch". ``images``: the probe images (anything the model's probe
    prepares; default: four digits of the bundled sample, resized to the model's input).
    ``classes``: the classes to draw (default: the first ten). ``class_steps``: maximization
    steps per snapshot. ``layer``: the conv layer to record (default: the first).
    ``at_start``: also record the untrained network (step 0). ``tensorboard=False`` writes
    only the folder. ``on_snapshot(snapshot)`` is called after each one is written (a live
    view). ``seconds`` lists the time each snapshot took. A folder that already holds snapshots is
    continued (a resumed run: no new start snapshot, class images warm-started from the last one);
    give each new run its own folder.
    """

    def __init__(self, log_dir: str | os.PathLike, *, every: int = 1, unit: str = "epoch", images: Any = None,
                 classes: Sequence[int] | None = None, class_steps: int = 20, layer: str | None = None,
                 attribution: str = "saliency", at_start: bool = True, tensorboard: bool = True,
                 max_channels: int = 32, seed: int = 0, on_snapshot: Callable[[Snapshot], None] | None = None):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every must be a whole number >= 1 (got {every!r}).")
        if unit not in UNITS:
            raise ValueError(f"unit must be 'epoch' or 'batch' (got {unit!r}).")
        if class_steps < 1 or max_channels < 1:
            raise ValueError(f"class_steps and max_channels must be >= 1 (got {class_steps}, {max_channels}).")
        self.log_dir = Path(log_dir).expanduser()
        if self.log_dir.exists() and not self.log_dir.is_dir():
            raise ValueError(f"{self.log_dir} exists and is not a folder; give a folder for the snapshots.")
        self.every, self.unit, self.images, self.classes = int(every), unit, images, classes
        self.class_steps, self.layer, self.attribution = int(class_steps), layer, attribution
        self.at_start, self.tensorboard, self.max_channels, self.seed = at_start, tensorboard, max_channels, seed
        self.on_snapshot = on_snapshot
        self.seconds: list[float] = []
        self.last: Snapshot | None = None
        self._writer = None
        self._probe = None
        self._inputs: np.ndarray | None = None
        self._class_images: np.ndarray | None = None
        self._epoch = 0
        self._batches = 0

    # -- Keras hooks ---------------------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        from ..core.build import get_probe

        probe = get_probe(self.model)
        convs = probe.conv_layer_names
        if self.layer is None and not convs:
            raise ValueError("Snapshots records a convolution layer's filters, and this model has no convolution "
                             f"layer (layers: {', '.join(probe.layer_names)}).")
        self.layer = self.layer or convs[0]
        probe.layer(self.layer)  # unknown names: a ValueError listing the layers
        self.classes = [probe.check_class(c) for c in (self.classes if self.classes is not None
                                                       else range(min(10, probe.num_classes)))]
        images = self.images if self.images is not None else default_probe_images()
        self._inputs = probe.prepare(images)
        self._probe = probe
        self._batches = 0
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.tensorboard:
            self._writer = tf.summary.create_file_writer(str(self.log_dir), filename_suffix=".cnnviz")
        try:  # a resumed run warm-starts from where the last one stopped
            previous = load_snapshots(self.log_dir)
            self._class_images = previous[-1].class_images if len(previous[-1].classes) == len(self.classes) else None
            fresh = False
        except FileNotFoundError:
            fresh = True
        if self.at_start and fresh:
            self.snapshot(0, 0.0, {})

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.unit != "batch":
            return
        self._batches += 1
        steps = self.params.get("steps") or 0
        # batches since the start of training; a dataset of unknown length: counted in this run
        step = self._epoch * steps + batch + 1 if steps else self._batches
        if step % self.every == 0:
            self.snapshot(step, self._epoch + (batch + 1) / steps if steps else float(self._epoch), logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.unit == "epoch" and (epoch + 1) % self.every == 0:
            self.snapshot(epoch + 1, float(epoch + 1), logs or {})

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- the work ------------------------------------------------------------------------------------------------
    def snapshot(self, step: int, epoch: float, logs: dict[str, Any]) -> Snapshot:
        """Record one snapshot now (the hooks call this; call it yourself for extra ones)."""
        from ..attribution import (
            attribute,  # the front doors this callback renders (a layer above training's loop)
        )
        from ..maximize import maximize

        started = time.perf_counter()
        probe = self._probe
        if probe.model is not self.model:  # the probe looks through a clone: bring its weights up to date
            probe.model.set_weights(self.model.get_weights())
        out = probe.forward(self._inputs)
        kernels = np.asarray(probe.layer(self.layer).get_weights()[0], np.float32)
        start = self._class_images  # display images in [0, 1]; maximize's start= is read like any input image
        if start is not None:
            start = np.asarray(probe.to_model(start))
        classes = maximize(list(self.classes), model=probe, steps=self.class_steps, seed=self.seed, start=start)
        self._class_images = classes.images
        saliency = attribute(self._inputs, method=self.attribution, model=probe)
        metrics = {k: float(v) for k, v in logs.items() if np.ndim(v) == 0}
        snap = Snapshot(step=int(step), epoch=float(epoch), unit=self.unit, metrics=metrics, filters=kernels,
                        feature_maps=out[self.layer][..., : self.max_channels], probe_images=self._display(self._inputs),
                        probe_probabilities=out["probabilities"], class_images=np.asarray(classes.images),
                        class_probabilities=np.asarray(classes.probabilities), classes=list(self.classes),
                        attribution=saliency.maps, attribution_targets=list(saliency.targets), layer=self.layer)
        snap.seconds = time.perf_counter() - started
        write_snapshot(snap, self.log_dir, info={"model": self.model.name, "unit": self.unit, "every": self.every,
                                                 "layer": self.layer, "class_steps": self.class_steps,
                                                 "attribution": self.attribution})
        if self._writer is not None:
            self._write_tensorboard(snap)
        self.seconds.append(time.perf_counter() - started)
        self.last = snap
        if self.on_snapshot is not None:
            self.on_snapshot(snap)
        return snap

    def _display(self, x: np.ndarray) -> np.ndarray:
        to_display = getattr(self._probe, "to_display", None)  # the model contract (issue 8), when present
        return np.asarray(to_display(x)) if to_display is not None else np.asarray(x)

    def _write_tensorboard(self, snap: Snapshot) -> None:
        maps = [tile(normalize_maps(snap.feature_maps[i:i + 1])) for i in range(len(snap.feature_maps))]
        pairs = [np.concatenate([img, np.ones((img.shape[0], 1, img.shape[2])),
                                 np.repeat(att[..., None], img.shape[2], axis=-1)], axis=1)
                 for img, att in zip(snap.probe_images, snap.attribution)]
        with self._writer.as_default():
            write_image_summary(f"filters/{snap.layer}", _upscale(tile(filter_images(snap.filters)))[None], snap.step)
            write_image_summary(f"feature_maps/{snap.layer}", np.stack([_upscale(m, 256) for m in maps]), snap.step)
            write_image_summary("class_images", _upscale(tile(snap.class_images, columns=5), 320)[None], snap.step)
            write_image_summary(f"attribution/{self.attribution}", np.stack([_upscale(p) for p in pairs]), snap.step)
            for name, value in snap.metrics.items():
                write_scalar_summary(f"metrics/{name}", value, snap.step)
        self._writer.flush()

__all__ = ["Snapshots"]
