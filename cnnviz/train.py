"""Train the reference CNN the tutorial's way (or faster), Keras-style.

>>> import cnnviz
>>> result = cnnviz.train(cnnviz.load_sample(), epochs=1, verbose=0)
>>> sorted(result.history)[:2]
['accuracy', 'epoch_seconds']
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .data import MNIST, resolve_data, to_model_input
from .model import read_sidecar, reference_model, save_model, sidecar, write_json

TUTORIAL_TEST_ACCURACY = 0.9893


@dataclass(frozen=True)
class Recipe:
    """How to train: the tutorial's recipe, or a faster one. Every field can be overridden in ``train``."""

    name: str
    epochs: int
    batch_size: int
    learning_rate: float
    schedule: str = "constant"  # or "warmup_cosine": linear warm-up, then cosine decay to zero
    warmup_fraction: float = 0.0
    augment: bool = False
    ema: bool = False  # keep an exponential moving average of the weights and end on it
    description: str = ""


RECIPES: dict[str, Recipe] = {
    "tutorial": Recipe(
        "tutorial", epochs=15, batch_size=128, learning_rate=1e-3,
        description="The tutorial's recipe: Adam (lr 0.001), batch 128, 15 epochs, validation_split 0.1.",
    ),
    "fast": Recipe(
        "fast", epochs=2, batch_size=128, learning_rate=6e-3, schedule="warmup_cosine", warmup_fraction=0.1,
        description="Adam with a linear warm-up to lr 0.006 then cosine decay to zero (one cycle), batch 128, 2 epochs.",
    ),
    "augmented": Recipe(
        "augmented", epochs=24, batch_size=128, learning_rate=3e-3, schedule="warmup_cosine", warmup_fraction=0.05,
        augment=True, ema=True,
        description="Warm-up + cosine Adam (peak lr 0.003) with a moving average of the weights, batch 128, "
        "24 epochs, small random shifts/rotations/zooms of the training images. The shipped model's recipe.",
    ),
}


@dataclass
class TrainResult:
    """What :func:`train` returns: the model, its per-epoch history, and the test score when computed."""

    model: keras.Model
    history: dict[str, list[float]]
    recipe: Recipe
    seconds: float
    test_loss: float | None = None
    test_accuracy: float | None = None
    path: Path | None = None
    card: dict[str, Any] = field(default_factory=dict)


def configure_gpu() -> list[str]:
    """Turn on memory growth on every GPU (the tutorial's ``allow_growth``); return their names.

    >>> isinstance(configure_gpu(), list)
    True
    """
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised: growth must be set before first use
            pass
    return [gpu.name for gpu in gpus]


def _schedule(recipe: Recipe, steps_per_epoch: int, epochs: int, learning_rate: float):
    if recipe.schedule == "constant":
        return learning_rate
    total = max(1, steps_per_epoch * epochs)
    warmup = max(1, int(total * recipe.warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate / 25, decay_steps=total - warmup, alpha=0.0,
        warmup_target=learning_rate, warmup_steps=warmup,
    )


def _augmenter(seed: int | None) -> keras.Sequential:
    layers = keras.layers
    return keras.Sequential(
        [
            layers.RandomRotation(0.03, fill_mode="constant", seed=seed),
            layers.RandomZoom(0.05, fill_mode="constant", seed=seed),
            layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed),
        ],
        name="augment",
    )


def _train_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, augment: bool, seed: int | None) -> tf.data.Dataset:
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if augment:
        aug = _augmenter(seed)
        ds = ds.map(lambda a, b: (aug(a, training=True), b), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


class _EpochRecorder(keras.callbacks.Callback):
    """Records per-epoch logs, seconds and learning rate; keeps a partial history for resuming."""

    def __init__(self, partial_path: Path | None, on_epoch: Callable[[int, dict], None] | None):
        super().__init__()
        self.partial_path = partial_path
        self.on_epoch = on_epoch
        self.history: dict[str, list[float]] = {}
        self._first_epoch: int | None = None
        self._started = 0.0
        if partial_path is not None and partial_path.is_file():
            self.history = json.loads(partial_path.read_text())

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:  # BackupAndRestore decides where this run starts
            self._first_epoch = epoch
            self.history = {k: v[:epoch] for k, v in self.history.items()}
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        logs["epoch_seconds"] = time.perf_counter() - self._started
        lr = self.model.optimizer.learning_rate
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(lr))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        if self.partial_path is not None:
            write_json(self.history, self.partial_path)
        if self.on_epoch is not None:
            self.on_epoch(epoch, logs)


