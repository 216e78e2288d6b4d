"""The dashboard, page by page, through Streamlit's AppTest: real script runs on the shipped model.

The drawing canvas is a browser component that AppTest cannot drive; it is tested in
test_dashboard_browser.py. Steps of the optimizations are set low here through the
widgets' session state, so the pages keep their real defaults.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import cnnviz
from cnnviz.training.results import load_card

APP = Path(__file__).resolve().parents[1] / "cnnviz" / "dashboard" / "app.py"



def assert_ok(at) -> None:
    """No exception and no error box: pages catch exceptions into st.error, so both must be absent."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def start(page: str | None = None, timeout: float = 180, **state) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert_ok(at)
    if page:
        at.switch_page(f"views/{page}.py").run()
        assert_ok(at)
    return at


def image_urls(at: AppTest) -> list[str]:
    """Streamlit names media files by a hash of their content: different pictures, different URLs."""
    return [url for element in at.get("image") for url in element.value]


def test_model_page_shows_architecture_card_and_curves():
    at = start()
    table = at.dataframe[0].value
    shapes = dict(zip(table["layer"], table["output shape"]))
    assert shapes["input"] == "28 x 28 x 1"
    assert shapes["conv1"] == "26 x 26 x 32"
    assert shapes["pool1"] == "13 x 13 x 32"
    assert int(table["parameters"].sum()) == cnnviz.load_model().count_params()
    card = load_card()
    assert at.metric[0].label == "Test accuracy"
    assert at.metric[0].value == f"{card['test_accuracy']:.2%}"
    assert len(image_urls(at)) == 1  # the accuracy and loss curves
    assert not at.error


def test_look_inside_gallery_digit_changes_prediction_and_pictures():
    at = start("look_inside")
    assert at.radio(key="input_source").value == "Draw"  # the canvas first; AppTest cannot draw on it
    at.radio(key="input_source").set_value("Gallery").run()
    at.selectbox(key="gallery_digit").set_value(3).run()
    assert_ok(at)
    assert at.metric[0].value == "3"
    three = image_urls(at)
    # input, four feature-map layers, five pooling panels, input + two attribution overlays
    assert len(three) == 1 + 4 + 5 + 3
    at.selectbox(key="gallery_digit").set_value(7).run()
    assert at.metric[0].value == "7"
    seven = image_urls(at)
    assert not set(three[:5]) & set(seven[:5])  # the input and every layer's feature maps changed


def test_look_inside_pooling_and_attribution_controls():
    at = start("look_inside", input_source="Gallery")
    before = image_urls(at)
    at.selectbox(key="pool_layer").set_value("conv2").run()
    at.slider(key="pool_channel").set_value(5).run()
    assert_ok(at)
    assert any("conv2 #5: 11x11" in caption for caption in _captions(at))
    at.multiselect(key="attribution_methods").set_value(["gradcam++", "smoothgrad", "scorecam"]).run()
    assert_ok(at)
    captions = _captions(at)
    for title in ("Grad-CAM++", "SmoothGrad", "Score-CAM"):
        assert any(title in c for c in captions), captions
    assert image_urls(at) != before


def _captions(at: AppTest) -> list[str]:
    return [caption for element in at.get("image") for caption in element.captions]


def _png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_look_inside_uploaded_image_and_bad_file():
    at = start("look_inside", input_source="Upload")
    assert at.info  # nothing uploaded yet: an invitation, not an error
    digit = cnnviz.load_sample().x_test[int(np.flatnonzero(cnnviz.load_sample().y_test == 2)[0])]
    big_dark_on_light = 255 - np.kron(digit, np.ones((4, 4), np.uint8))  # 112x112, black ink on white paper
    at.file_uploader(key="digit_upload").upload("two.png", _png(big_dark_on_light), "image/png").run()
    assert_ok(at)
    assert at.metric[0].value == "2"
    at.file_uploader(key="digit_upload").upload("broken.png", b"not an image at all", "image/png").run()
    assert not at.exception
    assert at.error and "cannot be read" in at.error[0].value


@pytest.mark.slow
def test_convolution_page_slides_and_plays():
    at = start("convolution")
    text = " ".join(m.value for m in at.markdown)
    assert "Position (" in text
    first = image_urls(at)
    at.slider(key="conv_filter").set_value(5).run()
    assert image_urls(at) != first
    at.select_slider(key="conv_stride").set_value(2).run()
    assert_ok(at)
    assert any("13x13 output" in c.value for c in at.caption)
    position = at.slider(key="conv_step_2").value
    at.button(key="conv_play").click().run()
    assert_ok(at)
    assert at.slider(key="conv_step_2").value == position + 13


