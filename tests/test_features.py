"""Probe, feature maps, pooling, filters, top examples: behaviour on the shipped model and on other models."""

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.core.build import get_probe


def test_probe_names_layers_and_its_logits_match_the_softmax(model, sample):
    probe = get_probe(model)
    assert probe is get_probe(model)  # cached
    assert probe.layer_names == ["conv1", "pool1", "conv2", "pool2", "flatten", "predictions"]
    assert probe.conv_layer_names == ["conv1", "conv2"]
    out = probe.forward(cnnviz.preprocess(sample.x_test[:8]))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(keras.ops.softmax(out["logits"])), out["probabilities"],
                               atol=1e-5)
    np.testing.assert_allclose(out["probabilities"], model.predict(cnnviz.preprocess(sample.x_test[:8]), verbose=0),
                               atol=1e-5)


def test_feature_maps_are_the_tutorials_shapes_in_one_pass(digit, model):
    fm = cnnviz.feature_maps(digit)
    assert {k: v.shape for k, v in fm.maps.items()} == {
        "conv1": (1, 26, 26, 32), "pool1": (1, 13, 13, 32), "conv2": (1, 11, 11, 64), "pool2": (1, 5, 5, 64)}
    assert fm.predicted[0] == 7
    # pool1 really is conv1 max-pooled 2x2
    conv1 = fm.maps["conv1"][0]
    expected = conv1[:26, :26].reshape(13, 2, 13, 2, 32).max(axis=(1, 3))
    np.testing.assert_allclose(fm.maps["pool1"][0], expected, atol=1e-6)
    # and conv1 is the kernel sliding over the image, plus bias, through ReLU
    kernel, bias = model.get_layer("conv1").get_weights()
    img = fm.inputs[0, ..., 0]
    r, c, k = 10, 12, 5
    manual = max(0.0, float((img[r : r + 3, c : c + 3] * kernel[:, :, 0, k]).sum() + bias[k]))
    assert conv1[r, c, k] == pytest.approx(manual, abs=1e-5)


def test_feature_maps_of_a_batch_and_chosen_layers(sample):
    fm = cnnviz.feature_maps(sample.x_test[:10], layers=["conv2"])
    assert list(fm.maps) == ["conv2"] and fm.maps["conv2"].shape == (10, 11, 11, 64)
    assert (fm.predicted == sample.y_test[:10]).mean() >= 0.9


def test_four_kinds_of_pooling_agree_with_keras():
    fmap = np.random.default_rng(0).random((11, 11)).astype(np.float32)
    x = fmap[None, ..., None]
    pools = cnnviz.features.pooling(fmap)
    assert list(pools) == ["max", "average", "global max", "global average"]
    np.testing.assert_allclose(pools["max"], keras.layers.MaxPooling2D(2)(x)[0, ..., 0], atol=1e-6)
    np.testing.assert_allclose(pools["average"], keras.layers.AveragePooling2D(2)(x)[0, ..., 0], atol=1e-6)
    assert pools["global max"].item() == pytest.approx(float(keras.layers.GlobalMaxPooling2D()(x)[0, 0]))
    assert pools["global average"].item() == pytest.approx(float(keras.layers.GlobalAveragePooling2D()(x)[0, 0]))
    with pytest.raises(ValueError, match="one 2-D feature map"):
        cnnviz.features.pool(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="unknown pooling 'min'"):
        cnnviz.features.pool(fmap, "min")


def test_filters_are_the_kernels(model):
    w = cnnviz.filters("conv2")
    assert w.shape == (3, 3, 32, 64)
    np.testing.assert_array_equal(w, model.get_layer("conv2").get_weights()[0])
    with pytest.raises(ValueError, match="not a convolution; conv layers are: conv1, conv2"):
        cnnviz.filters("pool1")


