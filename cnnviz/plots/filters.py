"""A conv layer's filters: its kernels and the images optimized for each filter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..style import DEFAULT_DPI, SIGNED_CMAP, caption, figure, symmetric_limits
from .draw import display_tile, grid_shape, mosaic

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
    ax = fig.subplots()
    lo, hi = symmetric_limits(shown[..., :n])
    im = mosaic(ax, [shown[..., k] for k in range(n)], cols, titles=[f"#{k}" for k in range(n)], cmap=SIGNED_CMAP,
                vmin=lo, vmax=hi)
    fig.colorbar(im, ax=ax, shrink=0.8, label="weight")
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
    mosaic(fig.subplots(), [display_tile(img) for img in result.images], cols,
           titles=[f"#{t}" for t in result.targets], frame="0.6")  # a frame, so an all-white pattern still shows
    fig.suptitle(f"{result.layer}: the input each filter responds to most ({result.steps} steps from noise)")
    return caption(fig, "Each image was optimized from noise to raise the filter's mean activation over the whole map, "
                        "so the stroke it likes repeats everywhere as a texture (white = ink). Uniform squares: filters "
                        "that respond to brightness (or darkness) itself.")
