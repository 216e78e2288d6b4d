"""Deletion / insertion curves, checked against images built by hand and Keras' own predict."""

import numpy as np
import pytest

import cnnviz
from cnnviz.attribution.metrics import faithfulness


@pytest.fixture(scope="module")
def images(sample):
    return sample.x_test[:6]


def test_curve_points_equal_keras_predict_on_hand_built_images(images, model):
    result = faithfulness(images, methods=["saliency"], metric="deletion")
    x = images.astype(np.float32)[..., None] / 255.0
    probs = model.predict(x, verbose=0)
    predicted = probs.argmax(axis=1)
    assert result.curves["saliency"].shape == (6, 29) and result.fractions.tolist()[:2] == [0.0, 1 / 28]
    np.testing.assert_allclose(result.curves["saliency"][:, 0], probs[np.arange(6), predicted], rtol=1e-4)
    blank = model.predict(np.zeros((1, 28, 28, 1), np.float32), verbose=0)[0]
    np.testing.assert_allclose(result.curves["random"][:, -1], blank[predicted], rtol=1e-4)
    # step 7 of 28: the 196 pixels saliency ranks highest are black, by hand (ties cannot matter: saliency > 0 there)
    saliency = cnnviz.attribute(images, "saliency").raw.reshape(6, -1)
    hand = x.reshape(6, -1).copy()
    for i in range(6):
        hand[i, np.argsort(-saliency[i], kind="stable")[:196]] = 0.0
    by_hand = model.predict(hand.reshape(6, 28, 28, 1), verbose=0)[np.arange(6), predicted]
    np.testing.assert_allclose(result.curves["saliency"][:, 7], by_hand, rtol=1e-3, atol=1e-5)
    auc = result.auc["saliency"]
    np.testing.assert_allclose(auc, result.curves["saliency"].mean(axis=1))


def test_insertion_runs_the_other_way(images, model):
    result = faithfulness(images, methods=["gradcam"], metric="insertion")
    probs = model.predict(images.astype(np.float32)[..., None] / 255.0, verbose=0)
    predicted = probs.argmax(axis=1)
    blank = model.predict(np.zeros((1, 28, 28, 1), np.float32), verbose=0)[0]
    np.testing.assert_allclose(result.curves["gradcam"][:, 0], blank[predicted], rtol=1e-4)
    np.testing.assert_allclose(result.curves["gradcam"][:, -1], probs[np.arange(6), predicted], rtol=1e-4)


def test_oracle_order_beats_random_and_a_constant_map_is_random_order(images, model):
    """Oracle: each pixel ranked by how much blacking it out alone lowers the predicted class's logit (brute force
    with Keras' own layers; the softmax of a sure digit is 1.0 in float32 whatever one pixel does)."""

    def logits(batch):
        h = batch
        for layer in model.layers[:-1]:
            h = layer(h)
        kernel, bias = model.layers[-1].get_weights()
        return np.asarray(h) @ kernel + bias

    x = images.astype(np.float32)[..., None] / 255.0
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    oracle = np.empty((6, 28, 28), np.float32)
    for i in range(6):
        single = np.repeat(x[i:i + 1], 784, axis=0).reshape(784, 784)
        single[np.arange(784), np.arange(784)] = 0.0
        z = logits(single.reshape(784, 28, 28, 1))[:, predicted[i]]
        oracle[i] = (logits(x[i:i + 1])[0, predicted[i]] - z).reshape(28, 28)
    result = faithfulness(images, methods=[], metric="deletion",
                          maps={"oracle": oracle, "constant": np.ones((6, 28, 28))})
    assert result.auc["oracle"].mean() < 0.6 * result.auc["random"].mean()
    assert (result.auc["oracle"] <= result.auc["random"]).all()
    np.testing.assert_array_equal(result.curves["constant"], result.curves["random"])
    rows = {row["method"]: row for row in result.table()}
    assert rows["oracle"]["beats_random"] is True and rows["random"]["beats_random"] is None


def test_baselines_and_bad_arguments(images):
    from cnnviz.attribution.metrics import baseline_for
    from cnnviz.core.build import get_probe

    rgb = np.random.default_rng(0).random((2, 8, 8, 3)).astype(np.float32)
    mean = baseline_for(get_probe(), rgb)
    np.testing.assert_allclose(mean[:, 3, 5], rgb.mean(axis=(1, 2)), rtol=1e-6)
    assert baseline_for(get_probe(), rgb, baseline=0.25).max() == 0.25
    grey = faithfulness(images[:2], methods=[], baseline=1.0)  # white instead of black: another curve
    black = faithfulness(images[:2], methods=[])
    assert not np.allclose(grey.curves["random"], black.curves["random"])
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        faithfulness(images, metric="auc")
    with pytest.raises(ValueError, match="unknown attribution method 'lime'"):
        faithfulness(images, methods=["lime"])
    with pytest.raises(ValueError, match=r"maps\['x'\] has shape \(28, 28\)"):
        faithfulness(images, methods=[], maps={"x": np.ones((28, 28))})


def test_plot_faithfulness(images, tmp_path):
    result = faithfulness(images, methods=["saliency", "gradcam"])
    fig = cnnviz.attribution.plot_faithfulness(result)
    assert fig._suptitle.get_text() == "Deletion on 6 images"
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels == ["Saliency", "Grad-CAM", "Random order"]
    assert cnnviz.plots.save_figure(fig, tmp_path / "f.png").stat().st_size > 10000
