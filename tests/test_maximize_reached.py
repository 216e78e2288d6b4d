"""``reached`` means one thing, checked against the model itself: a class image's target is the top class with
softmax >= REACHED_SOFTMAX; any other objective ends above its mean over real images."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.core.build import get_probe
from cnnviz.maximize import Regularization
from cnnviz.optvis import objectives as O
from cnnviz.optvis.calibration import penalty_factor
from cnnviz.optvis.objectives import l1
from cnnviz.optvis.plan import back_off
from cnnviz.optvis.reached import REACHED_SOFTMAX


def softmax_reached(model, result):
    probs = model.predict(result.model_images, verbose=0)
    t = np.asarray(result.targets)
    return probs, (probs.argmax(1) == t) & (probs[np.arange(len(t)), t] >= REACHED_SOFTMAX)


def test_class_reached_flags_are_the_models_own_softmax():
    model = get_probe().source
    heavy = cnnviz.maximize([0, 3, 6], regularization=Regularization(l1=3000.0), steps=30)  # too heavy: misses
    for result in (cnnviz.maximize([0, 3, 6], steps=30), heavy):
        probs, expected = softmax_reached(model, result)
        np.testing.assert_array_equal(result.reached, expected)
        for t, p in zip(result.targets, probs[np.arange(3), result.targets]):
            assert f"{t}: softmax {p:.3f}" in result.message  # shown with the probability
    assert not heavy.reached.all() and "NOT REACHED" in heavy.message and f">= {REACHED_SOFTMAX:g}" in heavy.message


def test_the_message_names_the_classes_when_the_model_has_names():
    names = "zero one two three four five six seven eight nine".split()
    heavy = cnnviz.maximize([0, 3], regularization=Regularization(l1=3000.0), steps=30, class_names=names)
    missed = [t for t, r in zip(heavy.targets, heavy.reached) if not r]
    assert missed, heavy.message
    assert f"not reached: class {missed[0]} {names[missed[0]]}" in heavy.message
    assert all(f"{t} {names[t]}: softmax" in heavy.message for t in heavy.targets), heavy.message


def test_the_default_backs_off_when_it_misses_and_says_so():
    probe = get_probe()
    heavy = Regularization(l1=3000.0, tv=10.0)
    first = cnnviz.maximize([0, 3, 6], regularization=heavy, steps=30)
    assert not first.reached.any()
    result = back_off(probe, first, heavy, penalty_factor(probe), cnnviz.optvis.param.pixels(), (), 30, 0, 0.0)
    _, expected = softmax_reached(probe.source, result)
    np.testing.assert_array_equal(result.reached, expected)
    assert result.reached.all(), result.message
    assert result.adjustments and "penalties x0.25 and 60 steps" in result.adjustments[0]
    assert result.backed_off.all()


def _channel_mean(images: np.ndarray) -> np.ndarray:
    src = get_probe().source
    conv2 = keras.Model(src.inputs, src.get_layer("conv2").output)
    return conv2.predict(images, verbose=0)[..., 5].mean(axis=(1, 2))


def test_a_channel_objective_is_reached_when_it_fires_above_real_images():
    result = cnnviz.maximize(objective=O.as_objective("conv2:5") - 10 * l1())  # the README's example
    real = _channel_mean(get_probe().prepare(cnnviz.load_sample().x_test[:256])).mean()
    assert result.real_scores[0] == pytest.approx(real, rel=1e-4)
    final = _channel_mean(result.model_images)
    assert result.final_scores[0] == pytest.approx(final[0], rel=1e-4, abs=1e-6)
    assert result.reached[0] == (final[0] > real)
    assert final[0] > 2 * real and result.reached[0], result.message  # the calibrated penalty lets it fire
    assert result.adjustments and "penalty weights x" in result.adjustments[0]


def test_a_channel_crushed_by_its_penalty_says_not_reached():
    result = cnnviz.maximize(objective=O.as_objective("conv2:5") - 3000 * l1(), steps=60)
    final = _channel_mean(result.model_images)[0]
    assert final < result.real_scores[0] and not result.reached[0]
    assert "NOT REACHED" in result.message and "real images" in result.message


def test_each_filter_is_compared_with_its_own_channel_mean_over_real_images():
    """One pass serves every filter: each target's real mean equals its own channel's, from Keras."""
    result = cnnviz.maximize_filter("conv2", [1, 5, 9], steps=10)
    src = get_probe().source
    layer = src.get_layer("conv2")
    before = keras.Model(src.inputs, layer.input).predict(get_probe().prepare(cnnviz.load_sample().x_test[:256]),
                                                          verbose=0)
    kernel, bias = (np.asarray(w) for w in layer.get_weights())
    pre = keras.ops.convert_to_numpy(keras.ops.conv(before, kernel, padding=layer.padding)) + bias
    means = (np.maximum(pre, 0) + 0.1 * pre).mean(axis=(0, 1, 2))  # FilterActivation: post-ReLU + a tenth of pre
    np.testing.assert_allclose(result.real_scores, means[[1, 5, 9]], rtol=1e-4, atol=1e-6)


def test_a_photo_models_filters_are_not_compared_with_mnist_digits():
    photo_model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, activation="relu", name="c"),
                                    keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")])
    result = cnnviz.maximize_filter("c", [0, 1], model=photo_model, steps=10)
    assert result.real_scores is None and "no real images to compare with" in result.message
    assert get_probe().mnist_like and not get_probe(photo_model).mnist_like


def _logits_rise_together() -> keras.Model:
    """Class 0 is the top class only for a mean brightness near 0.44; raising its logit raises class 1's twice as
    fast (as a BatchNorm/ReLU network scales its logits together)."""
    inputs = keras.Input((8, 8, 1))
    logits = keras.layers.Dense(3, name="logits")(keras.layers.GlobalAveragePooling2D()(inputs))
    model = keras.Model(inputs, keras.layers.Activation("softmax")(logits))
    model.get_layer("logits").set_weights([np.array([[40.0, 80.0, -120.0]]), np.array([20.0, 0.0, 80.0])])
    return model


def test_the_log_probability_reaches_a_class_whose_logit_ascent_lifts_another_more():
    model = _logits_rise_together()
    by_logit = cnnviz.maximize([0], model=model, objective=O.class_logit(), regularization="none", steps=200)
    by_probability = cnnviz.maximize([0], model=model, objective=O.class_log_probability(), regularization="none",
                                     steps=200)
    softmax = model.predict(by_probability.model_images, verbose=0)[0]  # Keras' own answer
    assert not by_logit.reached[0] and by_probability.reached[0]
    assert softmax.argmax() == 0 and softmax[0] >= REACHED_SOFTMAX
    assert "softmax" in by_probability.message  # judged as a class image, by the one rule


def test_the_default_backs_off_to_the_log_probability_when_the_logit_misses():
    model = _logits_rise_together()
    probe = get_probe(model)
    first = cnnviz.maximize([0], model=model, objective=O.class_logit(), regularization="none", steps=60)
    assert not first.reached[0]
    result = back_off(probe, first, first.regularization, penalty_factor(probe), cnnviz.optvis.param.pixels(), (), 60,
                      0, 0.0)
    assert result.reached[0] and "log-probability" in result.adjustments[-1], result.adjustments
    assert model.predict(result.model_images, verbose=0)[0].argmax() == 0
