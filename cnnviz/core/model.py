"""The tutorial's reference CNN and loading models safely (the shipped one shared read-only).

>>> reference_model().count_params()
34826
"""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path
from typing import Any

import keras

from .cards import keep_card, read_sidecar
from .checks import ModelError, check_classifier
from .messages import one_line
from .pretrained import PRETRAINED_NAME, pretrained_dir

MAX_MODEL_BYTES = 200 * 1024 * 1024

LAYER_NAMES = ("conv1", "pool1", "conv2", "pool2", "flatten", "predictions")


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


_shipped_lock = threading.Lock()
_shipped: keras.Model | None = None

def load_model(path: str | os.PathLike | None = None) -> keras.Model:
    """Load a Keras model safely (``safe_mode=True``: no arbitrary code); no path -> the shipped model.

    Every call returns a model of the caller's own (changing or training it affects no one else).
    The model card beside the file (``<name>.card.json``) is kept with the model: its ``input_range``
    and ``class_names`` are part of the model contract (see :func:`cnnviz.core.build.get_probe`).
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
        keep_card(model, card)
    return model


def _load_error(path: Path, exc: BaseException) -> str:
    """One line that says why ``path`` could not be loaded (Keras' own message kept whole, without colour codes)."""
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

__all__ = ["reference_model", "load_model", "load_shipped"]
