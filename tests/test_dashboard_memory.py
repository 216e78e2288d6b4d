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

    models.get_model.clear()
    alive = []
    for path in model_files:
        alive.append(weakref.ref(models.get_model(path)))
    gc.collect()
    still = sum(ref() is not None for ref in alive)
    assert still <= 8  # get_model's max_entries: the other models are gone, not frozen


def test_clearing_one_refused_model_keeps_the_others(model_files):
    from cnnviz.dashboard import models

    kept, refused = models.get_model(model_files[0]), models.get_model(model_files[1])
    models.get_model.clear(model_files[1])
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
