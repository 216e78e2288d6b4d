"""The drawing pieces the figures share: a grid of tick-less image axes, a digit (or any image), a class label."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..style import ACCENT, DIGIT_CMAP, hide_ticks


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


def display_tile(image: np.ndarray) -> np.ndarray:
    """An image as :func:`draw_digit` shows it: a model's own range (0-255, [-1, 1]) stretched to [0, 1], a
    single channel squeezed.

    >>> display_tile(np.array([[-1.0, 1.0]])).tolist()
    [[0.0, 1.0]]
    """
    img = np.asarray(image, np.float32)
    lo, hi = (float(img.min()), float(img.max())) if img.size else (0.0, 1.0)
    if lo < -0.01 or hi > 1.01:
        img = (img - lo) / ((hi - lo) or 1.0)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    return img if img.ndim == 2 else np.clip(img, 0, 1)


def mosaic(ax, tiles: Sequence[np.ndarray | None], cols: int, *, titles: Sequence[str] | None = None,
           cmap: str = DIGIT_CMAP, vmin: float = 0.0, vmax: float = 1.0, frame: str | None = None,
           boxes: Sequence[tuple[int, int, int, int] | None] | None = None, row_labels: Sequence[str] | None = None,
           title_size: float = 6.0, label_size: float = 8.0) -> Any:
    """Equal-sized ``tiles`` (2-D, or RGB) drawn on one axes as a grid of ``cols`` columns, as ONE image with white
    gaps, each tile's title above it, optional frames and boxes ``(top, left, bottom, right)`` in tile pixels,
    and a label left of each row; ``None`` leaves a cell empty. Returns the image artist (for a colour bar).

    One image instead of an axes per tile: laying out and saving a 64-tile figure takes well under a second
    instead of several (matplotlib's per-axes layout dominated the report's time).

    >>> from cnnviz.style import figure
    >>> ax = figure().subplots()
    >>> mosaic(ax, [np.zeros((3, 3)), None, np.ones((3, 3))], 2, titles=["#0", "", "#2"]).get_array().shape
    (9, 7)
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    shown = [t for t in tiles if t is not None]
    h, w = np.asarray(shown[0]).shape[:2] if shown else (1, 1)
    colour = any(np.asarray(t).ndim == 3 for t in shown)
    rows = int(np.ceil(len(tiles) / cols)) if tiles else 1
    gap = max(1, round(0.12 * max(h, w)))
    band = max(1, round(0.3 * h)) if titles is not None else 0  # room for the titles above each row
    height, width = rows * (band + h + gap) - gap, cols * (w + gap) - gap
    canvas = np.zeros((height, width, 4), np.float32) if colour else np.full((height, width), np.nan, np.float32)
    origins, frames, marks = [], [], []
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        y, x = r * (band + h + gap) + band, c * (w + gap)
        origins.append((y, x))
        if tile is None:
            continue
        t = np.asarray(tile, np.float32)
        if colour:
            canvas[y:y + h, x:x + w, :3] = t if t.ndim == 3 else np.repeat(((t - vmin) / ((vmax - vmin) or 1.0))[..., None], 3, -1)
            canvas[y:y + h, x:x + w, 3] = 1.0
        else:
            canvas[y:y + h, x:x + w] = t
        if frame is not None:
            frames.append(Rectangle((x - 0.5, y - 0.5), w, h))
        box = boxes[k] if boxes is not None and k < len(boxes) else None
        if box is not None:
            top, left, bottom, right = box
            marks.append(Rectangle((x + left - 0.5, y + top - 0.5), right - left, bottom - top))
        if titles is not None and k < len(titles) and titles[k]:
            ax.text(x + (w - 1) / 2, y - 0.6, titles[k], ha="center", va="bottom", fontsize=title_size)
    import matplotlib

    colormap = matplotlib.colormaps[cmap].with_extremes(bad="white")
    image = ax.imshow(canvas, cmap=colormap, vmin=vmin, vmax=vmax, interpolation="nearest")
    if frames:
        ax.add_collection(PatchCollection(frames, facecolor="none", edgecolor=frame, linewidth=0.5))
    if marks:
        ax.add_collection(PatchCollection(marks, facecolor="none", edgecolor=ACCENT, linewidth=1.0))
    for r, label in enumerate(row_labels or []):
        ax.text(-gap, r * (band + h + gap) + band + (h - 1) / 2, label, ha="right", va="center", fontsize=label_size)
    hide_ticks(ax)
    ax.set_xlim(-0.5, width - 0.5)
    ax.set_ylim(height - 0.5, -0.5)
    return image


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
    img = display_tile(image)  # a model's own input range (0-255, [-1, 1]): shown stretched to its extremes
    if img.ndim == 2:
        ax.imshow(img, cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(img, interpolation="nearest")
    hide_ticks(ax)
    if title:
        ax.set_title(title)
