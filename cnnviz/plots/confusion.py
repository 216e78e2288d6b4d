"""The confusion matrix of an evaluation, with per-class accuracy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..style import ACCENT, DEFAULT_DPI, caption, figure
from .draw import class_label

if TYPE_CHECKING:
    from ..evaluate import Evaluation


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
    labels = [class_label(evaluation, i) for i in range(n)]
    ax.set_xticks(range(n), labels, rotation=45 if max(map(len, labels)) > 3 else 0)
    ax.set_yticks(range(n), [f"{class_label(evaluation, i)}  ({evaluation.per_class_accuracy[i]:.1%})"
                             for i in range(n)])
    what = "digit" if all(label.isdigit() for label in labels) else "class"
    ax.set_xlabel(f"predicted {what}")
    ax.set_ylabel(f"true {what}  (accuracy)")
    ax.set_title(f"Confusion matrix: {evaluation.accuracy:.2%} of {evaluation.images:,} test images correct")
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    ticks = [t for t in (0, 1, 10, 100, 1000) if t <= confusion.max()]
    bar.set_ticks(np.log10(np.array(ticks) + 1.0), labels=[str(t) for t in ticks])
    bar.set_label("images")
    return caption(fig, "Each row is a true digit, each column the model's answer; off-diagonal cells "
                        "(red numbers) are mistakes.")
