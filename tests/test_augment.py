"""Augmentation keyed by (seed, epoch, batch): right pixels (a brute-force bilinear warp), same draws
for the same key, and a resumed pipeline that sees the very images an uninterrupted one saw."""

import numpy as np

from cnnviz.training.augment import Augmentation, affine_transforms, augment_batch
from cnnviz.training.pipeline import training_data


def _digits(n: int = 4) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = np.zeros((n, 28, 28, 1), np.float32)
    x[:, 6:22, 10:18, 0] = rng.random((n, 16, 8))  # a bright bar with texture, away from the border
    return x


def _brute_force_warp(image: np.ndarray, row: np.ndarray) -> np.ndarray:
    """out[y, x] = bilinear(image at (b0 x + b1 y + b2, a0 x + a1 y + a2)), 0 outside: a plain loop."""
    a0, a1, a2, b0, b1, b2 = row[:6]
    h, w = image.shape
    out = np.zeros_like(image)
    for y in range(h):
        for x in range(w):
            xs, ys = a0 * x + a1 * y + a2, b0 * x + b1 * y + b2
            x0, y0 = int(np.floor(xs)), int(np.floor(ys))
            fx, fy = xs - x0, ys - y0
            value = 0.0
            for yy, xx, wt in ((y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx),
                               (y0 + 1, x0, fy * (1 - fx)), (y0 + 1, x0 + 1, fy * fx)):
                if 0 <= yy < h and 0 <= xx < w:
                    value += wt * image[yy, xx]
            out[y, x] = value
    return out


def test_the_warp_matches_a_brute_force_bilinear_loop():
    x = _digits()
    spec = Augmentation(rotation=0.05, zoom=0.1, shift=0.1)
    rows = affine_transforms(len(x), 28, 28, [5, 9], spec).numpy()
    warped = augment_batch(x, [5, 9], spec).numpy()
    for image, row, got in zip(x, rows, warped):
        np.testing.assert_allclose(got[..., 0], _brute_force_warp(image[..., 0], row), atol=1e-4)
    assert not np.allclose(warped, x)  # it did move the images


def test_no_movement_is_the_identity_and_draws_stay_in_their_ranges():
    x = _digits()
    np.testing.assert_allclose(augment_batch(x, [1, 2], Augmentation(0.0, 0.0, 0.0)).numpy(), x, atol=1e-6)
    rows = affine_transforms(2000, 28, 28, [3, 4]).numpy()
    scale = np.hypot(rows[:, 0], rows[:, 3])
    angle = np.degrees(np.arctan2(rows[:, 3], rows[:, 0]))
    assert 0.95 - 1e-6 <= scale.min() and scale.max() <= 1.05 + 1e-6  # zoom 0.05
    assert np.abs(angle).max() <= 0.03 * 360 + 1e-4  # rotation 0.03 of a turn
    assert 10.0 < np.abs(angle).max()  # and the whole range is used


def test_the_same_key_gives_the_same_images_and_another_key_others():
    x = _digits()
    a, b, c = (augment_batch(x, key).numpy() for key in ([7, 1], [7, 1], [7, 2]))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_a_resumed_augmented_pipeline_sees_the_same_images():
    x = np.random.default_rng(1).random((40, 28, 28, 1)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(40) % 10]
    whole = training_data(x, y, batch_size=8, validation_split=0.0, seed=3, augment=Augmentation(), epochs=2)
    resumed = training_data(x, y, batch_size=8, validation_split=0.0, seed=3, augment=Augmentation(), epochs=2,
                            first_epoch=1)
    second_epoch = [b.numpy() for b, _ in whole.train][whole.steps_per_epoch:]
    again = [b.numpy() for b, _ in resumed.train]
    assert len(second_epoch) == len(again) == 5
    for a, b in zip(second_epoch, again):
        np.testing.assert_array_equal(a, b)
    first = [b.numpy() for b, _ in whole.train][0]
    plain = training_data(x, y, batch_size=8, validation_split=0.0, seed=3, epochs=1)
    assert not np.allclose(first, next(iter(plain.train))[0].numpy())  # augmentation changed the images
