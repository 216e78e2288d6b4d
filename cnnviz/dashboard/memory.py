"""Giving memory back when the dashboard drops a model: the server process is the dashboard's own, so after a
model leaves the cache, a collection and glibc's ``malloc_trim`` return its pages to the system (glibc keeps
freed memory in its arenas otherwise; the server's resident memory then only grows).

Runs a moment after the eviction, in a daemon thread (Streamlit hands the evicted model to ``on_release`` while
it still holds it, so collecting at once would find it alive); several evictions close together give one pass.

>>> give_back()  # a collection and, on glibc, a trim: nothing an answer depends on changes
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import threading
from collections.abc import Callable

#: seconds between a model's eviction and the pass that gives its memory back
DELAY = 1.0

_lock = threading.Lock()
_pending = False  # a pass is scheduled and has not started yet


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where there is none (macOS, musl, Windows)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def give_back() -> None:
    """Collect garbage, then return the allocator's free pages to the system (glibc only)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def give_back_soon(_released: object = None) -> None:
    """:func:`give_back` in :data:`DELAY` seconds, from a daemon thread; the ``on_release`` hook of the model
    cache (its argument, the evicted model, is not kept). An eviction while a pass is already running schedules
    another: the running one may have looked before this model was let go."""
    global _pending
    with _lock:
        if _pending:
            return  # a pass is coming and has not started: it will see this model gone too
        _pending = True
    timer = threading.Timer(DELAY, _pass)
    timer.daemon = True
    timer.name = "cnnviz-give-back"
    timer.start()


def _pass() -> None:
    global _pending
    with _lock:
        _pending = False
    give_back()
