"""Warm what every page's first visit needs, once per server, in a background thread.

The first visit of a page used to pay for TensorFlow tracing its functions (the feature-map and
gradient functions, the class-image and filter optimization loops) on top of its own work. At
server start, one daemon thread loads the shipped model (the same cached object the pages use)
and runs each of those functions once on a tiny input, so the pages' first visits find them
compiled. Pages never wait for it: a page that needs a function before the thread reaches it
traces it itself, as before. ``CNNVIZ_DASHBOARD_WARM=0`` turns it off (the bench compares both).
"""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_thread: threading.Thread | None = None
_done = threading.Event()
#: what the warm-up did and how long each step took (seconds), for the bench and for debugging
TIMINGS: dict[str, float] = {}


def enabled() -> bool:
    return os.environ.get("CNNVIZ_DASHBOARD_WARM", "1") != "0"


def start() -> None:
    """Start the warm-up thread, once per process (a server); later calls return at once."""
    global _thread
    if not enabled():
        return
    with _lock:
        if _thread is not None:
            return
        _thread = threading.Thread(target=_run, name="cnnviz-warm-up", daemon=True)
        _thread.start()


def wait(timeout: float | None = None) -> bool:
    """Block until the warm-up has finished (True) or ``timeout`` passed (False); the bench uses it."""
    return _done.wait(timeout)


def _run() -> None:
    try:
        for name, step in _steps():
            started = time.perf_counter()
            step()
            TIMINGS[name] = time.perf_counter() - started
    except Exception as exc:  # noqa: BLE001 - a warm-up failure must never reach a page; the page will say it
        TIMINGS[f"failed: {type(exc).__name__}"] = 0.0
    finally:
        _done.set()


def _steps():
    import cnnviz

    from . import common

    state: dict = {}

    def model():
        state["model"] = common.get_model(common.SHIPPED)  # the cached object every page uses
        state["digit"] = common.sample().x_test[:1]

    yield "model and probe", model
    yield "feature maps", lambda: cnnviz.feature_maps(state["digit"], model=state["model"])
    yield "saliency and Grad-CAM", lambda: [cnnviz.attribute(state["digit"], method=m, model=state["model"])
                                            for m in ("saliency", "gradcam")]
    yield "class-image loop", lambda: cnnviz.maximize([0], model=state["model"], steps=2)
    yield "filter loop", lambda: cnnviz.maximize_filter("conv1", [0], model=state["model"], steps=2)
