"""How it learned: the training snapshots, when they were recorded beside the model (``model.snapshots/``)."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "Snapshots taken while the network trained (cnnviz's Snapshots callback), from the untrained start on the "
    "left: the first convolution layer's filters settle from random noise into edge and stroke detectors, one "
    "of its feature maps sharpens, the class images (the input each class's score likes most) form out of noise, "
    "and the saliency of a test digit concentrates on its strokes, while the loss falls.")


@register("how_it_learned", order=35)
def how_it_learned(ctx: Context) -> Iterator[Planned]:
    from ...replay import plot_snapshots
    from ...training.snapshots import load_snapshots, snapshots_beside

    model_path = ctx.cache.get("model_path")
    if model_path is None or not snapshots_beside(model_path).is_dir():
        return  # no snapshots were recorded for this model: nothing to say
    try:
        run = load_snapshots(snapshots_beside(model_path))
    except FileNotFoundError:
        ctx.note(f"How it learned: {snapshots_beside(model_path)} holds no readable snapshots.")
        return
    yield Planned("how_it_learned", "How it learned", TEXT, lambda: plot_snapshots(run, dpi=ctx.dpi))