def train(
    data: MNIST | str | os.PathLike | None = None,
    *,
    recipe: str | Recipe = "tutorial",
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    validation_split: float = 0.1,
    seed: int | None = None,
    output: str | os.PathLike | None = None,
    model: keras.Model | None = None,
    evaluate: bool = True,
    verbose: int = 1,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    on_epoch: Callable[[int, dict], None] | None = None,
    backup_dir: str | os.PathLike | None = None,
    snapshots: str | os.PathLike | keras.callbacks.Callback | None = None,
) -> TrainResult:
    """Train the reference CNN (or ``model``) on MNIST with a recipe; defaults are the tutorial's.

    ``recipe``: "tutorial" (Adam, batch 128, 15 epochs), "fast" (warm-up + cosine, 2 epochs)
    or "augmented" (the shipped model's). ``seed`` makes the run reproducible. ``output``
    saves the model atomically with its history and model card as JSON beside it; a run
    interrupted there resumes from its last finished epoch when started again. ``snapshots``: a
    folder (or a configured :class:`cnnviz.callbacks.Snapshots`) that records what the network
    learns each epoch; read it back with :func:`cnnviz.load_snapshots`.

    >>> result = train("sample", recipe="fast", epochs=1, verbose=0)
    >>> 0.0 <= result.test_accuracy <= 1.0
    True
    """
    if isinstance(recipe, str):
        if recipe not in RECIPES:
            raise ValueError(f"unknown recipe {recipe!r}; choose one of: {', '.join(RECIPES)}.")
        recipe = RECIPES[recipe]
    epochs = recipe.epochs if epochs is None else int(epochs)
    batch_size = recipe.batch_size if batch_size is None else int(batch_size)
    learning_rate = recipe.learning_rate if learning_rate is None else float(learning_rate)
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be at least 1 (got epochs={epochs}, batch_size={batch_size}).")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1) (got {validation_split}).")
    mnist = resolve_data(data)
    devices = configure_gpu()
    if seed is not None:
        keras.utils.set_random_seed(seed)

    x, y = to_model_input(mnist.x_train), keras.utils.to_categorical(mnist.y_train, 10)
    n_val = int(len(x) * validation_split)  # Keras' validation_split: the last fraction, unshuffled
    x_fit, y_fit, val = x[: len(x) - n_val], y[: len(y) - n_val], None
    if n_val:
        val = (x[len(x) - n_val :], y[len(y) - n_val :])
    steps = math.ceil(len(x_fit) / batch_size)

    model = model if model is not None else reference_model()
    model.compile(
        optimizer=keras.optimizers.Adam(_schedule(recipe, steps, epochs, learning_rate), use_ema=recipe.ema),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    output = Path(output) if output is not None else None
    backup = Path(backup_dir) if backup_dir else (output.with_name(output.name + ".backup") if output else None)
    all_callbacks: list[keras.callbacks.Callback] = []
    if backup is not None:
        all_callbacks.append(keras.callbacks.BackupAndRestore(str(backup)))
    recorder = _EpochRecorder(backup / "history.partial.json" if backup else None, on_epoch)
    all_callbacks += [recorder, *callbacks]
    if snapshots is not None:
        from .callbacks import Snapshots

        all_callbacks.append(snapshots if isinstance(snapshots, keras.callbacks.Callback) else Snapshots(snapshots))

    started = time.perf_counter()
    if recipe.augment:
        model.fit(_train_dataset(x_fit, y_fit, batch_size, True, seed), epochs=epochs, shuffle=False,
                  validation_data=val, callbacks=all_callbacks, verbose=verbose)
    else:  # exactly the tutorial's call: model.fit on numpy arrays, Keras shuffles each epoch
        model.fit(x_fit, y_fit, batch_size=batch_size, epochs=epochs, validation_data=val,
                  callbacks=all_callbacks, verbose=verbose)
    seconds = sum(recorder.history.get("epoch_seconds", [])) or (time.perf_counter() - started)

    result = TrainResult(model=model, history=recorder.history, recipe=recipe, seconds=seconds)
    if evaluate:
        loss, acc = model.evaluate(to_model_input(mnist.x_test), keras.utils.to_categorical(mnist.y_test, 10),
                                   batch_size=1000, verbose=0)
        result.test_loss, result.test_accuracy = float(loss), float(acc)
    result.card = model_card(result, mnist, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                             validation_split=validation_split, seed=seed, devices=devices)
    if output is not None:
        result.path = save_trained(result, output)
        if backup is not None and backup.exists():
            shutil.rmtree(backup, ignore_errors=True)
    return result


def save_trained(result: TrainResult, path: str | os.PathLike) -> Path:
    """Save a trained model with ``<name>.history.json`` and ``<name>.card.json`` beside it, all atomically.

    >>> r = train("sample", epochs=1, verbose=0)
    >>> save_trained(r, "/tmp/cnnviz-doc-model.keras").name
    'cnnviz-doc-model.keras'
    """
    path = Path(path)
    save_model(result.model, path)
    write_json(result.history, sidecar(path, "history"))
    write_json(result.card, sidecar(path, "card"))
    return path


def model_card(result: TrainResult, mnist: MNIST, **settings: Any) -> dict[str, Any]:
    """The facts of a training run as a JSON-able dict."""
    import platform

    return {
        "model": result.model.name,
        "parameters": int(result.model.count_params()),
        "test_accuracy": result.test_accuracy,
        "test_loss": result.test_loss,
        "recipe": result.recipe.name,
        "recipe_description": result.recipe.description,
        "epochs_run": len(result.history.get("loss", [])),
        "seconds": round(result.seconds, 1),
        "data": {"source": Path(mnist.source).name, "sha256": mnist.sha256(), "train_images": int(len(mnist.x_train)),
                 "test_images": int(len(mnist.x_test))},
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count(),
                    "gpus": settings.pop("devices", [])},
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "python": platform.python_version()},
        "settings": settings,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def load_history(path: str | os.PathLike | None = None) -> dict[str, list[float]] | None:
    """The training history saved beside a model (``None``: the shipped model's).

    >>> len(load_history()["accuracy"]) >= 1
    True
    """
    return read_sidecar(path, "history")


def load_card(path: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The model card saved beside a model (``None``: the shipped model's).

    >>> load_card()["parameters"]
    34826
    """
    return read_sidecar(path, "card")
