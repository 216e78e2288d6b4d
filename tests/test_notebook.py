"""Results draw themselves in Jupyter (``_repr_png_`` from one registry), and examples/tour.ipynb runs headless."""

from __future__ import annotations

import importlib
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cnnviz
from cnnviz import notebook
from cnnviz.core import display
from cnnviz.plots import figure_bytes
from cnnviz.replay import plot_snapshots

ROOT = Path(__file__).resolve().parents[1]


def png_pixels(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="module")
def results(sample):
    digit = sample.x_test[:2]
    return {
        "FeatureMaps": (cnnviz.feature_maps(digit, layers=["conv1"]), lambda r: cnnviz.plots.plot_feature_maps(r)),
        "MaximizationResult": (cnnviz.maximize([1, 2], steps=5), cnnviz.plots.plot_maximization),
        "filter MaximizationResult": (cnnviz.maximize_filter("conv1", [0, 1], steps=5), cnnviz.plots.plot_filter_patterns),
        "Attribution": (cnnviz.attribute(digit, method="saliency"), cnnviz.plots.plot_attribution),
        "TopExamples": (cnnviz.top_examples("conv1", 0, k=4, images=sample.x_test[:50]), cnnviz.plots.plot_top_examples),
        "Evaluation": (cnnviz.evaluate(data="sample"), cnnviz.plots.plot_confusion),
        "TrainResult": (cnnviz.training.results.TrainResult(model=cnnviz.load_model(), history=cnnviz.training.results.load_history(),
                                           recipe=cnnviz.training.recipes.RECIPES["augmented"], seconds=1.0, test_accuracy=0.9933),
                        lambda r: cnnviz.plots.plot_history(r.history, title="Training curves (test accuracy 0.9933)")),
        "SnapshotRun": (cnnviz.load_snapshots(), plot_snapshots),
    }


@pytest.mark.parametrize("name", ["FeatureMaps", "MaximizationResult", "filter MaximizationResult", "Attribution",
                                  "TopExamples", "Evaluation", "TrainResult", "SnapshotRun"])
def test_each_result_shows_its_natural_figure(results, name):
    result, plot = results[name]
    shown = png_pixels(result._repr_png_())
    expected = png_pixels(figure_bytes(plot(result), "png", dpi=display.NOTEBOOK_DPI))
    assert shown.shape == expected.shape and shown.shape[0] > 100
    assert np.abs(shown.astype(int) - expected.astype(int)).mean() < 1.0  # the same picture


def test_every_exported_result_class_is_registered():
    for name in notebook.DEFAULTS:
        home = cnnviz._DEPRECATED.get(name, ("cnnviz", name))[0]  # where the class lives now
        cls = getattr(importlib.import_module(home), name, None)
        if cls is not None:
            assert display.REGISTRY.get(cls) is not None and cls._repr_png_ is display._repr_png_, name


def test_a_new_result_class_opts_in_with_one_line(sample):
    @display.shows(lambda r: cnnviz.plots.plot_filters(r.weights, layer="conv1"))
    @dataclass
    class Kernels:
        weights: np.ndarray

    data = Kernels(cnnviz.filters("conv1"))._repr_png_()
    expected = figure_bytes(cnnviz.plots.plot_filters(cnnviz.filters("conv1"), layer="conv1"), "png", dpi=display.NOTEBOOK_DPI)
    assert png_pixels(data).shape == png_pixels(expected).shape


@pytest.mark.slow  # ~25 s idle, ~55 s with the 2 cores loaded: a kernel, TensorFlow, a 1-epoch training
def test_tour_notebook_executes_headless(monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # conftest's Agg would reach the kernel: let Jupyter pick inline
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "examples" / "tour.ipynb", as_version=4)
    started = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    seconds = time.perf_counter() - started
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    pictures = [c.source.splitlines()[-1] for c in nb.cells if c.cell_type == "code"
                if any("image/png" in o.get("data", {}) for o in c.outputs)]
    # every cell ending in a result (or a plot_* Figure) drew it
    for last_line in ("maps", "classes", "result", "cnnviz.load_snapshots(log_dir)", "cnnviz.load_snapshots()"):
        assert last_line in pictures, (last_line, pictures)
    assert any("plot_filters" in line for line in pictures)
    assert seconds < 180, seconds
