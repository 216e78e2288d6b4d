"""The model card: how the model was trained, on what, how well (on the PDF's title page)."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "How this model was made: the data, the training recipe (Adam on the cross-entropy loss, mini-batches, "
    "epochs), the time it took and the accuracy on test images it never saw while training.")


@register("model_card", order=20)
def model_card(ctx: Context) -> Iterator[Planned]:
    from ...plots import plot_model_card

    yield Planned("model_card", "Model card", TEXT, lambda: plot_model_card(ctx.card, ctx.model, dpi=ctx.dpi))
