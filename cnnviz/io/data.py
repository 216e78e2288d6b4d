"""MNIST: find it, validate it, ship a sample of it, and turn any image into model input.

This module knows nothing of models: it returns numpy arrays.

>>> from cnnviz.io.data import load_sample, preprocess
>>> mnist = load_sample()
>>> mnist.x_test.shape, preprocess(mnist.x_test[0]).shape
((1000, 28, 28), (1, 28, 28, 1))
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .decode import DataError
from .images import IMAGE_SIZE, mnist_batch, pixels_batch
from .images import fit_and_center as _fit_and_center

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
SAMPLE_PATH = Path(__file__).resolve().parent.parent / "_sample" / "mnist_sample.npz"
KERAS_CACHE = Path("~/.keras/datasets/mnist.npz")
ENV_VAR = "CNNVIZ_MNIST"
KEYS = ("x_train", "y_train", "x_test", "y_test")
#: An image whose values all lie within this range of each other is blank: the model can only guess.
BLANK_TOLERANCE = 1 / 255
BLANK_NOTE = "the image is blank (one value everywhere): the model is guessing, its answer means nothing"


@dataclass(frozen=True)
class MNIST:
    """MNIST as uint8 arrays: images (N, 28, 28), 0 = background, 255 = ink; labels 0..9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    @property
    def is_sample(self) -> bool:
        """True for the 1,000 + 1,000 image sample that ships with cnnviz."""
        return self.source == str(SAMPLE_PATH)

    def sha256(self) -> str:
        """The sha256 of the file this data came from (``""`` if not a file)."""
        path = Path(self.source)
        return file_sha256(path) if path.is_file() else ""


def file_sha256(path: str | os.PathLike) -> str:
    """The hex sha256 of a file, read in chunks.

    >>> len(file_sha256(SAMPLE_PATH))
    64
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def to_model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) MNIST images -> float32 (N, 28, 28, 1) in [0, 1], as the tutorial does.

    >>> to_model_input(load_sample().x_test[:2]).shape
    (2, 28, 28, 1)
    """
    array = np.asarray(images)
    return pixels_batch(array, (*array.shape[1:3], 1))


def load_sample() -> MNIST:
    """The MNIST sample bundled with cnnviz: 1,000 training and 1,000 test images, 100 per digit.

    >>> load_sample().y_train.shape
    (1000,)
    """
    return read_mnist_npz(SAMPLE_PATH)


def load_mnist(path: str | os.PathLike | None = None, *, download: bool = True) -> MNIST:
    """Find and load the full MNIST.

    Looks, in this order, at: ``path``; the ``CNNVIZ_MNIST`` environment variable; Keras'
    cache ``~/.keras/datasets/mnist.npz``; then Keras' own download (when ``download``).
    Raises :class:`DataError` saying where it looked and how to point cnnviz at a file.

    >>> mnist = load_mnist("path/to/mnist.npz")  # doctest: +SKIP
    >>> mnist.x_train.shape  # doctest: +SKIP
    (60000, 28, 28)
    """
    looked: list[str] = []
    if path is not None:
        return read_mnist_npz(path)  # an explicit path that fails is the user's error to see
    env = os.environ.get(ENV_VAR)
    if env:
        return read_mnist_npz(env)
    cache = KERAS_CACHE.expanduser()
    looked.append(f"the {ENV_VAR} environment variable (not set)")
    if cache.is_file():
        return read_mnist_npz(cache)
    looked.append(f"Keras' cache {cache} (no such file)")
    if download:
        try:
            return read_mnist_npz(_download(cache))
        except DataError:
            raise
        except Exception as exc:  # network errors come in many types
            looked.append(f"a download from {_download_url()} (failed: {one_line_reason(exc)})")
    else:
        looked.append("no download (download=False)")
    error = DataError(
        "MNIST was not found. cnnviz looked at:\n  - "
        + "\n  - ".join(looked)
        + f"\nPoint cnnviz at a Keras-style mnist.npz: pass path=..., set {ENV_VAR}=/path/to/mnist.npz, "
        "use --data on the command line, or copy it to ~/.keras/datasets/mnist.npz. "
        "Without it, cnnviz.io.data.load_sample() gives the bundled 1,000 + 1,000 image sample."
    )
    error.looked = looked
    raise error


