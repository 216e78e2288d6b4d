"""No hidden state (issue 18): caches keyed on what they depend on, bounded; no global RNG, style or TF setting
changed by a library call."""

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.maximize import adapted_default, penalty_factor
from cnnviz.probe import get_probe
from cnnviz.versions import weights_version


def _clone(model: keras.Model) -> keras.Model:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def test_class_images_after_training_equal_a_fresh_copy_of_the_same_weights(sample):
    """Look, train, look again == look at a fresh copy: calibration is keyed on the weights, not on the probe."""
    model = _clone(cnnviz.load_model())
    before = cnnviz.maximize([3, 7], model=model, steps=30)  # calibrates on the shipped weights
    factor_before = penalty_factor(get_probe(model))
    version = weights_version(model)
    model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")  # a big step: logits change a lot
    model.fit(sample.x_train[:256, ..., None] / 255.0, (sample.y_train[:256] + 1) % 10, epochs=1, batch_size=64,
              verbose=0, shuffle=False)
    assert weights_version(model) != version
    after = cnnviz.maximize([3, 7], model=model, steps=30)
    fresh_model = _clone(model)
    fresh = cnnviz.maximize([3, 7], model=fresh_model, steps=30)
    assert penalty_factor(get_probe(model)) == pytest.approx(penalty_factor(get_probe(fresh_model)), rel=1e-6)
    assert penalty_factor(get_probe(model)) != pytest.approx(factor_before, rel=1e-3)
    assert adapted_default(get_probe(model)) == adapted_default(get_probe(fresh_model))
    assert np.abs(after.images - fresh.images).max() < 1e-5
    assert np.abs(after.images - before.images).max() > 0.1


def test_weights_version_sees_set_weights_and_not_the_optimizer_count():
    model = _clone(cnnviz.load_model())
    version = weights_version(model)
    weights = model.get_weights()
    weights[-1] = weights[-1] + np.float32(1e-6)  # one bias, one ulp-scale change
    model.set_weights(weights)
    assert weights_version(model) != version
    weights[-1] = weights[-1] - np.float32(1e-6)
    model.set_weights(weights)
    assert weights_version(model) == weights_version(_clone(model))


def test_compiled_loops_are_a_bounded_lru_and_an_evicted_loop_gives_the_same_answer():
    from cnnviz.objectives import channel
    from cnnviz.optvis import render as R
    from cnnviz.optvis.objectives import skeleton
    from cnnviz.param import pixels

    probe = get_probe(_clone(cnnviz.load_model()))
    first = R.render(probe, channel("conv2", 0), pixels(), (), [0], steps=5, seed=1)
    rend = R.renderer(probe, ("conv2:pre",))
    for i in range(100):  # 100 distinct objectives (as typed into a free-text box); loop() builds, tracing is lazy
        skel, weights = skeleton(channel("conv2", i % 64) * (1 + i // 64) + channel("conv2", (i + 1) % 64))
        rend.loop(skel, len(weights), pixels(), ())
    assert len(rend._compiled) <= R.MAX_LOOPS
    assert (skeleton(channel("conv2", 0))[0], pixels(), ()) not in rend._compiled  # evicted
    again = R.render(probe, channel("conv2", 0), pixels(), (), [0], steps=5, seed=1)
    np.testing.assert_array_equal(again.images, first.images)
    for i in range(3 * R.MAX_RENDERERS):  # renderers per set of tensors read: bounded too
        R.renderer(probe, (f"conv{1 + i % 2}:pre", "logits") + ("probabilities",) * (i // 2))
    assert len(probe.cache["optvis-renderers"]) <= R.MAX_RENDERERS
