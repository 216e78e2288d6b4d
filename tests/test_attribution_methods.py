"""The attribution registry and its methods, each checked against an independent computation."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import cnnviz
from cnnviz.attribution import METHODS, REGISTRY, Method, NoiseTunnel, method_names, register
from cnnviz.core.build import get_probe


def rgb_model(softmax: bool = True) -> keras.Model:
    """A 3-channel functional CNN (32x32, 5 classes), seeded."""
    def init(seed):
        return keras.initializers.GlorotUniform(seed=seed)

    inputs = keras.Input((32, 32, 3), name="rgb")
    x = keras.layers.Conv2D(8, 3, activation="relu", name="first", kernel_initializer=init(1))(inputs)
    x = keras.layers.AveragePooling2D(2, name="down")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="second", kernel_initializer=init(2))(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(5, activation="softmax" if softmax else None, name="head",
                                 kernel_initializer=init(3))(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def colour():
    return rgb_model(softmax=False)


@pytest.fixture(scope="module")
def colour_images():
    return np.random.default_rng(1).random((3, 32, 32, 3)).astype(np.float32)


def keras_gradient(model, x, targets):
    """d output[target] / d x by a plain GradientTape on the user's own (logits) model."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model(x, training=False)
        score = tf.reduce_sum(tf.gather(out, targets, axis=1, batch_dims=1))
    return tape.gradient(score, x).numpy()


@pytest.mark.parametrize("method", METHODS)
def test_every_method_on_a_three_channel_functional_model(method, colour, colour_images):
    result = cnnviz.attribute(colour_images, method=method, model=colour, target=[0, 2, 4])
    assert result.maps.shape == (3, 32, 32) and result.targets == [0, 2, 4]
    assert np.isfinite(result.raw).all() and result.maps.min() >= 0 and result.maps.max() == pytest.approx(1.0)
    assert result.title == REGISTRY[method].title
    assert (result.layer == "second") == ("conv_layer" in REGISTRY[method].needs)


def test_saliency_and_gradient_x_input_equal_a_plain_gradient_tape(colour, colour_images):
    grads = keras_gradient(colour, colour_images, [1, 3, 0])
    saliency = cnnviz.attribute(colour_images, "saliency", [1, 3, 0], model=colour).raw
    np.testing.assert_allclose(saliency, np.abs(grads).max(axis=-1), rtol=1e-4, atol=1e-7)
    gxi = cnnviz.attribute(colour_images, "grad_x_input", [1, 3, 0], model=colour).raw
    np.testing.assert_allclose(gxi, (grads * colour_images).sum(axis=-1), rtol=1e-4, atol=1e-7)


def test_gradient_x_input_sums_to_the_logit_of_a_linear_model():
    linear = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(name="flat"),
                               keras.layers.Dense(10, use_bias=False, name="out",
                                                  kernel_initializer=keras.initializers.RandomNormal(seed=3))])
    x = np.random.default_rng(2).random((4, 28, 28, 1)).astype(np.float32)
    raw = cnnviz.attribute(x, "grad_x_input", 5, model=linear).raw
    logits = linear.predict(x, verbose=0)[:, 5]
    # float32 sums of 784 products: relative to the logits' scale (an unseeded logit near 0 failed a pure rtol)
    np.testing.assert_allclose(raw.sum(axis=(1, 2)), logits, rtol=1e-4, atol=1e-5 * np.abs(logits).max())


@pytest.mark.parametrize("steps", [64])
def test_integrated_gradients_completeness_on_the_logit(steps, sample, model, colour, colour_images):
    """Sum of the attributions ~ logit(x) - logit(baseline), within 0.6% (measured: 0.3% at most with 64 steps),
    on the shipped model and the RGB model."""
    probe = get_probe(model)
    images = sample.x_test[:6]
    result = cnnviz.attribute(images, "ig", steps=steps)
    logits = probe.logits_model.predict(np.concatenate([result.inputs, np.zeros_like(result.inputs[:1])]), verbose=0)
    t = result.targets
    expected = logits[np.arange(6), t] - logits[-1, t]
    np.testing.assert_allclose(result.raw.sum(axis=(1, 2)), expected, rtol=0.006)  # measured: 0.22% at most
    baseline = np.full((32, 32, 3), 0.5, np.float32)
    rgb = cnnviz.attribute(colour_images, "ig", [0, 1, 2], model=colour, steps=steps, baseline=baseline, batch_size=7)
    out = colour.predict(np.concatenate([colour_images, baseline[None]]), verbose=0)
    np.testing.assert_allclose(rgb.raw.sum(axis=(1, 2)), out[[0, 1, 2], [0, 1, 2]] - out[3, [0, 1, 2]],
                               rtol=0.006)  # measured: 0.26% at most