def resolve_data(data: MNIST | str | os.PathLike | None = None, *, download: bool = True,
                 or_sample: bool = True) -> MNIST:
    """The one way cnnviz turns a ``data=`` argument into MNIST (train, evaluate, the report, the CLI).

    An :class:`MNIST` is used as it is; ``"sample"`` is the bundled sample; a path is that file
    (a file that fails is the user's error to see). ``None`` is the full MNIST found by
    :func:`load_mnist` (with a download when ``download`` and the network allows it); when it
    cannot be found, the bundled sample, said once per process on stderr with how to get the
    full set (``or_sample=False``: the :class:`DataError` that says where cnnviz looked).

    >>> resolve_data("sample").is_sample
    True
    >>> resolve_data(None, download=False).x_test.shape[1:]
    (28, 28)
    """
    if isinstance(data, MNIST):
        return data
    if isinstance(data, str) and data == "sample":
        return load_sample()
    if data is not None:
        return read_mnist_npz(data)
    try:
        return load_mnist(download=download)
    except DataError as exc:
        if not or_sample:
            raise
        why = "; ".join(getattr(exc, "looked", [])) or one_line_reason(exc)
        say_once(SAMPLE_NOTICE.format(why=why))
        return load_sample()


#: what cnnviz says (once) when it falls back to the sample
SAMPLE_NOTICE = ("cnnviz: the full MNIST was not found ({why}); using the 2,000-image sample bundled with cnnviz "
                 "(1,000 training + 1,000 test images: fine to try things, rough for accuracy). For the full set, "
                 "copy a Keras mnist.npz to ~/.keras/datasets/mnist.npz, set CNNVIZ_MNIST=/path/to/mnist.npz, or "
                 "pass --data / data=PATH; --sample / data=\"sample\" asks for the sample without this note.")

_SAID: set[str] = set()  # notices already printed by this process (bounded: one per distinct notice)


def say_once(message: str) -> None:
    """Print ``message`` on stderr the first time this process says it."""
    import sys

    if message in _SAID:
        return
    _SAID.add(message)
    print(message, file=sys.stderr, flush=True)


def one_line_reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def describe_data(mnist: MNIST) -> str:
    """Which test set ``mnist`` is, as the end of a sentence ("on the full MNIST test set (...)").

    >>> describe_data(load_sample()).startswith("on the 1,000-image test sample")
    True
    """
    if mnist.is_sample:
        return (f"on the {len(mnist.y_test):,}-image test sample bundled with cnnviz (the full MNIST was not "
                "found; pass --data mnist.npz or set CNNVIZ_MNIST for all 10,000)")
    return f"on the full MNIST test set ({len(mnist.y_test):,} images, {Path(mnist.source).name})"


def _download_url() -> str:
    return os.environ.get("CNNVIZ_MNIST_URL", MNIST_URL)


