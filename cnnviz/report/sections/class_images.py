"""The image each class likes most, without and with the tutorial's L1 constraint."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "So what does the computer see? Asking for the image that each class likes most gives 'fake digits': the "
    "model is sure of them, yet they look like noise rather than digits. Adding a constraint that fewer pixels "
    "may be lit (L1) turns them into strokes that start to look like digits. Both show what the model responds "
    "to at all. The data-prior row asks a generative model of MNIST for a digit the model calls each class: what "
    "the model responds to among natural digits. The last row is the real sample digit it scores highest.")
VARIETY = (
    "Four different images per class, kept apart by a diversity term and each still classified as the class: "
    "one picture per class hides how many different inputs the model accepts.")


@register("class_images", order=80)
def class_images(ctx: Context) -> Iterator[Planned]:
    from ...fake_vs_constrained import fake_vs_constrained
    from ...maximize import data_prior_available, maximize
    from ...plots import plot_class_variety, plot_fake_vs_constrained

    if not ctx.classes:
        return
    prior = data_prior_available(ctx.model)
    yield Planned("class_images", "What does the network see?", TEXT, lambda: plot_fake_vs_constrained(
        fake_vs_constrained(ctx.model, classes=ctx.classes, steps=ctx.options.steps, data_prior=prior, examples=True),
        dpi=ctx.dpi))
    if prior:  # four data-prior digits per class take ~1 s; on a big model four pixel images each would not
        yield Planned("class_variety", "Four images per class", VARIETY, lambda: plot_class_variety(
            maximize(ctx.classes, model=ctx.model, n=4, prior="data"), dpi=ctx.dpi))
