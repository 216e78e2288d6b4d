"""Figure files: a figure written as PNG, SVG or PDF (atomically) or encoded as bytes."""

from __future__ import annotations

import os
from pathlib import Path

from matplotlib.figure import Figure

from ..io.files import atomic_path
from ..style import DEFAULT_DPI, cnnviz_style

FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int | None = None) -> Path:
    """Write ``fig`` as PNG, SVG or PDF, chosen by the path's extension; atomically.

    >>> from cnnviz.style import figure
    >>> save_figure(figure(), "figure.svg").name
    'figure.svg'
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"cannot save a figure as {path.name!r}: use a .png, .svg or .pdf file name.")
    with atomic_path(path) as tmp, cnnviz_style():
        fig.savefig(tmp, format=fmt, dpi=dpi or fig.dpi or DEFAULT_DPI, bbox_inches="tight")
    return path



def figure_bytes(fig: Figure, fmt: str = "png", *, dpi: int | None = None) -> bytes:
    """The figure encoded as PNG, SVG or PDF bytes (for downloads and HTML reports).

    >>> from cnnviz.style import figure
    >>> figure_bytes(figure())[:4]
    b'\\x89PNG'
    """
    import io

    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; use one of {', '.join(FORMATS)}.")
    buffer = io.BytesIO()
    with cnnviz_style():
        fig.savefig(buffer, format=fmt, dpi=dpi or fig.dpi or DEFAULT_DPI, bbox_inches="tight")
    return buffer.getvalue()
