"""Run the rest of a network from a layer: with the layer's activations edited, or with their gradient.

Both are compiled (``tf.function``; no eager backward pass) and work on any graph the probe can read,
residual branches included: the probe's flat graph is replayed with one layer's output replaced.

>>> import cnnviz, numpy as np
>>> probe = cnnviz.core.build.get_probe()
>>> x = probe.prepare(cnnviz.load_sample().x_test[:2])
>>> acts, grads, logits = gradients(probe, "conv2", x, np.array([7, 2]))
>>> acts.shape == grads.shape, bool(np.allclose(logits_from(probe, "conv2", x, acts), logits, atol=1e-4))
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ..core.batches import FORWARD_BATCH
from ..core.probe import Probe


def _replay(probe: Probe, layer: str, images: tf.Tensor, replace: Callable[[tf.Tensor], tf.Tensor]) -> tf.Tensor:
    """The logits with ``layer``'s output ``a`` replaced by ``replace(a)`` (inference mode)."""
    alias = probe.tensor(layer)._keras_history.operation
    graph = probe.logits_model

    def call(op: Any, *args: Any, **kwargs: Any) -> Any:
        if "training" in getattr(op, "_call_context_args", {}):
            kwargs["training"] = False
        out = op(*args, **kwargs)
        return replace(out) if op is alias else out

    return graph._run_through_graph([images], operation_fn=lambda op: op, call_fn=call)


def _compiled(probe: Probe, layer: str) -> dict[str, Callable]:
    key = ("concepts-tail", layer)
    if key not in probe.cache:  # one entry per layer, living as long as the probe
        shape = (None, *probe.input_shape)
        act_shape = (None, *probe.tensor(layer).shape[1:])

        @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32), tf.TensorSpec([None], tf.int32)])
        def grad(images, targets):
            box: dict[str, tf.Tensor] = {}
            with tf.GradientTape() as tape:

                def watch(a):
                    tape.watch(a)
                    box["a"] = a
                    return a

                logits = _replay(probe, layer, images, watch)
                score = tf.gather(logits, targets, axis=1, batch_dims=1)
            return box["a"], tape.gradient(score, box["a"]), logits

        @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32), tf.TensorSpec(act_shape, tf.float32)])
        def edited(images, acts):
            return _replay(probe, layer, images, lambda a: tf.cast(acts, a.dtype))

        probe.cache[key] = {"grad": grad, "edited": edited}
    return probe.cache[key]


def gradients(probe: Probe, layer: str, images: np.ndarray, targets: np.ndarray,
              batch_size: int = FORWARD_BATCH) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``layer``'s activations, the gradient of each image's target logit with respect to them, and the logits."""
    fn = _compiled(probe, layer)["grad"]
    out: list[np.ndarray] = []
    for i in range(0, len(images), batch_size):  # filled in place: no second copy of the activations
        part = fn(tf.constant(images[i:i + batch_size], tf.float32), tf.constant(targets[i:i + batch_size], tf.int32))
        if not out:
            out = [np.empty((len(images), *p.shape[1:]), np.float32) for p in part]
        for buffer, p in zip(out, part):
            buffer[i:i + batch_size] = keras.ops.convert_to_numpy(p)
    return tuple(out)  # type: ignore


def logits_from(probe: Probe, layer: str, images: np.ndarray, acts: np.ndarray,
                batch_size: int = FORWARD_BATCH) -> np.ndarray:
    """The logits when ``layer`` outputs ``acts`` instead of its own activations (the rest of the network runs as
    usual; ``images`` still feed any branch that bypasses ``layer``)."""
    fn = _compiled(probe, layer)["edited"]
    return np.concatenate([keras.ops.convert_to_numpy(fn(tf.constant(images[i:i + batch_size], tf.float32),
                                                          tf.constant(acts[i:i + batch_size], tf.float32)))
                           for i in range(0, len(images), batch_size)])
