"""Warm what every page's first visit needs, once per server, in a background thread.

The first visit of a page used to pay for TensorFlow tracing its functions (the feature-map and
gradient functions, the class-image and filter optimization loops) on top of its own work, and the
Filters and class-image pages for their optimizations. Once the first page has rendered, one
daemon thread loads the shipped model (the same cached object the pages use), runs each of those
functions once on a tiny input, then fills the pages' caches for their default settings on the
shipped model. Pages never wait for it: a page that needs something before the thread reaches it
computes it itself, as before. ``CNNVIZ_DASHBOARD_WARM=0`` turns it off (the bench compares both).
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

    from . import cached, models

    state: dict = {}

    def model():
        state["model"] = models.get_model(models.SHIPPED)  # the cached object every page uses
        state["digit"] = cached.sample().x_test[:1]

    yield "model and probe", model
    yield "feature maps", lambda: cnnviz.feature_maps(state["digit"], model=state["model"])
    yield "saliency and Grad-CAM", lambda: [cnnviz.attribute(state["digit"], method=m, model=state["model"])
                                            for m in ("saliency", "gradcam")]
    yield "class-image loop", lambda: cnnviz.maximize([0], model=state["model"], steps=2)
    yield "filter loop", lambda: cnnviz.maximize_filter("conv1", [0], model=state["model"], steps=2)
    # the slow pages' first screens, with the pages' own defaults (a default that drifts only misses the cache)
    yield "Filters page", _filters_page
    yield "What the network sees page", _class_images_page


def _filters_page() -> None:
    from cnnviz.optvis.presets import FILTER_STEPS

    from . import cached, figures, models

    ref = models.SHIPPED
    layer = cached.layer_names(ref)["conv"][0]
    figures.filters_png(ref, layer)
    cached.filter_patterns(ref, layer, FILTER_STEPS, 0)  # views/filters.py: the steps slider starts there, seed 0


def _class_images_page() -> None:
    from cnnviz.optvis.presets import CLASS_STEPS, DEFAULT

    from . import cached, figures, models

    ref, steps, preset = models.SHIPPED, int(CLASS_STEPS["pixels"]), vars(DEFAULT)
    classes = tuple(range(cached.layer_names(ref)["classes"]))
    # views/class_images.py: all classes, the default preset's sliders, pixels, 1 image, no objective, seed 0
    settings = ("default", float(preset["l1"]), float(preset["tv"]), int(preset["jitter"]), float(preset["blur"]),
                steps, 0, "pixels", 1, "")
    figures.maximization_open_figure(ref, classes, *settings)
    figures.fake_vs_constrained_figure(ref, steps, 0)
