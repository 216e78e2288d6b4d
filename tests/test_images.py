"""The one image path (cnnviz.io.images) and the described model: conventions, paper removal, per-call options.

Checked against the model's own preprocessing done by hand (``model(x / 127.5 - 1)``), on a published
architecture (mini-Xception, random weights) and a photo-like image made in code.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from photos import face, photographed_digit
from scipy.ndimage import binary_dilation, gaussian_filter
from zoo import mini_xception

import cnnviz
from cnnviz.cli import main
from cnnviz.io import images


@pytest.fixture(scope="module")
def xception():
    return mini_xception()


@pytest.fixture(scope="module")
def photo():
    return face(200)


def _by_hand(model, photo_uint8, size=64):
    """What the face_classification project's own code feeds its model: grey, resized, x / 127.5 - 1."""
    from PIL import Image

    grey = np.asarray(Image.fromarray(photo_uint8).convert("L").resize((size, size), Image.BILINEAR), np.float32)
    x = (grey / 127.5 - 1.0)[None, ..., None]
    return x, keras.ops.convert_to_numpy(model(x, training=False))


def test_photo_reaches_the_model_as_its_own_code_feeds_it(xception, photo):
    x, expected = _by_hand(xception, photo)
    fm = cnnviz.feature_maps(photo, model=xception, input_range=(-1, 1), layers=[])
    assert np.corrcoef(fm.inputs.ravel(), x.ravel())[0, 1] > 0.999  # not inverted (-1), not recentred
    assert np.abs(fm.inputs - x).max() < 0.02  # PIL's resize of uint8 vs of float: a grey level at most
    assert np.abs(fm.probabilities - expected).max() < 1e-3
    probs = cnnviz.predict(x, model=xception, input_range=(-1, 1))  # the model's own input is taken as is
    assert np.abs(probs - expected).max() < 1e-6
    assert any("resized from 200x200 to 64x64" in n for n in fm.notes)
    assert not any("invert" in n for n in fm.notes)


def test_conventions_come_from_the_model_and_card(xception):
    assert cnnviz.core.build.get_probe().convention == "mnist"
    assert cnnviz.core.build.get_probe(cnnviz.core.model.reference_model()).convention == "mnist"
    assert cnnviz.core.build.get_probe(xception).convention == "as-is"
    assert cnnviz.core.build.get_probe(xception, convention="mnist").convention == "mnist"
    assert cnnviz.core.build.get_probe(xception).convention == "as-is"  # the view was for that call only
    with pytest.raises(ValueError, match="unknown image convention 'photo'; use one of: mnist, as-is"):
        cnnviz.describe(xception, convention="photo")


def test_as_is_never_inverts_a_light_photo(photo):
    batch, notes = images.to_display(photo, (64, 64, 1), "as-is")
    assert batch[0, 0, 0, 0] > 0.7  # the light wall stays light
    mnist, mnist_notes = images.to_display(photo, (64, 64, 1), "mnist")
    assert mnist[0, 0, 0, 0] < 0.05 and any("invert" in n for n in mnist_notes)


def _background(x: np.ndarray) -> float:
    """Mean of the 20x20 box's pixels more than 2 pixels away from the stroke (the 'grey box')."""
    box = np.zeros_like(x, bool)
    box[4:24, 4:24] = True
    far = box & ~binary_dilation(x > 0.2, iterations=2)
    return float(x[far].mean())


def test_photographed_digits_lose_their_paper_and_keep_their_ink():
    sample = cnnviz.load_sample()
    first = [int(np.flatnonzero(sample.y_test == d)[0]) for d in range(10)]
    photos = np.stack([photographed_digit(sample.x_test[i], seed=k) for k, i in enumerate(first)])
    x = cnnviz.preprocess(photos)[..., 0]
    clean = cnnviz.preprocess(sample.x_test[first])[..., 0]
    levels = [_background(img) for img in x]
    assert max(levels) < 0.01, levels  # was ~0.1 across the box before the paper was removed
    assert all(img.max() > 0.95 for img in x)  # the stroke is kept at full strength
    smooth = [np.corrcoef(gaussian_filter(a, 1).ravel(), gaussian_filter(b, 1).ravel())[0, 1] for a, b in zip(x, clean)]
    assert min(smooth) > 0.7, smooth  # the same digit (a softer pen, placed and centred on its own)
    assert (cnnviz.predict(photos).argmax(1) == np.arange(10)).all()
    digits = sample.x_test[:300]  # clean MNIST digits are left exactly as they are
    assert np.abs(cnnviz.preprocess(digits)[..., 0] - digits / 255).max() < 1e-6


@pytest.mark.slow  # starts a fresh Python process (~10 s idle)
def test_per_call_options_do_not_stick():
    x = cnnviz.load_sample().x_test[:50]
    cnnviz.feature_maps(x[:2], input_range=(0, 255))
    cnnviz.attribute(x[0], method="saliency", input_range=(0, 255), class_names=list("abcdefghij"))
    after = cnnviz.predict(x)
    code = ("import cnnviz, numpy as np, sys; p = cnnviz.predict(cnnviz.load_sample().x_test[:50]); "
            "np.save(sys.argv[1], p)")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", code, f"{tmp}/p.npy"], check=True, capture_output=True, timeout=300)
        fresh = np.load(f"{tmp}/p.npy")
    assert np.abs(after - fresh).max() < 1e-6
    probe = cnnviz.core.build.get_probe()
    assert probe.input_range == (0.0, 1.0) and probe.class_names[0] == "0"
    assert cnnviz.core.cards.card_of(cnnviz.core.model.load_shipped()).get("input_range") is None


