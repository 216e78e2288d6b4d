"""The model behind a reference, loaded once per file (``st.cache_resource``), and the current page's model.
A *model reference* is ``"shipped"`` for the shipped model or the path of a ``.keras`` file (uploads under
their content hash, trained models under a unique name), so two models never share a cache entry; what a
session says about a model (``path#input_range=...``) is a described view of the file's one loaded model.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

import cnnviz
from cnnviz.dashboard import between_runs
from cnnviz.dashboard.memory import give_back_soon

_process_prepared = False


def prepare_process() -> None:
    """Once per server process, from the app's entry point (:func:`cnnviz.dashboard.app.main`), never at import:
    the dashboard owns its process, a library import changes nothing."""
    global _process_prepared
    if _process_prepared:
        return
    _process_prepared = True
    from cnnviz.style import headless

    headless()
    # Streamlit's after-run clear_session() and full collection: not between sessions that share TensorFlow
    between_runs.keep_shared_state()
    # tf-keras-vis calls Keras functional models with a list; Keras warns on every call. Not the user's concern.
    warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match the expected structure")


SHIPPED = "shipped"

_first_import = threading.Lock()
_keras_imported = False


@contextmanager
def one_at_a_time_until_keras() -> Iterator[None]:
    """Until Keras (TensorFlow) is imported, hold a process-wide lock: page runs and the warm-up thread go one at
    a time. Two threads importing TensorFlow at once deadlock on its module locks and leave it half-imported for
    good (two sessions on a fresh server: ``_DeadlockError``, then "Registering two gradient with name
    'ReduceDataset'" on every later page). Once imported, what the import made is frozen out of garbage
    collection (:func:`cnnviz.dashboard.between_runs.freeze_imports`); afterwards it costs nothing."""
    global _keras_imported
    if _keras_imported:
        yield
        return
    with _first_import:
        try:
            yield
        finally:
            if not _keras_imported and "keras" in sys.modules:  # the run that imported it has ended
                between_runs.freeze_imports()
                _keras_imported = True


#: models (files) kept loaded at once; a session's described views of one file share its entry
MAX_LOADED = 8


@st.cache_resource(max_entries=MAX_LOADED, show_spinner="Loading the model...", on_release=give_back_soon)
def loaded_model(base: str):
    """The Keras model in a file (``"shipped"``: the shipped one), loaded safely by cnnviz.load_model, once per
    file however many sessions describe it; evicted models' memory goes back to the system
    (:mod:`cnnviz.dashboard.memory`)."""
    model = cnnviz.load_model(None if base == SHIPPED else base)
    cnnviz.core.build.get_probe(model)  # build the probe models once
    # not gc.freeze()d: a frozen model outlives its eviction (max_entries would bound nothing)
    return model


def get_model(model_ref: str):
    """The model behind a reference; a reference described in this session (``path#input_range=...``, see
    :mod:`cnnviz.dashboard.describe`) gives a described view of the file's one loaded model (cnnviz keeps a few
    views per model), which every cnnviz call takes as ``model=``; the model itself is unchanged."""
    from cnnviz.dashboard.describe import split_ref

    base, facts = split_ref(model_ref)
    model = loaded_model(base)
    return cnnviz.describe(model, **facts) if facts else model


def forget(model_ref: str | None = None) -> None:
    """Drop the loaded model of ``model_ref``'s file (every loaded model when None): a refused upload's."""
    from cnnviz.dashboard.describe import split_ref

    if model_ref is None:
        loaded_model.clear()
    else:
        loaded_model.clear(split_ref(model_ref)[0])


def model_path(model_ref: str) -> str | None:
    """The file of a reference; None for the shipped model (cnnviz then uses its own)."""
    from cnnviz.dashboard.describe import split_ref

    base = split_ref(model_ref)[0]
    return None if base == SHIPPED else base


def current_model_ref() -> str:
    return st.session_state.get("model_ref", SHIPPED)


def check_current_model() -> None:
    """:func:`load_current_model` for a page that shows only the model's layer facts: the shipped model whose facts
    file matches it (:mod:`cnnviz.dashboard.layer_facts`) is not loaded here (no TensorFlow on a fresh server's
    first page; the warm-up loads it next); any other model is loaded, or the page says why not and stops."""
    from cnnviz.dashboard import layer_facts

    if current_model_ref() == SHIPPED and layer_facts.shipped() is not None:
        return
    load_current_model()


def load_current_model():
    """The current model, or an error box and a stop when it cannot be loaded."""
    ref = current_model_ref()
    path = model_path(ref)
    if path is not None:
        from cnnviz.dashboard.model_files import mark_used

        mark_used(path)  # the oldest *used* uploads are pruned, not the one this session is looking at
    try:
        return get_model(ref)
    except (cnnviz.ModelError, ValueError) as exc:
        from cnnviz.dashboard.page_messages import short_message

        st.error(short_message(exc))  # no server path
        st.stop()
