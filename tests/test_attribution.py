"""Attribution: one call shape for five methods, mass on the digit, clear errors."""

import keras
import numpy as np
import pytest

import cnnviz
from cnnviz.attribution import METHODS


@pytest.mark.parametrize("method", METHODS)
def test_every_method_same_call_shape(method, sample):
    result = cnnviz.attribute(sample.x_test[:2], method=method)
    assert result.maps.shape == (2, 28, 28)
    assert 0.0 <= result.maps.min() and result.maps.max() <= 1.0 and result.maps.max() > 0.5
    assert result.targets == [int(t) for t in result.probabilities.argmax(axis=1)]


@pytest.mark.parametrize(("method", "ratio", "share"), [("gradcam", 1.4, 0.7), ("gradcam++", 1.25, 0.6),
                                                      ("saliency", 1.5, 0.95), ("smoothgrad", 1.5, 0.95)])
def test_attribution_puts_more_mass_on_the_digit_than_on_the_background(method, ratio, share, sample):
    """Per pixel, the digit's strokes get more relevance than the black background. (Grad-CAM works on
    conv2's 11x11 grid, so for some digits, a thin 1 above all, it lights the gap beside the stroke:
    hence a share of the images, not all.)"""
    images = sample.x_test[:40]
    result = cnnviz.attribute(images, method=method)
    ink = np.array([heat[image > 100].mean() for image, heat in zip(images, result.maps)])
    background = np.array([heat[image < 10].mean() for image, heat in zip(images, result.maps)])
    assert ink.mean() > ratio * background.mean()
    assert (ink > background).mean() >= share


def test_explicit_targets_and_shortcuts(digit):
    for_seven = cnnviz.attribution.gradcam(digit, 7)
    for_one = cnnviz.attribution.gradcam(digit, 1)
    assert for_seven.targets == [7] and for_one.targets == [1]
    assert not np.allclose(for_seven.maps, for_one.maps)
    assert cnnviz.attribution.saliency(digit).method == "saliency"
    with pytest.raises(ValueError, match="class 12 is out of range"):
        cnnviz.attribute(digit, "saliency", 12)
    with pytest.raises(ValueError, match="2 targets for 1 images"):
        cnnviz.attribute(digit, "saliency", [1, 2])


def test_bad_method_and_model_without_conv_layer(digit):
    with pytest.raises(ValueError, match="unknown attribution method 'lime'; use one of: saliency, smoothgrad, vargrad"):
        cnnviz.attribute(digit, "lime")
    mlp = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(name="flat"),
                            keras.layers.Dense(10, activation="softmax", name="out")])
    with pytest.raises(ValueError, match="gradcam needs a convolution layer, and this model has none"):
        cnnviz.attribute(digit, "gradcam", model=mlp)
    assert cnnviz.attribute(digit, "saliency", model=mlp).maps.shape == (1, 28, 28)
    with pytest.raises(ValueError, match="'pool2' is not one"):
        cnnviz.attribute(digit, "gradcam", layer="pool2")


def test_plot_attribution(sample, tmp_path):
    fig = cnnviz.plots.plot_attribution(cnnviz.attribute(sample.x_test[:3], "gradcam"))
    assert fig._suptitle is not None and fig._suptitle.get_text() == "Grad-CAM on conv2"
    assert cnnviz.plots.save_figure(fig, tmp_path / "a.svg").stat().st_size > 5000
