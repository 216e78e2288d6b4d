"""The sidebar's model picker: which model every page shows in this browser session, and an upload for
the user's own file.
"""

from __future__ import annotations

import streamlit as st

import cnnviz
from cnnviz.dashboard.cached import layer_names
from cnnviz.dashboard.model_files import MAX_UPLOAD_MB, discard_upload, save_upload
from cnnviz.dashboard.models import SHIPPED, forget, get_model
from cnnviz.dashboard.page_messages import short_message

SHIPPED_LABEL = "shipped model (pretrained/mnist_cnn.keras)"


def _registry() -> dict[str, str]:
    """label -> model reference, for this browser session."""
    if "models" not in st.session_state:
        st.session_state["models"] = {SHIPPED_LABEL: SHIPPED}
    return st.session_state["models"]


#: Models one browser session keeps in its picker besides the shipped one (the oldest added goes first).
MAX_SESSION_MODELS = 6


def register_model(label: str, model_ref: str, *, select: bool = False) -> None:
    """Add a model to the picker (and make it the current one when ``select``); the picker keeps the shipped
    model and the :data:`MAX_SESSION_MODELS` latest others."""
    registry = _registry()
    registry.pop(label, None)
    registry[label] = model_ref
    others = [k for k, ref in registry.items() if ref != SHIPPED]
    for old in others[:-MAX_SESSION_MODELS]:
        dropped = registry.pop(old)
        if dropped not in registry.values():
            st.session_state.get("snapshot_runs", {}).pop(old, None)
    if select:
        st.session_state["model_label"] = label


def model_picker() -> str:
    """The sidebar: which model every page shows, and an upload for your own ``.keras`` file. Returns the reference."""
    registry = _registry()
    with st.sidebar:
        st.markdown("### Model")
        labels = list(registry)
        if st.session_state.get("model_label") not in labels:
            st.session_state["model_label"] = labels[0]
        label = st.selectbox("Model shown on every page", labels, key="model_label")
        upload = st.file_uploader("Or upload a classifier (.keras, .h5, .hdf5)", type=["keras", "h5", "hdf5"],
                                  key="model_upload",
                                  help=f"Loaded with Keras safe_mode (no code runs); up to {MAX_UPLOAD_MB} MiB.")
        if upload is not None and st.session_state.get("upload_seen") != upload.file_id:
            st.session_state["upload_seen"] = upload.file_id
            ref = None
            try:
                ref = save_upload(upload.getvalue(), upload.name)
                model = get_model(ref)
                cnnviz.core.build.get_probe(model)  # layer names, one image input, one class output
            except Exception as exc:  # refused: say why in one line, and keep nothing on disk
                if ref is not None:
                    forget(ref)  # a half-accepted model must not stay cached under a deleted file
                    discard_upload(ref)
                st.session_state["upload_error"] = f"{upload.name}: {short_message(exc)}"
            else:
                st.session_state.pop("upload_error", None)
                register_model(f"uploaded: {upload.name}", ref)
                st.session_state["pending_model_label"] = f"uploaded: {upload.name}"
                st.rerun()
        if "upload_error" in st.session_state:
            st.error(st.session_state["upload_error"])
    if registry[label] != SHIPPED and label.startswith("uploaded: "):  # say what the model takes: this session only
        from cnnviz.dashboard.describe import describe_form

        try:
            classes = layer_names(registry[label])["classes"]
        except (cnnviz.ModelError, ValueError):  # gone from the server, say: the page says so, in one line
            classes = None
        if classes is not None:
            describe_form(label, registry[label], classes, register_model)
    return registry[label]


def apply_pending_selection() -> None:
    """Select a model registered in the previous run (a widget's value can only change before it is drawn)."""
    pending = st.session_state.pop("pending_model_label", None)
    if pending is not None:
        st.session_state["model_label"] = pending