def test_integrated_gradients_memory_cap_does_not_change_the_answer(sample):
    small = cnnviz.attribute(sample.x_test[:3], "ig", steps=16, batch_size=5).raw
    large = cnnviz.attribute(sample.x_test[:3], "ig", steps=16, batch_size=4096).raw
    np.testing.assert_allclose(small, large, rtol=1e-4, atol=1e-6)


def test_occlusion_equals_a_brute_force_loop(colour, colour_images):
    patch, stride = 8, 8
    raw = cnnviz.attribute(colour_images[:1], "occlusion", 2, model=colour, patch=patch, stride=stride).raw[0]
    full = colour.predict(colour_images[:1], verbose=0)[0, 2]
    expected = np.zeros((32, 32), np.float32)
    for y in range(0, 32, stride):
        for x in range(0, 32, stride):
            img = colour_images[:1].copy()
            img[0, y:y + patch, x:x + patch] = 0.0
            expected[y:y + patch, x:x + patch] = full - colour.predict(img, verbose=0)[0, 2]
    np.testing.assert_allclose(raw, expected, rtol=1e-4, atol=1e-5)


def test_noise_tunnel_is_seeded_locally_and_reduces_to_its_base(sample):
    probe = get_probe()
    x = probe.prepare(sample.x_test[:2])
    a = NoiseTunnel(probe, samples=5, seed=1).attribute(x, [7, 2])
    b = NoiseTunnel(probe, samples=5, seed=1).attribute(x, [7, 2])
    c = NoiseTunnel(probe, samples=5, seed=2).attribute(x, [7, 2])
    assert np.array_equal(a, b) and not np.allclose(a, c)
    # with no noise, the mean of the gradients is the gradient and their variance is 0
    np.testing.assert_allclose(NoiseTunnel(probe, samples=3, noise=0.0).attribute(x, [7, 2]),
                               cnnviz.attribute(x, "saliency", [7, 2]).raw, rtol=1e-5, atol=1e-8)
    assert np.abs(NoiseTunnel(probe, samples=3, noise=0.0, kind="vargrad").attribute(x, [7, 2])).max() < 1e-10
    ig_tunnel = NoiseTunnel(probe, base="ig", samples=2, noise=0.0, steps=8).attribute(x, [7, 2])
    np.testing.assert_allclose(ig_tunnel, cnnviz.attribute(x, "ig", [7, 2], steps=8).raw, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="wraps gradient methods; 'gradcam' is not one"):
        NoiseTunnel(probe, base="gradcam")
    # global random state untouched: no reseed (which two draws in a row cannot see) and no draw
    from tensorflow.python.eager import context

    def state():  # TensorFlow's global seed and its op-seed stream (reset by tf.random.set_seed), generator, numpy
        ops = getattr(context.context(), "_rng", None)
        return (context.global_seed(), ops.getstate() if ops else None, tuple(generator.state.numpy()),
                repr(np.random.get_state()))

    generator = tf.random.get_global_generator()
    tf.random.uniform(()), generator.normal(()), np.random.random()  # every stream mid-way
    before = state()
    cnnviz.attribution.smoothgrad(sample.x_test[0], seed=0)
    assert state() == before


def test_unknown_names_and_models_without_conv_layers(digit):
    with pytest.raises(ValueError, match=re.escape("unknown attribution method 'lime'; use one of: " + ", ".join(method_names()))):
        cnnviz.attribute(digit, "lime")
    mlp = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(name="flat"),
                            keras.layers.Dense(10, activation="softmax", name="out")])
    for name in METHODS:
        if "conv_layer" in REGISTRY[name].needs:
            with pytest.raises(ValueError, match=re.escape(f"{name} needs a convolution layer, and this model has none")):
                cnnviz.attribute(digit, name, model=mlp)
        else:
            assert cnnviz.attribute(digit, name, model=mlp).maps.shape == (1, 28, 28)


def test_a_registered_method_appears_in_the_api_and_the_cli(digit):
    from cnnviz.cli import build_parser

    @register
    class Ink(Method):
        name, title = "ink", "Ink itself"

        def attribute(self, inputs, targets):
            return inputs[..., 0]

    try:
        assert "ink" in cnnviz.attribution.METHODS
        result = cnnviz.attribute(digit, "ink")
        assert result.title == "Ink itself"
        np.testing.assert_allclose(result.maps[0], result.inputs[0, ..., 0] / result.inputs.max())
        action = next(a for a in build_parser()._subparsers._group_actions[0].choices["attribution"]._actions
                      if a.dest == "method")
        assert "ink" in action.choices
    finally:
        REGISTRY.pop("ink")
    assert "ink" not in cnnviz.attribution.METHODS
