"""Feature maps of an image, layer by layer, and what pooling does to one map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..style import ACTIVATION_CMAP, DEFAULT_DPI, caption, figure, hide_ticks
from .draw import class_label, draw_digit, mosaic

if TYPE_CHECKING:
    from ..features import FeatureMaps


def plot_feature_maps(fmaps: FeatureMaps, *, index: int = 0, layers: Sequence[str] | None = None,
                      max_maps: int = 16, dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """The tutorial's picture: the input, then the first ``max_maps`` maps of each layer (a row of panels per layer).

    >>> import cnnviz
    >>> fig = plot_feature_maps(cnnviz.feature_maps(cnnviz.load_sample().x_test[0]), max_maps=8)
    """
    names = list(layers) if layers is not None else list(fmaps.maps)
    cols = max_maps // 2 if max_maps > 8 else max_maps
    rows_per_layer = int(np.ceil(max_maps / cols))
    total_rows = 1 + rows_per_layer * len(names)
    fig = figure(figsize=figsize or (0.9 * (cols + 1.6), 0.95 * total_rows + 0.6), dpi=dpi)
    grid = fig.add_gridspec(total_rows, cols + 2, width_ratios=[1.4] + [1] * cols + [0.12])
    ax = fig.add_subplot(grid[0, 0])
    probs = fmaps.probabilities[index]
    draw_digit(ax, fmaps.inputs[index], f"input {fmaps.inputs.shape[1]}x{fmaps.inputs.shape[2]}")
    ax_text = fig.add_subplot(grid[0, 1:])
    ax_text.axis("off")
    ax_text.text(0.0, 0.5, f"prediction: {class_label(fmaps, probs.argmax())}  (softmax {probs.max():.3f})",
                 va="center", fontsize=10)
    for li, name in enumerate(names):
        maps = fmaps.maps[name][index]
        n = min(max_maps, maps.shape[-1])
        vmax = float(maps[..., :n].max()) or 1.0
        label = fig.add_subplot(grid[1 + li * rows_per_layer : 1 + (li + 1) * rows_per_layer, 0])
        label.axis("off")
        label.text(0.5, 0.5, f"{name}\n{maps.shape[0]}x{maps.shape[1]}\nx {maps.shape[2]} maps",
                   ha="center", va="center", fontsize=8.5)
        ax = fig.add_subplot(grid[1 + li * rows_per_layer : 1 + (li + 1) * rows_per_layer, 1:cols + 1])
        im = mosaic(ax, [maps[..., k] for k in range(n)], cols, titles=[f"#{k}" for k in range(n)],
                    cmap=ACTIVATION_CMAP, vmin=0, vmax=vmax)
        if n:
            bar = fig.colorbar(im, cax=fig.add_subplot(grid[1 + li * rows_per_layer : 1 + (li + 1) * rows_per_layer, -1]))
            bar.ax.tick_params(labelsize=6)
    fig.suptitle("Feature maps: what each layer makes of the input")
    shapes = " -> ".join(f"{fmaps.maps[n].shape[1]}x{fmaps.maps[n].shape[2]}x{fmaps.maps[n].shape[3]}" for n in names)
    return caption(fig, f"Activations (bright = strong) of the first {max_maps} channels of each layer: "
                        f"{fmaps.inputs.shape[1]}x{fmaps.inputs.shape[2]} -> {shapes}. Shared colour scale per layer.")



def plot_pooling(feature_map: np.ndarray, *, size: int = 2, title: str = "", dpi: int = DEFAULT_DPI,
                 figsize: tuple[float, float] | None = None) -> Figure:
    """One feature map and the tutorial's four kinds of pooling of it, side by side, values written in small maps.

    >>> fig = plot_pooling(np.random.default_rng(0).random((6, 6)))
    """
    from ..features import pooling

    fmap = np.asarray(feature_map, np.float32)
    results = pooling(fmap, size)
    fig = figure(figsize=figsize or (10.0, 2.6), dpi=dpi)
    axes = fig.subplots(1, 5)
    vmax = float(fmap.max()) or 1.0
    panels = [("feature map", fmap)] + [(f"{k} pooling" if "global" not in k else k, v) for k, v in results.items()]
    for ax, (name, values) in zip(axes, panels):
        im = ax.imshow(values, cmap=ACTIVATION_CMAP, vmin=0, vmax=vmax, interpolation="nearest")
        hide_ticks(ax)
        ax.set_title(f"{name}\n{values.shape[0]}x{values.shape[1]}")
        if values.size <= 49:
            for (r, c), v in np.ndenumerate(values):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6 if values.size > 16 else 8,
                        color="white" if v < 0.6 * vmax else "black")
    fig.colorbar(im, ax=axes, shrink=0.8, label="activation")
    fig.suptitle(title or f"Four kinds of pooling ({size}x{size} windows, stride {size})")
    return caption(fig, "Max pooling keeps the largest value of each window, average pooling its mean; the global "
                        "kinds reduce the whole map to one number.")
