"""What the pages need to know about a model's layers (the layer table and the probe's facts), computed from the
model, or for the shipped model read from ``pretrained/mnist_cnn.dashboard.json`` when that file was written
from the very model file beside it (its SHA-256 is stored in it), so that a fresh server's first page (the
Model page) needs no TensorFlow. A file written for other weights is ignored, never used.

Regenerate it after retraining the shipped model: ``python scripts/make_dashboard_facts.py``.

>>> facts = shipped()
>>> facts is None or [row["name"] for row in facts["layer_table"]][:2] == ["conv1", "pool1"]
True
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cnnviz.core.pretrained import PRETRAINED_NAME, pretrained_dir

SCHEMA = 1  # bump when compute() changes what it returns: an older file is then ignored
FACTS_SUFFIX = ".dashboard.json"


def shipped_model_file() -> Path:
    return pretrained_dir() / PRETRAINED_NAME


def facts_file(model_file: str | Path) -> Path:
    """``mnist_cnn.keras`` -> ``mnist_cnn.dashboard.json`` beside it."""
    model_file = Path(model_file)
    return model_file.with_name(model_file.stem + FACTS_SUFFIX)


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (the model file: its weights and its architecture)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def compute(model) -> dict[str, Any]:
    """The facts of a Keras model: ``layer_table`` (cnnviz.layer_table) and ``layer_names`` (the probe's names
    and facts)."""
    import cnnviz

    probe = cnnviz.core.build.get_probe(model)
    names = {"all": probe.layer_names, "conv": probe.conv_layer_names, "spatial": probe.spatial_layer_names,
             "input_shape": list(probe.input_shape), "classes": probe.num_classes,
             "class_names": list(probe.class_names), "input_range": list(probe.input_range),
             "input_range_source": probe.input_range_source, "output_kind": probe.output_kind,
             "opaque": probe.opaque, "first_layer": probe.layer_names[0] if probe.layer_names else "",
             "convention": probe.convention, "mnist_like": probe.mnist_like,
             "first_conv_is_input_conv2d": _first_conv_reads_input(probe)}
    return {"layer_table": cnnviz.layer_table(model), "layer_names": names}


def _first_conv_reads_input(probe) -> bool:
    """True when the first layer is a plain Conv2D on the input (what the convolution page can show)."""
    import keras

    if not probe.layer_names or probe.opaque:
        return False
    first = probe.layer(probe.layer_names[0])
    return type(first) is keras.layers.Conv2D and probe.input_range == (0.0, 1.0)


def write(model_file: str | Path, model) -> Path:
    """Write the facts of ``model`` (loaded from ``model_file``) beside the file, keyed on the file's SHA-256."""
    target = facts_file(model_file)
    body = {"schema": SCHEMA, "model_file": Path(model_file).name, "model_sha256": file_digest(model_file),
            **compute(model)}
    target.write_text(json.dumps(body, indent=1) + "\n")
    return target


def read(model_file: str | Path) -> dict[str, Any] | None:
    """The facts stored beside ``model_file`` if they were written from this very file (same SHA-256, same
    schema), else None (the caller computes them from the model)."""
    model_file = Path(model_file)
    target = facts_file(model_file)
    try:
        body = json.loads(target.read_text())
        if body.get("schema") != SCHEMA or body.get("model_sha256") != file_digest(model_file):
            return None
        table = [{**row, "output_shape": tuple(row["output_shape"])} for row in body["layer_table"]]
        return {"layer_table": table, "layer_names": body["layer_names"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def shipped() -> dict[str, Any] | None:
    """The shipped model's facts from its file, or None when missing or written for other weights."""
    return read(shipped_model_file())
