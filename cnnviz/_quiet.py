"""Keep TensorFlow's start-up chatter out of users' terminals.

TensorFlow's C++ start-up lines ("All log messages before absl::InitializeLog() is called...",
oneDNN notices, "failed call to cuInit" on a machine without a GPU) ignore
``TF_CPP_MIN_LOG_LEVEL``. While TensorFlow loads, file descriptor 2 points at /dev/null;
Python's own errors are unaffected (they are raised after it is restored).
Set ``CNNVIZ_VERBOSE=1`` to see everything.
"""

from __future__ import annotations

import os
import sys


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (and query its devices once) with native stderr silenced."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get("CNNVIZ_VERBOSE") or "tensorflow" in sys.modules:
        return
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (some notebook or embedded set-ups)
        return
    sys.__stderr__.flush()
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the cuInit message comes with the first device query
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
