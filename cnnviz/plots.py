"""One ``plot_*`` per visualization; each returns a matplotlib Figure. ``save_figure`` writes it.

Plots never train or compute with TensorFlow: they draw the arrays and dataclasses that
the rest of cnnviz returns.

>>> import cnnviz
>>> fig = cnnviz.plot_history(cnnviz.load_history())
>>> save_figure(fig, "/tmp/cnnviz-doc-history.png").suffix
'.png'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from .model import atomic_path
from .style import (
    ACCENT,
    DEFAULT_DPI,
    TRAIN_COLOR,
    VALIDATION_COLOR,
    caption,
    cnnviz_style,
    figure,
)

if TYPE_CHECKING:
    from .evaluate import Evaluation

FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int | None = None) -> Path:
    """Write ``fig`` as PNG, SVG or PDF, chosen by the path's extension; atomically.

    >>> save_figure(figure(), "/tmp/cnnviz-doc.svg").name
    'cnnviz-doc.svg'
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


def plot_history(history: dict[str, list[float]] | Any, *, title: str = "Training curves",
                 dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """The tutorial's accuracy and loss curves, training against validation, per epoch.

    Takes the dict that :func:`cnnviz.train` returns (or a Keras ``History``).

    >>> fig = plot_history({"accuracy": [0.9, 0.95], "val_accuracy": [0.92, 0.96], "loss": [0.3, 0.1], "val_loss": [0.2, 0.1]})
    >>> len(fig.axes)
    2
    """
    if hasattr(history, "history"):
        history = history.history
    if not history or "loss" not in history:
        raise ValueError("this history has no 'loss' entry; pass the history that cnnviz.train or model.fit returned.")
    fig = figure(figsize=figsize or (7.0, 2.8), dpi=dpi)
    axes = fig.subplots(1, 2)
    for ax, metric, label in ((axes[0], "accuracy", "accuracy"), (axes[1], "loss", "cross-entropy loss")):
        train = history.get(metric) or history.get("acc" if metric == "accuracy" else metric, [])
        val = history.get(f"val_{metric}", [])
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, "o-", color=TRAIN_COLOR, ms=3, label="train")
        if val:
            ax.plot(np.arange(1, len(val) + 1), val, "s-", color=VALIDATION_COLOR, ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(f"model {metric}")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if metric == "accuracy" else "upper right")
        if len(epochs) and len(epochs) <= 20:
            ax.set_xticks(epochs)
    fig.suptitle(title)
    return caption(fig, "Accuracy (left) and loss (right) after each epoch, on the training images and on the "
                        "10% held out for validation. Curves that part ways mean overfitting.")


def plot_confusion(evaluation: Evaluation, *, dpi: int = DEFAULT_DPI,
                   figsize: tuple[float, float] | None = None) -> Figure:
    """The confusion matrix (true digit by predicted digit) with per-class accuracy.

    >>> import cnnviz
    >>> fig = plot_confusion(cnnviz.evaluate(data="sample"))
    """
    confusion = evaluation.confusion
    n = confusion.shape[0]
    fig = figure(figsize=figsize or (5.2, 4.4), dpi=dpi)
    ax = fig.subplots()
    # log scale so the few mistakes show next to ~1,000 correct answers per class
    shown = np.log10(confusion + 1.0)
    im = ax.imshow(shown, cmap="Blues")
    for i in range(n):
        for j in range(n):
            value = confusion[i, j]
            if value:
                dark = shown[i, j] > 0.6 * shown.max()
                ax.text(j, i, str(value), ha="center", va="center", fontsize=6.5,
                        color="white" if dark else (ACCENT if i != j else "black"))
    ax.set_xticks(range(n))
    ax.set_yticks(range(n), [f"{i}  ({evaluation.per_class_accuracy[i]:.1%})" for i in range(n)])
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit  (accuracy)")
    ax.set_title(f"Confusion matrix: {evaluation.accuracy:.2%} of {evaluation.images:,} test images correct")
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    ticks = [t for t in (0, 1, 10, 100, 1000) if t <= confusion.max()]
    bar.set_ticks(np.log10(np.array(ticks) + 1.0), labels=[str(t) for t in ticks])
    bar.set_label("images")
    return caption(fig, "Each row is a true digit, each column the model's answer; off-diagonal cells "
                        "(red numbers) are mistakes.")
