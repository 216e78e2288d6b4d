"""The Concepts page's cached cnnviz calls (a fitted dictionary is a shared read-only resource per model,
layer, n and seed; figures are cached as PNG bytes)."""

from __future__ import annotations

import numpy as np
import streamlit as st

import cnnviz
from cnnviz.concepts import plot_concept_map, plot_concepts
from cnnviz.dashboard import figures, models


@st.cache_resource(max_entries=8, show_spinner="Fitting the concepts on the 1,000-image sample...")
def fit(model_ref: str, layer: str, n: int, seed: int, images: bool):
    """cnnviz.concepts on the bundled sample (fit on its training images, measured on its test images)."""
    return cnnviz.concepts(layer, n=n, model=models.get_model(model_ref), seed=seed, visualize=images)


@st.cache_data(max_entries=16, show_spinner="Drawing the concepts...")
def concepts_png(model_ref: str, layer: str, n: int, seed: int, images: bool) -> bytes:
    return figures.figure_png(plot_concepts(fit(model_ref, layer, n, seed, images)))


@st.cache_data(max_entries=64, show_spinner=False)
def concept_map(model_ref: str, layer: str, n: int, seed: int, images: bool, image: np.ndarray):
    """(the concept map, its figure as PNG) for one prepared image."""
    result = cnnviz.concept_map(image, fit(model_ref, layer, n, seed, images))
    return result, figures.figure_png(plot_concept_map(result))
