"""The training curves, when a history was saved beside the model."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "Training shuffles the images into mini-batches and updates the weights once per mini-batch; one epoch "
    "passes over all of them once. Plotting accuracy and loss per epoch, on the training images and on images "
    "held out for validation, shows whether something is wrong: curves that part ways mean overfitting.")


@register("training_curves", order=30)
def training_curves(ctx: Context) -> Iterator[Planned]:
    from ...plots import plot_history

    if not ctx.history:
        ctx.note("Training curves: no training history was found beside the model (cnnviz train writes one).")
        return
    yield Planned("training_curves", "Training curves", TEXT, lambda: plot_history(ctx.history, dpi=ctx.dpi))
