"""THE image path: anything a user has (file, bytes, PIL, array) -> what one model takes, by the model's convention.

Two conventions, in a registry (:data:`CONVENTIONS`):

- ``"mnist"``: MNIST-style digits (the reference CNN, the shipped model, models trained by cnnviz, and models
  whose card says ``"convention": "mnist"``): grey, white ink on black (dark ink on light paper is inverted and
  the paper's level and gradient are brought to black; white-on-black images are left as they are), fitted
  into a 20x20 box and centred by centre of mass.
- ``"as-is"``: every other model: only grey <-> RGB, resize and the value range; each step is noted.

Every function, the CLI, the report and the dashboard convert images here (:func:`prepare`); the older names
(``cnnviz.preprocess``, ``contract.display_batch``, ``Probe.prepare``) are thin wrappers.

>>> batch, notes = to_display(np.full((40, 30, 3), 200, np.uint8), (64, 64, 1), "as-is")
>>> batch.shape, round(float(batch.max()), 3), notes
((1, 64, 64, 1), 0.784, ['colour images given to a 1-channel model: converted to grey', 'images resized from 40x30 to 64x64'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import IMAGE_SIZE, DataError, _scale_wide, _to_array

Shape = tuple[int, int, int]
MNIST, AS_IS = "mnist", "as-is"
_GREY = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass(frozen=True)
class Convention:
    """How a model wants its images: ``adapt(image, (H, W, C))`` -> (float32 (N, H, W, C) in [0, 1], notes)."""

    name: str
    description: str
    adapt: Callable[[Any, Shape], tuple[np.ndarray, list[str]]]


def check_convention(name: Any) -> str:
    """``name`` if it is a known convention, else a ValueError naming them.

    >>> check_convention("as-is")
    'as-is'
    """
    if name not in CONVENTIONS:
        raise ValueError(f"unknown image convention {name!r}; use one of: {', '.join(CONVENTIONS)}.")
    return name


# --------------------------------------------------------------------------- reading


def read_batch(image: Any) -> tuple[np.ndarray, np.dtype]:
    """Anything cnnviz reads -> (N, H, W, C) array with C in 1, 3, 4 as given, and its dtype.

    >>> read_batch(np.zeros((5, 28, 28), np.uint8))[0].shape
    (5, 28, 28, 1)
    """
    array = _to_array(image)
    if array.size == 0:
        raise DataError(f"the image is empty (shape {array.shape}).")
    if array.ndim == 2:
        array = array[None, ..., None]
    elif array.ndim == 3:
        array = array[None] if array.shape[-1] in (1, 3, 4) and array.shape[0] > 4 else array[..., None]
    if array.ndim != 4:
        raise DataError(f"an image of shape {array.shape} cannot be read: expected (H, W), (H, W, C), (N, H, W) or "
                        "(N, H, W, C) with C = 1, 3 or 4.")
    if array.shape[-1] not in (1, 3, 4):
        raise DataError(f"an image with {array.shape[-1]} channels cannot be read: expected 1 (grey), 3 (RGB) or "
                        "4 (RGBA).")
    return array, array.dtype


def unit_values(array: np.ndarray) -> np.ndarray:
    """Pixels (uint8 0-255, 16-bit, or float 0-1) -> float32 in [0, 1]; bad values are a one-line DataError.

    >>> unit_values(np.array([0, 255], np.uint8)).tolist()
    [0.0, 1.0]
    """
    values = array.astype(np.float32)
    if not np.isfinite(values).all():
        raise DataError("the image contains NaN or infinite values; pass finite pixel values (0-255 or 0-1).")
    if values.size and values.min() < 0:
        raise DataError(f"the image has negative values (min {values.min():.3g}); pass pixels in 0-255 or 0-1.")
    if array.dtype == np.uint16 or (array.dtype.kind in "iu" and values.size and values.max() > 255):
        return _scale_wide(values)
    if array.dtype == np.uint8 or (values.size and values.max() > 1.0):
        if values.max() > 255:
            raise DataError(f"the image has values up to {values.max():.4g}; pass pixels in 0-255 (16-bit: "
                            "0-65535 as integers) or 0-1.")
        return values / 255.0
    return values


def grey(values: np.ndarray) -> np.ndarray:
    """(N, H, W, C) in [0, 1] -> (N, H, W) grey; for RGBA whose alpha varies, the alpha is the ink."""
    channels = values.shape[-1]
    if channels == 1:
        return values[..., 0]
    gray = values[..., :3] @ _GREY
    if channels == 4:
        alpha = values[..., 3]
        varies = np.ptp(alpha.reshape(len(alpha), -1), axis=1) > 0
        gray = np.where(varies[:, None, None], alpha, gray)  # strokes painted on a transparent background
    return gray


def resize(values: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of a float batch (N, H, W, C)."""
    from PIL import Image

    out = []
    for img in values:
        channels = [np.asarray(Image.fromarray(img[..., k], mode="F").resize((w, h), Image.BILINEAR))
                    for k in range(img.shape[-1])]
        out.append(np.stack(channels, axis=-1))
    return np.stack(out).astype(np.float32)


