"""Snapshots of a network while it trains: one ``.npz`` per snapshot plus an index, written atomically.

:class:`cnnviz.training.callbacks.Snapshots` writes them during ``model.fit``; :func:`load_snapshots`
reads a folder back (also the folder of a run that was killed: every file on disk is complete).

>>> run = load_snapshots()            # the run shipped with cnnviz
>>> run.steps[0], len(run) > 3
(0, True)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.display import shows
from ..core.pretrained import pretrained_dir
from ..io.files import atomic_path, write_json

INDEX_NAME = "snapshots.json"
FORMAT_VERSION = 1
#: where the shipped run lives, inside ``pretrained/``
SHIPPED_RUN = "snapshots"


@shows("cnnviz.notebook:_plot_snapshot")  # drawn by this figure when it ends a notebook cell
@dataclass
class Snapshot:
    """What the network looked like at one moment of training.

    ``filters``: the first conv layer's kernels (kh, kw, in, out); ``feature_maps``: that layer's
    activations for the probe images (N, h, w, channels); ``class_images``: one image per class in
    ``classes`` (K, H, W, C) in [0, 1]; ``attribution``: a saliency map per probe image (N, H, W) in
    [0, 1] towards ``attribution_targets``; ``metrics``: the logs Keras gave at that moment.
    """

    step: int
    epoch: float
    unit: str
    metrics: dict[str, float]
    filters: np.ndarray
    feature_maps: np.ndarray
    probe_images: np.ndarray
    probe_probabilities: np.ndarray
    class_images: np.ndarray
    class_probabilities: np.ndarray
    classes: list[int]
    attribution: np.ndarray
    attribution_targets: list[int]
    layer: str
    seconds: float = 0.0
    path: Path | None = None

    @property
    def label(self) -> str:
        """'start (untrained)', 'epoch 3' or 'batch 400 (epoch 0.95)'."""
        if self.step == 0:
            return "start (untrained)"
        if self.unit == "epoch":
            return f"epoch {self.step}"
        return f"batch {self.step} (epoch {self.epoch:.2f})"


@shows("cnnviz.replay:plot_snapshots")  # drawn by this figure when it ends a notebook cell
@dataclass
class SnapshotRun:
    """Every snapshot of one training run, in step order, and what the index says about the run."""

    snapshots: list[Snapshot]
    directory: Path
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.snapshots)

    def __getitem__(self, i: int) -> Snapshot:
        return self.snapshots[i]

    def __iter__(self):
        return iter(self.snapshots)

    @property
    def steps(self) -> list[int]:
        return [s.step for s in self.snapshots]

    def metric(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of one metric over the snapshots that have it."""
        pairs = [(s.step, s.metrics[name]) for s in self.snapshots if name in s.metrics]
        if not pairs:
            return np.zeros(0), np.zeros(0)
        steps, values = zip(*pairs)
        return np.asarray(steps), np.asarray(values, dtype=float)


def snapshot_file(directory: str | os.PathLike, step: int) -> Path:
    """``snapshot-000042.npz`` in ``directory``.

    >>> snapshot_file("logs", 42).name
    'snapshot-000042.npz'
    """
    return Path(directory) / f"snapshot-{int(step):06d}.npz"


_ARRAYS = ("filters", "feature_maps", "probe_images", "probe_probabilities", "class_images", "class_probabilities",
           "attribution")


def write_snapshot(snapshot: Snapshot, directory: str | os.PathLike, info: dict[str, Any] | None = None) -> Path:
    """Write one snapshot (atomically) and rewrite the folder's index (atomically); return the .npz path.

    Large arrays are stored as float16. A reader never sees a half-written file.
    """
    directory = Path(directory)
    path = snapshot_file(directory, snapshot.step)
    meta = {"step": snapshot.step, "epoch": snapshot.epoch, "unit": snapshot.unit, "metrics": snapshot.metrics,
            "classes": snapshot.classes, "attribution_targets": snapshot.attribution_targets,
            "layer": snapshot.layer, "seconds": snapshot.seconds}
    arrays = {name: np.asarray(getattr(snapshot, name)) for name in _ARRAYS}
    arrays = {k: (v.astype(np.float16) if v.dtype.kind == "f" and k != "filters" else v) for k, v in arrays.items()}
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
    index_path = directory / INDEX_NAME
    index = _read_index(directory)
    index.update(info or {})
    index["version"] = FORMAT_VERSION
    entries = {e["step"]: e for e in index.get("snapshots", [])}
    entries[snapshot.step] = {"step": snapshot.step, "epoch": snapshot.epoch, "file": path.name,
                              "metrics": snapshot.metrics, "seconds": round(snapshot.seconds, 4)}
    index["snapshots"] = [entries[k] for k in sorted(entries)]
    write_json(index, index_path)
    snapshot.path = path
    return path


