"""Which pixels drive the answers on the example images: Grad-CAM and saliency."""

from __future__ import annotations

from collections.abc import Iterator

from matplotlib.figure import Figure

from ..context import Context
from ..registry import Planned, register

TEXT = (
    "Which parts of the example images made the model give its answer. Like a person who needs to see only a "
    "small part of a picture, the model relies on a few strokes of each digit.")
METHODS = (("gradcam", "Grad-CAM"), ("saliency", "Saliency"))


@register("attribution", order=90)
def attribution(ctx: Context) -> Iterator[Planned]:
    from ...attribution import attribute
    from ...plots import plot_attribution

    n = len(ctx.examples)
    if not n:
        return
    for method, title in METHODS:
        def draw(method: str = method) -> Figure:
            import warnings

            with warnings.catch_warnings():  # Keras' note on tf-keras-vis passing a list as the input
                warnings.filterwarnings("ignore", message="The structure of `inputs`")
                result = attribute(ctx.examples, method=method, model=ctx.model)
            # a little wider than the plot's default, so the titles fit beside the colour bar
            return plot_attribution(result, dpi=ctx.dpi, figsize=(4.4, 1.75 * n + 0.6) if n > 1 else (4.4, 2.4))

        yield Planned(f"attribution_{method}", f"Attribution: {title}", TEXT, draw)
