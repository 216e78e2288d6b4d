"""The four kinds of pooling, on one real feature map of the first example."""

from __future__ import annotations

from collections.abc import Iterator

from matplotlib.figure import Figure

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "Pooling, on one real feature map of the first example: max pooling takes the largest value of each "
    "window, average pooling its mean; global max and global average pooling reduce the whole map to one "
    "number.")


@register("pooling", order=70)
def pooling(ctx: Context) -> Iterator[Planned]:
    from ...features import feature_maps
    from ...plots import plot_pooling

    if not len(ctx.examples) or not ctx.probe.conv_layer_names:
        return

    def draw() -> Figure:
        first = ctx.probe.conv_layer_names[0]
        maps = ctx.feature_maps().maps.get(first)
        if maps is None:
            maps = feature_maps(ctx.examples[:1], model=ctx.model, layers=[first]).maps[first]
        k = int(maps[0].reshape(-1, maps.shape[-1]).sum(axis=0).argmax())
        return plot_pooling(maps[0, :, :, k], dpi=ctx.dpi,
                            title=f"Four kinds of pooling of {first} map #{k} for {ctx.example_labels[0]}")

    yield Planned("pooling", "Pooling", TEXT, draw)
