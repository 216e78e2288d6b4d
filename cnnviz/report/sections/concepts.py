"""Concepts of the last convolution layer and where they sit in the first example image: fitted on the bundled
MNIST sample for a 28x28 model, else on the report's own images when there are enough of the model's shape
(every 5th held out)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np

from ..context import Context
from ..registry import Planned, register

#: how the report labels the bundled example digits it adds before the user's images (context.example_images)
SAMPLE_DIGIT = re.compile(r"a \d+ from the MNIST test sample \(#\d+\)")
MIN_IMAGES = 20  #: report images needed to fit concepts on them (a model the MNIST sample does not fit)
FITTED_ON = {"sample": "fitted on the bundled sample's training images, measured on its test images",
             "images": "fitted on this report's {fit} images, measured on {held} others of them"}
TEXT = (
    "The last convolution layer factored into {n} concepts (non-negative matrix factorization of its activations, "
    "{fitted_on}). Each row shows one concept: "
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
    mnist_shaped = ctx.probe.mnist_like  # the bundled sample is of this model's kind: fit on it
    own = ctx.examples[sum(bool(SAMPLE_DIGIT.fullmatch(label)) for label in ctx.example_labels):]  # the user's
    if not mnist_shaped and len(own) < MIN_IMAGES:
        ctx.note(f"Concepts: fitted on the bundled MNIST sample, which this model's {ctx.probe.input_shape} "
                 f"images are not, or on the report's own images when there are at least {MIN_IMAGES} "
                 f"(there are {len(own)}); pass more images=, or run cnnviz.concepts(layer, "
                 "data=your_images, model=...) on your own data.")
        return
    layer = convs[-1]
    channels = int(ctx.probe.tensor(layer).shape[-1])
    n = min(8, channels)
    if n < 2:
        ctx.note(f"Concepts: {layer} has {channels} channel; nothing to factor.")
        return

    held = np.arange(len(own)) % 5 == 4

    def fitted():
        from ...concepts import concepts

        if "concepts" not in ctx.cache:
            if mnist_shaped:
                ctx.cache["concepts"] = concepts(layer, n=n, model=ctx.model)
            else:  # the report's images, in [0, 1] as concepts() reads them; every 5th held out
                images = np.clip(np.asarray(ctx.probe.to_display(own), np.float32), 0, 1)
                ctx.cache["concepts"] = concepts(layer, data=images[~held], holdout_data=images[held], n=n,
                                                 model=ctx.probe, batch_size=100)
        return ctx.cache["concepts"]

    def figure():
        from ...concepts import plot_concepts

        return plot_concepts(fitted(), dpi=ctx.dpi)

    def concept_map_figure():
        from ...concepts import concept_map, plot_concept_map

        return plot_concept_map(concept_map(ctx.examples[0], fitted()), dpi=ctx.dpi)

    fitted_on = FITTED_ON["sample" if mnist_shaped else "images"].format(fit=int((~held).sum()), held=int(held.sum()))
    yield Planned(f"{layer}_concepts", f"{layer}: concepts", TEXT.format(n=n, fitted_on=fitted_on), figure)
    if len(ctx.examples):
        yield Planned(f"{layer}_concept_map", f"{layer}: concepts in one image", MAP, concept_map_figure)