# --------------------------------------------------------------------------- "as-is"


def as_is(image: Any, shape: Shape) -> tuple[np.ndarray, list[str]]:
    """Only what the model's shape needs: grey <-> RGB, resize (bilinear), values to [0, 1]; each step noted.
    Nothing is inverted, cropped or recentred.

    >>> as_is(np.zeros((5, 28, 28), np.uint8), (32, 32, 3))[1]
    ['grey images given to a 3-channel model: the grey value is copied to R, G and B', 'images resized from 28x28 to 32x32']
    """
    h, w, c = shape
    array, _ = read_batch(image)
    values = unit_values(array)
    notes = []
    given = values.shape[-1]
    if given == 4:
        values = values[..., :3]
        notes.append("the alpha channel was dropped")
        given = 3
    if given == 1 and c == 3:
        values = np.repeat(values, 3, axis=-1)
        notes.append("grey images given to a 3-channel model: the grey value is copied to R, G and B")
    elif given == 3 and c == 1:
        values = (values @ _GREY)[..., None]
        notes.append("colour images given to a 1-channel model: converted to grey")
    if values.shape[1:3] != (h, w):
        notes.append(f"images resized from {values.shape[1]}x{values.shape[2]} to {h}x{w}")
        values = resize(values, h, w)
    return np.clip(values, 0.0, 1.0).astype(np.float32), notes


# --------------------------------------------------------------------------- "mnist"

#: A background whose estimated level and spread both stay under this is already clean (MNIST itself): untouched.
CLEAN_BACKGROUND = 1.5 / 255


