"""A conv layer's filters: its kernels and the images optimized for each filter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..style import DEFAULT_DPI, SIGNED_CMAP, caption, figure, hide_ticks, symmetric_limits
from .draw import draw_digit, grid_shape, image_axes

if TYPE_CHECKING:
    from ..optvis.result import MaximizationResult


def plot_filters(weights: np.ndarray, *, layer: str = "", max_filters: int = 64, channel: int | None = None,
                 dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """Kernel weights (kh, kw, in, out) as small images, red positive, blue negative, centred on zero.

    For multi-channel kernels, each filter shows ``channel`` (default: the sum over input channels).

    >>> import cnnviz
    >>> fig = plot_filters(cnnviz.filters("conv1"), layer="conv1")
    """
    w = np.asarray(weights)
    if w.ndim != 4:
        raise ValueError(f"filter weights have shape {w.shape}; expected (kh, kw, in_channels, filters).")
    shown = w[:, :, channel, :] if channel is not None else w.sum(axis=2)
    n = min(max_filters, shown.shape[-1])
    rows, cols = grid_shape(n, 8 if n <= 32 else 16)
    fig = figure(figsize=figsize or (0.75 * cols + 0.9, 0.8 * rows + 0.8), dpi=dpi)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    lo, hi = symmetric_limits(shown[..., :n])
    im = None
    for k, ax in enumerate(axes):
        hide_ticks(ax)
        if k < n:
            im = ax.imshow(shown[..., k], cmap=SIGNED_CMAP, vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_title(f"#{k}", fontsize=6, pad=1)
        else:
            ax.axis("off")
    fig.colorbar(im, ax=axes.tolist(), shrink=0.8, label="weight")
    what = "channel " + str(channel) if channel is not None else ("sum over input channels" if w.shape[2] > 1 else "")
    fig.suptitle(f"{layer or 'conv'} filters: {w.shape[0]}x{w.shape[1]} kernels, {w.shape[3]} filters" +
                 (f" ({what})" if what else ""))
    return caption(fig, "Each square is one learned kernel: red weights add where the input is bright, blue "
                        "weights subtract. The filter slides over the image and sums these products.")



def plot_filter_patterns(result: MaximizationResult, *, dpi: int = DEFAULT_DPI,
                         figsize: tuple[float, float] | None = None) -> Figure:
    """The input pattern each filter of a layer responds to most (from :func:`cnnviz.maximize_filter`), as a grid.

    >>> import cnnviz
    >>> fig = plot_filter_patterns(cnnviz.maximize_filter("conv1", [0, 1, 2, 3], steps=20))
    """
    n = len(result)
    rows, cols = grid_shape(n, 8 if n <= 32 else 16)
    fig = figure(figsize=figsize or (0.75 * cols + 0.3, 0.8 * rows + 0.8), dpi=dpi)
    for k, ax in enumerate(image_axes(fig, n, rows, cols)):
        draw_digit(ax, result.images[k])
        ax.set_title(f"#{result.targets[k]}", fontsize=6, pad=1)
        for spine in ax.spines.values():  # a frame, so an all-white pattern still shows on a white page
            spine.set_visible(True)
            spine.set_color("0.6")
            spine.set_linewidth(0.5)
    fig.suptitle(f"{result.layer}: the input each filter responds to most ({result.steps} steps from noise)")
    return caption(fig, "Each image was optimized from noise to raise the filter's mean activation over the whole map, "
                        "so the stroke it likes repeats everywhere as a texture (white = ink). Uniform squares: filters "
                        "that respond to brightness (or darkness) itself.")