@pytest.mark.slow
def test_filters_page_patterns_and_top_examples():
    at = start("filters", filters_steps=20)
    assert_ok(at)
    captions = _captions(at)
    assert "#0" in captions and "#31" in captions  # one maximized pattern per conv1 filter
    before = image_urls(at)
    at.slider(key="filters_index").set_value(4).run()
    assert_ok(at)
    after = image_urls(at)
    assert after != before
    assert any("conv1 #4" in c for c in _captions(at))


@pytest.mark.slow
def test_class_images_page_class_changes_image_and_downloads():
    at = start("class_images", class_steps=20)
    assert_ok(at)
    assert any("of 10" in m.value for m in at.markdown)
    at.selectbox(key="class_choice").set_value(2).run()
    two = image_urls(at)[0]
    assert any("of 1**" in m.value for m in at.markdown)
    at.selectbox(key="class_choice").set_value(5).run()
    five = image_urls(at)[0]
    assert two != five
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("Download PNG") == 2 and "Download SVG" in labels and "Download PDF" in labels
    at.radio(key="class_preset").set_value("none").run()
    assert at.slider(key="l1_none").value == 0.0
    assert_ok(at)


@pytest.mark.slow
def test_train_page_trains_and_the_model_is_used_everywhere():
    import random

    from tensorflow.python.eager import context

    at = start("train", train_epochs=1, batch_sizes=[128, 512], train_recipe="fast")
    np.random.random(), random.random()
    state = (repr(np.random.get_state()), random.getstate(), context.global_seed())
    at.button(key="FormSubmitter:train_form-Train").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert (repr(np.random.get_state()), random.getstate(), context.global_seed()) == state  # trained elsewhere
    assert at.success and "test accuracy" in at.success[0].value
    assert "batch 64" in at.success[0].value  # the fast recipe's batch, and the label says so
    page_text = " ".join(str(e.value) for kind in ("markdown", "success", "caption") for e in at.get(kind))
    assert "cnnviz-dashboard" not in page_text and ".keras" not in at.success[0].value  # no server path shown
    trained = st_models(at)
    assert len(trained) == 2
    assert next(k for k in trained if k.startswith("trained:")) in at.selectbox(key="model_label").options  # at once
    at.button(key="use_trained").click().run()
    assert at.selectbox(key="model_label").value.startswith("trained:")
    at.switch_page("views/model.py").run()
    assert_ok(at)
    assert at.metric[3].value == "1"  # the trained model's card: one epoch
    at.switch_page("views/train.py").run()
    at.button(key="run_batch_experiment").click().run()
    assert_ok(at)
    assert list(at.dataframe[-1].value["batch_size"]) == [128, 512]


def st_models(at: AppTest) -> dict[str, str]:
    return dict(at.session_state["models"])


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory) -> dict[str, Path]:
    import keras

    folder = tmp_path_factory.mktemp("models")
    good = cnnviz.save_model(cnnviz.core.model.reference_model(), folder / "fresh.keras")
    inputs = keras.Input((28, 28, 1))
    not_classifier = keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))
    bad = cnnviz.save_model(not_classifier, folder / "feature_extractor.keras")
    return {"good": good, "not_classifier": bad}


def test_uploaded_models_are_checked_and_selectable(keras_files):
    at = start()
    uploader = at.sidebar.file_uploader[0]
    uploader.upload("garbage.keras", b"this is not a zip file", "application/octet-stream").run()
    assert not at.exception  # the refusal is an error box, below
    assert at.sidebar.error and "not a valid .keras file" in at.sidebar.error[0].value
    uploader = at.sidebar.file_uploader[0]
    uploader.upload("feature_extractor.keras", keras_files["not_classifier"].read_bytes(),
                    "application/octet-stream").run()
    assert "classifier" in at.sidebar.error[0].value
    uploader = at.sidebar.file_uploader[0]
    uploader.upload("fresh.keras", keras_files["good"].read_bytes(), "application/octet-stream").run()
    assert_ok(at)
    assert not at.sidebar.error
    assert at.selectbox(key="model_label").value == "uploaded: fresh.keras"
    at.switch_page("views/look_inside.py").run()
    at.radio(key="input_source").set_value("Gallery").run()
    assert_ok(at)
    assert at.metric  # an untrained model still gives a (poor) prediction


@pytest.mark.slow
def test_batch_size_experiment_times_in_a_child_process():
    """The "Time the epochs" button trains in a child process (dashboard/trainer.py), not in the server."""
    import os

    at = start("train", batch_sizes=[128, 512])
    at.button(key="run_batch_experiment").click().run()
    assert_ok(at)
    table = at.dataframe[-1].value
    assert list(table["batch_size"]) == [128, 512] and (table["seconds_per_epoch"] > 0).all()
    assert at.session_state["batch_timing_pid"] != os.getpid()  # timed in another process
