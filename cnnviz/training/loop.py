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
from pathlib import Path

import keras
import tensorflow as tf

from ..core.distribute import configure_cpu_devices, describe, get_strategy, is_chief, worker_folder
from ..core.model import reference_model
from ..io.data import MNIST, resolve_data, to_model_input
from ..io.files import write_json
from .augment import DEFAULT as AUGMENTATION
from .pipeline import evaluation_data, training_data
from .recipes import (
    LR_SCALING_NOTES,
    LR_SCALINGS,
    RECIPES,
    Recipe,
    _check_settings,
    _schedule,
)
from .results import TrainResult, model_card, save_trained


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


#: Why a recipe's steps_per_execution becomes 1 under MultiWorkerMirroredStrategy (said in the model card).
MULTI_WORKER_STEPS_NOTE = ("1 under MultiWorkerMirroredStrategy: Keras' multi-step loop fails there at the first "
                           "step (\"You must feed a value for placeholder tensor ... while/cond/Placeholder\")")


def _steps_per_execution(recipe: Recipe, steps_per_epoch: int, callbacks, snapshots, strategy=None) -> int:
    """Batches per call into TensorFlow: the recipe's, cut to divide the epoch exactly (Keras runs out of
    data otherwise), and 1 when a callback watches single batches (snapshots every k batches) or under
    ``MultiWorkerMirroredStrategy`` (see :data:`MULTI_WORKER_STEPS_NOTE`).

    >>> _steps_per_execution(RECIPES["fast"], 1688, (), None)
    4
    >>> _steps_per_execution(RECIPES["fast"], 1687, (), None)
    1
    """
    from .callbacks import Snapshots

    watchers = [*callbacks, snapshots]
    if any(isinstance(c, Snapshots) and c.unit == "batch" for c in watchers):
        return 1
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return 1
    return math.gcd(max(1, recipe.steps_per_execution), steps_per_epoch)


def _worker_backup(scratch: Path, chief_backup: Path | None) -> Path:
    """A non-chief worker's backup folder (in its temporary folder), starting from the chief's state.

    Every worker must resume at the same epoch with the same weights, so a worker restores from
    the chief's backup (read only; on storage all workers see, as with tf.keras), not from its
    own copy, which may be an epoch behind when it was killed while saving. Without the chief's
    backup in sight it keeps its own."""
    backup = scratch / "backup"
    if chief_backup is not None and (chief_backup / "training_metadata.json").is_file():
        shutil.rmtree(backup, ignore_errors=True)
        shutil.copytree(chief_backup, backup)
    return backup


def _resumed_epoch(backup: Path | None) -> int:
    """The epoch where ``BackupAndRestore`` will resume (its ``training_metadata.json``), 0 for a fresh run."""
    meta = backup / "training_metadata.json" if backup is not None else None
    if meta is None or not meta.is_file():
        return 0
    try:
        return int(json.loads(meta.read_text()).get("epoch", 0))
    except (ValueError, OSError):
        return 0


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


def _seed_layers(model: keras.Model, seed: int) -> None:
    """Give every layer that draws random numbers while training (Dropout, GaussianNoise, random augmentation
    layers) its own state from ``seed``: the same seed, the same draws, and no global generator involved."""
    for k, layer in enumerate(model._flatten_layers(include_self=False)):
        generator = getattr(layer, "seed_generator", None)
        if isinstance(generator, keras.random.SeedGenerator):
            generator.state.assign(keras.ops.convert_to_tensor([seed * 1000 + k, 0], dtype=generator.state.dtype))


