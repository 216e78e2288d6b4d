"""Giving memory back when the dashboard drops a model: the server process is the dashboard's own, so after a
model leaves the cache, a collection and glibc's ``malloc_trim`` return its pages to the system (glibc keeps
freed memory in its arenas otherwise; the server's resident memory then only grows).

Runs a moment after the eviction, in a daemon thread (Streamlit hands the evicted model to ``on_release`` while
it still holds it, so collecting at once would find it alive); several evictions close together give one pass.
A busy server also gets a pass now and then (:func:`now_and_then`, after page runs, at most one per
:data:`EVERY` seconds) instead of Streamlit's full collection after every run
(:mod:`cnnviz.dashboard.between_runs`); with TensorFlow frozen out of collection a pass takes ~5-10 ms, more
only when there is garbage to free.

>>> give_back()  # a collection and, on glibc, a trim: nothing an answer depends on changes
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import threading
import time
from collections.abc import Callable

#: seconds between a model's eviction and the pass that gives its memory back
DELAY = 1.0

#: at most one pass per this many seconds from :func:`now_and_then`
EVERY = 10.0

_lock = threading.Lock()
_pending = False  # a pass is scheduled and has not started yet
_last = 0.0  # time.monotonic() when the last pass started


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


def now_and_then() -> None:
    """After a page run: :func:`give_back_soon` unless a pass started less than :data:`EVERY` seconds ago."""
    with _lock:
        recent = time.monotonic() - _last < EVERY
    if not recent:
        give_back_soon()


def _pass() -> None:
    global _pending, _last
    with _lock:
        _pending, _last = False, time.monotonic()
    give_back()
