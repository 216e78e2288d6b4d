"""One figure style for every cnnviz plot: readable at column width, colour maps chosen by quantity.

- grey for digits and input images (white ink on black, as the model sees them)
- sequential (``viridis``) for activations and probabilities, which are >= 0
- diverging (``RdBu_r``, centred on zero) for signed weights and attributions

>>> from cnnviz.style import figure
>>> fig = figure(2, 3)
>>> fig.get_size_inches().tolist()
[6.0, 4.0]
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager

import matplotlib
import numpy as np
from matplotlib.figure import Figure

DIGIT_CMAP = "gray"
ACTIVATION_CMAP = "viridis"
SIGNED_CMAP = "RdBu_r"
ATTRIBUTION_CMAP = "inferno"  # relevance here is unsigned (|gradient|, ReLU of CAMs): a sequential map
ACCENT = "#d62728"
TRAIN_COLOR = "#1f77b4"
VALIDATION_COLOR = "#ff7f0e"
DEFAULT_DPI = 150

RC = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


#: Held while cnnviz's rc settings are in force. Matplotlib reads its global ``rcParams`` when an artist is made
#: and when a figure is saved, so a style block is global state: two threads overlapping in ``rc_context`` restore
#: each other's values and leave them changed for good. One block at a time (re-entrant for nested blocks).
_RC_LOCK = threading.RLock()


@contextmanager
def cnnviz_style():
    """Apply cnnviz's rc settings inside a ``with`` block, one thread at a time (the block holds a lock, so the
    settings cannot leak to other threads' cnnviz figures or outlive the block).

    >>> with cnnviz_style():
    ...     fig = Figure()
    """
    with _RC_LOCK, matplotlib.rc_context(RC):
        yield


def figure(rows: float = 1, cols: float = 1, *, cell: float = 2.0, figsize: tuple[float, float] | None = None,
           dpi: int = DEFAULT_DPI) -> Figure:
    """A new Figure sized ``cell`` inches per grid cell unless ``figsize`` is given (not attached to pyplot).

    >>> figure(1, 1, figsize=(3, 2)).get_size_inches().tolist()
    [3.0, 2.0]
    """
    size = figsize if figsize is not None else (cols * cell, rows * cell)
    _notebook_display()
    with cnnviz_style():
        fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    return fig


def headless() -> None:
    """Draw without a display: the Agg backend, unless ``MPLBACKEND`` names one. Called by the programs that own
    their process (the ``cnnviz`` command, the dashboard), never at import: a library leaves the backend alone.
    (cnnviz's figures are plain :class:`~matplotlib.figure.Figure` objects, not pyplot's, so they need no backend.)
    """
    if not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")


_inline_loaded = False


def _notebook_display() -> None:
    """In Jupyter, load its inline backend the first time cnnviz draws: it is what makes a returned Figure display
    itself (a no-op elsewhere, and after the first figure)."""
    global _inline_loaded
    if _inline_loaded or "ipykernel" not in sys.modules:
        return
    _inline_loaded = True
    backend = matplotlib.rcParams["backend"]
    if "inline" in str(backend):
        import matplotlib.pyplot as plt

        plt.switch_backend(backend)


def caption(fig: Figure, text: str) -> Figure:
    """Put a caption saying what the figure shows under it, and keep it for reports in ``fig.cnnviz_caption``.

    >>> caption(figure(), "A test.").cnnviz_caption
    'A test.'
    """
    fig.cnnviz_caption = text
    with cnnviz_style():
        fig.supxlabel(text, fontsize=8, color="0.25", wrap=True)
    return fig


def symmetric_limits(values: np.ndarray) -> tuple[float, float]:
    """(-m, m) with m the largest magnitude, so zero sits in the middle of a diverging map.

    >>> symmetric_limits(np.array([-1.0, 3.0]))
    (-3.0, 3.0)
    """
    m = float(np.max(np.abs(values))) if np.size(values) else 1.0
    m = m or 1.0
    return -m, m


def hide_ticks(ax) -> None:
    """Image axes: no ticks, no spines."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
