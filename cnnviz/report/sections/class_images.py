"""The image each class likes most, without and with the tutorial's L1 constraint."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "So what does the computer see? Asking for the image that each class likes most gives 'fake digits': the "
    "model is sure of them, yet they look like noise rather than digits. Adding a constraint that fewer pixels "
    "may be lit (L1) turns them into strokes that start to look like digits.")


@register("class_images", order=80)
def class_images(ctx: Context) -> Iterator[Planned]:
    from ...maximize import fake_vs_constrained
    from ...plots import plot_fake_vs_constrained

    if not ctx.classes:
        return
    yield Planned("class_images", "What does the network see?", TEXT, lambda: plot_fake_vs_constrained(
        fake_vs_constrained(ctx.model, classes=ctx.classes, steps=ctx.options.steps), dpi=ctx.dpi))
