"""The dashboard's figures as cached PNG (or SVG/PDF) bytes, and their download buttons."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import streamlit as st

import cnnviz
import cnnviz.plots  # bound now: cnnviz.plots through the lazy package would import TensorFlow
from cnnviz.dashboard.cached import (
    card_and_history,
    fake_vs_constrained,
    get_atlas,
    maximize_open,
)
from cnnviz.dashboard.models import get_model

_MIME_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


FIGURE_FORMATS = {fmt: _MIME_TYPES[fmt] for fmt in cnnviz.plots.FORMATS}  # the one list of formats lives in plots


def figure_png(fig) -> bytes:
    return cnnviz.plots.figure_bytes(fig, "png")


def download_buttons(make: Callable[[str], bytes], stem: str, key: str) -> None:
    """One download button per format (PNG, SVG, PDF), side by side; each file is drawn when it is asked for."""
    columns = st.columns(len(FIGURE_FORMATS) + 2)
    for column, (fmt, mime) in zip(columns, FIGURE_FORMATS.items()):
        column.download_button(f"Download {fmt.upper()}", functools.partial(make, fmt), file_name=f"{stem}.{fmt}",
                               mime=mime, key=f"{key}-{fmt}", on_click="ignore")


@st.cache_data(max_entries=16)
def history_png(model_ref: str) -> bytes | None:
    _, history = card_and_history(model_ref)
    if not history or "loss" not in history:
        return None
    return figure_png(cnnviz.plots.plot_history(history, title="Accuracy and loss while training"))


@st.cache_data(max_entries=16, show_spinner="Drawing the filters...")
def filters_png(model_ref: str, layer: str) -> bytes:
    weights = cnnviz.filters(layer, model=get_model(model_ref))
    return figure_png(cnnviz.plots.plot_filters(weights, layer=layer))


@st.cache_data(max_entries=64, show_spinner="Searching the sample for the strongest responses...")
def top_examples_png(model_ref: str, layer: str, index: int, k: int, images: np.ndarray | None = None) -> bytes:
    """The ``k`` images (default: the bundled sample) that excite filter ``index`` of ``layer`` most."""
    top = cnnviz.top_examples(layer, index, k=k, images=images, model=get_model(model_ref))
    return figure_png(cnnviz.plots.plot_top_examples(top))


@st.cache_data(max_entries=64, show_spinner="Reading the atlas...")
def atlas_top_png(model_ref: str, layer: str, index: int, k: int) -> bytes:
    atlas, _ = get_atlas(model_ref)
    return figure_png(cnnviz.plots.plot_top_examples(atlas.top(layer, index, k)))


@st.cache_data(max_entries=64, show_spinner="Drawing the figure...")
def maximization_open_figure(model_ref: str, classes: tuple[int, ...], regularization: str, l1: float, tv: float,
                             jitter: int, blur: float, steps: int, seed: int, kind: str = "pixels", n: int = 1,
                             objective: str = "", fmt: str = "png") -> bytes:
    result = maximize_open(model_ref, classes, regularization, l1, tv, jitter, blur, steps, seed, kind, n, objective)
    plot = cnnviz.plots.plot_class_variety if n > 1 else cnnviz.plots.plot_maximization
    return cnnviz.plots.figure_bytes(plot(result), fmt)


@st.cache_data(max_entries=32, show_spinner="Drawing the figure...")
def fake_vs_constrained_figure(model_ref: str, steps: int, seed: int, fmt: str = "png") -> bytes:
    return cnnviz.plots.figure_bytes(cnnviz.plots.plot_fake_vs_constrained(fake_vs_constrained(model_ref, steps, seed)), fmt)


@st.cache_data(max_entries=32, show_spinner="Running the deletion curve and the sanity check...")
def trust_check(model_ref: str, image: np.ndarray, methods: tuple[str, ...]) -> dict[str, Any]:
    model = get_model(model_ref)
    check = cnnviz.sanity_check(image, methods=list(methods), model=model,
                                max_steps=cnnviz.attribution.sanity.SHORT_CASCADE)
    curves = cnnviz.faithfulness(image, methods=list(methods), model=model)
    verdicts = [(line, check.verdicts[m]) for line, m in zip(check.summary(), check.methods)]
    return {"verdicts": verdicts, "sanity_png": figure_png(cnnviz.attribution.plot_sanity_check(check)),
            "deletion_png": figure_png(cnnviz.attribution.plot_faithfulness(curves))}
