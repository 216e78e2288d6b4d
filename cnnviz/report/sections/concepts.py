"""Concepts of the last convolution layer (cnnviz.concepts on the bundled sample) and where they sit in the
first example image."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "The last convolution layer factored into 8 concepts (non-negative matrix factorization of its activations, "
    "fitted on the bundled sample's training images, measured on its test images). Each row shows one concept: "
    "the image patches where it is strongest, its feature visualization, and how much each class uses it. The "
    "caption gives the evidence: how much of the layer the concepts explain beside PCA's limit, how much removing "
    "a class's top concept lowers that class's score compared with a random one, and whether two halves of the "
    "data give the same concepts.")
MAP = ("Where each concept sits in one example image, and how much it adds to the predicted class's score "
       "(gradient x coefficient).")


@register("concepts", order=58)
def concepts_section(ctx: Context) -> Iterator[Planned]:
    convs = ctx.probe.conv_layer_names if not ctx.probe.opaque else []
    if not convs:
        ctx.note("Concepts: the model has no convolution layer to factor.")
        return
    if ctx.probe.input_shape[:2] != (28, 28):
        ctx.note(f"Concepts: fitted on the bundled MNIST sample, which this model's {ctx.probe.input_shape} "
                 "images are not; run cnnviz.concepts(layer, data=your_images, model=...) on your own data.")
        return
    layer = convs[-1]
    channels = int(ctx.probe.tensor(layer).shape[-1])
    n = min(8, channels)
    if n < 2:
        ctx.note(f"Concepts: {layer} has {channels} channel; nothing to factor.")
        return

    def fitted():
        from ...concepts import concepts

        if "concepts" not in ctx.cache:
            ctx.cache["concepts"] = concepts(layer, n=n, model=ctx.model)
        return ctx.cache["concepts"]

    def figure():
        from ...concepts import plot_concepts

        return plot_concepts(fitted(), dpi=ctx.dpi)

    def concept_map_figure():
        from ...concepts import concept_map, plot_concept_map

        return plot_concept_map(concept_map(ctx.examples[0], fitted()), dpi=ctx.dpi)

    yield Planned(f"{layer}_concepts", f"{layer}: concepts", TEXT, figure)
    if len(ctx.examples):
        yield Planned(f"{layer}_concept_map", f"{layer}: concepts in one image", MAP, concept_map_figure)
