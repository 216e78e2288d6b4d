"""Arrays as pictures for ``st.image``: enlarged grey digits, colour-mapped maps, a mosaic of channels, a
heat map over an image.
"""

from __future__ import annotations

import matplotlib
import numpy as np

from cnnviz.style import ATTRIBUTION_CMAP


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling, so small maps stay crisp in the browser."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def gray(image: np.ndarray, factor: int = 8) -> np.ndarray:
    """A (H, W[, 1]) image in [0, 1] as an enlarged uint8 grey picture; (H, W, 3) stays in colour."""
    img = np.asarray(image, np.float32)
    img = img[..., 0] if img.ndim == 3 and img.shape[-1] != 3 else img
    return enlarge((np.clip(img, 0, 1) * 255).astype(np.uint8), factor)


def colorize(values: np.ndarray, vmax: float | None = None, cmap: str = "viridis", vmin: float = 0.0) -> np.ndarray:
    """Map values to RGB uint8 with a matplotlib colour map (the scale cnnviz's plots use)."""
    vmax = float(np.max(values)) if vmax is None else vmax
    scaled = (np.asarray(values, np.float32) - vmin) / ((vmax - vmin) or 1.0)
    return (matplotlib.colormaps[cmap](np.clip(scaled, 0, 1))[..., :3] * 255).astype(np.uint8)


def mosaic(maps: np.ndarray, cols: int = 16, factor: int = 4, gap: int = 2) -> np.ndarray:
    """All channels of one layer (h, w, c) as one RGB grid, one shared colour scale (bright = strong)."""
    h, w, c = maps.shape
    rows = int(np.ceil(c / cols))
    colored = colorize(np.moveaxis(maps, -1, 0), float(maps.max()) or 1.0)  # (c, h, w, 3)
    cell_h, cell_w = h * factor, w * factor
    grid = np.full((rows * (cell_h + gap) - gap, cols * (cell_w + gap) - gap, 3), 255, np.uint8)
    for k in range(c):
        r, col = divmod(k, cols)
        grid[r * (cell_h + gap) : r * (cell_h + gap) + cell_h, col * (cell_w + gap) : col * (cell_w + gap) + cell_w] = (
            enlarge(colored[k], factor))
    return grid


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5, factor: int = 8) -> np.ndarray:
    """A heat map in [0, 1] over a grey image, in the colours plot_attribution uses."""
    img = np.asarray(image, np.float32)
    img = img[..., 0] if img.ndim == 3 else img
    base = np.repeat(np.clip(img, 0, 1)[..., None], 3, axis=-1)
    color = matplotlib.colormaps[ATTRIBUTION_CMAP](np.clip(heat, 0, 1))[..., :3]
    return enlarge(((1 - alpha) * base + alpha * color) * 255, factor).astype(np.uint8)
