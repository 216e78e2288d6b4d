"""The architecture: the layer table under a diagram of the shapes."""

from __future__ import annotations

from collections.abc import Iterator

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "A CNN is built from the tutorial's parts: input, convolution, pooling, flattening, softmax, output. The "
    "input is the 28x28 matrix of pixel values. Each convolution slides small learned filters over it (a 3x3 "
    "filter turns 28x28 into 26x26), max pooling keeps the largest value of each 2x2 window (26x26 -> 13x13). "
    "Convolution and pooling repeat to shrink the image while keeping its important features; then everything "
    "is flattened into one vector and a fully connected layer with softmax gives one probability per digit.")


@register("architecture", order=10)
def architecture(ctx: Context) -> Iterator[Planned]:
    from ...plots import plot_architecture

    yield Planned("architecture", "Architecture", TEXT, lambda: plot_architecture(ctx.model, dpi=ctx.dpi))
