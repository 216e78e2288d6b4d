"""Top dataset examples of each channel from an atlas beside the model (``cnnviz atlas``), when there is one."""

from __future__ import annotations

import os
from collections.abc import Iterator

from matplotlib.figure import Figure

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "The images of the whole dataset that excite each filter most, found in one pass over every image "
    "(cnnviz.dataset_examples). Where the patterns above show what a filter would like to see, these show "
    "what it does respond to in real digits, and where (the boxed part of the image).")
CLASSES = (
    "The images the network scores highest for each class (the logit, before the softmax), over the whole "
    "dataset: the most typical digits of each class, as this network sees them.")


@register("atlas", order=55)
def dataset_examples_section(ctx: Context) -> Iterator[Planned]:
    from ...atlas import find_atlas
    from ...plots import plot_atlas

    source = ctx.cache.get("model_source")
    if source is not None and not isinstance(source, (str, os.PathLike)):
        return  # a model object: no file beside it to look for an atlas
    atlas, why = find_atlas(source, ctx.model)
    if atlas is None:
        ctx.note(f"Dataset examples: {why}.")
        return
    layers = [n for n in ctx.conv_layers() if n in atlas.layers]
    for layer in layers:
        channels = range(min(16, ctx.options.max_channels, atlas.channels(layer)))

        def fig(layer: str = layer, channels: range = channels) -> Figure:
            return plot_atlas(atlas, layer, channels=channels, dpi=ctx.dpi)

        yield Planned(f"{layer}_dataset_examples", f"{layer}: top dataset examples", TEXT, fig)
    if "logits" in atlas.layers:
        classes = [c for c in ctx.classes if c < atlas.channels("logits")]
        yield Planned("class_dataset_examples", "Top dataset examples of each class", CLASSES,
                      lambda: plot_atlas(atlas, "logits", channels=classes, dpi=ctx.dpi))
