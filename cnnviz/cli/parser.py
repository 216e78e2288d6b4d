"""The ``cnnviz`` argument parser: every command's flags, the flags shared by the commands that take a model, and
the check of output names made before any work."""

from __future__ import annotations

import argparse
from pathlib import Path

from .args import number_in


class MethodNames:
    """The attribution registry's method names as argparse ``choices``, read only when argparse checks a value
    (so building the parser, ``--help`` and ``--version`` do not import TensorFlow; new methods appear live)."""

    @staticmethod
    def _names() -> list[str]:
        from ..attribution import method_names

        return method_names()

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnviz", description="See what a convolutional neural network has learned.")
    from .._version import __version__

    parser.add_argument("--version", action="version", version=f"cnnviz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train the reference CNN on MNIST")
    p.add_argument("--recipe", default="tutorial", help="tutorial (default), fast or augmented")
    p.add_argument("--epochs", type=number_in(int, 1, 1000), default=None, help="epochs (default: the recipe's)")
    p.add_argument("--batch-size", type=number_in(int, 1, 65536), default=None, help="mini-batch size (default: the recipe's)")
    p.add_argument("--learning-rate", type=number_in(float, 1e-8, 10), default=None, help="peak learning rate (default: the recipe's)")
    p.add_argument("--data", default=None, help="path to a Keras-style mnist.npz (default: $CNNVIZ_MNIST, Keras' cache, download)")
    p.add_argument("--sample", action="store_true", help="train on the 1,000-image sample bundled with cnnviz")
    p.add_argument("--seed", type=number_in(int, 0, 2**32 - 1), default=None, help="random seed for a reproducible run")
    p.add_argument("-o", "--output", default="mnist_cnn.keras", help="where to save the model (default: mnist_cnn.keras)")
    p.add_argument("--curves", default=None, help="also save the accuracy/loss curves to this PNG/SVG/PDF")
    p.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 silent, 1 progress bar, 2 a line per epoch")
    p.add_argument("--snapshots", nargs="?", const="", default=None, metavar="DIR",
                   help="record filters, feature maps, class images and saliency while training (TensorBoard + "
                        "cnnviz) in DIR (no DIR: beside the model, e.g. mnist_cnn.snapshots/)")
    p.add_argument("--snapshot-every", default="1", metavar="N",
                   help="a snapshot every N epochs, or every N batches with a 'b' suffix (e.g. 50b); default 1")
    p.add_argument("--strategy", default=None,
                   help="default, auto (all GPUs when there are several), mirrored, multi-worker (reads TF_CONFIG)")
    p.add_argument("--cpu-devices", type=int, default=None, help="split the CPU into N logical devices (replicas)")
    p.add_argument("--lr-scaling", default="linear", help="learning rate vs replicas: linear (default), sqrt, none")
    p.add_argument("--precision", default="float32", help="float32 (default), mixed_float16 or mixed_bfloat16")
    p.add_argument("--xla", action=argparse.BooleanOptionalAction, default=None, help="compile with XLA (--no-xla: off)")

    p = sub.add_parser("evaluate", help="test accuracy, loss, per-class accuracy and confusion matrix")
    p.add_argument("model", nargs="?", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--data", default=None, help="path to a Keras-style mnist.npz")
    p.add_argument("--sample", action="store_true", help="evaluate on the bundled 1,000-image test sample")
    p.add_argument("--out", default=None, help="save the confusion matrix figure here (PNG/SVG/PDF)")

    p = sub.add_parser("maximize", help="the image each class (or filter) likes most")
    p.add_argument("--class", "-c", dest="classes", default=None,
                   help="a class, a list (1,3,5) or a range (0-9); default: the model's first 10")
    p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--steps", type=number_in(int, 1, 10_000), default=None,
                   help="optimization steps (default: 80 for pixels, 200 with --param fourier, 80 with --prior data)")
    p.add_argument("--learning-rate", type=number_in(float, 1e-8, 1000), default=None,
                   help="Adam's step (default: one per parameterisation)")
    p.add_argument("--seed", type=number_in(int, 0, 2**32 - 1), default=0)
    p.add_argument("--regularization", default=None, help="default, none (fake digits) or l1 (the tutorial's constraint)")
    p.add_argument("--prior", choices=["data"], default=None,
                   help="data: digits drawn by cnnviz's generative model of MNIST (what the model responds to among "
                        "natural digits); default: pixels (what it responds to at all)")
    p.add_argument("-n", type=number_in(int, 1, 64), default=1, help="how many different images per class (default 1)")
    p.add_argument("--param", choices=["pixels", "fourier"], default=None,
                   help="how the image is represented: pixels, or fourier (smoother, often more readable)")
    for name in ("l1", "l2", "tv", "blur"):
        p.add_argument(f"--{name}", type=number_in(float, 0, 1e6), default=None, help=f"{name} weight (overrides the preset)")
    p.add_argument("--jitter", type=number_in(int, 0, 1000), default=None, help="random shift in pixels per step")
    p.add_argument("--compare", action="store_true", help="the tutorial's experiment: no constraint vs L1, side by side")
    p.add_argument("-o", "--output", default="maximize.png")

    p = sub.add_parser("features", help="feature maps of every layer for an image")
    p.add_argument("image", help="an image file (PNG, JPEG, ...)")
    p.add_argument("--model", default=None)
    p.add_argument("--layers", nargs="*", default=None, help="layer names (default: every conv and pooling layer)")
    p.add_argument("--max-maps", type=number_in(int, 1, 256), default=16)
    p.add_argument("-o", "--output", default="features.png")

    p = sub.add_parser("filters", help="the kernels of a conv layer")
    p.add_argument("layer", nargs="?", default="conv1")
    p.add_argument("--model", default=None)
    p.add_argument("-o", "--output", default="filters.png")

    p = sub.add_parser("attribution", help="which pixels made the prediction: saliency, Grad-CAM, integrated "
                                           "gradients, ... for an image")
    p.add_argument("image")
    p.add_argument("--method", default="gradcam", choices=MethodNames(), metavar="METHOD",
                   help="gradcam (default), saliency, ig, ...: an unknown name lists them all")
    p.add_argument("--target", type=number_in(int, 0, 1_000_000), default=None, help="class to explain (default: the predicted one)")
    p.add_argument("--model", default=None)
    p.add_argument("-o", "--output", default="attribution.png")

    p = sub.add_parser("check", help="can the attribution maps be trusted? sanity check and deletion curves")
    p.add_argument("images", nargs="*", help="image files (default: digits from the bundled test sample)")
    p.add_argument("--methods", default="saliency,gradcam,ig",
                   help="comma-separated method names (default: saliency,gradcam,ig); see attribution --method")
    p.add_argument("--metric", default="deletion", choices=("deletion", "insertion"))
    p.add_argument("--examples", type=int, default=8, help="sample digits to use when no image is given (default: 8)")
    p.add_argument("--model", default=None)
    p.add_argument("-o", "--output", default="check.png",
                   help="the sanity-check figure; the curves go beside it as <name>_<metric>.png")

    for name, help_text in (("report", "one PDF or self-contained HTML document explaining the model, the tutorial's way"),
                            ("export", "every figure of the report as separate PNG/SVG/PDF files with stable names")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
        p.add_argument("--images", nargs="+", default=None, metavar="FILE",
                       help="image files to show after the example digits (unreadable ones are listed, the rest built)")
        p.add_argument("--examples", type=number_in(int, 0, 50), default=4, help="example digits from the bundled sample (default: 4)")
        p.add_argument("--classes", default=None, help="class images to draw: a class, a list (1,3,5) or a range (0-9); "
                                                       "default: the model's first 10")
        p.add_argument("--data", default=None, help="mnist.npz for the confusion matrix (default: the full MNIST if "
                                                    "found without a download, else the bundled test sample)")
        p.add_argument("--sample", action="store_true", help="confusion matrix on the bundled 1,000-image test sample")
        p.add_argument("--steps", type=number_in(int, 1, 10_000), default=None,
                       help="maximization steps for the class images (default: 80, cnnviz.maximize's own)")
        p.add_argument("--filter-steps", type=number_in(int, 1, 10_000), default=None,
                       help="maximization steps for the filter patterns (default: cnnviz.maximize_filter's own)")
        p.add_argument("--dpi", type=number_in(int, 30, 600), default=150, help="resolution of raster images (default: 150)")
        p.add_argument("--max-layers", type=number_in(int, 1, 1000), default=8, help="layers given filter, pattern and feature-map "
                                                                 "figures, chosen across depth (default: 8)")
        p.add_argument("--all-layers", action="store_true", help="every layer (slow on big models)")
        p.add_argument("--sections", default=None, metavar="NAMES",
                       help="comma-separated sections to build, e.g. filters,attribution (default: all of them; a wrong "
                            "name lists the names)")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
        if name == "report":
            p.add_argument("-o", "--output", default="report.pdf", help="report.pdf or report.html (default: report.pdf)")
        else:
            p.add_argument("--formats", default="png,svg,pdf", help="comma-separated: png, svg, pdf (default: all three)")
            p.add_argument("-o", "--output", default="figures", help="directory for the files (default: figures)")

    p = sub.add_parser("replay", help="an animated GIF (or MP4) of a run recorded with --snapshots, one frame per snapshot")
    p.add_argument("dir", nargs="?", default=None, help="the snapshots folder (default: the run shipped with cnnviz)")
    p.add_argument("-o", "--output", default="learning.gif", help="learning.gif, or .mp4 when ffmpeg is installed")
    p.add_argument("--fps", type=float, default=4.0, help="frames per second (default: 4)")
    p.add_argument("--figure", default=None, help="also save every snapshot side by side to this PNG/SVG/PDF")
    p = sub.add_parser("atlas", help="top dataset examples of every channel, in one pass, saved as one .npz")
    p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--data", default=None, help="mnist.npz (default: $CNNVIZ_MNIST or Keras' cache)")
    p.add_argument("--sample", action="store_true", help="the bundled 1,000-image sample")
    p.add_argument("--test", action="store_true", help="the test images instead of the training images")
    p.add_argument("--layers", default=None, help="comma-separated layers; 'logits' for the class scores "
                                                  "(default: every conv and dense layer, and the logits)")
    p.add_argument("-k", "--k", type=int, default=9, help="examples per channel (default: 9)")
    p.add_argument("--batch-size", type=int, default=1000, help="images per batch: bounds the memory (default: 1000)")
    p.add_argument("--strategy", default=None, help="default, auto, mirrored or multi-worker (as for train)")
    p.add_argument("--cpu-devices", type=int, default=None, help="split the CPU into N logical devices")
    p.add_argument("-o", "--output", default=None,
                   help="the .npz to write (default: <model>.atlas.npz beside --model, else atlas.npz)")

    p = sub.add_parser("concepts", help="a layer factored into n concepts (NMF): patches, pictures, class importance")
    p.add_argument("--layer", required=True, help="a conv or pool layer, e.g. conv2")
    p.add_argument("-n", "--n", type=number_in(int, 2, 256), default=8, help="concepts (default: 8)")
    p.add_argument("--model", default=None, help="a .keras model (default: the shipped model)")
    p.add_argument("--data", default=None, help="mnist.npz: fit on its training images, measure on its test images "
                                                "(default: the bundled 1,000-image sample)")
    p.add_argument("--seed", type=int, default=0, help="same seed, same concepts (default: 0)")
    p.add_argument("--no-images", action="store_true", help="skip the feature visualizations (faster)")
    p.add_argument("--strategy", default=None, help="default, auto, mirrored or multi-worker (as for train)")
    p.add_argument("-o", "--output", default="concepts.png", help="the figure (.png, .svg, .pdf)")

    p = sub.add_parser("dashboard", help="open the Streamlit dashboard")
    p.add_argument("--port", type=number_in(int, 1, 65535), default=None,
                   help="the port to serve on (default: 8501, or the next free one)")

    for p in sub.choices.values():  # every command that takes a model can be told about it (this command only)
        if any(action.dest == "model" for action in p._actions):
            p.add_argument("--input-range", default=None, metavar="LO,HI",
                           help="pixel values the model expects: 0,255 or, with =, --input-range=-1,1 (default: read from the model)")
            p.add_argument("--class-names", default=None, metavar="A,B,C",
                           help="one name per class, comma-separated (default: the model card's, else 0, 1, ...)")
            p.add_argument("--convention", default=None, choices=("mnist", "as-is"),
                           help="mnist: MNIST-style digits (invert dark-on-light, paper to black, 20x20 box, centre of "
                                "mass); as-is: only resize, grey/RGB and the range (default: from the model card)")
            p.add_argument("--card", default=None, metavar="FILE",
                           help="a JSON model card with input_range, class_names and/or convention (flags win)")

    return parser


#: The flags that name a file to write, and whether it is a folder of files (export) or a figure file.
OUTPUTS = ("output", "out", "curves", "figure")

#: (command, flag) -> the suffixes that output may have and what to say otherwise; every other output is a
#: figure (.png, .svg, .pdf), except the report's (cmd_report checks its own formats) and export's folder.
OUTPUT_SUFFIXES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("train", "output"): ((".keras",), "cannot save the model as {name!r}: Keras 3 saves models as .keras files; "
                                       "name it e.g. mnist_cnn.keras."),
    ("replay", "output"): ((".gif", ".mp4"), "cannot write an animation to {name!r}: name it .gif (or .mp4 with ffmpeg)."),
    ("atlas", "output"): ((".npz",), "an atlas is saved as .npz; got {name!r} (try -o {stem}.npz)."),
}


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output that has the wrong kind of name or cannot be written there.

    >>> check_outputs(build_parser().parse_args(["atlas", "-o", "atlas.png"]))
    Traceback (most recent call last):
    ValueError: an atlas is saved as .npz; got 'atlas.png' (try -o atlas.npz).
    """
    from ..core.paths import check_writable

    for flag in OUTPUTS:
        value = getattr(args, flag, None)
        if value is None:
            continue
        if args.command == "export":
            check_writable(value, directory=True)
            continue
        check_writable(value)
        path = Path(value)
        suffixes, message = OUTPUT_SUFFIXES.get((args.command, flag), (None, ""))
        if suffixes is not None:
            if path.suffix.lower() not in suffixes:
                raise ValueError(message.format(name=path.name, stem=path.stem))
        elif args.command != "report" and path.suffix.lower().lstrip(".") not in _figure_formats():
            raise ValueError(f"cannot save a figure as {path.name!r}: name it .png, .svg or .pdf.")


def _figure_formats() -> tuple[str, ...]:
    from ..plots import FORMATS

    return FORMATS
