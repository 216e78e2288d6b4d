"""The Filters page's default patterns for the shipped model (each filter's maximized input, the page's default
steps and seed), optimized once and shipped beside the model (``pretrained/mnist_cnn.filter_patterns.npz``), so a
server does not spend its first seconds optimizing them. The file stores the model file's SHA-256 and the options;
it is used only when both match, so it cannot outlive the weights it was computed on (a test checks it against a
fresh computation, which catches a change of the optimization code).

Regenerate it after retraining the shipped model: ``python scripts/make_dashboard_facts.py``.

>>> shipped = read(layer_facts.shipped_model_file(), "conv1", FILTER_STEPS, 0)
>>> shipped is None or (shipped.images.shape, shipped.targets[:3])
((32, 28, 28, 1), [0, 1, 2])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz.dashboard import layer_facts
from cnnviz.optvis.presets import FILTER_STEPS

SCHEMA = 1  # bump when what compute() returns changes
SUFFIX = ".filter_patterns.npz"
LAYERS = ("conv1",)  # the page's default layer (the first conv layer); other layers are optimized on demand


@dataclass(frozen=True)
class Patterns:
    """What the Filters page shows of ``cnnviz.maximize_filter``: one image per filter, and the filter indices."""

    images: np.ndarray
    targets: list[int]


def compute(model, layer: str, channels: int, steps: int, seed: int) -> Patterns:
    """Filters ``0 .. channels - 1`` of ``layer`` maximized (``cnnviz.maximize_filter``)."""
    import cnnviz

    result = cnnviz.maximize_filter(layer, list(range(channels)), model=model, steps=steps, seed=seed)
    return Patterns(np.asarray(result.images, np.float32), [int(t) for t in result.targets])


def patterns_file(model_file: str | Path) -> Path:
    model_file = Path(model_file)
    return model_file.with_name(model_file.stem + SUFFIX)


def write(model_file: str | Path, model, layers: tuple[str, ...] = LAYERS, steps: int = FILTER_STEPS,
          seed: int = 0) -> Path:
    """Optimize ``layers``' patterns of ``model`` (loaded from ``model_file``) and save them beside the file."""
    meta = {"schema": SCHEMA, "model_sha256": layer_facts.file_digest(model_file), "steps": int(steps),
            "seed": int(seed), "layers": list(layers)}
    arrays = {}
    for layer in layers:
        patterns = compute(model, layer, int(model.get_layer(layer).output.shape[-1]), steps, seed)
        arrays[f"{layer}/images"], arrays[f"{layer}/targets"] = patterns.images, np.asarray(patterns.targets)
    target = patterns_file(model_file)
    with open(target, "wb") as file:  # a file object: np.savez_compressed would append .npz to the name
        np.savez_compressed(file, meta=np.asarray(json.dumps(meta)), **arrays)
    return target


def read(model_file: str | Path, layer: str, steps: int, seed: int) -> Patterns | None:
    """The shipped patterns of ``layer`` if they were computed from this very model file with these steps and
    seed, else None (the caller optimizes them)."""
    try:
        with np.load(patterns_file(model_file), allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if (meta.get("schema") != SCHEMA or meta.get("steps") != int(steps) or meta.get("seed") != int(seed)
                    or layer not in meta.get("layers", []) or meta.get("model_sha256") != layer_facts.file_digest(model_file)):
                return None
            return Patterns(np.array(data[f"{layer}/images"]), [int(t) for t in data[f"{layer}/targets"]])
    except (OSError, ValueError, KeyError):
        return None
