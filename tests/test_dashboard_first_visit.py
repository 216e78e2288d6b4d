"""A fresh dashboard's first page: the shipped model's layer facts are read from the file beside it (no
TensorFlow), and only when that file was written from the very model file it sits beside."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import cnnviz
from cnnviz.dashboard import layer_facts

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_shipped_facts_equal_a_fresh_computation():
    """Fails when the shipped file is stale (the model was retrained, or compute() changed without a SCHEMA bump):
    run scripts/make_dashboard_facts.py."""
    shipped = layer_facts.shipped()
    assert shipped is not None, "pretrained/mnist_cnn.dashboard.json is missing or stale: run scripts/make_dashboard_facts.py"
    fresh = layer_facts.compute(cnnviz.load_model(str(layer_facts.shipped_model_file())))
    assert shipped == fresh


def test_facts_are_used_only_for_the_model_file_they_were_written_from(tmp_path):
    model_file = tmp_path / "mnist_cnn.keras"
    shutil.copyfile(layer_facts.shipped_model_file(), model_file)
    shutil.copyfile(layer_facts.facts_file(layer_facts.shipped_model_file()), layer_facts.facts_file(model_file))
    assert layer_facts.read(model_file) == layer_facts.shipped()  # the same bytes: used

    model = cnnviz.load_model(str(model_file))
    kernel, bias = model.get_layer("conv1").get_weights()
    model.get_layer("conv1").set_weights([kernel * 0.5, bias])  # other weights, same architecture and layer facts
    model.save(model_file)
    assert layer_facts.read(model_file) is None  # written for other weights: ignored

    layer_facts.write(model_file, model)
    assert layer_facts.read(model_file) is not None
    body = json.loads(layer_facts.facts_file(model_file).read_text())
    layer_facts.facts_file(model_file).write_text(json.dumps({**body, "schema": layer_facts.SCHEMA + 1}))
    assert layer_facts.read(model_file) is None  # another schema: ignored


@pytest.mark.slow
def test_fresh_servers_model_page_imports_no_tensorflow():
    """The Model page of a fresh server shows the shipped model's layers, card and curves without importing
    TensorFlow (~8 s of CPU on 2 cores): the warm-up imports it after the page."""
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'cnnviz' / 'dashboard' / 'app.py')!r}, default_timeout=300).run()\n"
        "assert not at.exception and not at.error, (at.exception, at.error)\n"
        "assert [r for r in at.dataframe[0].value['layer']] == ['input', 'conv1', 'pool1', 'conv2', 'pool2', "
        "'flatten', 'predictions'], at.dataframe[0].value\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules, len(at.image))\n"
    )
    env = {**os.environ, "CNNVIZ_DASHBOARD_WARM": "0", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["False", "False", "1"]  # no TensorFlow, no Keras; the training curves drawn


COMPUTING = {  # what a page's first visit must not do once the warm-up has run: module -> its costly calls
    "cnnviz": ["maximize", "maximize_filter", "concepts", "concept_map", "top_examples", "load_snapshots",
               "feature_maps"],
    "cnnviz.fake_vs_constrained": ["fake_vs_constrained"],
}


@pytest.mark.slow
def test_after_the_warm_up_no_pages_first_visit_computes(monkeypatch):
    """The warm-up fills each page's caches for the page's own defaults: a default that drifts from the warm-up's
    (a page's seed, steps, layer, n...) makes that page compute again on its first visit, and this test fail."""
    import importlib

    from streamlit.testing.v1 import AppTest

    from cnnviz.dashboard import warm

    at = AppTest.from_file(str(ROOT / "cnnviz" / "dashboard" / "app.py"), default_timeout=600).run()
    assert not at.exception, at.exception
    warm._run()  # the thread's work, here in the test (tests run with CNNVIZ_DASHBOARD_WARM=0)
    assert not any(name.startswith("failed") for name in warm.TIMINGS), warm.TIMINGS

    def refuse(name):
        def call(*args, **kwargs):
            raise AssertionError(f"{name} ran on a page's first visit after the warm-up")
        return call

    for module, names in COMPUTING.items():
        target = importlib.import_module(module)
        for name in names:
            monkeypatch.setattr(target, name, refuse(f"{module}.{name}"))
    for page in ("filters", "class_images", "train", "concepts"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])


@pytest.mark.slow
def test_shipped_filter_patterns_equal_a_fresh_computation():
    """Fails when the shipped patterns are stale (other weights, or the optimization changed): run
    scripts/make_dashboard_facts.py. Two fresh runs on one machine agree to float precision; 1e-4 leaves room for
    another CPU's arithmetic, far below one grey level (1/255)."""
    from cnnviz.dashboard import shipped_patterns
    from cnnviz.optvis.presets import FILTER_STEPS

    model_file = layer_facts.shipped_model_file()
    shipped = shipped_patterns.read(model_file, "conv1", FILTER_STEPS, 0)
    assert shipped is not None, "pretrained/mnist_cnn.filter_patterns.npz is missing or stale: run scripts/make_dashboard_facts.py"
    fresh = shipped_patterns.compute(cnnviz.load_model(str(model_file)), "conv1", 32, FILTER_STEPS, 0)
    assert shipped.targets == fresh.targets == list(range(32))
    assert shipped.images.shape == fresh.images.shape
    assert abs(shipped.images - fresh.images).max() <= 1e-4


def test_shipped_filter_patterns_are_used_only_for_their_model_file_and_options(tmp_path):
    from cnnviz.dashboard import shipped_patterns
    from cnnviz.optvis.presets import FILTER_STEPS

    model_file = tmp_path / "mnist_cnn.keras"
    shutil.copyfile(layer_facts.shipped_model_file(), model_file)
    shutil.copyfile(shipped_patterns.patterns_file(layer_facts.shipped_model_file()),
                    shipped_patterns.patterns_file(model_file))
    assert shipped_patterns.read(model_file, "conv1", FILTER_STEPS, 0) is not None  # same file, same options
    assert shipped_patterns.read(model_file, "conv1", FILTER_STEPS + 10, 0) is None  # other steps
    assert shipped_patterns.read(model_file, "conv1", FILTER_STEPS, 1) is None  # other seed
    assert shipped_patterns.read(model_file, "conv2", FILTER_STEPS, 0) is None  # a layer not shipped

    model = cnnviz.load_model(str(model_file))
    kernel, bias = model.get_layer("conv1").get_weights()
    model.get_layer("conv1").set_weights([kernel * 0.5, bias])
    model.save(model_file)
    assert shipped_patterns.read(model_file, "conv1", FILTER_STEPS, 0) is None  # other weights