def test_described_model_is_taken_by_every_call_and_changes_nothing(xception, photo):
    faces = cnnviz.describe(xception, input_range=(-1, 1), class_names=["angry", "disgust", "fear", "happy", "sad",
                                                                        "surprise", "neutral"])
    x, expected = _by_hand(xception, photo)
    assert np.abs(cnnviz.predict(x, model=faces) - expected).max() < 1e-6
    a = cnnviz.attribute(photo, method="saliency", model=faces)
    assert np.abs(a.inputs - x).max() < 0.02  # the range was used: what the model's own code feeds it
    assert cnnviz.core.build.get_probe(xception).input_range == (0.0, 1.0)
    assert cnnviz.core.build.get_probe(xception).class_names[3] == "3" and faces.class_names[3] == "happy"
    with pytest.raises(ValueError, match="3 class names given for a model with 7 classes"):
        cnnviz.describe(xception, class_names=["a", "b", "c"])


PUBLIC_CALLS = {  # name -> positional arguments that reach the option check
    "predict": (np.zeros((28, 28)),), "feature_maps": (np.zeros((28, 28)),), "filters": (),
    "top_examples": (), "evaluate": (), "attribute": (np.zeros((28, 28)),), "saliency": (np.zeros((28, 28)),),
    "gradcam": (np.zeros((28, 28)),), "integrated_gradients": (np.zeros((28, 28)),),
    "faithfulness": (np.zeros((28, 28)),), "sanity_check": (np.zeros((28, 28)),), "maximize": (),
    "maximize_filter": ("conv1", 0), "class_examples": (), "fake_vs_constrained": (),
    "report": ("/tmp/cnnviz-never.html",), "report_figures": (), "export_figures": ("/tmp/cnnviz-never",),
    "dataset_examples": (), "kernel_and_bias": (),
}


@pytest.mark.parametrize("name", sorted(PUBLIC_CALLS))
def test_unknown_options_are_one_line_errors(name):
    with pytest.raises(ValueError, match=rf"^{name}\(\) has no option 'colour_mode'; it takes: .*model") as err:
        home = cnnviz if name in cnnviz.__all__ else importlib.import_module(cnnviz._DEPRECATED[name][0])
        result = getattr(home, name)(*PUBLIC_CALLS[name], colour_mode="rgb")  # where the user finds it
        if hasattr(result, "__next__"):  # report_figures is a generator
            next(result)
    assert "\n" not in str(err.value)


def test_attribute_takes_input_range_for_that_call():
    m = keras.Sequential([keras.Input((16, 16, 1)), keras.layers.Conv2D(2, 3, name="c"), keras.layers.Flatten(),
                          keras.layers.Dense(2, activation="softmax")])
    img = np.full((16, 16), 255, np.uint8)
    assert cnnviz.attribute(img, method="saliency", model=m, input_range=(-1, 1)).inputs.min() == -1.0 + 2.0
    assert cnnviz.attribute(np.zeros((16, 16), np.uint8), method="saliency", model=m,
                            input_range=(-1, 1)).inputs.max() == -1.0
    assert cnnviz.core.build.get_probe(m).input_range == (0.0, 1.0)


@pytest.mark.slow
def test_cli_describes_the_model_and_warns_on_a_contradicting_range(tmp_path, capsys, photo, xception):
    from PIL import Image

    model_path = tmp_path / "faces.keras"
    xception.save(model_path)
    Image.fromarray(photo).save(tmp_path / "face.png")
    names = "angry,disgust,fear,happy,sad,surprise,neutral"
    code = main(["features", str(tmp_path / "face.png"), "--model", str(model_path), "--input-range=-1,1",
                 "--class-names", names, "--convention", "as-is", "--layers",
                 cnnviz.core.build.get_probe(xception).conv_layer_names[0],
                 "-o", str(tmp_path / "maps.png")])
    out = capsys.readouterr()
    assert code == 0, out.err
    x, expected = _by_hand(xception, photo)
    assert f"prediction: {names.split(',')[int(expected.argmax())]}" in out.out
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"input_range": [0, 1], "class_names": [str(i) for i in range(10)]}))
    mnist_path = tmp_path / "mine.keras"
    cnnviz.save_model(cnnviz.core.model.reference_model(), mnist_path)
    (tmp_path / "mine.card.json").write_text(json.dumps({"recipe": "fast"}))
    code = main(["evaluate", str(mnist_path), "--sample", "--input-range=0,255"])
    err = capsys.readouterr().err
    assert code == 0 and "warning: the given input range 0..255 contradicts 0..1" in err
    assert main(["evaluate", str(mnist_path), "--sample", "--card", str(card)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_photo_models_report_examples_are_the_users_images_not_mnist_digits():
    from cnnviz.report.context import build_context
    from cnnviz.report.options import ReportOptions

    photo_model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                                    keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")])
    ctx = build_context(photo_model, [face(64, colour=True)], ReportOptions(examples=4, classes=(0,)), lambda line: None,
                        {"class_names": ["cat", "dog", "owl"]})
    assert ctx.example_labels == ["image 1"] and ctx.examples.shape == (1, 32, 32, 3)
    assert any("not images of this model's kind" in note for note in ctx.notes)
    from cnnviz.plots.card import card_rows
    from cnnviz.report.common import intro

    first = intro(ctx.probe)[0][1]  # the title page says what this model reads, not MNIST's digits
    assert "32x32 colour image" in first and "3 probabilities, one per class (cat, dog, owl)" in first
    assert "digit" not in " ".join(body for _, body in intro(ctx.probe))
    assert ("classes", "3: cat, dog, owl") in card_rows(None, ctx.model)
    shipped = build_context(None, None, ReportOptions(examples=2, classes=(0,)), lambda line: None)
    assert [label.split(" from")[0] for label in shipped.example_labels] == ["a 7", "a 2"]  # MNIST-style: its digits
