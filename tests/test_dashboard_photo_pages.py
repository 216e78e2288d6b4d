"""The dashboard's pages on a model that is not MNIST-style (a small colour model on [-1, 1], described as an
uploaded one is): no digit wording and no MNIST images as the model's examples; the user's own images where a
page needs images, and one plain line saying how to give some where there are none."""

from __future__ import annotations

import io
import re

import keras
import pytest

pytest.importorskip("streamlit")
from photos import face  # noqa: E402
from test_dashboard_app import start  # noqa: E402

import cnnviz  # noqa: E402
from cnnviz.dashboard.describe import with_facts  # noqa: E402

DIGIT = re.compile(r"\bdigits?\b", re.IGNORECASE)
CLASSES = ["cat", "dog", "bird"]


@pytest.fixture(scope="module")
def ref(tmp_path_factory):
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(6, 3, activation="relu", kernel_initializer=init(1), name="first")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", kernel_initializer=init(2), name="second")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax", kernel_initializer=init(3))(x)
    path = cnnviz.save_model(keras.Model(inputs, outputs), tmp_path_factory.mktemp("photo") / "photo.keras")
    return with_facts(str(path), {"input_range": (-1.0, 1.0), "class_names": CLASSES})


@pytest.fixture(scope="module")
def photo() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(face(120, colour=True)).save(buf, "PNG")
    return buf.getvalue()


def run(ref: str, page: str | None, **state):
    return start(page, timeout=240, models={"photo model": ref}, model_label="photo model", filters_steps=10,
                 class_steps=10, **state)


def shown_text(at) -> str:
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning")
             for e in getattr(at, kind)]
    parts += [str(o) for r in at.radio for o in r.options] + [str(o) for s in at.selectbox for o in s.options]
    return "\n".join(map(str, parts))


@pytest.mark.slow  # about 13 s on 2 cores (the filter patterns are optimized)
def test_filters_page_says_there_are_no_images_of_this_kind_instead_of_showing_digits(ref):
    at = run(ref, "filters")
    assert not at.error and not at.exception
    assert any("No images of this model's kind yet" in i.value for i in at.info), [i.value for i in at.info]
    assert not any("test sample" in c.value for c in at.caption)  # the MNIST sample is not offered as examples
    assert not DIGIT.search(shown_text(at))


@pytest.mark.slow
def test_filters_page_ranks_the_users_own_images(ref, photo):
    at = run(ref, "filters", photos={"face.png": photo})
    assert not at.error and not at.exception
    assert any("From your 1 image of this session (face.png)" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    assert not at.info or not any("No images" in i.value for i in at.info)


@pytest.mark.parametrize("page", [None, "look_inside", "convolution",
                                  pytest.param("class_images", marks=pytest.mark.slow), "concepts"])
def test_no_page_talks_of_digits(ref, photo, page):
    at = run(ref, page, photos={"face.png": photo}, input_source_photos="Photos")
    assert not at.error and not at.exception, [e.value for e in at.error]
    text = shown_text(at)
    assert not DIGIT.search(text), text[max(0, DIGIT.search(text).start() - 200):DIGIT.search(text).end() + 100]
    if page is None:  # the model page says what this model is, not the tutorial's 28x28 CNN
        assert "32x32x3" in text and "cat, dog, bird" in text and "28x28" not in text
    if page == "class_images":
        assert "data prior" not in at.radio(key="class_param").options  # its generator draws MNIST digits
    if page == "concepts":
        assert any("not MNIST-style" in i.value for i in at.info)
    if page == "look_inside":  # the user's photos only: no MNIST gallery for a 32x32 colour model
        assert not [r for r in at.radio if r.key == "input_source_photos"] and at.metric[0].value in CLASSES
