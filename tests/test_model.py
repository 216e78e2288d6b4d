"""The reference architecture, the shipped model, loading errors and atomic saves."""

import json

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.core.checks import ModelError
from cnnviz.core.layers import layer_table
from cnnviz.core.model import load_model
from cnnviz.core.saving import save_model


def test_reference_model_is_the_tutorials_network_layer_by_layer():
    model = cnnviz.core.model.reference_model()
    rows = layer_table(model)
    assert [(r["name"], r["type"], r["output_shape"], r["parameters"]) for r in rows] == [
        ("conv1", "Conv2D", (26, 26, 32), 320),
        ("pool1", "MaxPooling2D", (13, 13, 32), 0),
        ("conv2", "Conv2D", (11, 11, 64), 18496),
        ("pool2", "MaxPooling2D", (5, 5, 64), 0),
        ("flatten", "Flatten", (1600,), 0),
        ("predictions", "Dense", (10,), 16010),
    ]
    assert model.count_params() == 34826
    conv1, conv2, dense = model.get_layer("conv1"), model.get_layer("conv2"), model.get_layer("predictions")
    assert conv1.kernel_size == (3, 3) and conv1.activation.__name__ == "relu" and conv1.strides == (1, 1)
    assert conv2.filters == 64 and conv2.activation.__name__ == "relu"
    assert model.get_layer("pool1").pool_size == (2, 2)
    assert dense.activation.__name__ == "softmax"
    assert tuple(model.inputs[0].shape) == (None, 28, 28, 1)


def test_shipped_model_loads_fast_and_is_good(model, sample):
    import time

    cnnviz.core.model._default_model = None
    started = time.perf_counter()
    loaded = load_model()
    assert time.perf_counter() - started < 1.0
    assert loaded.count_params() == 34826
    card = cnnviz.training.results.load_card()
    assert card["test_accuracy"] >= 0.992 and card["parameters"] == 34826
    assert card["data"]["test_images"] == 10000 and len(card["data"]["sha256"]) == 64
    for key in ("recipe", "epochs_run", "seconds", "machine", "versions"):
        assert key in card
    history = cnnviz.training.results.load_history()
    assert len(history["accuracy"]) == card["epochs_run"] and "val_loss" in history
    accuracy = (loaded.predict(cnnviz.preprocess(sample.x_test), verbose=0).argmax(1) == sample.y_test).mean()
    assert accuracy > 0.98


def test_save_is_atomic_a_failure_mid_save_leaves_the_old_model(tmp_path, monkeypatch):
    path = tmp_path / "model.keras"
    old = cnnviz.core.model.reference_model()
    save_model(old, path)
    old_bytes = path.read_bytes()

    def broken_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04 half a file")  # what a crash or a full disk leaves behind
        raise OSError("No space left on device")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    with pytest.raises(OSError, match="No space"):
        save_model(cnnviz.core.model.reference_model(), path)
    monkeypatch.undo()
    assert path.read_bytes() == old_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.keras"]  # no temporary file left
    reloaded = load_model(path)
    for a, b in zip(reloaded.get_weights(), old.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_save_refuses_other_extensions(tmp_path):
    with pytest.raises(ModelError, match=".keras"):
        save_model(cnnviz.core.model.reference_model(), tmp_path / "model.h5")


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_model(tmp_path / "missing.keras")
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(ModelError, match=r"not a valid \.keras file \(truncated or not a zip\)"):
        load_model(garbage)
    with pytest.raises(ModelError, match="'.keras'"):
        load_model(tmp_path / "x.txt") if (tmp_path / "x.txt").write_text("x") else None


def test_non_classifier_is_refused(tmp_path):
    regressor = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3)])  # maps, not class scores
    path = tmp_path / "regressor.keras"
    regressor.save(path)
    with pytest.raises(ModelError, match="classifier"):
        load_model(path)
    text_model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(3, activation="softmax")])
    text_model.save(tmp_path / "dense.keras")
    with pytest.raises(ModelError, match="images"):
        load_model(tmp_path / "dense.keras")


def test_lambda_layers_are_refused_by_safe_mode(tmp_path):
    unsafe = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Flatten(),
                               keras.layers.Dense(10, activation="softmax")])
    path = tmp_path / "unsafe.keras"
    unsafe.save(path)
    with pytest.raises(ModelError, match="loads models in safe mode"):
        load_model(path)


def test_history_and_card_json_are_valid(tmp_path):
    from cnnviz.core.pretrained import pretrained_dir

    for name in ("mnist_cnn.history.json", "mnist_cnn.card.json"):
        json.loads((pretrained_dir() / name).read_text())
