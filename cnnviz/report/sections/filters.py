"""The learned filters of each convolution layer, and the patterns they respond to most."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from matplotlib.figure import Figure

from ..context import Context, pick_across
from ..registry import Planned, register

FILTERS = (
    "The values in a filter are not designed by hand: they are learned. Every neuron of a feature map shares "
    "the same filter (shared weights), so one small pattern is found wherever it appears in the image, with "
    "far fewer parameters than a fully connected layer would need.")
PATTERNS = (
    "What each filter is looking for: start from noise and change the input image step by step to make the "
    "filter respond as strongly as possible (activation maximization). Early filters like edges and strokes "
    "at one angle; deeper filters combine them into larger, more complex patterns.")


@register("filters", order=50)
def filters_and_patterns(ctx: Context) -> Iterator[Planned]:
    from ...features import filters
    from ...maximize import maximize_filter
    from ...plots import plot_filter_patterns, plot_filters

    layers = ctx.conv_layers()
    every = ctx.probe.conv_layer_names
    if len(layers) < len(every):
        ctx.note(f"Filters and patterns: {len(layers)} of the {len(every)} convolution layers, chosen across depth "
                 f"({', '.join(layers)}); max_layers=None (--all-layers) shows every one.")
    per_image = int(np.prod(ctx.probe.input_shape))
    budget = max(4, ctx.options.pattern_values // per_image)
    if layers and budget < ctx.options.max_channels:
        ctx.note(f"Patterns: at most {budget} channels per layer for this {'x'.join(map(str, ctx.probe.input_shape))} "
                 f"input (pattern_values={ctx.options.pattern_values:,} input values at once); raise pattern_values "
                 "to see more.")
    with_patterns = set(pick_across(layers, ctx.options.pattern_layers))
    if len(with_patterns) < len(layers):
        ctx.note(f"Patterns: for {len(with_patterns)} of these {len(layers)} layers, chosen across depth "
                 f"({', '.join(n for n in layers if n in with_patterns)}); pattern_layers=None shows them all.")
    for layer in layers:
        def filter_fig(layer: str = layer) -> Figure:
            return plot_filters(filters(layer, model=ctx.model), layer=layer, dpi=ctx.dpi)

        def pattern_fig(layer: str = layer) -> Figure:
            channels = min(ctx.options.max_channels, budget, int(ctx.probe.layer(layer).output.shape[-1]))
            result = maximize_filter(layer, list(range(channels)), model=ctx.model, steps=ctx.options.filter_steps,
                                     regularization="none")
            return plot_filter_patterns(result, dpi=ctx.dpi)

        yield Planned(f"{layer}_filters", f"{layer} filters", FILTERS, filter_fig)
        if layer in with_patterns:
            yield Planned(f"{layer}_patterns", f"{layer}: maximized patterns", PATTERNS, pattern_fig)
