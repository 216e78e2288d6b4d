"""Sanity checks: a map that is just the input is flagged, saliency is not, the caller's model is untouched."""

import keras
import numpy as np
import pytest
from scipy.stats import spearmanr

import cnnviz
from cnnviz.attribution import Method
from cnnviz.attribution.sanity import reinitialize, spearman_rows


class InputItself(Method):
    """A fake "method": the input image, whatever the model."""

    name, title = "input_itself", "The input itself"

    def attribute(self, inputs, targets):
        return inputs.max(axis=-1)


@pytest.fixture(scope="module")
def check(sample):
    return cnnviz.sanity_check(sample.x_test[:8], methods=["saliency", InputItself])


def test_the_input_itself_is_flagged_and_saliency_is_not(check):
    assert check.steps == ["trained", "predictions", "conv2", "conv1"]
    assert check.cascading["input_itself"].min() > 0.999
    assert check.flags["input_itself"].startswith("this map does not depend on what the network learned")
    assert check.verdicts["input_itself"] == "fails"
    assert check.flags["saliency"] is None
    mean, _ = check.final("saliency")
    assert mean < 0.8 and check.cascading["saliency"][0].min() == pytest.approx(1.0)
    assert check.independent["saliency"].shape == (3, 8)
    assert any("Saliency: correlation after full randomization" in line for line in check.summary())


def test_a_grouped_cascade_draws_the_one_layer_cascade_at_the_same_depths(sample, check):
    grouped = cnnviz.sanity_check(sample.x_test[:8], methods=["saliency"], independent=False, max_steps=2)
    assert grouped.steps == ["trained", "conv2", "conv1"]  # {predictions, conv2}, then {conv1}
    full = check.cascading["saliency"]  # one layer per step: trained, predictions, conv2, conv1
    np.testing.assert_allclose(grouped.cascading["saliency"], full[[0, 2, 3]], atol=1e-6)
    with pytest.raises(ValueError, match="max_steps"):
        cnnviz.sanity_check(sample.x_test[:1], methods=["saliency"], max_steps=0)


def test_the_callers_model_is_not_touched(sample, model):
    before = [w.copy() for w in model.get_weights()]
    cnnviz.sanity_check(sample.x_test[:2], methods=["gradcam"], model=model, independent=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    probe_model = cnnviz.core.build.get_probe(model).model  # what the library looks through is untouched too
    assert all(np.array_equal(a, b) for a, b in zip(before, probe_model.get_weights()))


def test_reinitialize_uses_the_layers_own_initializers():
    layer = keras.layers.Dense(3, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(0.5))
    layer.build((None, 4))
    layer.set_weights([np.ones((4, 3)), np.ones(3)])
    reinitialize(layer, seed=0)
    assert np.all(layer.get_weights()[0] == 0) and np.all(layer.get_weights()[1] == 0.5)
    conv = keras.layers.Conv2D(2, 3, kernel_initializer=keras.initializers.RandomNormal(stddev=1.0, seed=1))
    conv.build((None, 5, 5, 1))
    reinitialize(conv, seed=7)
    first = conv.get_weights()[0]
    reinitialize(conv, seed=7)
    assert np.array_equal(first, conv.get_weights()[0]) and 0.3 < first.std() < 2.5


def test_spearman_rows_equals_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.random((4, 50)), rng.random((4, 50))
    b[1] = a[1] ** 3
    a[2, :25] = 0.0  # ties
    expected = [spearmanr(x, y).statistic for x, y in zip(a, b)]
    np.testing.assert_allclose(spearman_rows(a, b), expected, rtol=1e-10)
    assert spearman_rows(np.ones((1, 5)), rng.random((1, 5)))[0] == 0.0


def test_bad_input_fails_before_the_work(sample):
    mlp = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(name="flat"),
                            keras.layers.Dense(10, activation="softmax", name="out")])
    with pytest.raises(ValueError, match="gradcam needs a convolution layer"):
        cnnviz.sanity_check(sample.x_test[:2], methods=["gradcam"], model=mlp)
    with pytest.raises(ValueError, match="unknown attribution method"):
        cnnviz.sanity_check(sample.x_test[:2], methods=["guided"])


def test_plot_sanity_check(check, tmp_path):
    fig = cnnviz.attribution.plot_sanity_check(check)
    assert "fails" in fig.axes[(len(check.steps) + 1)].get_ylabel()  # second row: the input itself
    assert cnnviz.plots.save_figure(fig, tmp_path / "s.png").stat().st_size > 20000


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sigmoid_binary", "nested", "rgb_separable", "subclassed"])
def test_trust_checks_on_zoo_models_leave_them_untouched(name):
    from zoo import build

    entry = build(name)
    before = [w.copy() for w in entry.model.get_weights()]
    check = cnnviz.sanity_check(entry.x[:3], methods=["saliency", "gradcam"], model=entry.model, independent=False)
    assert check.steps[0] == "trained" and len(check.steps) >= 3
    assert all(np.array_equal(a, b) for a, b in zip(before, entry.model.get_weights()))
    curves = cnnviz.faithfulness(entry.x[:3], methods=["saliency"], model=entry.model)
    # a real map, not a constant one (which would give random order's curve exactly)
    assert not np.array_equal(curves.curves["saliency"], curves.curves["random"])
    assert (cnnviz.attribute(entry.x[:3], "saliency", model=entry.model).raw.std(axis=(1, 2)) > 0).all()
