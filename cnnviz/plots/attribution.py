"""Attribution maps: which pixels made the prediction, over the image."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..style import ATTRIBUTION_CMAP, DEFAULT_DPI, caption, figure
from .draw import class_label, draw_digit

if TYPE_CHECKING:
    from ..attribution import Attribution


def plot_attribution(attribution: Attribution, *, index: int | None = None, alpha: float = 0.5,
                     dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """Each image with its attribution heat map over it (and the map alone), titled with the target class.

    >>> import cnnviz
    >>> fig = plot_attribution(cnnviz.attribute(cnnviz.load_sample().x_test[:2], method="gradcam"))
    """
    indices = range(len(attribution.maps)) if index is None else [index]
    n = len(indices)
    fig = figure(figsize=figsize or ((3.4, 1.75 * n + 0.5) if n > 1 else (3.6, 2.2)), dpi=dpi)
    axes = np.atleast_2d(fig.subplots(n, 2))
    im = None
    for row, i in enumerate(indices):
        img = attribution.inputs[i]
        target = attribution.targets[i]
        p = attribution.probabilities[i, target]
        draw_digit(axes[row, 0], img, f"class {class_label(attribution, target)} (p={p:.2f})")
        draw_digit(axes[row, 1], img, "overlay")
        im = axes[row, 1].imshow(attribution.maps[i], cmap=ATTRIBUTION_CMAP, alpha=alpha, vmin=0, vmax=1,
                                 interpolation="bilinear")
    fig.colorbar(im, ax=axes[:, 1].tolist(), shrink=0.8, label="relevance")
    layer = f" on {attribution.layer}" if attribution.layer else ""
    fig.suptitle(f"{attribution.title}{layer}")
    return caption(fig, "Bright yellow: the pixels that raise the target class's score the most; dark: pixels that matter little.")
