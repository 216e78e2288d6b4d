"""The two library modules the dashboard added: cnnviz.convolution and cnnviz.training.experiments."""

import numpy as np
import pytest

import cnnviz


def test_convolve_is_what_conv1_computes(digit):
    kernel, bias = cnnviz.convolution.kernel_and_bias("conv1")
    fmaps = cnnviz.feature_maps(digit).maps["conv1"][0]
    image = cnnviz.preprocess(digit)[0, :, :, 0]
    for f in (0, 7, 31):
        ours = np.maximum(cnnviz.convolution.convolve(image, kernel[:, :, 0, f]) + bias[f], 0)
        np.testing.assert_allclose(ours, fmaps[..., f], atol=1e-4)


def test_stride_and_steps():
    image = np.arange(49.0).reshape(7, 7)
    kernel = np.ones((3, 3))
    assert cnnviz.convolution.convolve(image, kernel, stride=2).shape == (3, 3)
    patch, product, total = cnnviz.convolution.conv_step(image, kernel, 1, 2, stride=2)
    np.testing.assert_array_equal(patch, image[2:5, 4:7])
    assert total == pytest.approx(image[2:5, 4:7].sum()) == cnnviz.convolution.convolve(image, kernel, stride=2)[1, 2]
    step = cnnviz.convolution.convolution_step(image, kernel, step=5, stride=2, bias=-1000.0)
    assert (step.row, step.col, step.filled, step.value) == (1, 2, 6, 0.0)


def test_convolution_errors_say_what_to_do():
    with pytest.raises(ValueError, match="outside"):
        cnnviz.convolution.conv_step(np.zeros((5, 5)), np.ones((3, 3)), 3, 0)
    with pytest.raises(ValueError, match="2-D"):
        cnnviz.convolution.convolve(np.zeros((2, 5, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="stride"):
        cnnviz.convolution.convolve(np.zeros((5, 5)), np.ones((3, 3)), stride=0)


def test_plot_convolution_step_and_batch_timing():
    fig = cnnviz.convolution.plot_convolution_step(cnnviz.convolution.convolution_step(np.eye(8), np.eye(3), step=10))
    assert cnnviz.plots.figure_bytes(fig)[:4] == b"\x89PNG"
    timing = {"batch_size": [8, 64], "seconds_per_epoch": [1.0, 0.2], "updates_per_epoch": [113, 15],
              "train_images": [900, 900]}
    assert cnnviz.plots.figure_bytes(cnnviz.training.experiments.plot_batch_timing(timing))[:4] == b"\x89PNG"


@pytest.mark.slow
def test_time_batch_sizes_trains_for_real():
    # batch 4 against 512: 225 against 2 updates an epoch, a gap no machine's noise closes (64 against 512
    # on 900 images was within noise: 0.22 s against 0.20 s)
    timing = cnnviz.training.experiments.time_batch_sizes([4, 512], data="sample", epochs=2)
    assert timing["batch_size"] == [4, 512]
    assert timing["updates_per_epoch"] == [225, 2]  # 900 training images after the 10% validation split
    assert all(s > 0 for s in timing["seconds_per_epoch"])
    assert timing["seconds_per_epoch"][0] > timing["seconds_per_epoch"][1]  # more updates, more time
    with pytest.raises(ValueError, match="batch sizes"):
        cnnviz.training.experiments.time_batch_sizes([0])
