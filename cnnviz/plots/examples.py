"""Dataset examples: the images a filter responds to most, and a layer's page of an atlas."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from ..style import ACCENT, DEFAULT_DPI, caption, figure
from .draw import display_tile, draw_digit, grid_shape, image_axes, mosaic

if TYPE_CHECKING:
    from ..features import TopExamples


def plot_top_examples(top: TopExamples, *, dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """The images that excite a filter most, strongest first, with the receptive field of the peak marked.

    >>> import cnnviz
    >>> fig = plot_top_examples(cnnviz.top_examples("conv2", 3, k=6))
    """
    from matplotlib.patches import Rectangle

    n = len(top.images)
    rows, cols = grid_shape(n, 8)
    cols = max(cols, 4)  # a few images keep their size, with room for the title and the caption
    fig = figure(figsize=figsize or (1.15 * cols, 1.35 * rows + 0.5), dpi=dpi)
    for k, ax in enumerate(image_axes(fig, n, rows, cols)):
        label = f" (a {top.labels[k]})" if top.labels is not None else ""
        draw_digit(ax, top.images[k], f"{top.activations[k]:.2f}{label}")
        t, left, b, r = top.boxes[k]
        ax.add_patch(Rectangle((left - 0.5, t - 0.5), r - left, b - t, fill=False, edgecolor=ACCENT, linewidth=1.2))
    fig.suptitle(f"Top {n} image{'s' if n != 1 else ''} for {top.layer} filter #{top.filter}")
    return caption(fig, "The dataset images with the strongest response of this filter (value above each); the red "
                        "box is the part of the image that the strongest position sees (its receptive field).")



def plot_atlas(atlas: Any, layer: str, *, channels: Sequence[int] | None = None, k: int | None = None,
               dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """A layer's page of an atlas (:func:`cnnviz.dataset_examples`): one row per channel, its top ``k`` images,
    strongest first, the receptive field of each peak boxed.

    >>> import cnnviz
    >>> atlas = cnnviz.dataset_examples(["conv1"], data=cnnviz.load_sample().x_test[:100], k=4)
    >>> fig = plot_atlas(atlas, "conv1", channels=range(3))
    """
    chosen = list(channels) if channels is not None else list(range(min(16, atlas.channels(layer))))
    k = min(k or atlas.k, atlas.k)
    fig = figure(figsize=figsize or (0.9 * k + 0.9, 0.95 * len(chosen) + 0.9), dpi=dpi)
    tiles, titles, boxes = [], [], []
    for channel in chosen:
        top = atlas.top(layer, channel, k)
        for col in range(k):
            if col >= len(top.images):
                tiles.append(None), titles.append(""), boxes.append(None)
                continue
            tiles.append(display_tile(top.images[col]))
            titles.append(f"{top.activations[col]:.1f}")
            t, left, b, r = top.boxes[col]
            boxes.append((t, left, b, r) if (b - t, r - left) != top.images[col].shape[:2] else None)
    mosaic(fig.subplots(), tiles, k, titles=titles, boxes=boxes, row_labels=[f"#{c}" for c in chosen],
           title_size=7)
    what = "class" if layer == "logits" else "channel"
    fig.suptitle(f"{layer}: the top {k} of {atlas.images_seen:,} images for each {what}")
    boxed = "; the red box is what the strongest position sees" if layer in atlas.boxes and np.any(
        atlas.boxes[layer][..., 2:] - atlas.boxes[layer][..., :2] < np.array(atlas.images.shape[1:3])) else ""
    return caption(fig, f"Each row is one {what}: its strongest images from the whole dataset, strongest first "
                        f"(the value above each){boxed}.")