def remove_paper(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """White-ink-on-black ``gray`` (H, W) in [0, 1] with a lit background (photographed paper, inverted) ->
    the same with the background at 0, and the background's mean level before.

    The background is a quadratic surface fitted to the darker pixels (starting from the darker half, ink
    excluded by iterating a robust fit), so uneven light is removed with its gradient; what stays less than 3 noise deviations above it is
    background; the ink keeps its soft edges and is rescaled to reach 1.

    >>> yy, xx = np.mgrid[0:40, 0:40] / 40
    >>> paper = 0.05 + 0.1 * xx
    >>> paper[10:30, 18:22] = 0.9
    >>> clean, level = remove_paper(paper)
    >>> round(float(clean[0, 0]), 3), round(float(clean[20, 20]), 1), round(level, 2)
    (0.0, 1.0, 0.1)
    """
    h, w = gray.shape
    step = max(1, int(np.ceil(max(h, w) / 96)))  # fit on at most ~96x96 points
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    sample = gray[::step, ::step].ravel().astype(np.float64)
    design = _surface_terms(ys.ravel() / max(h - 1, 1), xs.ravel() / max(w - 1, 1))
    keep = sample <= np.median(sample)  # start from the darker half: the ink covers less than half the page
    for _ in range(6):
        coef, *_ = np.linalg.lstsq(design[keep], sample[keep], rcond=None)
        residual = sample - design @ coef
        sigma = 1.4826 * np.median(np.abs(residual[keep])) + 1e-6
        new_keep = residual < 2.5 * sigma
        if new_keep.sum() < design.shape[1] * 4 or (new_keep == keep).all():
            break
        keep = new_keep
    fy, fx = np.mgrid[0:h, 0:w]
    background = (_surface_terms(fy.ravel() / max(h - 1, 1), fx.ravel() / max(w - 1, 1)) @ coef).reshape(h, w)
    level = float(np.mean(background))
    if abs(level) < CLEAN_BACKGROUND and np.ptp(background) < CLEAN_BACKGROUND and sigma < CLEAN_BACKGROUND:
        return gray, level
    ink = gray - background - 3.0 * sigma
    top = float(np.percentile(ink[ink > 0], 99)) if (ink > 0).any() else 0.0
    if top <= 0:
        return np.zeros_like(gray, dtype=np.float32), level
    return np.clip(ink / top, 0.0, 1.0).astype(np.float32), level


def _surface_terms(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.stack([np.ones_like(y), y, x, y * y, x * y, x * x], axis=1).astype(np.float64)


def mnist_gray(gray: np.ndarray, size: int = IMAGE_SIZE) -> tuple[np.ndarray, list[str]]:
    """One grey image in [0, 1] -> size x size, white ink on black on a black background, MNIST-centred unless
    already size x size; and notes on what was done."""
    notes = []
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:  # dark ink on light paper (a photo or a scan): invert, and remove the paper
        gray = 1.0 - gray
        notes.append("dark ink on a light background: inverted to white ink on black (MNIST convention)")
        cleaned, level = remove_paper(gray)
        if cleaned is not gray:
            notes.append(f"the paper's background (mean level {level:.3f}, with its gradient) was brought to black")
            gray = cleaned
    if gray.shape == (size, size):
        return gray.astype(np.float32), notes
    notes.append(f"the digit was fitted into a {round(size * 20 / 28)}x{round(size * 20 / 28)} box and centred "
                 "by its centre of mass (MNIST convention)")
    return fit_and_center(gray, size), notes


def mnist_batch(image: Any, size: int = IMAGE_SIZE) -> tuple[np.ndarray, list[str]]:
    """Anything cnnviz reads -> float32 (N, size, size, 1) MNIST-style digits, and notes (each said once)."""
    array, _ = read_batch(image)
    if min(array.shape[1:3]) < 2:
        raise DataError(f"an image of {array.shape[1]}x{array.shape[2]} pixels is too small to read.")
    gray = grey(unit_values(array))
    out, notes = [], []
    for img in gray:
        digit, said = mnist_gray(img, size)
        out.append(digit)
        notes += [n for n in said if n not in notes and not n.startswith("the paper's")]
        notes += [n for n in said if n.startswith("the paper's") and len(gray) == 1]
    return np.stack(out)[..., None].astype(np.float32), notes


def mnist(image: Any, shape: Shape) -> tuple[np.ndarray, list[str]]:
    """The ``"mnist"`` convention for a model taking ``shape`` (square; grey, or RGB with the grey copied)."""
    h, w, c = shape
    if h != w:
        raise DataError(f"the MNIST convention needs a square input; this model takes {h}x{w}x{c}: describe it "
                        "with convention='as-is'.")
    batch, notes = mnist_batch(image, h)
    if c == 3:
        batch = np.repeat(batch, 3, axis=-1)
    return batch, notes


def fit_and_center(gray: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Crop to the ink, fit it in a (20/28 * size) box keeping aspect, centre by centre of mass.

    >>> fit_and_center(np.pad(np.ones((10, 4)), 30)).shape
    (28, 28)
    """
    from PIL import Image

    ink = gray > 0.1 * gray.max() if gray.max() > 0 else np.zeros_like(gray, bool)
    if not ink.any():
        return np.zeros((size, size), np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    box = max(1, round(size * 20 / 28))
    scale = box / max(crop.shape)
    new_h, new_w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    resized = np.asarray(Image.fromarray(crop.astype(np.float32), mode="F").resize((new_w, new_h), Image.LANCZOS))
    resized = np.clip(resized, 0.0, 1.0)
    canvas = np.zeros((size, size), np.float32)
    top, left = (size - new_h) // 2, (size - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    total = canvas.sum()
    if total > 0:
        ys, xs = np.indices(canvas.shape)
        dy = round((size - 1) / 2 - (ys * canvas).sum() / total)
        dx = round((size - 1) / 2 - (xs * canvas).sum() / total)
        dy = int(np.clip(dy, -top, size - top - new_h))
        dx = int(np.clip(dx, -left, size - left - new_w))
        canvas = np.roll(canvas, (dy, dx), axis=(0, 1))
    return canvas


# --------------------------------------------------------------------------- the registry and the one path

CONVENTIONS: dict[str, Convention] = {
    MNIST: Convention(MNIST, "MNIST-style digits: white ink on black (dark ink on light paper inverted, the paper "
                             "brought to black), fitted into a 20x20 box, centred by centre of mass", mnist),
    AS_IS: Convention(AS_IS, "as is: only resize, grey <-> RGB and the value range", as_is),
}


def to_display(image: Any, shape: Shape, convention: str = AS_IS) -> tuple[np.ndarray, list[str]]:
    """Anything cnnviz reads -> float32 (N, H, W, C) in [0, 1] for a model taking ``shape``, by ``convention``,
    and notes on what was done.

    >>> to_display(np.zeros((2, 28, 28), np.uint8), (28, 28, 1), "mnist")[0].shape
    (2, 28, 28, 1)
    """
    h, w, c = shape
    try:
        return CONVENTIONS[check_convention(convention)].adapt(image, shape)
    except DataError as exc:
        if "this model takes" in str(exc) or "convention" in str(exc):
            raise
        raise DataError(f"{str(exc).rstrip('.')}; this model takes {h}x{w}x{c} images.") from None


def to_range(images_01: Any, input_range: tuple[float, float]) -> Any:
    """Display values in [0, 1] -> the model's range (affine; numpy or tf).

    >>> to_range(np.array([0.0, 1.0]), (-1.0, 1.0)).tolist()
    [-1.0, 1.0]
    """
    lo, hi = input_range
    return images_01 * (hi - lo) + lo if (lo, hi) != (0.0, 1.0) else images_01


def prepare(image: Any, shape: Shape, input_range: tuple[float, float], convention: str = AS_IS,
            range_source: str = "") -> tuple[np.ndarray, list[str]]:
    """``image`` as a float32 batch (N, H, W, C) in the model's range, and what was done to it.

    A float array already shaped like the model's input and within its range is taken as model input (except
    [0, 1] floats for a 0-255 model: those are scaled, with a note); anything else (uint8, files, PIL images,
    other sizes, grey for colour) is read as pixels, adapted by ``convention`` (:func:`to_display`) and mapped
    into ``input_range``.

    >>> x, notes = prepare(np.full((64, 64), 255, np.uint8), (64, 64, 1), (-1.0, 1.0))
    >>> float(x.min()), notes
    (1.0, [])
    """
    h, w, c = shape
    lo, hi = input_range
    if isinstance(image, np.ndarray) or hasattr(image, "numpy"):
        array = np.asarray(image.numpy() if hasattr(image, "numpy") else image)
        if array.dtype != object and np.issubdtype(array.dtype, np.floating) and array.shape[-3:] == (h, w, c):
            if not np.isfinite(array).all():
                raise DataError("the image contains NaN or infinite values; pass finite pixel values.")
            batch = array.reshape((-1, h, w, c)).astype(np.float32)
            slack = 0.01 * (hi - lo)
            if hi - lo > 10 and batch.size and batch.min() >= 0 and 0 < batch.max() <= 1.0:
                return to_range(batch, input_range).astype(np.float32), [
                    f"float images in [0, 1] given to a model taking {lo:g}..{hi:g}: scaled into its range"]
            if batch.size == 0 or (batch.min() >= lo - slack and batch.max() <= hi + slack):
                return batch, []
            if batch.min() < 0 or batch.max() > 255:
                raise DataError(f"the images hold values {batch.min():.3g}..{batch.max():.3g}; this model takes "
                                f"{lo:g}..{hi:g} ({range_source or 'its input range'}). Pass pixels in 0-255 or "
                                "0-1, or model input in its range.")
            return to_range(batch / 255.0, input_range).astype(np.float32), [
                f"float images in 0-255 given to a model taking {lo:g}..{hi:g}: read as pixels"]
    batch, notes = to_display(image, shape, convention)
    return np.asarray(to_range(batch, input_range), np.float32), notes


def pixels_batch(batch: np.ndarray, shape: Shape) -> np.ndarray:
    """A dataset batch already shaped like the model's input (uint8 0-255 or float 0-1; (N, H, W) for grey) ->
    float32 (N, H, W, C) in [0, 1], vectorised (no per-image work, no convention: data is taken as it is).

    >>> pixels_batch(np.full((2, 28, 28), 255, np.uint8), (28, 28, 1)).shape
    (2, 28, 28, 1)
    """
    h, w, c = shape
    x = np.asarray(batch)
    if x.ndim == 3 and c == 1:
        x = x[..., None]
    if x.shape[1:] != (h, w, c):
        raise DataError(f"images of shape {x.shape[1:]} do not fit the model's input {shape}; "
                        "resize them first (cnnviz.preprocess does it for MNIST-style digits).")
    if x.dtype == np.uint8:
        return x.astype(np.float32) / 255.0
    x = x.astype(np.float32)
    if x.size and (x.min() < 0 or x.max() > 1):
        raise DataError("float images must be in [0, 1] (or pass uint8 0-255).")
    return x


__all__ = ["CONVENTIONS", "Convention", "prepare", "read_batch", "to_display", "to_range"]
