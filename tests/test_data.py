"""cnnviz.io.data: where MNIST is found, what is wrong with a bad file, and preprocess on every input kind."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cnnviz.io import data
from cnnviz.io.data import load_mnist, preprocess, read_mnist_npz
from cnnviz.io.decode import DataError


def write_mnist(path: Path, n: int = 20, **override) -> Path:
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n // 2, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n // 2).astype(np.uint8),
    }
    arrays.update(override)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


def test_bundled_sample_is_real_mnist_with_every_digit(sample):
    assert sample.x_train.shape == (1000, 28, 28) and sample.x_test.shape == (1000, 28, 28)
    assert sample.x_train.dtype == np.uint8
    assert np.bincount(sample.y_test, minlength=10).tolist() == [100] * 10
    assert sample.is_sample
    assert 25 < sample.x_test.mean() < 45  # MNIST's mean ink is about 33
    assert (data.SAMPLE_PATH.parent / "LICENSE-MNIST.md").read_text().count("Creative Commons") >= 1


def test_resolution_order_argument_then_env_then_cache(tmp_path, no_mnist, monkeypatch):
    home = Path(no_mnist / "home")
    cache = write_mnist(home / ".keras" / "datasets" / "mnist.npz", n=30)
    env_file = write_mnist(tmp_path / "env.npz", n=40)
    arg_file = write_mnist(tmp_path / "arg.npz", n=50)
    monkeypatch.setenv("CNNVIZ_MNIST", str(env_file))
    assert len(load_mnist(arg_file).x_train) == 50
    assert len(load_mnist().x_train) == 40
    monkeypatch.delenv("CNNVIZ_MNIST")
    found = load_mnist()
    assert len(found.x_train) == 30 and found.source == str(cache)


def test_not_found_offline_says_where_it_looked_and_what_to_do(no_mnist):
    with pytest.raises(DataError) as err:
        load_mnist()
    message = str(err.value)
    assert "CNNVIZ_MNIST" in message
    assert ".keras/datasets/mnist.npz" in message
    assert "download" in message and "127.0.0.1:9" in message
    assert "path=" in message and "load_sample" in message


def test_not_found_without_download(no_mnist):
    with pytest.raises(DataError, match="download=False"):
        load_mnist(download=False)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "nope.npz")


def test_wrong_shapes_are_named(tmp_path):
    bad = write_mnist(tmp_path / "bad.npz", x_train=np.zeros((20, 32, 32), np.uint8))
    with pytest.raises(DataError, match=r"x_train has shape \(20, 32, 32\); expected \(N, 28, 28\)"):
        read_mnist_npz(bad)
    bad = write_mnist(tmp_path / "bad2.npz", y_test=np.zeros(3, np.uint8))
    with pytest.raises(DataError, match="y_test has shape"):
        read_mnist_npz(bad)


def test_labels_out_of_range_and_missing_keys(tmp_path):
    bad = write_mnist(tmp_path / "labels.npz", y_train=np.full(20, 11, np.uint8))
    with pytest.raises(DataError, match="labels 11..11"):
        read_mnist_npz(bad)
    np.savez(tmp_path / "keys.npz", images=np.zeros((2, 28, 28)))
    with pytest.raises(DataError, match="lacks x_train, y_train, x_test, y_test"):
        read_mnist_npz(tmp_path / "keys.npz")


def test_a_pickle_inside_an_npz_is_never_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    objects = np.empty(1, dtype=object)
    objects[0] = Evil()
    write_mnist(path, y_test=objects)
    with pytest.raises(DataError, match="pickled Python objects"):
        read_mnist_npz(path)
    assert not marker.exists()


def test_not_an_npz(tmp_path):
    path = tmp_path / "text.npz"
    path.write_text("hello")
    with pytest.raises(DataError, match="could not be read"):
        read_mnist_npz(path)
    broken = tmp_path / "broken.npz"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("x_train.npy", b"garbage")
    with pytest.raises(DataError):
        read_mnist_npz(broken)


# --------------------------------------------------------------------------- preprocess


def test_mnist_images_pass_through_unchanged(digit):
    expected = digit.astype(np.float32) / 255
    for given in (digit, digit[..., None], digit.astype(np.float32) / 255, digit[None], digit[None, ..., None]):
        out = preprocess(given)
        assert out.shape == (1, 28, 28, 1) and out.dtype == np.float32
        np.testing.assert_allclose(out[0, ..., 0], expected, atol=1e-6)


def test_batches(sample):
    assert preprocess(sample.x_test[:5]).shape == (5, 28, 28, 1)
    assert preprocess(sample.x_test[:5, ..., None]).shape == (5, 28, 28, 1)
    rgb = np.repeat(sample.x_test[:3, ..., None], 3, axis=-1)
    np.testing.assert_allclose(preprocess(rgb), preprocess(sample.x_test[:3]), atol=1e-2)


def big_black_on_white_digit(digit: np.ndarray, scale: int = 6) -> np.ndarray:
    """The digit drawn dark on white paper, larger and off-centre, as a phone photo would be."""
    big = np.kron(255 - digit, np.ones((scale, scale), np.uint8))
    page = np.full((300, 260), 255, np.uint8)
    page[20 : 20 + big.shape[0], 60 : 60 + big.shape[1]] = big
    return page


def test_large_dark_on_light_image_is_inverted_fitted_and_centred(digit, model):
    page = big_black_on_white_digit(digit)
    out = preprocess(page)[0, ..., 0]
    assert out.shape == (28, 28)
    assert out[0].max() < 0.05 and out[:, 0].max() < 0.05  # black border: white ink on black
    rows, cols = np.flatnonzero(out.max(axis=1) > 0.1), np.flatnonzero(out.max(axis=0) > 0.1)
    assert rows[-1] - rows[0] + 1 <= 21 and cols[-1] - cols[0] + 1 <= 21  # fitted in a 20x20 box
    ys, xs = np.indices(out.shape)
    assert abs((ys * out).sum() / out.sum() - 13.5) < 1.0 and abs((xs * out).sum() / out.sum() - 13.5) < 1.0
    assert model.predict(preprocess(page), verbose=0).argmax() == 7


def test_rgb_rgba_pil_file_and_bytes(digit, tmp_path, model):
    page = big_black_on_white_digit(digit)
    rgb = np.stack([page] * 3, axis=-1)
    rgba_opaque = np.concatenate([rgb, np.full(page.shape + (1,), 255, np.uint8)], axis=-1)
    # a drawing canvas: transparent background, opaque strokes (any colour): alpha is the ink
    canvas = np.zeros(page.shape + (4,), np.uint8)
    canvas[..., 3] = 255 - page
    canvas[..., 0] = 200
    path = tmp_path / "digit.png"
    Image.fromarray(rgb).save(path)
    buffer = io.BytesIO()
    Image.fromarray(page).save(buffer, format="JPEG")
    reference = preprocess(page)
    for given in (rgb, rgba_opaque, canvas, Image.fromarray(rgb), Image.fromarray(page).convert("P"), path, str(path),
                  buffer.getvalue(), rgb.astype(np.float32) / 255):
        out = preprocess(given)
        assert out.shape == (1, 28, 28, 1), type(given)
        assert np.abs(out - reference).mean() < 0.03, type(given)
        assert model.predict(out, verbose=0).argmax() == 7, type(given)


def test_small_image_is_scaled_up(digit):
    small = np.asarray(Image.fromarray(digit).resize((14, 14)))
    out = preprocess(small)[0, ..., 0]
    assert (out > 0.1).any(axis=1).sum() >= 15  # the ink now spans most of a 20-pixel box


def test_blank_image_gives_blank_input():
    assert preprocess(np.zeros((50, 50), np.uint8)).max() == 0
    assert preprocess(np.full((50, 50, 3), 255, np.uint8)).max() == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.full((28, 28), np.nan), "NaN"),
        (np.zeros((2, 3, 28, 28, 1)), "cannot be read"),
        (np.zeros((1, 28, 28, 5)), "5 channels"),
        (-np.ones((28, 28)), "negative"),
        (np.full((28, 28), 1000.0), "0-255"),
        (np.array([]), "empty"),
        (np.array([["a"]]), "numbers"),
        ("/no/such/file.png", "does not exist"),
        (b"not an image", "not an image"),
    ],
)
def test_unreadable_input_gets_a_clear_error(bad, message):
    with pytest.raises(DataError, match=message):
        preprocess(bad)


def test_a_text_file_is_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not a png")
    with pytest.raises(DataError, match="not an image cnnviz can read"):
        preprocess(path)
