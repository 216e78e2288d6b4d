"""What the PDF and HTML writers share: the introduction, the page style, the list of what was left out.

>>> INTRO[0][0]
'What has this network learned?'
>>> from cnnviz.core.build import get_probe
>>> intro(get_probe()) == INTRO
True
"""

from __future__ import annotations

from contextlib import contextmanager

from ..style import cnnviz_style

INTRO = [
    ("What has this network learned?",
     "A convolutional neural network (CNN) reads a 28x28 image of a handwritten digit and answers with ten "
     "probabilities, one per digit. It is made of the tutorial's parts: input, convolution, pooling, flattening, "
     "softmax, output. This report opens the model up, layer by layer, with the pictures the tutorial uses."),
    ("Why can a CNN recognize images?",
     "A. Often one does not need the whole picture: a small part of it (a loop, a stroke, a corner) is enough to "
     "decide what it shows. B. The same small parts appear at different places in different images. The neurons of "
     "a feature map share their weights, one filter, so a part is found wherever it is, and the model needs far "
     "fewer parameters and trains faster."),
    ("How to read it",
     "Each section shows one figure and says what it shows: the architecture, how training went, the learned filters "
     "and the patterns they respond to, what every layer makes of a few example digits, the images each class "
     "likes most (the tutorial's 'fake digits' and their constrained versions), which pixels drive the answers, "
     "and where the model goes wrong."),
]


def intro(probe) -> list[tuple[str, str]]:
    """The introduction for this model: the tutorial's words for an MNIST-like model, and for any other the model's
    own input and classes (a face model is not told it reads handwritten digits)."""
    if probe.mnist_like and probe.num_classes == 10:
        return INTRO
    h, w, c = probe.input_shape
    kind = "grey" if c == 1 else "colour" if c == 3 else f"{c}-channel"
    names = ", ".join(str(n) for n in probe.class_names[:12]) + (", ..." if probe.num_classes > 12 else "")
    what = (f"A convolutional neural network (CNN) reads a {h}x{w} {kind} image and answers with {probe.num_classes} "
            f"probabilities, one per class ({names}). This report opens the model up, layer by layer, with the "
            "pictures of the CNN tutorial: convolution, pooling, the learned filters, the images each class likes "
            "most, and which pixels drive an answer.")
    read = ("Each section shows one figure and says what it shows: the architecture, the learned filters and the "
            "patterns they respond to, what every layer makes of the example images, the images each class likes "
            "most, and which pixels drive the answers.")
    return [(INTRO[0][0], what), INTRO[1], (INTRO[2][0], read)]


@contextmanager
def page_style():
    """cnnviz's style, saving figures at their own size: constrained layout already fits them, and a tight
    bounding box would draw every figure twice."""
    import matplotlib.pyplot as plt

    with cnnviz_style(), plt.rc_context({"savefig.bbox": "standard"}):
        yield
