"""Training curves: accuracy and loss per epoch."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..style import DEFAULT_DPI, TRAIN_COLOR, VALIDATION_COLOR, caption, figure


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
        if len(epochs) and len(epochs) <= 10:
            ax.set_xticks(epochs)
        else:  # every epoch labelled would run the numbers together at column width
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(title)
    return caption(fig, "Accuracy (left) and loss (right) after each epoch, on the training images and on the "
                        "10% held out for validation. Curves that part ways mean overfitting.")
