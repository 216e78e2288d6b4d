"""The tutorial's reference CNN, loading and atomic saving, and the model card.

>>> import cnnviz
>>> cnnviz.model.reference_model().count_params()
34826
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import weakref
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keras

PACKAGE_DIR = Path(__file__).resolve().parent
PRETRAINED_NAME = "mnist_cnn.keras"
MAX_MODEL_BYTES = 200 * 1024 * 1024

LAYER_NAMES = ("conv1", "pool1", "conv2", "pool2", "flatten", "predictions")


class ModelError(ValueError):
    """A model file could not be read, or is not an image classifier cnnviz can show."""


def reference_model(input_shape: tuple[int, int, int] = (28, 28, 1), num_classes: int = 10,
                    seed: int | None = None) -> keras.Model:
    """The tutorial's CNN: Conv2D 32 3x3 ReLU, MaxPool 2x2, Conv2D 64 3x3 ReLU, MaxPool 2x2, Flatten, Dense softmax.

    Layers are named conv1, pool1, conv2, pool2, flatten, predictions. Not compiled: see
    :func:`cnnviz.train`. ``seed``: each layer's initializer gets its own seed from it (the same seed, the same
    weights), without touching any global random state; None draws from Keras' global generator.

    >>> [layer.name for layer in reference_model().layers]
    ['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'predictions']
    """
    layers = keras.layers

    def init(k: int) -> Any:
        return "glorot_uniform" if seed is None else keras.initializers.GlorotUniform(seed=seed * 1000 + k)

    return keras.Sequential(
        [
            keras.Input(shape=input_shape, name="image"),
            layers.Conv2D(32, (3, 3), activation="relu", name="conv1", kernel_initializer=init(1)),
            layers.MaxPooling2D((2, 2), name="pool1"),
            layers.Conv2D(64, (3, 3), activation="relu", name="conv2", kernel_initializer=init(2)),
            layers.MaxPooling2D((2, 2), name="pool2"),
            layers.Flatten(name="flatten"),
            layers.Dense(num_classes, activation="softmax", name="predictions", kernel_initializer=init(3)),
        ],
        name="mnist_cnn",
    )


def pretrained_dir() -> Path:
    """Where the shipped model lives: inside the installed package, or ``pretrained/`` of a checkout.

    >>> (pretrained_dir() / "mnist_cnn.keras").is_file()
    True
    """
    for candidate in (PACKAGE_DIR / "pretrained", PACKAGE_DIR.parent / "pretrained"):
        if (candidate / PRETRAINED_NAME).is_file():
            return candidate
    return PACKAGE_DIR.parent / "pretrained"


_shipped_lock = threading.Lock()
_shipped: keras.Model | None = None

# facts cnnviz keeps about a model object: the card it was loaded with, and what the user said (input_range)
_cards: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_remembered: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def load_model(path: str | os.PathLike | None = None) -> keras.Model:
    """Load a Keras model safely (``safe_mode=True``: no arbitrary code); no path -> the shipped model.

    Every call returns a model of the caller's own (changing or training it affects no one else).
    The model card beside the file (``<name>.card.json``) is kept with the model: its ``input_range``
    and ``class_names`` are part of the model contract (see :func:`cnnviz.probe.get_probe`).
    Errors are :class:`ModelError`s that say what was wrong.

    >>> load_model().count_params()
    34826
    >>> load_model() is load_model()
    False
    """
    if path is None:
        default = pretrained_dir() / PRETRAINED_NAME
        if not default.is_file():
            raise ModelError(
                f"the shipped model {default} is missing. Reinstall cnnviz, or train one with `cnnviz train`."
            )
        return _load(default)
    return _load(Path(path).expanduser())


def load_shipped() -> keras.Model:
    """The shipped model, loaded once and shared read-only by library calls given no model (``model=None``).

    Callers who want to change a model use :func:`load_model`, which gives them their own.

    >>> load_shipped() is load_shipped()
    True
    """
    global _shipped
    with _shipped_lock:
        if _shipped is None:
            _shipped = load_model()
            _shipped.trainable = False
        return _shipped


def card_of(model: keras.Model) -> dict | None:
    """The card a model was loaded with, merged with what the user told cnnviz about it (``input_range``).

    >>> card_of(load_model())["parameters"]
    34826
    """
    card = dict(_cards.get(model) or {})
    card.update(_remembered.get(model) or {})
    return card or None


def remember(model: keras.Model, **facts: Any) -> None:
    """Keep ``facts`` (``input_range=(lo, hi)``, ``class_names=[...]``) with ``model``; saved into its card.

    >>> m = reference_model(); remember(m, input_range=(0, 255)); card_of(m)["input_range"]
    [0.0, 255.0]
    """
    entry = _remembered.setdefault(model, {})
    for key, value in facts.items():
        entry[key] = [float(v) for v in value] if key == "input_range" else list(value)


def _load(path: Path) -> keras.Model:
    if path.is_dir():
        raise ModelError(f"{path} is a folder, not a model file; give the path of a .keras file.")
    if not path.is_file():
        raise ModelError(f"model file {path} does not exist.")
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise ModelError(f"model file {path} is {size / 2**20:.0f} MiB; cnnviz reads models up to {MAX_MODEL_BYTES / 2**20:.0f} MiB.")
    if path.suffix not in (".keras", ".h5", ".hdf5"):
        raise ModelError(f"{path.name}: cnnviz reads Keras 3 '.keras' files (or legacy '.h5'); save with model.save('x.keras').")
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise ModelError(f"{path.name} is not a valid .keras file (truncated or not a zip); "
                         "save the model again with model.save('name.keras').")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        raise ModelError(_load_error(path, exc)) from None
    check_classifier(model, name=path.name)
    card = read_sidecar(path, "card")
    if card:
        _cards[model] = card
    return model


def _load_error(path: Path, exc: BaseException) -> str:
    """One line that says why ``path`` could not be loaded (Keras' own message kept whole, without colour codes)."""
    from .messages import one_line

    text = one_line(exc)
    if "Could not locate class" in text or "custom_objects" in text:
        return (f"{path.name} holds a model with a class of its own (a subclassed keras.Model or custom layer: "
                f"{one_line(text, 300)}). A file cannot carry that code. In Python, import the module that defines "
                "the class (decorated with @keras.saving.register_keras_serializable()) and pass the model object "
                "(model=...); for the CLI and the dashboard, rebuild the network with the functional API "
                "(keras.Input -> layers -> keras.Model), copy the weights, and save that.")
    if "safe_mode" in text or "unsafe_deserialization" in text:
        return (f"{path.name} holds Python code (a Lambda layer or a custom object), and cnnviz loads models in safe "
                "mode, so it never runs code from a file. Rebuild the model without Lambda layers, or, if you trust "
                "the file, load it yourself with keras.saving.load_model(path, safe_mode=False) and pass the model "
                f"object. Keras said: {text}")
    if isinstance(exc, (zipfile.BadZipFile, EOFError)) or "zip" in text.lower():
        return f"{path.name} is not a valid .keras file (truncated or not a zip): {text}"
    return f"{path.name} could not be loaded as a Keras model: {exc.__class__.__name__}: {text}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


def check_classifier(model: Any, name: str = "the model") -> None:
    """Raise :class:`ModelError` unless ``model`` maps one image batch to one vector of class scores.

    >>> check_classifier(reference_model())
    """
    if not isinstance(model, keras.Model):
        raise ModelError(f"{name} is a {type(model).__name__}, not a Keras model.")
    try:
        inputs, outputs = model.inputs or [], model.outputs or []
    except AttributeError:
        return  # a subclassed model: the probe traces it (or says what it cannot show)
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(f"{name} has {len(inputs)} inputs and {len(outputs)} outputs; cnnviz shows models with one image input and one class output.")
    in_shape, out_shape = tuple(inputs[0].shape), tuple(outputs[0].shape)
    if len(in_shape) != 4 or (in_shape[-1] not in (1, 3)):
        raise ModelError(f"{name} takes input of shape {in_shape}; cnnviz needs images (batch, height, width, 1 or 3 channels).")
    if len(out_shape) != 2 or (out_shape[-1] or 0) < 1:
        raise ModelError(f"{name} outputs shape {out_shape}; cnnviz needs a classifier that outputs (batch, classes) "
                         "(one sigmoid unit counts as two classes).")


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on failure remove it.

    >>> with atomic_path("/tmp/cnnviz-doc.txt") as tmp:
    ...     _ = Path(tmp).write_text("hello")
    >>> Path("/tmp/cnnviz-doc.txt").read_text()
    'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.tmp-", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # let the writer create it; some writers refuse existing files
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def save_model(model: keras.Model, path: str | os.PathLike) -> Path:
    """Save ``model`` as a ``.keras`` file atomically: an interrupted save leaves the old file intact. A described
    model (:func:`cnnviz.describe`) is saved with its range, class names and convention in the card beside it.

    >>> save_model(reference_model(), "/tmp/cnnviz-doc.keras").name
    'cnnviz-doc.keras'
    """
    from .probe import Probe

    path = Path(path)
    if path.suffix != ".keras":
        raise ModelError(f"save to a '.keras' file (got {path.name}); Keras 3 saves models in its .keras format.")
    said = {}
    if isinstance(model, Probe):  # a described model (cnnviz.describe): what the user said goes into the card
        said = {"input_range": [float(v) for v in model.input_range], "class_names": list(model.class_names),
                "convention": model.convention}
        model = model.source
    with atomic_path(path, suffix=".keras") as tmp:
        model.save(tmp)
    facts = {**(_remembered.get(model) or {}), **said}
    if facts:  # what the user told cnnviz (input_range=...) goes into the card beside the file
        card = read_sidecar(path, "card") or {}
        write_json({**card, **facts}, sidecar(path, "card"))
    return path


def write_json(data: Any, path: str | os.PathLike) -> Path:
    """Write JSON atomically.

    >>> write_json({"a": 1}, "/tmp/cnnviz-doc.json").read_text()
    '{\\n  "a": 1\\n}'
    """
    path = Path(path)
    with atomic_path(path, suffix=".json") as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_jsonable))
    return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def sidecar(path: str | os.PathLike, kind: str) -> Path:
    """The JSON file saved beside a model: ``kind`` is 'history' or 'card'.

    >>> sidecar("out/model.keras", "history").name
    'model.history.json'
    """
    path = Path(path)
    return path.with_name(f"{path.stem}.{kind}.json")


