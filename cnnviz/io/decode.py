"""Read an image from what a user has (a path, file bytes, a PIL image, an array) into a numpy array, refusing
decompression bombs from the file's header before decoding; :class:`DataError` says what was wrong.

>>> _to_array(np.zeros((4, 4), np.uint8)).shape
(4, 4)
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

#: The largest image cnnviz decodes (width x height), checked from the file's header before decoding:
#: a 100 KB PNG can hold 900 million pixels (a "decompression bomb") and take gigabytes to open.
MAX_PIXELS = 50_000_000


class DataError(ValueError):
    """MNIST could not be found or read, or an image could not be turned into model input."""


def _to_array(image: Any) -> np.ndarray:
    from PIL import Image

    if isinstance(image, (str, os.PathLike)):
        path = Path(image).expanduser()
        if path.is_dir():
            raise DataError(f"{path} is a folder, not an image file; give the path of a PNG, JPEG, BMP or GIF file.")
        if not path.is_file():
            raise DataError(f"image file {path} does not exist.")
        return _open_image(path, str(path), "Use a PNG, JPEG, BMP or GIF file.")
    if isinstance(image, (bytes, bytearray)):
        return _open_image(io.BytesIO(image), "the image file", "Use PNG or JPEG.")
    if isinstance(image, Image.Image):
        check_pixels(*image.size)
        return _pil_to_array(image)
    if hasattr(image, "numpy"):  # a tf.Tensor
        image = image.numpy()
    try:
        array = np.asarray(image)
    except Exception as exc:
        raise DataError(f"cannot read an image from {type(image).__name__}: {exc}") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DataError(f"an image must hold numbers; got dtype {array.dtype} from {type(image).__name__}.")
    return array


def check_pixels(width: int, height: int, what: str = "the image") -> None:
    """Refuse an image larger than :data:`MAX_PIXELS` (width x height) before it is decoded.

    >>> check_pixels(30_000, 30_000)
    Traceback (most recent call last):
    ...
    cnnviz.io.decode.DataError: the image is 30000x30000 pixels (900 Mpx); cnnviz opens images up to 50 Mpx. Scale it down first.
    """
    if width * height > MAX_PIXELS:
        raise DataError(f"{what} is {width}x{height} pixels ({width * height / 1e6:.0f} Mpx); cnnviz opens images "
                        f"up to {MAX_PIXELS / 1e6:.0f} Mpx. Scale it down first.")


def _open_image(source: Any, what: str, hint: str) -> np.ndarray:
    """Open an image file (a path or a file object): its size is checked from the header, then it is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(source) as img:  # reads the header only
            check_pixels(*img.size, what=what)
            return _pil_to_array(img)
    except DataError:
        raise
    except Image.DecompressionBombError as exc:  # PIL's own limit (above ours) fires while reading the header
        size = re.search(r"\((\d+) pixels\)", str(exc))
        mpx = f" ({int(size.group(1)) / 1e6:.0f} Mpx)" if size else ""
        raise DataError(f"{what} is too large{mpx}; cnnviz opens images up to {MAX_PIXELS / 1e6:.0f} Mpx. "
                        "Scale it down first.") from None
    except UnidentifiedImageError:  # its message names a Python object (<_io.BytesIO object at 0x...>)
        raise DataError(f"{what} is not an image cnnviz can read (not a PNG, JPEG, BMP or GIF file). {hint}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        reason = re.sub(r"<[^<>]* at 0x[0-9a-fA-F]+>", "the file", str(exc))
        raise DataError(f"{what} is not an image cnnviz can read ({reason}). {hint}") from None


#: The integer image modes PIL opens 16- and 32-bit files in.
_WIDE_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def _pil_to_array(img) -> np.ndarray:
    """A PIL image as an array; palette and grey+alpha modes become RGBA so colour and alpha survive;
    16-bit grey (PNG, TIFF) becomes float in [0, 1], scaled by the 16-bit range."""
    if img.mode in _WIDE_MODES:
        return _scale_wide(np.asarray(img))
    if img.mode == "F":
        return np.asarray(img, dtype=np.float32)
    return np.asarray(img.convert("RGBA") if img.mode in ("P", "LA", "PA") else img)


def _scale_wide(array: np.ndarray) -> np.ndarray:
    """16-bit (or 32-bit integer) pixels -> float32 in [0, 1] by the 16-bit range (65535); values that only
    use 0-255 are taken as 8-bit, which is what such a file means."""
    values = array.astype(np.float32)
    if values.min(initial=0) < 0:
        raise DataError(f"the image has negative values (min {values.min():.3g}); pass pixels in 0-255 or 0-1.")
    top = float(values.max(initial=0))
    scale = 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
    return values / scale

__all__ = ["DataError", "MAX_PIXELS", "check_pixels"]
