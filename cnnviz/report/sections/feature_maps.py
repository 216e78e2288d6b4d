"""What each layer makes of each example image."""

from __future__ import annotations

from collections.abc import Iterator

from matplotlib.figure import Figure

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "What each layer makes of one digit: the convolution layers light up where their filter's pattern is "
    "found (one map per filter), the pooling layers keep the strongest response of each 2x2 window, so the "
    "maps get smaller while the important features stay.")


@register("feature_maps", order=60)
def feature_maps(ctx: Context) -> Iterator[Planned]:
    from ...plots import plot_feature_maps

    layers, every = ctx.map_layers(), ctx.probe.spatial_layer_names
    if len(ctx.examples) and len(layers) < len(every):
        ctx.note(f"Feature maps: {len(layers)} of the {len(every)} layers with 2-D maps, chosen across depth; "
                 "max_layers=None (--all-layers) shows every one.")
    for i in range(len(ctx.examples)):
        def draw(i: int = i) -> Figure:
            fig = plot_feature_maps(ctx.feature_maps(), index=i, max_maps=ctx.options.max_maps, dpi=ctx.dpi)
            blank = " (a blank image: the model is guessing)" if ctx.blank(i) else ""
            fig.suptitle(f"Feature maps of {ctx.example_labels[i]}{blank}")
            return fig

        yield Planned(f"feature_maps_{i + 1}", f"Feature maps: example {i + 1}", TEXT, draw)
