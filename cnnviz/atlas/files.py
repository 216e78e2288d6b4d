"""Atlas files: the top-k images of every channel, saved as one ``.npz`` beside the model, loaded, and found
again for a model (checked against the model's weights fingerprint)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ..features import TopExamples
from ..io.decode import DataError
from ..io.files import atomic_path

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
        >>> cnnviz.dataset_examples(data=cnnviz.load_sample().x_test[:50], layers=["conv1"], k=2).top("conv1", 0).indices.shape
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
        >>> a = cnnviz.dataset_examples(data=cnnviz.load_sample().x_test[:20], layers=["conv1"], k=2)
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
    >>> a = cnnviz.dataset_examples(data=cnnviz.load_sample().x_test[:20], layers=["logits"], k=1)
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

    >>> from cnnviz.core.build import get_probe
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
    from ..core.pretrained import PRETRAINED_NAME, pretrained_dir

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