def test_top_examples_are_sorted_and_really_the_strongest(sample, model):
    top = cnnviz.top_examples("conv2", 7, k=6)
    assert np.all(np.diff(top.activations) <= 0)
    assert len(top.images) == 6 and top.labels is not None
    # recompute every image's peak response: the top-6 must be the 6 largest
    act = keras.Model(model.inputs[0], model.get_layer("conv2").output).predict(cnnviz.preprocess(sample.x_test), verbose=0)
    peaks = act[..., 7].reshape(len(act), -1).max(axis=1)
    np.testing.assert_allclose(top.activations, np.sort(peaks)[::-1][:6], rtol=1e-5)
    t, left, b, r = top.boxes[0]
    assert (b - t, r - left) == (8, 8)  # conv2 sees an 8x8 patch of the input
    assert 0 <= t and b <= 28 and 0 <= left and r <= 28


def test_errors_name_what_is_wrong(digit):
    with pytest.raises(ValueError, match="layer 'conv3' not found; layers are: conv1, pool1, conv2, pool2, flatten, predictions"):
        cnnviz.feature_maps(digit, layers=["conv3"])
    with pytest.raises(ValueError, match="filter 64 is out of range: layer 'conv2' has filters 0..63"):
        cnnviz.top_examples("conv2", 64)
    with pytest.raises(ValueError, match="NaN"):
        cnnviz.feature_maps(np.full((28, 28), np.nan))
    with pytest.raises(ValueError, match="cannot be read"):
        cnnviz.feature_maps(np.zeros((1, 2, 3, 4, 5)))


def color_model() -> keras.Model:
    inputs = keras.Input((32, 32, 3), name="rgb")
    x = keras.layers.Conv2D(8, 3, activation="relu", name="first")(inputs)
    x = keras.layers.AveragePooling2D(2, name="down")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="second")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(5, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs)


def test_any_keras_classifier_works_functional_rgb_other_size():
    m = color_model()
    image = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    fm = cnnviz.feature_maps(image, model=m)
    assert fm.inputs.shape == (1, 32, 32, 3)
    assert list(fm.maps) == ["first", "down", "second"] and fm.probabilities.shape == (1, 5)
    assert cnnviz.filters("first", model=m).shape == (3, 3, 3, 8)
    assert cnnviz.top_examples("second", 1, k=2, images=np.random.rand(6, 32, 32, 3).astype("float32"), model=m).images.shape == (2, 32, 32, 3)


def test_a_model_that_is_not_a_classifier_is_refused():
    segmenter = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3)])  # maps out, not classes
    with pytest.raises(ValueError, match="classifier"):
        cnnviz.feature_maps(np.zeros((28, 28)), model=segmenter)


def test_a_single_output_unit_is_a_binary_classifier():
    one_logit = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                                  keras.layers.Dense(1)])
    probe = cnnviz.core.build.get_probe(one_logit)
    assert (probe.output_kind, probe.num_classes, probe.binary) == ("logits", 2, True)
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    p1 = 1 / (1 + np.exp(-one_logit.predict(x, verbose=0)[:, 0]))
    np.testing.assert_allclose(cnnviz.predict(x, model=one_logit), np.stack([1 - p1, p1], axis=1), atol=1e-6)


@pytest.mark.slow
def test_maximize_and_attribution_on_a_functional_rgb_model():
    m = color_model()
    result = cnnviz.maximize([1, 4], model=m, steps=30, regularization="none")
    assert result.images.shape == (2, 32, 32, 3)
    assert np.all(result.scores[-1] > result.scores[0])
    patterns = cnnviz.maximize_filter("second", [0, 1], model=m, steps=20)
    assert patterns.images.shape == (2, 32, 32, 3)
    image = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    for method in ("saliency", "gradcam"):
        heat = cnnviz.attribute(image, method=method, model=m, target=2)
        assert heat.maps.shape == (1, 32, 32) and heat.targets == [2]
    assert cnnviz.attribute(image, method="gradcam", model=m).layer == "second"
