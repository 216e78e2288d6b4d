"""Can the attribution maps be trusted: deletion curves and the sanity check on the example images."""

from __future__ import annotations

from collections.abc import Iterator

from matplotlib.figure import Figure

from ...attribution.sanity import SHORT_CASCADE
from ..context import Context
from ..registry import Planned, register

METHODS = ("saliency", "gradcam", "ig")
DELETION_TEXT = (
    "A heat map is a claim: these pixels made the answer. The claim can be tested. The pixels are blacked out in "
    "the order each map ranks them; if the map is right, the model's confidence falls faster than when pixels "
    "go in random order (a smaller area under the curve). On a handful of example digits this is a first look; "
    "bench/attribution.py measures it on 1,000 test images.")
SANITY_TEXT = (
    "A second test (Adebayo et al., 2018): destroy what the network learned by re-initializing its layers at "
    "random, top layer first, and draw the maps again. A map that stays the same shows the shape of the input, "
    "not the model. Each row is one method; the curves give the rank correlation with the trained model's map. "
    "The verdict (passes / partly / fails) is printed beside each method. On a deep model the layers are "
    f"re-initialized a few at a time (at most {SHORT_CASCADE} steps); each step is named by the deepest layer "
    "randomized so far.")


@register("attribution_trust", order=95)
def attribution_trust(ctx: Context) -> Iterator[Planned]:
    from ...attribution import faithfulness, plot_faithfulness, plot_sanity_check, sanity_check

    if len(ctx.examples) == 0:
        return
    methods = [m for m in METHODS if m != "gradcam" or ctx.probe.conv_layer_names]

    def deletion() -> Figure:
        return plot_faithfulness(faithfulness(ctx.examples, methods=methods, model=ctx.model), dpi=ctx.dpi)

    def sanity() -> Figure:
        check = sanity_check(ctx.examples, methods=methods, model=ctx.model, independent=False, max_steps=SHORT_CASCADE)
        return plot_sanity_check(check, dpi=ctx.dpi)

    yield Planned("attribution_deletion", "Can I trust these maps? Deletion curves", DELETION_TEXT, deletion)
    yield Planned("attribution_sanity", "Can I trust these maps? Sanity check", SANITY_TEXT, sanity)
