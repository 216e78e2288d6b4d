"""The drawing pieces the figures share: a grid of tick-less image axes, a digit (or any image), a class label."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..style import DIGIT_CMAP, hide_ticks


def grid_shape(n: int, max_cols: int = 8) -> tuple[int, int]:
    """(rows, cols) of a grid for ``n`` images, at most ``max_cols`` wide."""
    cols = min(n, max_cols)
    return int(np.ceil(n / cols)), cols



def image_axes(fig: Figure, n: int, rows: int, cols: int) -> list:
    """``n`` tick-less axes on a rows x cols grid; the spare cells are switched off."""
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes[n:]:
        ax.axis("off")
    for ax in axes[:n]:
        hide_ticks(ax)
    return list(axes[:n])



def class_label(result: Any, index: int) -> str:
    """The name of class ``index`` in a result's ``class_names`` (the model's), else the index.

    >>> from types import SimpleNamespace
    >>> class_label(SimpleNamespace(class_names=["cat", "dog"]), 1), class_label(SimpleNamespace(), 1)
    ('dog', '1')
    """
    names = getattr(result, "class_names", None) or []
    return str(names[int(index)]) if 0 <= int(index) < len(names) else str(int(index))



def of_digits(result: Any) -> bool:
    """Whether a result is about digits: 28x28 grey images and classes named 0-9 (MNIST's kind); a figure then
    may say "digit", else it says "class" and "image".

    >>> from types import SimpleNamespace
    >>> of_digits(SimpleNamespace(images=np.zeros((2, 28, 28, 1)), class_names=["0", "1"]))
    True
    >>> of_digits(SimpleNamespace(images=np.zeros((2, 64, 64, 1)), class_names=[]))
    False
    """
    images = np.asarray(getattr(result, "images", np.zeros((0, 28, 28, 1))))
    shape_ok = images.shape[1:3] == (28, 28) and (images.ndim == 3 or images.shape[-1] == 1)
    names = [class_label(result, t) for t in getattr(result, "targets", [])]
    return shape_ok and all(n.isdigit() and len(n) == 1 for n in names)


def draw_digit(ax, image: np.ndarray, title: str | None = None) -> None:
    img = np.asarray(image)
    lo, hi = (float(img.min()), float(img.max())) if img.size else (0.0, 1.0)
    if lo < -0.01 or hi > 1.01:  # a model's own input range (0-255, [-1, 1]): shown stretched to its extremes
        img = (img - lo) / ((hi - lo) or 1.0)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        ax.imshow(img, cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
    hide_ticks(ax)
    if title:
        ax.set_title(title)
