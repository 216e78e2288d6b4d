"""One compiled graph per model and objective, without TensorFlow's "frequent retracing" warning.

cnnviz builds a ``tf.function`` per model, layer or objective on purpose (each with a fixed input signature, so
each traces once). TensorFlow's retracing detector counts traces per *source line* across all such functions and
logs "5 out of the last 10 calls to <function ...> triggered tf.function retracing" for retracing that is not
happening. :func:`compiled` turns that detector off for the one function object it returns (the attribute
TensorFlow sets on the functions it restores from a SavedModel, for the same reason); nothing global changes.

>>> import tensorflow as tf
>>> square = compiled(lambda x: x * x, [tf.TensorSpec([None], tf.float32)])
>>> square(tf.constant([3.0])).numpy().tolist()
[9.0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def compiled(fn: Callable[..., Any], input_signature: Sequence[Any] | None = None) -> Any:
    """``tf.function(fn, input_signature=...)``, quiet about retracing across the many functions cnnviz makes."""
    import tensorflow as tf

    function = tf.function(fn, input_signature=input_signature)
    function._omit_frequent_tracing_warning = True  # per object: TensorFlow's own switch for made-on-purpose functions
    return function


__all__ = ["compiled"]
