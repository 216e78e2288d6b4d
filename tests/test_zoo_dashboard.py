"""Every dashboard page on zoo models (tests/zoo.py), through Streamlit's AppTest: no exception, and a page that
cannot apply to a model says so in one line instead of crashing."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from photos import face  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from test_dashboard_app import start  # noqa: E402
from zoo import build  # noqa: E402

import cnnviz  # noqa: E402

PAGES = ["look_inside", "convolution", "filters", "class_images"]
LOW_STEPS = {"filters_steps": 10, "class_steps": 10, "input_source": "Gallery"}


@pytest.fixture(scope="module")
def zoo_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    files = {}
    for name in ("rescaling", "rgb_separable", "sigmoid_binary"):
        files[name] = str(cnnviz.save_model(build(name).model, folder / f"{name}.keras"))
    return files


def face_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(face(96, colour=True)).save(buf, "PNG")
    return buf.getvalue()


def run_page(ref: str, page: str | None) -> AppTest:
    return start(page, timeout=240, models={"zoo model": ref}, model_label="zoo model", **LOW_STEPS)


@pytest.mark.parametrize("name", ["rescaling", "rgb_separable", "sigmoid_binary"])
def test_every_page_runs_on_a_zoo_model(zoo_files, name):
    ref = zoo_files[name]
    probe = cnnviz.core.build.get_probe(cnnviz.load_model(ref))
    model_page = run_page(ref, None)
    assert model_page.dataframe[0].value["layer"].tolist()[1:] == [r["name"] for r in cnnviz.layer_table(probe.source)]
    look = run_page(ref, "look_inside")
    assert not look.metric and any("Upload" in i.value for i in look.info)  # not MNIST-style: starts from photos
    if probe.mnist_like:  # 28x28 grey: the bundled digits, as they are, are one input of its kind
        look.radio(key="input_source_photos").set_value("Gallery").run(timeout=240)
    else:  # the user's own photo only (no MNIST gallery offered)
        assert not [r for r in look.radio if r.key == "input_source_photos"]
        look.session_state["photos"] = {"face.png": face_png()}
        look.run(timeout=240)
    assert look.metric[0].value in probe.class_names  # a class of this model, by its name
    assert not look.error
    for page in PAGES[1:]:
        at = run_page(ref, page)
        assert not at.error, [e.value for e in at.error]
        folder = str(Path(ref).parent)  # no server folder on a page (the model file's name is fine)
        assert not [c.value for c in at.caption if folder in c.value]
        if page == "convolution" and name == "rescaling":  # no Conv2D reads the image directly: one line says so
            assert any("rescale" in i.value for i in at.info)