def _read_index(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / INDEX_NAME).read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def read_snapshot(path: str | os.PathLike) -> Snapshot:
    """One snapshot file.

    >>> read_snapshot(load_snapshots()[0].path).step
    0
    """
    path = Path(path)
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        arrays = {name: data[name].astype(np.float32) for name in _ARRAYS}
    return Snapshot(step=int(meta["step"]), epoch=float(meta["epoch"]), unit=meta["unit"], metrics=meta["metrics"],
                    classes=list(meta["classes"]), attribution_targets=list(meta["attribution_targets"]),
                    layer=meta["layer"], seconds=float(meta.get("seconds", 0.0)), path=path, **arrays)


def snapshots_beside(model_path: str | os.PathLike) -> Path:
    """Where a model's training snapshots live by convention: ``model.keras`` -> ``model.snapshots/``.

    ``cnnviz train -o model.keras --snapshots`` and the dashboard's Train page write there, and the
    report shows "How it learned" when it finds them.

    >>> snapshots_beside("out/mnist_cnn.keras").as_posix()
    'out/mnist_cnn.snapshots'
    """
    path = Path(model_path)
    return path.with_name(f"{path.stem}.snapshots")


def shipped_snapshots_dir() -> Path:
    """The folder of the training run shipped with cnnviz (see ``info`` of :func:`load_snapshots`).

    >>> shipped_snapshots_dir().name
    'snapshots'
    """
    return pretrained_dir() / SHIPPED_RUN


def load_snapshots(log_dir: str | os.PathLike | None = None) -> SnapshotRun:
    """Read every snapshot in ``log_dir`` (``None``: the run shipped with cnnviz), in step order.

    Reads the ``snapshot-*.npz`` files themselves, so a run killed mid-way (or a missing index)
    still loads; an unreadable file is skipped and named in ``info["skipped"]``. Raises
    ``FileNotFoundError`` when the folder holds no snapshot.

    >>> run = load_snapshots()
    >>> run[0].class_images.shape[1:]
    (28, 28, 1)
    """
    directory = shipped_snapshots_dir() if log_dir is None else Path(log_dir).expanduser()
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a folder; give the log_dir a Snapshots callback wrote to.")
    snapshots, skipped = [], []
    for path in sorted(directory.glob("snapshot-*.npz")):
        try:
            snapshots.append(read_snapshot(path))
        except (OSError, ValueError, KeyError, json.JSONDecodeError, EOFError):
            skipped.append(path.name)
    if not snapshots:
        raise FileNotFoundError(f"no snapshots in {directory}; train with cnnviz.train(..., snapshots=DIR) or "
                                "model.fit(..., callbacks=[cnnviz.training.callbacks.Snapshots(DIR)]).")
    snapshots.sort(key=lambda s: s.step)
    info = {k: v for k, v in _read_index(directory).items() if k != "snapshots"}
    if skipped:
        info["skipped"] = skipped
    return SnapshotRun(snapshots=snapshots, directory=directory, info=info)


def tile(images: np.ndarray, columns: int | None = None, pad: int = 1, value: float = 1.0) -> np.ndarray:
    """Lay a batch (N, H, W, C) out as one image grid (rows*H + pads, columns*W + pads, C).

    >>> tile(np.zeros((6, 4, 4, 1)), columns=3).shape
    (9, 14, 1)
    """
    images = np.asarray(images, np.float32)
    n, h, w, c = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    grid = np.full((rows * h + (rows - 1) * pad, columns * w + (columns - 1) * pad, c), value, np.float32)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        grid[r * (h + pad): r * (h + pad) + h, col * (w + pad): col * (w + pad) + w] = image
    return grid


def filter_images(kernels: np.ndarray) -> np.ndarray:
    """Conv kernels (kh, kw, in, out) -> displayable images (out, kh, kw, 1 or 3) in [0, 1], 0.5 = zero weight.

    One scale for all filters (the largest absolute weight), so strong and weak filters compare.

    >>> filter_images(np.ones((3, 3, 1, 4))).shape
    (4, 3, 3, 1)
    """
    k = np.asarray(kernels, np.float32)
    k = k if k.shape[2] in (1, 3) else k.mean(axis=2, keepdims=True)
    scale = float(np.abs(k).max()) or 1.0
    return np.transpose(0.5 + 0.5 * k / scale, (3, 0, 1, 2))


def normalize_maps(maps: np.ndarray) -> np.ndarray:
    """The first image's feature maps (N, h, w, C) -> (C, h, w, 1), each map min-max scaled to [0, 1].

    >>> normalize_maps(np.arange(8.0).reshape(1, 2, 2, 2)).shape
    (2, 2, 2, 1)
    """
    m = np.moveaxis(np.asarray(maps, np.float32)[0], -1, 0)[..., None]
    lo = m.min(axis=(1, 2, 3), keepdims=True)
    hi = m.max(axis=(1, 2, 3), keepdims=True)
    return np.where(hi > lo, (m - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0)


__all__ = ["Snapshot", "SnapshotRun", "load_snapshots"]
