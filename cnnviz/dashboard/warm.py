"""Warm what every page's first visit needs, once per server, in a background thread.

The first visit of a page used to pay for TensorFlow tracing its functions (the feature-map and
gradient functions, the class-image and filter optimization loops) on top of its own work, and the
Filters, class-image, Train and Concepts pages for their optimizations and figures. A fresh server's
first page (the Model page) needs no TensorFlow for the shipped model (:mod:`.layer_facts`); once it has
rendered, one daemon thread imports TensorFlow and loads the shipped model (the same cached object the
pages use), then fills the pages' caches for their default settings on the shipped model, in the
sidebar's order (the order a new user opens them in), then traces the optimization loops a changed
setting needs. Pages never wait for it: a page that needs something before the thread reaches it
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
    from . import models

    try:
        with models.one_at_a_time_until_keras():  # not while a page imports TensorFlow
            import keras  # noqa: F401
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

    # in the order of the sidebar, the order a new user opens the pages in; each page's first screen with the
    # page's own defaults (a default that drifts only misses the cache)
    yield "model and probe", model
    yield "Look inside: feature maps", lambda: cnnviz.feature_maps(state["digit"], model=state["model"])
    yield "Look inside: saliency and Grad-CAM", lambda: [cnnviz.attribute(state["digit"], method=m,
                                                                          model=state["model"])
                                                         for m in ("saliency", "gradcam")]
    yield "Filters page", _filters_page
    yield "What the network sees page", _class_images_page
    yield "Train page: the shipped run's replay", _train_page
    yield "Concepts page", _concepts_page
    # then what a changed setting needs: the optimization loops traced once (a new class or filter reuses them)
    yield "class-image loop", lambda: cnnviz.maximize([0], model=state["model"], steps=2)
    yield "filter loop", lambda: cnnviz.maximize_filter("conv1", [0], model=state["model"], steps=2)


def _filters_page() -> None:
    from cnnviz.optvis.presets import FILTER_STEPS

    from . import cached, figures, models

    ref = models.SHIPPED
    layer = cached.layer_names(ref)["conv"][0]
    figures.filters_png(ref, layer)
    cached.filter_patterns(ref, layer, FILTER_STEPS, 0)  # views/filters.py: the steps slider starts there, seed 0
    atlas, _ = cached.get_atlas(ref)  # filter 0's strongest examples: from the atlas when it has the layer
    if atlas is not None and layer in atlas.layers:
        figures.atlas_top_png(ref, layer, 0, 12)
    else:
        figures.top_examples_png(ref, layer, 0, 12)


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


def _train_page() -> None:
    from cnnviz.training.snapshots import shipped_snapshots_dir

    from . import replays

    folder = str(shipped_snapshots_dir())  # views/train.py: the shipped run, its last snapshot, the overview
    version = replays.version(folder)
    labels = replays.run_labels(folder, version)
    replays.frame_png(folder, len(labels) - 1, version)
    replays.overview_png(folder, version)


def _concepts_page() -> None:
    from . import cached, models
    from . import concepts_calls as calls

    ref = models.SHIPPED
    spatial = cached.layer_names(ref)["spatial"]
    # views/concepts.py: conv2 (else the last spatial layer), 8 concepts, seed 0, pictures on, test image 0
    layer = "conv2" if "conv2" in spatial else spatial[-1]
    calls.fit(ref, layer, 8, 0, True)
    calls.concepts_png(ref, layer, 8, 0, True)
    prepared = cached.prepare(ref, cached.sample().x_test[0])
    calls.concept_map(ref, layer, 8, 0, True, prepared[0])
