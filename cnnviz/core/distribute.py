"""Strategies for training on several devices or machines: a registry of names over ``tf.distribute``.

cnnviz does not distribute anything itself; TensorFlow's ``tf.distribute`` is the engine.
This module turns a name ("auto", "mirrored", "multi-worker", ...) into a strategy, splits
the CPU into logical devices so that replicas can be tested without GPUs, and says which
process of a multi-worker cluster is the chief (the only one that writes results).

>>> strategy = get_strategy(None)
>>> strategy.num_replicas_in_sync
1
>>> sorted(STRATEGIES)
['auto', 'default', 'mirrored', 'multi-worker']
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from ..registry import Registry


def _default() -> tf.distribute.Strategy:
    return tf.distribute.get_strategy()


def _mirrored() -> tf.distribute.Strategy:
    """One replica per GPU; without GPUs, one per logical CPU device (see :func:`configure_cpu_devices`)."""
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    cross = tf.distribute.ReductionToOneDevice() if not gpus else None
    return tf.distribute.MirroredStrategy(devices=devices, cross_device_ops=cross)


def _auto() -> tf.distribute.Strategy:
    return _mirrored() if len(tf.config.list_logical_devices("GPU")) > 1 else _default()


class KerasMultiWorkerStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """``MultiWorkerMirroredStrategy`` that accepts the two reductions Keras 3.15's ``fit`` asks of it.

    Keras averages a peeked ``(x, y)`` batch with ``reduce("MEAN", batch, axis=None)`` and each
    step's scalar logs with ``reduce("MEAN", scalar, axis=0)``; the TensorFlow strategy refuses
    both (keras-team/keras#20585), so ``fit`` fails on the first step. Here a tuple is reduced
    element by element and a scalar over the replicas (``axis=None``): the same numbers
    ``MirroredStrategy`` gives, no other change.
    """

    def reduce(self, reduce_op, value, axis):
        if isinstance(value, (tuple, list)):
            return type(value)(self.reduce(reduce_op, v, axis) for v in value)
        if axis is not None and self.experimental_local_results(value)[0].shape.rank == 0:
            axis = None
        return super().reduce(reduce_op, value, axis)


def _multi_worker() -> tf.distribute.Strategy:
    if not os.environ.get("TF_CONFIG"):
        raise ValueError("strategy 'multi-worker' needs the TF_CONFIG environment variable (the cluster and this "
                         "process's task); see the README section 'Training on several machines'.")
    cluster = json.loads(os.environ["TF_CONFIG"])
    if "cluster" not in cluster or "task" not in cluster:
        raise ValueError(f"TF_CONFIG must have 'cluster' and 'task' keys; got {sorted(cluster)}.")
    return KerasMultiWorkerStrategy()


STRATEGIES: Registry[Callable[[], tf.distribute.Strategy]] = Registry(
    "strategy", verb="choose", hint=", or pass a tf.distribute.Strategy")
for _name, _make in {"default": _default, "auto": _auto, "mirrored": _mirrored, "multi-worker": _multi_worker}.items():
    STRATEGIES.register(_name, _make)


def get_strategy(strategy: str | tf.distribute.Strategy | None = None) -> tf.distribute.Strategy:
    """A ``tf.distribute.Strategy`` from a name in :data:`STRATEGIES`, a strategy (returned as is), or ``None``
    (the default strategy: one device, no distribution).

    >>> get_strategy("default").num_replicas_in_sync
    1
    """
    if strategy is None:
        return _default()
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    return STRATEGIES.get(strategy)()


def configure_cpu_devices(n: int | None) -> int | None:
    """Split the CPU into ``n`` logical devices (so ``MirroredStrategy`` runs ``n`` replicas without GPUs).

    This is process-wide TensorFlow configuration and only possible before TensorFlow has
    started its devices; it is done once, at the start of a program (``cnnviz train
    --cpu-devices N``) or in a fresh process. Asking again for the count already set is fine.
    Returns the number of logical CPU devices; ``None`` does nothing (and starts nothing: a
    multi-worker strategy must still be able to configure TensorFlow after it) and returns None.

    >>> configure_cpu_devices(None) is None
    True
    """
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"cpu_devices must be a whole number >= 1 (got {n!r}).")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        have = len(tf.config.list_logical_devices("CPU"))
        if have != n:
            raise ValueError(f"cpu_devices={n} cannot be set: TensorFlow already started with {have} CPU device(s) in "
                             "this process. Set it first thing in a fresh process (cnnviz train --cpu-devices N).") from None
    return len(tf.config.list_logical_devices("CPU"))


def task(strategy: tf.distribute.Strategy) -> tuple[str | None, int]:
    """(task type, task id) of this process in a multi-worker cluster; ``(None, 0)`` for one process.

    >>> task(get_strategy())
    (None, 0)
    """
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return None, 0
    return resolver.task_type, int(resolver.task_id or 0)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes results: the only process, the "chief", or worker 0 when no chief is named.

    >>> is_chief(get_strategy())
    True
    """
    task_type, task_id = task(strategy)
    if task_type is None or task_type == "chief":
        return True
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return task_type == "worker" and task_id == 0 and "chief" not in cluster


def worker_folder(output: str | os.PathLike | None, strategy: tf.distribute.Strategy) -> Path:
    """The temporary folder where a non-chief worker writes (its backup, its copy of the model).

    The same for the same output and task, so that a restarted worker finds its backup.

    >>> worker_folder("m.keras", get_strategy()).name.startswith("cnnviz-worker-")
    True
    """
    task_type, task_id = task(strategy)
    key = hashlib.sha256(str(Path(output or "model").resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"cnnviz-worker-{key}-{task_type or 'single'}-{task_id}"


def describe(strategy: tf.distribute.Strategy) -> dict:
    """What the model card records about a strategy.

    >>> describe(get_strategy())["replicas"]
    1
    """
    task_type, task_id = task(strategy)
    workers = 1
    if task_type is not None:
        spec = strategy.cluster_resolver.cluster_spec().as_dict()
        workers = sum(len(v) for k, v in spec.items() if k in ("chief", "worker"))
    try:
        devices = list(strategy.extended.worker_devices)
    except RuntimeError:  # the default strategy: wherever TensorFlow places the ops
        devices = []
    return {"strategy": type(strategy).__name__, "replicas": int(strategy.num_replicas_in_sync), "workers": workers,
            "devices": devices}
