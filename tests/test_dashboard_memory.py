"""The dashboard gives memory back: evicted models are collected (no gc.freeze pinning them), a refused upload
drops only its own cache entry, and a session's picker is bounded."""

from __future__ import annotations

import gc
import weakref

import pytest

import cnnviz


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uploads")
    return [str(cnnviz.save_model(cnnviz.core.model.reference_model(seed=i), folder / f"m{i}.keras")) for i in range(14)]


@pytest.mark.slow
def test_evicted_models_are_collected(model_files):
    from cnnviz.dashboard import models

    models.forget()
    alive = []
    for path in model_files:
        alive.append(weakref.ref(models.get_model(path)))
    gc.collect()
    still = sum(ref() is not None for ref in alive)
    assert still <= 8  # get_model's max_entries: the other models are gone, not frozen


def test_clearing_one_refused_model_keeps_the_others(model_files):
    from cnnviz.dashboard import models

    kept, refused = models.get_model(model_files[0]), models.get_model(model_files[1])
    models.forget(model_files[1])
    assert models.get_model(model_files[0]) is kept  # another session's model stays loaded
    assert models.get_model(model_files[1]) is not refused


def test_a_sessions_picker_is_bounded():
    from streamlit.testing.v1 import AppTest

    def script():
        from cnnviz.dashboard import picker

        for i in range(20):
            picker.register_model(f"uploaded: m{i}", f"/nowhere/m{i}.keras")

    at = AppTest.from_function(script).run()
    models = dict(at.session_state["models"])
    from cnnviz.dashboard.models import SHIPPED
    from cnnviz.dashboard.picker import MAX_SESSION_MODELS

    assert list(models.values())[0] == SHIPPED and len(models) == MAX_SESSION_MODELS + 1
    assert list(models)[-1] == "uploaded: m19"


def test_described_references_share_one_loaded_model(model_files):
    """Three sessions describing one upload with three ranges load its file once (each view its own range)."""
    from cnnviz.core.probe import keras_model_of
    from cnnviz.dashboard import models

    plain = models.get_model(model_files[2])
    views = [models.get_model(f"{model_files[2]}#input_range={r}") for r in ("0,255", "-1,1", "0,1")]
    assert all(keras_model_of(v) is plain for v in views)
    assert [v.input_range for v in views] == [(0.0, 255.0), (-1.0, 1.0), (0.0, 1.0)]
    assert cnnviz.core.build.get_probe(plain).input_range == (0.0, 1.0)  # the model itself is unchanged


@pytest.mark.slow
def test_evicted_models_are_given_back_without_a_collection_by_the_caller(model_files):
    """The cache's on_release hook collects a moment after an eviction: the evicted models are gone although
    nobody called gc.collect (Keras models hold reference cycles: they wait for a full collection otherwise)."""
    import time

    from cnnviz.dashboard import memory, models

    models.forget()
    time.sleep(memory.DELAY + 1)
    gc.disable()  # no automatic collection either: only the hook's
    try:
        alive = [weakref.ref(models.get_model(path)) for path in model_files]
        time.sleep(memory.DELAY + 1.5)
        still = sum(ref() is not None for ref in alive)
    finally:
        gc.enable()
    assert still <= models.MAX_LOADED, still


def test_an_eviction_during_a_pass_gets_a_pass_of_its_own(monkeypatch):
    """A pass that has started may have looked before a later eviction let its model go: that eviction schedules
    another pass (one pass per burst only while the pass has not started)."""
    import threading
    import time

    from cnnviz.dashboard import memory

    started, release, passes = threading.Event(), threading.Event(), []

    def slow_pass() -> None:
        passes.append(1)
        started.set()
        release.wait(10)

    monkeypatch.setattr(memory, "give_back", slow_pass)
    monkeypatch.setattr(memory, "DELAY", 0.01)
    memory.give_back_soon()
    memory.give_back_soon()  # the same burst: no second pass
    assert started.wait(10)
    memory.give_back_soon()  # while the first pass runs
    release.set()
    for _ in range(100):
        if len(passes) == 2:
            break
        time.sleep(0.05)
    assert len(passes) == 2, passes


def test_page_runs_give_memory_back_now_and_then_not_every_time(monkeypatch):
    """Page runs ask for a pass after them; one comes (garbage in a reference cycle is freed with automatic
    collection off), and runs within EVERY seconds of it ask for none."""
    import time

    from cnnviz.dashboard import memory

    class Cycle:
        pass

    monkeypatch.setattr(memory, "DELAY", 0.01)
    monkeypatch.setattr(memory, "_last", 0.0)
    passes = []
    real = memory.give_back
    monkeypatch.setattr(memory, "give_back", lambda: (passes.append(1), real()))
    gc.disable()
    try:
        garbage = Cycle()
        garbage.me = garbage
        gone = weakref.ref(garbage)
        del garbage
        memory.now_and_then()
        for _ in range(100):
            if gone() is None:
                break
            time.sleep(0.05)
        assert gone() is None, "no pass after a page run"
        for _ in range(5):  # quick reruns: no pass each
            memory.now_and_then()
        time.sleep(0.3)
    finally:
        gc.enable()
    assert len(passes) == 1, passes


def test_a_page_run_leaves_other_sessions_keras_state_alone_and_tensorflow_is_frozen():
    """Streamlit clears Keras after every run (every thread's scopes and name counters, TensorFlow's kernel cache,
    a full collection of ~400,000 objects): with 20 sessions the server spent its time collecting. The dashboard
    turns that off and freezes what importing TensorFlow made. Without the first, the marker another thread set
    is gone; without the freeze, nothing is frozen."""
    from keras.src.backend.common import global_state
    from streamlit.testing.v1 import AppTest

    from cnnviz.dashboard.app import APP_PATH

    at = AppTest.from_file(str(APP_PATH), default_timeout=180).run()  # the first run prepares the process
    assert not at.exception and not at.error
    global_state.set_global_attribute("cnnviz_other_session", "still here")
    for _ in range(5):
        at.run()
    assert not at.exception and not at.error
    assert global_state.get_global_attribute("cnnviz_other_session") == "still here"
    global_state.set_global_attribute("cnnviz_other_session", None)
    assert gc.get_freeze_count() > 300_000, gc.get_freeze_count()  # TensorFlow and Keras: ~400,000 objects