def _download(cache: Path, timeout: float = 30.0) -> Path:
    """Download MNIST into Keras' cache (checking its sha256), atomically; any failure is an exception."""
    import tempfile
    import urllib.request

    url = _download_url()
    cache.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - an http(s) URL we chose
        fd, tmp = tempfile.mkstemp(dir=cache.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    out.write(chunk)
            if url == MNIST_URL and file_sha256(tmp) != MNIST_SHA256:
                raise DataError(f"the MNIST downloaded from {url} does not have the expected sha256; not kept.")
            os.replace(tmp, cache)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return cache


def read_mnist_npz(path: str | os.PathLike) -> MNIST:
    """Read and validate a Keras-style ``mnist.npz`` without ever unpickling.

    >>> read_mnist_npz(SAMPLE_PATH).x_test.dtype
    dtype('uint8')
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"MNIST file {path} does not exist. Check the path, or unset {ENV_VAR} if it points here.")
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path} could not be read: it is not an .npz (zip) file. Is it a Keras-style mnist.npz?")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in KEYS if k not in f.files]
            if missing:
                raise DataError(
                    f"{path} is not a Keras-style mnist.npz: it lacks {', '.join(missing)} "
                    f"(it has: {', '.join(f.files) or 'nothing'}). Expected keys: {', '.join(KEYS)}."
                )
            arrays = {k: f[k] for k in KEYS}
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(
                f"{path} holds pickled Python objects. cnnviz never unpickles data (it can run code); "
                "save plain uint8 arrays with numpy.savez instead."
            ) from None
        raise DataError(f"{path} could not be read as an .npz file: {exc}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise DataError(f"{path} could not be read as an .npz file ({exc}). Is it a Keras-style mnist.npz?") from None
    _validate(arrays, path)
    return MNIST(source=str(path), **{k: arrays[k].astype(np.uint8, copy=False) for k in KEYS})


def _validate(arrays: dict[str, np.ndarray], path: Path) -> None:
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            raise DataError(f"{path}: x_{split} has shape {x.shape}; expected (N, 28, 28) grayscale images.")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{path}: y_{split} has shape {y.shape}; expected ({len(x)},), one label per image.")
        if not (np.issubdtype(x.dtype, np.integer) and x.min(initial=0) >= 0 and x.max(initial=0) <= 255):
            raise DataError(f"{path}: x_{split} must be integers 0..255 (found dtype {x.dtype}).")
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(f"{path}: y_{split} must be integer labels (found dtype {y.dtype}).")
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{path}: y_{split} has labels {y.min()}..{y.max()}; MNIST labels are 0..9.")


# --------------------------------------------------------------------------- preprocessing


def preprocess(image: Any, *, size: int = IMAGE_SIZE) -> np.ndarray:
    """Turn what a user has into the model's input: float32 (N, size, size, 1), white ink on black.

    Accepts a file path, bytes of an image file, a PIL image, or a numpy array: (H, W),
    (H, W, 1|3|4), a batch (N, H, W) or (N, H, W, 1|3|4); uint8 0-255 or float 0-1.
    Colour is turned to grey (RGBA: the alpha channel is the ink when it varies); dark ink
    on a light background is inverted and the paper's background brought to black. Images already
    ``size`` x ``size`` keep their geometry; other sizes are fitted into a 20x20 box and centred by
    centre of mass, as MNIST was. This is the ``"mnist"`` convention of :mod:`cnnviz.io.images`.

    >>> preprocess(np.zeros((28, 28), np.uint8)).shape
    (1, 28, 28, 1)
    >>> float(preprocess(np.full((100, 80, 3), 255, np.uint8)).max())  # a blank white page
    0.0
    """
    return mnist_batch(image, size)[0]


def is_blank(images: Any, tolerance: float = BLANK_TOLERANCE) -> np.ndarray:
    """For a batch (N, ...) of images (display or model range alike): True where an image holds one value
    everywhere (all black, all white, an empty canvas), so a model can only guess.

    >>> is_blank(np.stack([np.zeros((28, 28)), np.eye(28)])).tolist()
    [True, False]
    """
    batch = np.asarray(images, dtype=np.float32)
    if batch.ndim < 3:
        batch = batch[None]
    flat = batch.reshape(len(batch), -1)
    if flat.shape[1] == 0:
        return np.ones(len(batch), bool)
    span = flat.max(axis=1) - flat.min(axis=1)
    scale = np.maximum(1.0, np.abs(flat).max(axis=1))  # model ranges like 0-255 are as blank as 0-1
    return span <= tolerance * scale


def fit_and_center(gray: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Crop to the ink, fit it in a (20/28 * size) box, centre by centre of mass (see :mod:`cnnviz.io.images`).

    >>> fit_and_center(np.pad(np.ones((10, 4)), 30)).shape
    (28, 28)
    """
    return _fit_and_center(gray, size)


__all__ = ["DataError", "MNIST", "SAMPLE_PATH", "load_mnist", "load_sample", "preprocess"]
