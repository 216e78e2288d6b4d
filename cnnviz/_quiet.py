"""Keep TensorFlow's start-up chatter out of users' terminals, for the length of its import only.

TensorFlow's C++ start-up lines ("All log messages before absl::InitializeLog() is called...",
oneDNN notices, "failed call to cuInit" on a machine without a GPU) ignore Python's logging.
While cnnviz imports TensorFlow (the first time a public name needs it), file descriptor 2
points at /dev/null and ``TF_CPP_MIN_LOG_LEVEL`` is 2; both are restored afterwards, so the
process's stderr and environment are what they were. Set ``CNNVIZ_VERBOSE=1`` to see everything.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_LEVEL = "TF_CPP_MIN_LOG_LEVEL"


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null inside the block (no-op without a real stderr)."""
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (some notebook or embedded set-ups)
        yield
        return
    sys.__stderr__.flush()
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (and query its devices once) with native stderr silenced; nothing else changes.

    >>> import os
    >>> before = dict(os.environ)
    >>> import_tensorflow_quietly()
    >>> dict(os.environ) == before
    True
    """
    if os.environ.get("CNNVIZ_VERBOSE") or "tensorflow" in sys.modules:
        return
    had_level = _LEVEL in os.environ
    os.environ.setdefault(_LEVEL, "2")
    try:
        with native_stderr_silenced():
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # the cuInit message comes with the first device query
    finally:
        if not had_level:
            os.environ.pop(_LEVEL, None)
