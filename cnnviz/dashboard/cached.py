"""The dashboard's cached cnnviz calls: every computation is a cnnviz call, cached with ``st.cache_data``
(or ``st.cache_resource`` for shared read-only objects) keyed by the model reference and the inputs
(numpy arrays are hashed by their bytes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

import cnnviz
from cnnviz.dashboard.models import get_model, model_path
from cnnviz.dashboard.page_messages import scrub_paths


@st.cache_resource
def sample():
    """The bundled 1,000 + 1,000 image MNIST sample."""
    return cnnviz.load_sample()


@st.cache_resource(show_spinner="Looking for the full MNIST...")
def full_mnist(path: str = ""):
    """The full MNIST, or the DataError message saying where cnnviz looked."""
    try:
        return cnnviz.load_mnist(path or None, download=False)
    except (cnnviz.DataError, OSError, ValueError) as exc:
        return str(exc)


def _shipped_facts(model_ref: str) -> dict[str, Any] | None:
    """The shipped model's layer facts from the file beside it (no TensorFlow needed), or None."""
    from cnnviz.dashboard import layer_facts
    from cnnviz.dashboard.models import SHIPPED

    return layer_facts.shipped() if model_ref == SHIPPED else None


@st.cache_data(max_entries=32)
def layer_table(model_ref: str) -> list[dict[str, Any]]:
    facts = _shipped_facts(model_ref)
    return facts["layer_table"] if facts else cnnviz.layer_table(get_model(model_ref))


@st.cache_data(max_entries=32)
def layer_names(model_ref: str) -> dict[str, Any]:
    """The probe's layer names and facts (see :func:`cnnviz.dashboard.layer_facts.compute`)."""
    from cnnviz.dashboard import layer_facts

    facts = _shipped_facts(model_ref)
    return facts["layer_names"] if facts else layer_facts.compute(get_model(model_ref))["layer_names"]


def needs_layers(model_ref: str, what: str) -> None:
    """Stop the page with one line when the model's layers cannot be shown (an untraceable subclassed model)."""
    opaque = layer_names(model_ref)["opaque"]
    if opaque:
        st.info(f"{what} needs the model's layers, and this model does not expose them: {opaque}")
        st.stop()


def to_display(model_ref: str, batch: np.ndarray) -> np.ndarray:
    """Images in the model's range -> [0, 1] for showing (a 0-255 or [-1, 1] model's input looks right)."""
    probe = cnnviz.core.build.get_probe(get_model(model_ref))
    return np.clip(probe.to_display(np.asarray(batch, np.float32)), 0.0, 1.0)


@st.cache_data(max_entries=16)
def card_and_history(model_ref: str) -> tuple[dict | None, dict | None]:
    """The card and history JSON files beside the model (read without TensorFlow)."""
    from cnnviz.core.cards import read_sidecar

    path = model_path(model_ref)
    return read_sidecar(path, "card"), read_sidecar(path, "history")


@st.cache_data(max_entries=256, show_spinner=False)
def prepare(model_ref: str, image: Any) -> np.ndarray:
    """The 28x28 the model sees (N, H, W, C) for any input cnnviz.preprocess reads."""
    return cnnviz.core.build.get_probe(get_model(model_ref)).prepare(image)


def prepare_or_stop(model_ref: str, image: Any, what: str, show: Callable[[str], Any]) -> np.ndarray:
    """:func:`prepare`, or one line ``"<what> cannot be read: <why>"`` through ``show`` (``st.error``, a
    column's ``warning``, ...) and a stop of the page."""
    try:
        return prepare(model_ref, image)
    except (cnnviz.DataError, ValueError) as exc:
        show(f"{what} cannot be read: {exc}")
        st.stop()


@st.cache_data(max_entries=256, show_spinner=False)
def feature_maps(model_ref: str, image: np.ndarray):
    return cnnviz.feature_maps(image, model=get_model(model_ref))


@st.cache_data(max_entries=256, show_spinner=False)
def attribution(model_ref: str, image: np.ndarray, method: str, target: int | None = None):
    return cnnviz.attribute(image, method=method, target=target, model=get_model(model_ref))


@st.cache_data(max_entries=64, show_spinner=False)
def pooling(feature_map: np.ndarray, size: int) -> dict[str, np.ndarray]:
    return cnnviz.features.pooling(feature_map, size)


@st.cache_data(max_entries=16, show_spinner=False)
def kernel_and_bias(model_ref: str, layer: str) -> tuple[np.ndarray, np.ndarray]:
    return cnnviz.convolution.kernel_and_bias(layer, model=get_model(model_ref))


@st.cache_data(max_entries=16, show_spinner="Optimizing an input for every filter...")
def filter_patterns(model_ref: str, layer: str, steps: int, seed: int):
    """Each filter's maximized input (images and filter indices); the shipped model's defaults come from the
    file beside it (:mod:`cnnviz.dashboard.shipped_patterns`) when it matches the model file and the options."""
    from cnnviz.dashboard import layer_facts, shipped_patterns
    from cnnviz.dashboard.models import SHIPPED

    if model_ref == SHIPPED:
        shipped = shipped_patterns.read(layer_facts.shipped_model_file(), layer, steps, seed)
        if shipped is not None:
            return shipped
    channels = next(row["output_shape"][-1] for row in layer_table(model_ref) if row["name"] == layer)
    return shipped_patterns.compute(get_model(model_ref), layer, int(channels), steps, seed)


@st.cache_resource(max_entries=8, show_spinner="Looking for an atlas beside the model...")
def get_atlas(model_ref: str):
    """(atlas or None, one line on what was found): the ``cnnviz atlas`` file beside the model, if it matches;
    the line names files, never the server's folders."""
    from cnnviz.atlas import find_atlas

    atlas, note = find_atlas(model_path(model_ref), get_model(model_ref))
    return atlas, scrub_paths(note)


@st.cache_data(max_entries=64, show_spinner="Optimizing the class images...")
def maximize_open(model_ref: str, classes: tuple[int, ...], regularization: str, l1: float, tv: float, jitter: int,
                  blur: float, steps: int, seed: int, kind: str = "pixels", n: int = 1, objective: str = ""):
    """The class-image page's call: ``kind`` "pixels", "fourier" or "data prior"; ``objective`` a shorthand
    such as "conv2:5" (empty: each class's score)."""
    model = get_model(model_ref)
    extra = {"objective": objective.strip()} if objective.strip() else {}
    if kind == "data prior":
        return cnnviz.maximize(list(classes), model=model, prior="data", n=n, steps=steps, seed=seed, **extra)
    param = cnnviz.optvis.param.fourier() if kind == "fourier" else None
    return cnnviz.maximize(list(classes), model=model, regularization=regularization, l1=l1, tv=tv, jitter=jitter,
                           blur=blur, steps=steps, seed=seed, n=n, param=param, **extra)


@st.cache_data(max_entries=16, show_spinner="Optimizing fake and constrained class images...")
def fake_vs_constrained(model_ref: str, steps: int, seed: int):
    from cnnviz.maximize import data_prior_available

    model = get_model(model_ref)
    from cnnviz.fake_vs_constrained import fake_vs_constrained as experiment

    digits = cnnviz.core.build.get_probe(model).convention == "mnist"  # the bundled sample's top examples fit it
    return experiment(model, steps=steps, seed=seed, data_prior=data_prior_available(model), examples=digits)


def digest(array: np.ndarray) -> str:
    """A short content hash of an array (to know which digit a stored result belongs to)."""

    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]