def read_sidecar(path: str | os.PathLike | None, kind: str) -> dict | None:
    """The history or card saved beside a model (``None`` path: the shipped model's), or None.

    >>> read_sidecar(None, "card")["test_accuracy"] >= 0.992
    True
    """
    model_path = pretrained_dir() / PRETRAINED_NAME if path is None else Path(path)
    file = sidecar(model_path, kind)
    if not file.is_file():
        return None
    try:
        return json.loads(file.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def layer_table(model: keras.Model) -> list[dict[str, Any]]:
    """One row per layer: name, type, output shape, parameters: the tutorial's 28x28 -> 26x26 -> 13x13 ...

    A subclassed model's rows come from its traced layers (or one row for the whole model when it cannot
    be traced).

    >>> [row["output_shape"] for row in layer_table(reference_model())][:2]
    [(26, 26, 32), (13, 13, 32)]
    """
    from .graph import is_graph_model

    if is_graph_model(model):
        return [_row(layer.name, layer, layer.output.shape) for layer in _layers(model)]
    from .probe import get_probe

    probe = get_probe(model)
    model = probe.source  # a described model (cnnviz.describe): its Keras model
    if is_graph_model(model):
        return [_row(layer.name, layer, layer.output.shape) for layer in _layers(model)]
    if probe.opaque:
        return [_row(model.name, model, probe.model.outputs[0].shape)]
    return [_row(name, probe.layer(name), probe.tensor(name).shape) for name in probe.layer_names]


def _row(name: str, layer: keras.layers.Layer, shape: Any) -> dict[str, Any]:
    return {"name": name, "type": type(layer).__name__, "output_shape": tuple(shape[1:]),
            "parameters": int(layer.count_params())}


def _layers(model: keras.Model) -> Iterable[keras.layers.Layer]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


__all__ = ["ModelError", "layer_table", "load_model", "reference_model", "save_model"]
