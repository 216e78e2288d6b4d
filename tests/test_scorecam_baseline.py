"""Score-CAM masks an image towards the model's own "nothing" (black: the low end of its input range), not
towards 0 of its input space, which is mid-grey for a [-1, 1] model. Checked against a brute-force Score-CAM
written here with plain Keras calls, one masked image at a time."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import cnnviz
from cnnviz.core.build import get_probe


def symmetric_model() -> keras.Model:
    """A small CNN for [-1, 1] grey images (nothing in it says so), seeded."""
    def init(seed):
        return keras.initializers.GlorotUniform(seed=seed)

    inputs = keras.Input((24, 24, 1))
    x = keras.layers.Conv2D(6, 3, activation="relu", kernel_initializer=init(1))(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="last", kernel_initializer=init(2),
                            bias_initializer=keras.initializers.Constant(0.05))(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(4, activation="softmax", kernel_initializer=init(3))(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def model():
    return symmetric_model()


@pytest.fixture(scope="module")
def faces():
    """Two smooth face-like images in [-1, 1]: a dark blob on a light background."""
    yy, xx = np.mgrid[0:24, 0:24] / 23.0
    rng = np.random.default_rng(0)
    ims = [0.7 - 1.4 * np.exp(-((xx - cx) ** 2 + (yy - 0.5) ** 2) / 0.04) + 0.05 * rng.standard_normal((24, 24))
           for cx in (0.4, 0.6)]
    return np.clip(np.stack(ims), -1, 1).astype(np.float32)[..., None]


def upsample_aligned(maps: np.ndarray, size) -> np.ndarray:
    """TensorFlow's bilinear resize with aligned corners (an upsampling independent of cnnviz's)."""
    return tf.raw_ops.ResizeBilinear(images=tf.constant(maps, tf.float32), size=list(size), align_corners=True).numpy()


def brute_force_scorecam(model, images, targets, layer, fill):
    """Score-CAM one masked image at a time: maps of ``layer``, each upsampled and scaled to [0, 1], the image
    kept where the mask is 1 and set to ``fill`` where it is 0, weighted by the softmax of the target."""
    acts = keras.Model(model.inputs[0], model.get_layer(layer).output)
    cams = []
    for image, t in zip(images, targets):
        a = acts(image[None]).numpy()  # (1, h, w, C)
        big = upsample_aligned(a, image.shape[:2])[0]
        weights = []
        for k in range(a.shape[-1]):
            m = big[..., k]
            m = (m - m.min()) / (m.max() - m.min() + keras.config.epsilon())
            masked = fill + m[..., None] * (image - fill)
            weights.append(float(model(masked[None]).numpy()[0, t]))
        cam = np.maximum((a[0] * np.asarray(weights)).sum(axis=-1), 0.0)
        cams.append(upsample_aligned(cam[None, ..., None], image.shape[:2])[0, ..., 0])
    return np.stack(cams)


def test_scorecam_fills_with_the_models_black_not_grey(model, faces):
    targets = [0, 2]
    ours = cnnviz.attribute(faces, "scorecam", targets, model=model, input_range=(-1, 1), layer="last").raw
    black = brute_force_scorecam(model, faces, targets, "last", fill=-1.0)
    grey = brute_force_scorecam(model, faces, targets, "last", fill=0.0)
    peak = float(np.abs(black).max())
    np.testing.assert_allclose(ours, black, atol=1e-5 * peak)  # measured: 1.6e-7 of the peak
    assert np.abs(grey - black).max() > 1e-2 * peak  # measured 0.025: the check can tell the two fills apart


def test_a_baseline_given_is_the_fill(model, faces):
    targets = [1, 3]
    ours = cnnviz.attribute(faces, "scorecam", targets, model=model, input_range=(-1, 1), layer="last",
                            baseline=0.0).raw
    np.testing.assert_allclose(ours, brute_force_scorecam(model, faces, targets, "last", fill=0.0),
                               atol=1e-5 * float(np.abs(ours).max()))


def test_all_masked_out_is_the_bottom_of_the_range(model, faces):
    from cnnviz.attribution.cam import ScoreCAM

    probe = get_probe(model, input_range=(-1, 1))
    out = ScoreCAM(probe).masked(faces, np.zeros((2, 24, 24, 3), np.float32))
    assert out.shape == (6, 24, 24, 1)
    np.testing.assert_array_equal(out, -1.0)
    full = ScoreCAM(probe).masked(faces, np.ones((2, 24, 24, 3), np.float32))
    np.testing.assert_allclose(full, np.repeat(faces, 3, axis=0), atol=1e-6)
