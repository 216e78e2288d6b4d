"""Activation maximization: it works as documented, rises, is reproducible, and targets what it says."""

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.maximize import Regularization


def test_maximize_six_with_defaults_is_a_confident_six():
    result = cnnviz.maximize(**{"class": 6})
    assert result.images.shape == (1, 28, 28, 1)
    assert 0.0 <= result.images.min() and result.images.max() <= 1.0
    assert result.predicted[0] == 6 and result.confidence[0] >= 0.99
    assert result.steps == 80 and result.scores.shape == (80, 1)  # the default: 80 steps at learning rate 0.25


def test_default_learning_rate_keeps_the_same_path_over_any_number_of_steps():
    from cnnviz.optvis.param import pixels
    from cnnviz.optvis.presets import class_learning_rate

    # 200 steps keep the learning rate they always had; fewer steps take longer ones, up to 0.3
    assert [class_learning_rate(pixels(), s) for s in (1000, 200, 100, 80, 10)] == [0.1, 0.1, 0.2, 0.25, 0.3]
    a = cnnviz.maximize(3, steps=100, seed=2)
    b = cnnviz.maximize(3, steps=100, seed=2, learning_rate=0.2)
    np.testing.assert_array_equal(a.images, b.images)


def test_every_way_of_saying_class_gives_the_same_image():
    a = cnnviz.maximize(6, steps=40, seed=1)
    b = cnnviz.maximize(class_=6, steps=40, seed=1)
    c = cnnviz.maximize(**{"class": 6}, steps=40, seed=1)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.images, c.images)
    with pytest.raises(ValueError, match="give the class once"):
        cnnviz.maximize(6, **{"class": 6})


def test_the_class_logit_rises_over_the_steps():
    result = cnnviz.maximize([0, 3, 8], steps=120, regularization="none")
    first, last = result.scores[:10].mean(axis=0), result.scores[-10:].mean(axis=0)
    assert np.all(last > first + 10)
    assert result.predicted.tolist() == [0, 3, 8]


def test_same_seed_same_image_other_seed_other_image():
    a = cnnviz.maximize(2, steps=30, seed=7)
    b = cnnviz.maximize(2, steps=30, seed=7)
    c = cnnviz.maximize(2, steps=30, seed=8)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.allclose(a.images, c.images)


def test_a_list_of_classes_runs_as_one_batch_with_all_ten_on_target():
    result = cnnviz.maximize(list(range(10)))
    assert result.targets == list(range(10))
    assert result.predicted.tolist() == list(range(10))
    assert np.all(result.confidence >= 0.99)


@pytest.mark.slow
def test_l1_makes_fewer_pixels_light_up():
    plain = cnnviz.maximize([1, 4], steps=150, regularization="none")
    sparse = cnnviz.maximize([1, 4], steps=150, regularization="l1")
    assert sparse.images.mean() < 0.6 * plain.images.mean()
    heavy = cnnviz.maximize([1, 4], steps=150, regularization=Regularization(l1=200.0))
    assert heavy.images.mean() < sparse.images.mean()


@pytest.mark.slow
def test_the_tutorials_experiment_in_one_call():
    from cnnviz.fake_vs_constrained import fake_vs_constrained

    experiment = fake_vs_constrained(steps=120)
    assert experiment.plain.targets == list(range(10)) == experiment.constrained.targets
    assert experiment.plain.regularization == Regularization()
    assert experiment.constrained.regularization.l1 > 0
    assert (experiment.plain.predicted == np.arange(10)).mean() >= 0.9
    assert experiment.constrained.images.mean() < experiment.plain.images.mean()
    fig = cnnviz.plots.plot_fake_vs_constrained(experiment)
    assert len(fig.axes) == 22


def test_start_image_and_blur_options(digit):
    start = cnnviz.preprocess(digit)
    result = cnnviz.maximize(7, start=digit, steps=5, learning_rate=0.01, regularization="none")
    assert np.abs(result.images - start).mean() < 0.05  # a few small steps stay close to the start
    blurred = cnnviz.maximize(7, steps=30, blur=1.0, regularization="none")
    sharp = cnnviz.maximize(7, steps=30, regularization="none")
    roughness = lambda im: np.abs(np.diff(im[0, ..., 0], axis=0)).mean()  # noqa: E731
    assert roughness(blurred.images) < roughness(sharp.images)


@pytest.mark.slow
def test_filter_patterns_excite_their_own_filter_most(model):
    indices = list(range(8))
    result = cnnviz.maximize_filter("conv2", indices, steps=150)
    conv2 = keras.Model(model.inputs[0], model.get_layer("conv2").output)
    response = conv2.predict(result.images, verbose=0).mean(axis=(1, 2))[:, indices]  # [pattern, filter]
    noise = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    noise_response = conv2.predict(noise, verbose=0).mean(axis=(1, 2))[:, indices].max(axis=0)
    for i in indices:
        own = response[i, i]
        assert own > noise_response[i]
        assert own > np.delete(response[:, i], i).max()  # more than the other filters' patterns do
    assert np.all(result.scores[-1] > result.scores[0])


def test_dense_neuron_target():
    result = cnnviz.maximize(layer="predictions", neuron=3, steps=60)
    assert result.layer == "predictions" and result.targets == [3]
    assert result.scores[-1, 0] > result.scores[0, 0]


def test_bad_targets_are_clear_errors():
    with pytest.raises(ValueError, match=r"class 10 is out of range: this model has classes 0..9"):
        cnnviz.maximize(10, steps=1)
    with pytest.raises(ValueError, match="which class"):
        cnnviz.maximize()
    with pytest.raises(ValueError, match="filter 32 is out of range: layer 'conv1' has filters 0..31"):
        cnnviz.maximize_filter("conv1", 32)
    with pytest.raises(ValueError, match="layer 'dense' not found; layers are: conv1"):
        cnnviz.maximize_filter("dense", 0)
    with pytest.raises(ValueError, match="unknown regularization"):
        cnnviz.maximize(1, regularization="strong")
    with pytest.raises(ValueError, match="l1 must be >= 0"):
        cnnviz.maximize(1, l1=-1)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        cnnviz.maximize(1, steps=0)


def test_plot_maximization_shows_images_curves_and_softmax(tmp_path):
    result = cnnviz.maximize([3, 5], steps=20)
    fig = cnnviz.plots.plot_maximization(result)
    assert "class 3" in fig.axes[0].get_title()
    assert cnnviz.plots.save_figure(fig, tmp_path / "m.png").stat().st_size > 5000
