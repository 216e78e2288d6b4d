"""The confusion matrix on MNIST test images."""

from __future__ import annotations

from collections.abc import Iterator

from matplotlib.figure import Figure

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "Where the model is right and where it is wrong: every test image counted by its true digit (row) and the "
    "model's answer (column). The mistakes are off the diagonal.")


@register("confusion_matrix", order=40)
def confusion_matrix(ctx: Context) -> Iterator[Planned]:
    from ...evaluate import evaluate
    from ...io.data import describe_data, resolve_data
    from ...plots import plot_confusion
    from ...style import caption

    if ctx.options.data is None and ctx.probe.num_classes != 10:
        ctx.note(f"Confusion matrix: the model has {ctx.probe.num_classes} classes, not MNIST's 10; "
                 "pass data= (--data) with test images of its own classes.")
        return

    def draw() -> Figure:
        mnist = ctx.cache.get("mnist") or resolve_data(ctx.options.data, download=False, or_sample=True)
        fig = plot_confusion(evaluate(ctx.model, mnist), dpi=ctx.dpi)
        return caption(fig, fig.cnnviz_caption + f" Computed {describe_data(mnist)}.")

    yield Planned("confusion_matrix", "Confusion matrix", TEXT, draw)