def _in_scope(model: keras.Model | None, strategy: tf.distribute.Strategy, precision: str,
              seed: int | None = None) -> keras.Model:
    """The model to train, with its variables created under ``strategy`` (a given model is cloned into it)."""
    if model is None:
        model = reference_model(seed=seed)
    elif strategy is not tf.distribute.get_strategy() or precision != "float32":
        weights = model.get_weights()
        model = keras.models.clone_model(model)
        model.set_weights(weights)
    if precision != "float32":  # every layer computes in half precision but the output layer: float32 outputs
        for layer in model.layers[:-1]:
            layer.dtype_policy = precision
    if seed is not None:
        _seed_layers(model, seed)
    return model


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
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    on_epoch: Callable[[int, dict], None] | None = None,
    backup_dir: str | os.PathLike | None = None,
    label_smoothing: float | None = None,
    strategy: str | tf.distribute.Strategy | None = None,
    cpu_devices: int | None = None,
    lr_scaling: str = "linear",
    precision: str = "float32",
    xla: bool | None = None,
    snapshots: str | os.PathLike | keras.callbacks.Callback | None = None,
) -> TrainResult:
    """Train the reference CNN (or ``model``) on MNIST with a recipe; defaults are the tutorial's.

    ``recipe``: "tutorial" (Adam, batch 128, 15 epochs), "fast" (warm-up + cosine, 3 augmented epochs)
    or "augmented" (the shipped model's). ``seed`` makes the run reproducible: it seeds the initial
    weights, the shuffling, the augmentation and any Dropout-like layer, each explicitly (no global
    random generator is seeded or read). ``output``
    saves the model atomically with its history and model card as JSON beside it; a run
    interrupted there resumes from its last finished epoch when started again. ``snapshots``: a
    folder (or a configured :class:`cnnviz.training.callbacks.Snapshots`) that records what the network
    learns each epoch; read it back with :func:`cnnviz.load_snapshots`.

    ``strategy``: None (one device), "auto" (all GPUs when there are several), "mirrored",
    "multi-worker" (configured by ``TF_CONFIG``; only the chief writes ``output``, the other
    workers write in a temporary folder), or a ``tf.distribute.Strategy``. ``batch_size`` is
    per replica: the global batch is ``batch_size`` x replicas, and the learning rate is scaled
    by ``lr_scaling`` ("linear", "sqrt", "none"). ``cpu_devices=N`` splits the CPU into N
    logical devices (before TensorFlow starts; see :func:`cnnviz.core.distribute.configure_cpu_devices`).
    ``precision="mixed_float16"`` computes in half precision, the output layer in float32, with a
    ``keras.optimizers.LossScaleOptimizer`` (dynamic loss scaling) around Adam;
    ``xla`` compiles the steps with XLA (None: Keras' choice, which is off on CPU-only machines).

    >>> result = train("sample", recipe="fast", epochs=1, verbose=0)
    >>> 0.0 <= result.test_accuracy <= 1.0
    True
    """
    if isinstance(recipe, str):
        recipe = RECIPES.get(recipe)
    epochs = recipe.epochs if epochs is None else int(epochs)
    batch_size = recipe.batch_size if batch_size is None else int(batch_size)
    learning_rate = recipe.learning_rate if learning_rate is None else float(learning_rate)
    smoothing = recipe.label_smoothing if label_smoothing is None else float(label_smoothing)
    _check_settings(epochs, batch_size, validation_split, lr_scaling, precision)
    mnist = resolve_data(data)
    configure_cpu_devices(cpu_devices)  # before anything starts TensorFlow's devices
    devices = configure_gpu()
    strategy = get_strategy(strategy)
    chief = is_chief(strategy)
    replicas = int(strategy.num_replicas_in_sync)
    global_batch = batch_size * replicas
    scaled_lr = LR_SCALINGS[lr_scaling](learning_rate, replicas)

    output = Path(output) if output is not None else None
    scratch = None if chief else worker_folder(output, strategy)  # a non-chief worker writes only here
    chief_backup = Path(backup_dir) if backup_dir else (output.with_name(output.name + ".backup") if output else None)
    backup = chief_backup if chief else _worker_backup(scratch, chief_backup)

    x, y = to_model_input(mnist.x_train), keras.utils.to_categorical(mnist.y_train, 10)
    augment = AUGMENTATION if recipe.augment else None
    inputs = training_data(x, y, batch_size=global_batch, validation_split=validation_split, seed=seed,
                           augment=augment, epochs=epochs, first_epoch=_resumed_epoch(backup))
    with strategy.scope():
        model = _in_scope(model, strategy, precision, seed)
        optimizer = keras.optimizers.Adam(_schedule(recipe, inputs.steps_per_epoch, epochs, scaled_lr),
                                          use_ema=recipe.ema)
        if precision == "mixed_float16":  # float16 gradients underflow: scale the loss up, the gradients back down
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.CategoricalCrossentropy(label_smoothing=smoothing),
            metrics=["accuracy"],
            jit_compile="auto" if xla is None else bool(xla),
            steps_per_execution=(steps := _steps_per_execution(recipe, inputs.steps_per_epoch, callbacks, snapshots,
                                                                strategy)),
        )
    if verbose and chief and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) \
            and recipe.steps_per_execution > 1:
        print(f"recipe {recipe.name!r}: steps_per_execution {MULTI_WORKER_STEPS_NOTE}.", flush=True)
    all_callbacks: list[keras.callbacks.Callback] = []
    if backup is not None:
        all_callbacks.append(keras.callbacks.BackupAndRestore(str(backup)))
    recorder = _EpochRecorder(backup / "history.partial.json" if backup else None, on_epoch)
    all_callbacks += [recorder, *callbacks]
    if snapshots is not None:
        from .callbacks import Snapshots

        all_callbacks.append(snapshots if isinstance(snapshots, keras.callbacks.Callback) else Snapshots(snapshots))

    started = time.perf_counter()
    model.fit(inputs.train, epochs=epochs, validation_data=inputs.validation, callbacks=all_callbacks,
              steps_per_epoch=inputs.steps_per_epoch, shuffle=False,
              verbose=verbose if chief else 0)
    seconds = sum(recorder.history.get("epoch_seconds", [])) or (time.perf_counter() - started)

    result = TrainResult(model=model, history=recorder.history, recipe=recipe, seconds=seconds)
    if evaluate:  # every worker takes part: the accuracy is reduced over all of them
        test = evaluation_data(to_model_input(mnist.x_test), keras.utils.to_categorical(mnist.y_test, 10))
        loss, acc = model.evaluate(test, verbose=0)
        result.test_loss, result.test_accuracy = float(loss), float(acc)
    distribution = {**describe(strategy), "chief": chief, "per_replica_batch_size": batch_size,
                    "global_batch_size": global_batch, "learning_rate_given": learning_rate,
                    "learning_rate_scaling": LR_SCALING_NOTES[lr_scaling], "learning_rate_used": scaled_lr,
                    "precision": precision, "xla": bool(model.jit_compile), "steps_per_execution": steps}
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and recipe.steps_per_execution > 1:
        distribution["steps_per_execution_note"] = MULTI_WORKER_STEPS_NOTE
    result.card = model_card(result, mnist, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                             validation_split=validation_split, seed=seed, devices=devices,
                             label_smoothing=smoothing, distribution=distribution)
    if output is not None:
        # Every worker saves (saving may read distributed variables together); only the chief's copy stays.
        written = save_trained(result, output if chief else scratch / output.name)
        result.path = written if chief else None
        if backup is not None and backup.exists():
            shutil.rmtree(backup, ignore_errors=True)
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
    return result

__all__ = ["train"]
