"""One document that explains a CNN the way the tutorial does: a multi-page PDF, one offline HTML file,
or every figure as separate files.

:func:`report_figures` builds the ordered list of sections once (with a progress line per
section); the writers turn them into a PDF (:func:`write_pdf`, one figure per page after a
title page with the model card), a self-contained HTML file (:func:`write_html`, images
embedded as base64 PNG, no external references) or a folder of files (:func:`export_figures`).

>>> import cnnviz
>>> result = cnnviz.report("/tmp/cnnviz-doc-report.pdf", classes=[6], steps=20, filter_steps=10,
...                        examples=1, progress=False)
>>> result.pages > 10, result.failures
(True, [])
"""

from __future__ import annotations

import base64
import html
import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .model import atomic_path
from .style import (
    DEFAULT_DPI,
    caption,
    cnnviz_style,
    figure,
)

FORMATS = ("png", "svg", "pdf")
#: Classes of the bundled test sample shown by default, in this order (the tutorial's "6" among them).
DEFAULT_EXAMPLE_DIGITS = (7, 2, 6, 9, 0, 1, 3, 4, 5, 8)

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Failure:
    """Something the report could not use (an image file, or a section that raised), and why."""

    what: str
    error: str

    def __str__(self) -> str:
        return f"{self.what}: {self.error}"


@dataclass
class Section:
    """One figure of the report: a stable file name, a title, the figure, and a paragraph that explains it."""

    name: str
    title: str
    figure: Figure
    text: str = ""

    @property
    def caption(self) -> str:
        return getattr(self.figure, "cnnviz_caption", "")


@dataclass
class Report:
    """What :func:`report` wrote: the file, its pages (PDF) or figures (HTML), what failed, and how long it took."""

    path: Path
    pages: int
    figures: list[str]
    failures: list[Failure]
    seconds: float


@dataclass
class Export:
    """What :func:`export_figures` wrote: one file per figure and format, what failed, and how long it took."""

    directory: Path
    files: list[Path]
    figures: list[str]
    failures: list[Failure]
    seconds: float


@dataclass
class _Context:
    """What the sections are built from (resolved once)."""

    model: Any
    model_label: str
    history: dict | None
    card: dict | None
    examples: np.ndarray
    example_labels: list[str]
    classes: list[int]
    data: Any
    steps: int
    filter_steps: int
    max_maps: int
    dpi: int
    failures: list[Failure] = field(default_factory=list)


# --------------------------------------------------------------------------- inputs


def _print_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _progress_fn(progress: bool | Progress | None) -> Progress:
    if progress is True or progress is None:
        return _print_progress
    if progress is False:
        return lambda line: None
    return progress


def _resolve_model(model: Any, history: dict | None, card: dict | None) -> tuple[Any, str, dict | None, dict | None]:
    import keras

    from .model import load_model
    from .train import load_card, load_history

    if model is None or isinstance(model, (str, os.PathLike)):
        loaded = load_model(model)
        label = "the shipped model (pretrained/mnist_cnn.keras)" if model is None else Path(model).name
        return (loaded, label, history if history is not None else load_history(model),
                card if card is not None else load_card(model))
    if isinstance(model, keras.Model):
        return model, model.name, history, card
    raise TypeError(f"model must be a .keras path, a Keras model or None (the shipped model); got {type(model).__name__}.")


def _example_images(probe, images: Iterable[Any] | None, examples: int,
                    progress: Progress) -> tuple[np.ndarray, list[str], list[Failure]]:
    """``examples`` digits from the bundled test sample (distinct classes), then each of ``images``; bad ones listed."""
    from .data import load_sample

    batches: list[np.ndarray] = []
    labels: list[str] = []
    failures: list[Failure] = []
    if examples > 0:
        sample = load_sample()
        for digit in DEFAULT_EXAMPLE_DIGITS[:examples]:
            index = int(np.flatnonzero(sample.y_test == digit)[0])
            batches.append(probe.prepare(sample.x_test[index]))
            labels.append(f"a {digit} from the MNIST test sample (#{index})")
    if isinstance(images, (str, os.PathLike)):
        images = [images]
    for k, image in enumerate(images or []):
        name = Path(image).name if isinstance(image, (str, os.PathLike)) else f"image {k + 1}"
        try:
            batch = probe.prepare(image)
        except (ValueError, OSError) as exc:  # DataError is a ValueError
            failures.append(Failure(str(image) if isinstance(image, (str, os.PathLike)) else name, str(exc)))
            progress(f"cannot read {name}: {exc} (skipped; the rest of the report is still built)")
            continue
        for i in range(len(batch)):
            batches.append(batch[i : i + 1])
            labels.append(name if len(batch) == 1 else f"{name} [{i}]")
    if not batches:
        return np.zeros((0, *probe.input_shape), np.float32), labels, failures
    return np.concatenate(batches), labels, failures


def _resolve_data(data: Any) -> tuple[Any, str]:
    """(MNIST, sentence saying which test set): the full MNIST when it can be found without a download, else the sample."""
    from .data import MNIST, DataError, load_mnist, load_sample, read_mnist_npz

    if isinstance(data, MNIST):
        mnist = data
    elif data == "sample":
        mnist = load_sample()
    elif data is not None:
        mnist = read_mnist_npz(data)  # an explicit file that fails is the user's error to see
    else:
        try:
            mnist = load_mnist(download=False)
        except DataError:
            mnist = load_sample()
    if mnist.is_sample:
        return mnist, (f"on the {len(mnist.y_test):,}-image test sample bundled with cnnviz (the full MNIST was not "
                       "found; pass --data mnist.npz or set CNNVIZ_MNIST for all 10,000)")
    return mnist, f"on the full MNIST test set ({len(mnist.y_test):,} images, {Path(mnist.source).name})"


# --------------------------------------------------------------------------- figures made here


def _describe(layer, shape_in: tuple, shape_out: tuple) -> str:
    """The tutorial's one-line explanation of what a layer does to its input."""
    kind = type(layer).__name__

    def dims(s: tuple) -> str:
        return "x".join(str(d) for d in s)

    act = getattr(getattr(layer, "activation", None), "__name__", "")
    if kind == "Conv2D":
        k = "x".join(map(str, layer.kernel_size))
        then = f", then {'ReLU' if act == 'relu' else act}" if act and act != "linear" else ""
        return f"{layer.filters} learned {k} filters slide over it{then}: {dims(shape_in[:2])} -> {dims(shape_out[:2])}"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        k = "x".join(map(str, layer.pool_size))
        what = "largest value" if kind.startswith("Max") else "mean"
        return f"the {what} of each {k} window: {dims(shape_in[:2])} -> {dims(shape_out[:2])}"
    if kind.startswith("Global"):
        return f"one number per map ({'maximum' if 'Max' in kind else 'mean'} over the whole map)"
    if kind == "Flatten":
        return f"the {dims(shape_in)} maps laid out as one vector of {int(np.prod(shape_out))} numbers"
    if kind == "Dense":
        if act == "softmax":
            return f"fully connected: {layer.units} scores, then softmax -> probabilities"
        return f"fully connected: {layer.units} outputs{', ' + act if act and act != 'linear' else ''}"
    if kind == "Dropout":
        return f"randomly zeroes {layer.rate:.0%} of the values while training (not when predicting)"
    return ""


def plot_architecture(model: Any, *, dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """The layer table (name, type, what it does, output shape, parameters) under a diagram of the shapes.

    >>> import cnnviz
    >>> fig = plot_architecture(cnnviz.load_model())
    >>> fig.cnnviz_caption.startswith("The layers")
    True
    """
    from matplotlib.patches import FancyArrowPatch, Rectangle

    from .model import _layers, layer_table

    rows = layer_table(model)
    layers = list(_layers(model))
    in_shape = tuple(model.inputs[0].shape[1:])
    shapes = [in_shape] + [row["output_shape"] for row in rows]
    fig = figure(figsize=figsize or (7.4, 1.9 + 0.3 * (len(rows) + 2)), dpi=dpi)
    grid = fig.add_gridspec(2, 1, height_ratios=[1.6, 0.3 * (len(rows) + 2)])

    # the shapes, left to right: boxes sized by height x width, stacked by channels
    ax = fig.add_subplot(grid[0])
    ax.axis("off")
    names = ["input"] + [row["name"] for row in rows]
    n = len(shapes)
    biggest = max(s[0] for s in shapes if len(s) == 3) if any(len(s) == 3 for s in shapes) else 1
    x = 0.0
    centers = []
    for shape, name in zip(shapes, names):
        if len(shape) == 3:
            side = 0.25 + 0.75 * shape[0] / biggest
            depth = min(4, max(1, int(np.log2(shape[2]) // 2 + 1)))
            for d in range(depth - 1, -1, -1):
                ax.add_patch(Rectangle((x + 0.07 * d, 0.5 - side / 2 + 0.07 * d), side, side, facecolor="#dbe8f5",
                                       edgecolor="#1f4e79", linewidth=0.8))
            width = side + 0.07 * (depth - 1)
            label = f"{shape[0]}x{shape[1]}x{shape[2]}"
        else:
            units = int(np.prod(shape))
            height = 0.35 + 0.55 * min(1.0, units / 1600)
            width = 0.14
            ax.add_patch(Rectangle((x, 0.5 - height / 2), width, height, facecolor="#fde2c8", edgecolor="#a0522d",
                                   linewidth=0.8))
            label = f"{units}"
        centers.append((x, x + width))
        ax.text(x + width / 2, -0.2, f"{name}\n{label}", ha="center", va="top", fontsize=7.5)
        x += max(width, 0.45) + 0.5
    for (_, right), (left, _) in zip(centers[:-1], centers[1:]):
        ax.add_patch(FancyArrowPatch((right + 0.05, 0.5), (left - 0.05, 0.5), arrowstyle="-|>", mutation_scale=8,
                                     color="0.35"))
    ax.set_xlim(-0.1, x - 0.45)
    ax.set_ylim(-0.75, 1.35)
    ax.set_aspect("equal")

    # the table
    ax = fig.add_subplot(grid[1])
    ax.axis("off")
    cells = [["input", "Input", f"a {shapes[0][0]}x{shapes[0][1]} image, {shapes[0][2]} channel(s)",
              "x".join(map(str, shapes[0])), "0"]]
    for row, layer, before in zip(rows, layers, shapes[:-1]):
        cells.append([row["name"], row["type"], _describe(layer, before, row["output_shape"]),
                      "x".join(map(str, row["output_shape"])), f"{row['parameters']:,}"])
    total = sum(row["parameters"] for row in rows)
    cells.append(["", "", "total", "", f"{total:,}"])
    with cnnviz_style():
        table = ax.table(cellText=cells, colLabels=["layer", "type", "what it does", "output", "parameters"],
                         colLoc="left", cellLoc="left", loc="upper center",
                         colWidths=[0.11, 0.14, 0.52, 0.11, 0.12])
    table.auto_set_font_size(False)
    table.set_fontsize(7.5)
    table.scale(1.0, 1.25)
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.8")
        cell.set_linewidth(0.5)
        if r == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#eef2f7")
        if r == len(cells):
            cell.set_text_props(weight="bold")
        if c == 4:
            cell.get_text().set_horizontalalignment("right")
            cell._loc = "right"
    fig.suptitle(f"Architecture of {model.name}: {n - 1} layers, {total:,} parameters")
    return caption(fig, "The layers in order, with the shape of what each one outputs (height x width x maps) and "
                        "its number of learned weights; the boxes above draw the same shapes to scale.")


def _card_rows(card: dict | None, model: Any) -> list[tuple[str, str]]:
    if not card:
        return [("model", model.name), ("parameters", f"{model.count_params():,}"),
                ("model card", "none found beside the model (cnnviz train writes one)")]
    rows = [("model", f"{card.get('model', model.name)}, {card.get('parameters', model.count_params()):,} parameters")]
    if "test_accuracy" in card:
        rows.append(("test accuracy", f"{card['test_accuracy']:.2%} (loss {card.get('test_loss', float('nan')):.4f})"))
    if "recipe" in card:
        rows.append(("recipe", f"{card['recipe']}: {card.get('recipe_description', '')}".strip(": ")))
    settings = card.get("settings") or {}
    if settings:
        rows.append(("settings", ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in settings.items())))
    data = card.get("data") or {}
    if data:
        rows.append(("data", f"{data.get('source', '?')}: {data.get('train_images', '?'):,} training, "
                             f"{data.get('test_images', '?'):,} test images"))
        if data.get("sha256"):
            rows.append(("data sha256", data["sha256"]))
    machine = card.get("machine") or {}
    if "seconds" in card:
        where = f" on {machine.get('cpu_count', '?')} CPU cores" + (f" + {', '.join(machine['gpus'])}" if machine.get("gpus") else "")
        rows.append(("training time", f"{card['seconds']:.0f} s for {card.get('epochs_run', '?')} epochs{where}"))
    versions = card.get("versions") or {}
    if versions:
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    if card.get("trained_at"):
        rows.append(("trained at", str(card["trained_at"])))
    return rows


def _draw_card(ax, rows: list[tuple[str, str]], *, width_chars: int = 80, fontsize: float = 8.0) -> None:
    ax.axis("off")
    wrapped = [(k, textwrap.fill(v, width_chars)) for k, v in rows]
    with cnnviz_style():
        table = ax.table(cellText=[[k, v] for k, v in wrapped], colWidths=[0.2, 0.8], cellLoc="left",
                         loc="upper center")
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize)
    line_h = 1.0 / max(1, sum(v.count("\n") + 1 for _, v in wrapped))
    for (r, c), cell in table.get_celld().items():
        cell.set_edgecolor("0.85")
        cell.set_linewidth(0.5)
        cell.set_height(line_h * (wrapped[r][1].count("\n") + 1))
        if c == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#eef2f7")


def plot_model_card(card: dict | None, model: Any, *, dpi: int = DEFAULT_DPI,
                    figsize: tuple[float, float] | None = None) -> Figure:
    """The model card (how the model was trained, on what, how well) as a table figure.

    >>> import cnnviz
    >>> fig = plot_model_card(cnnviz.load_card(), cnnviz.load_model())
    """
    rows = _card_rows(card, model)
    lines = sum(textwrap.fill(v, 80).count("\n") + 1 for _, v in rows)
    fig = figure(figsize=figsize or (7.4, 0.6 + 0.2 * lines), dpi=dpi)
    _draw_card(fig.add_subplot(), rows)
    fig.suptitle("Model card")
    return caption(fig, "How the model was trained and how well it does, as recorded by cnnviz train beside the model.")


# --------------------------------------------------------------------------- sections


EXPLAIN = {
    "architecture": (
        "A CNN is built from the tutorial's parts: input, convolution, pooling, flattening, softmax, output. The "
        "input is the 28x28 matrix of pixel values. Each convolution slides small learned filters over it (a 3x3 "
        "filter turns 28x28 into 26x26), max pooling keeps the largest value of each 2x2 window (26x26 -> 13x13). "
        "Convolution and pooling repeat to shrink the image while keeping its important features; then everything "
        "is flattened into one vector and a fully connected layer with softmax gives one probability per digit."),
    "model_card": (
        "How this model was made: the data, the training recipe (Adam on the cross-entropy loss, mini-batches, "
        "epochs), the time it took and the accuracy on test images it never saw while training."),
    "training_curves": (
        "Training shuffles the images into mini-batches and updates the weights once per mini-batch; one epoch "
        "passes over all of them once. Plotting accuracy and loss per epoch, on the training images and on images "
        "held out for validation, shows whether something is wrong: curves that part ways mean overfitting."),
    "confusion_matrix": (
        "Where the model is right and where it is wrong: every test image counted by its true digit (row) and the "
        "model's answer (column). The mistakes are off the diagonal."),
    "filters": (
        "The values in a filter are not designed by hand: they are learned. Every neuron of a feature map shares "
        "the same filter (shared weights), so one small pattern is found wherever it appears in the image, with "
        "far fewer parameters than a fully connected layer would need."),
    "patterns": (
        "What each filter is looking for: start from noise and change the input image step by step to make the "
        "filter respond as strongly as possible (activation maximization). Early filters like edges and strokes "
        "at one angle; deeper filters combine them into larger, more complex patterns."),
    "feature_maps": (
        "What each layer makes of one digit: the convolution layers light up where their filter's pattern is "
        "found (one map per filter), the pooling layers keep the strongest response of each 2x2 window, so the "
        "maps get smaller while the important features stay."),
    "pooling": (
        "Pooling, on one real feature map of the first example: max pooling takes the largest value of each "
        "window, average pooling its mean; global max and global average pooling reduce the whole map to one "
        "number."),
    "class_images": (
        "So what does the computer see? Asking for the image that each class likes most gives 'fake digits': the "
        "model is sure of them, yet they look like noise rather than digits. Adding a constraint that fewer pixels "
        "may be lit (L1) turns them into strokes that start to look like digits."),
    "attribution": (
        "Which parts of the example images made the model give its answer. Like a person who needs to see only a "
        "small part of a picture, the model relies on a few strokes of each digit."),
}


def _plan(ctx: _Context) -> list[tuple[str, str, str, Callable[[], Figure]]]:
    """(name, title, text, builder) for every section, in the report's order."""
    from .attribution import attribute
    from .evaluate import evaluate
    from .features import feature_maps, filters
    from .maximize import fake_vs_constrained, maximize_filter
    from .plots import (
        plot_attribution,
        plot_confusion,
        plot_fake_vs_constrained,
        plot_feature_maps,
        plot_filter_patterns,
        plot_filters,
        plot_history,
        plot_pooling,
    )
    from .probe import get_probe

    probe = get_probe(ctx.model)
    model, dpi = ctx.model, ctx.dpi
    plan: list[tuple[str, str, str, Callable[[], Figure]]] = [
        ("architecture", "Architecture", EXPLAIN["architecture"], lambda: plot_architecture(model, dpi=dpi)),
        ("model_card", "Model card", EXPLAIN["model_card"], lambda: plot_model_card(ctx.card, model, dpi=dpi)),
    ]
    if ctx.history:
        plan.append(("training_curves", "Training curves", EXPLAIN["training_curves"],
                     lambda: plot_history(ctx.history, dpi=dpi)))

    def confusion() -> Figure:
        mnist, which = _resolve_data(ctx.data)
        result = evaluate(model, mnist)
        fig = plot_confusion(result, dpi=dpi)
        return caption(fig, fig.cnnviz_caption + f" Computed {which}.")

    plan.append(("confusion_matrix", "Confusion matrix", EXPLAIN["confusion_matrix"], confusion))

    for layer in probe.conv_layer_names:
        def filter_fig(layer: str = layer) -> Figure:
            return plot_filters(filters(layer, model=model), layer=layer, dpi=dpi)

        def pattern_fig(layer: str = layer) -> Figure:
            channels = min(64, int(probe.layer(layer).output.shape[-1]))
            return plot_filter_patterns(maximize_filter(layer, list(range(channels)), model=model,
                                                        steps=ctx.filter_steps, regularization="none"),
                                 dpi=dpi)

        plan.append((f"{layer}_filters", f"{layer} filters", EXPLAIN["filters"], filter_fig))
        plan.append((f"{layer}_patterns", f"{layer}: maximized patterns", EXPLAIN["patterns"], pattern_fig))

    n = len(ctx.examples)
    fmaps_holder: dict[str, Any] = {}

    def fmaps():
        if "f" not in fmaps_holder:
            fmaps_holder["f"] = feature_maps(ctx.examples, model=model)
        return fmaps_holder["f"]

    for i in range(n):
        def fmap_fig(i: int = i) -> Figure:
            f = fmaps()
            fig = plot_feature_maps(f, index=i, max_maps=ctx.max_maps, dpi=dpi)
            fig.suptitle(f"Feature maps of {ctx.example_labels[i]}")
            return fig

        plan.append((f"feature_maps_{i + 1}", f"Feature maps: example {i + 1}", EXPLAIN["feature_maps"], fmap_fig))

    if n and probe.conv_layer_names:
        def pooling_fig() -> Figure:
            first = probe.conv_layer_names[0]
            maps = fmaps().maps.get(first)
            if maps is None:
                maps = feature_maps(ctx.examples[:1], model=model, layers=[first]).maps[first]
            k = int(maps[0].reshape(-1, maps.shape[-1]).sum(axis=0).argmax())
            return plot_pooling(maps[0, :, :, k], dpi=dpi,
                                title=f"Four kinds of pooling of {first} map #{k} for {ctx.example_labels[0]}")

        plan.append(("pooling", "Pooling", EXPLAIN["pooling"], pooling_fig))

    if ctx.classes:
        plan.append(("class_images", "What does the network see?", EXPLAIN["class_images"],
                     lambda: plot_fake_vs_constrained(fake_vs_constrained(model, classes=ctx.classes, steps=ctx.steps),
                                                      dpi=dpi)))
    if n:
        for method, title in (("gradcam", "Grad-CAM"), ("saliency", "Saliency")):
            def attribution_fig(method: str = method) -> Figure:
                import warnings

                with warnings.catch_warnings():  # Keras' note on tf-keras-vis passing a list as the input
                    warnings.filterwarnings("ignore", message="The structure of `inputs`")
                    result = attribute(ctx.examples, method=method, model=model)
                # a little wider than the plot's default, so the titles fit beside the colour bar
                return plot_attribution(result, dpi=dpi, figsize=(4.4, 1.75 * n + 0.6) if n > 1 else (4.4, 2.4))

            plan.append((f"attribution_{method}", f"Attribution: {title}", EXPLAIN["attribution"], attribution_fig))
    return plan


def _context(model: Any, images: Iterable[Any] | None, classes: Iterable[int] | None, *, examples: int, data: Any,
             steps: int, filter_steps: int, max_maps: int, dpi: int, history: dict | None, card: dict | None,
             progress: Progress) -> _Context:
    from .probe import get_probe

    if steps < 1 or filter_steps < 1:
        raise ValueError(f"steps and filter_steps must be at least 1 (got {steps} and {filter_steps}).")
    if examples < 0:
        raise ValueError(f"examples must be >= 0 (got {examples}).")
    loaded, label, history, card = _resolve_model(model, history, card)
    probe = get_probe(loaded)
    class_list = [probe.check_class(c) for c in (classes if classes is not None else range(probe.num_classes))]
    batch, labels, failures = _example_images(probe, images, examples, progress)
    if data is not None and data != "sample":
        _resolve_data(data)  # fail now, before minutes of work, when an explicit --data file is unreadable
    return _Context(model=loaded, model_label=label, history=history, card=card, examples=batch,
                    example_labels=labels, classes=class_list, data=data, steps=steps, filter_steps=filter_steps,
                    max_maps=max_maps, dpi=dpi, failures=failures)


def _sections(ctx: _Context, progress: Progress) -> Iterator[Section]:
    plan = _plan(ctx)
    total = len(plan)
    for k, (name, title, text, build) in enumerate(plan, 1):
        start = time.perf_counter()
        try:
            fig = build()
        except Exception as exc:  # one section failing must not lose the rest of the report
            ctx.failures.append(Failure(f"section {title!r}", f"{type(exc).__name__}: {exc}"))
            progress(f"[{k}/{total}] {title} ... failed: {type(exc).__name__}: {exc}")
            continue
        progress(f"[{k}/{total}] {title} ... {time.perf_counter() - start:.1f} s")
        yield Section(name=name, title=title, figure=fig, text=text)


def report_figures(model: Any = None, images: Iterable[Any] | None = None, classes: Iterable[int] | None = range(10), *,
                   examples: int = 4, data: Any = None, steps: int = 200, filter_steps: int = 150, max_maps: int = 16,
                   dpi: int = DEFAULT_DPI, history: dict | None = None, card: dict | None = None,
                   progress: bool | Progress = True, failures: list[Failure] | None = None) -> Iterator[Section]:
    """Build the report's sections in order, one at a time, printing ``[k/n] title ... seconds`` per section.

    ``model``: a .keras path, a Keras model, or None for the shipped model (its training history and
    model card are read from beside the file). ``images``: image files (or arrays) shown after the
    ``examples`` digits from the bundled sample; files that cannot be read are skipped and appended
    to ``failures`` (pass a list to get them). ``classes``: the class images to draw. ``data``: a
    mnist.npz for the confusion matrix (default: the full MNIST if found without a download, else
    the bundled test sample). ``steps``/``filter_steps``: activation-maximization steps for class
    images / filter patterns. ``progress``: True (stderr), False, or a callable taking each line.

    >>> [s.name for s in report_figures(classes=[], examples=0, filter_steps=5, progress=False)][:3]
    ['architecture', 'model_card', 'training_curves']
    """
    say = _progress_fn(progress)
    ctx = _context(model, images, classes, examples=examples, data=data, steps=steps, filter_steps=filter_steps,
                   max_maps=max_maps, dpi=dpi, history=history, card=card, progress=say)
    try:
        yield from _sections(ctx, say)
    finally:
        if failures is not None:
            failures.extend(ctx.failures)


# --------------------------------------------------------------------------- writers


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


def _with_header(section: Section, number: int) -> Figure:
    """Put the section's number, title and explanation above its figure (for PDF pages); returns the figure."""
    fig = section.figure
    w, h = fig.get_size_inches()
    wrapped = textwrap.fill(section.text, max(50, int((w - 0.3) * 14.5))) if section.text else ""
    lines = wrapped.count("\n") + 1 if wrapped else 0
    header = 0.45 + 0.165 * lines + 0.4
    total = h + header
    fig.set_size_inches(w, total)
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, 0, 1, h / total))
    with cnnviz_style():
        fig.text(0.2 / w, 1 - 0.12 / total, f"{number}. {section.title}", fontsize=12.5, weight="bold", va="top")
        if wrapped:
            fig.text(0.2 / w, 1 - 0.45 / total, wrapped, fontsize=8.5, va="top", color="0.15")
        old = fig._suptitle
        if old is not None:
            fig.suptitle(old.get_text(), y=(h + 0.05) / total, va="bottom", fontsize=old.get_fontsize(),
                         in_layout=False)
    return fig


def _build_all(ctx: _Context, progress: Progress) -> list[Section]:
    return list(_sections(ctx, progress))


def _contents(sections: Sequence[Section], ctx: _Context) -> list[tuple[int, Section]]:
    """(page number, section) of every page after the title page (the model card is on the title page)."""
    out, page = [], 2
    for section in sections:
        if section.name == "model_card":
            out.append((1, section))
            continue
        out.append((page, section))
        page += 1
    return out


def _title_page(ctx: _Context, sections: Sequence[Section], *, dpi: int) -> Figure:
    """A4 portrait: title, the tutorial's explanation, the model card, the contents, and what could not be used."""
    fig = Figure(figsize=(8.27, 11.69), dpi=dpi)
    line = 0.0155  # one 9 pt line, in figure height
    with cnnviz_style():
        fig.text(0.08, 0.955, "What has this CNN learned?", fontsize=20, weight="bold", va="top")
        fig.text(0.08, 0.92, f"A cnnviz report on {ctx.model_label}, {time.strftime('%Y-%m-%d')}",
                 fontsize=10, color="0.3", va="top")
        y = 0.88
        for heading, body in INTRO:
            fig.text(0.08, y, heading, fontsize=11.5, weight="bold", va="top")
            wrapped = textwrap.fill(body, 105)
            fig.text(0.08, y - 0.022, wrapped, fontsize=9, va="top", linespacing=1.45)
            y -= 0.03 + line * (wrapped.count("\n") + 1) + 0.015
        fig.text(0.08, y, "Model card", fontsize=11.5, weight="bold", va="top")
        rows = _card_rows(ctx.card, ctx.model)
        lines = sum(textwrap.fill(v, 80).count("\n") + 1 for _, v in rows)
        height = line * 1.05 * lines
        _draw_card(fig.add_axes((0.08, y - 0.025 - height, 0.84, height)), rows, width_chars=80, fontsize=8.5)
        y -= 0.025 + height + 0.03
        fig.text(0.08, y, "Contents", fontsize=11.5, weight="bold", va="top")
        entries = [(p, s) for p, s in _contents(sections, ctx) if s.name != "model_card"]
        half = (len(entries) + 1) // 2
        for col, chunk in enumerate((entries[:half], entries[half:])):
            text = "\n".join(f"{k + 1 + col * half:>2}. {s.title}" for k, (_, s) in enumerate(chunk))
            pages = "\n".join(f"page {p}" for p, _ in chunk)
            x = 0.08 + 0.43 * col
            fig.text(x, y - 0.022, text, fontsize=8.5, va="top", linespacing=1.45)
            fig.text(x + 0.38, y - 0.022, pages, fontsize=8.5, va="top", ha="right", linespacing=1.45, color="0.35")
        y -= 0.03 + line * half + 0.02
        if ctx.failures:
            fig.text(0.08, y, f"Could not be used ({len(ctx.failures)})", fontsize=11.5, weight="bold", va="top",
                     color="#b22222")
            listed = "\n".join(textwrap.fill(f"- {f}", 110, subsequent_indent="  ") for f in ctx.failures[:12])
            fig.text(0.08, y - 0.022, listed, fontsize=8, va="top", color="#b22222", linespacing=1.4)
        fig.text(0.5, 0.03, "Made with cnnviz. Every figure of this report is also available on its own: cnnviz export.",
                 fontsize=7.5, color="0.4", ha="center")
    return fig


def write_pdf(sections: Sequence[Section], path: str | os.PathLike, ctx: _Context, *, dpi: int = DEFAULT_DPI) -> int:
    """Write a multi-page PDF (vector, images embedded as they are): the title page, then one section per page.
    Atomic: an interrupted write leaves no half file. Returns the number of pages."""
    from matplotlib.backends.backend_pdf import PdfPages

    pages = 0
    with atomic_path(path, suffix=".pdf") as tmp, _page_style():
        with PdfPages(tmp, metadata={"Title": "What has this CNN learned? (cnnviz report)", "Creator": "cnnviz"}) as pdf:
            pdf.savefig(_title_page(ctx, sections, dpi=dpi))
            pages += 1
            number = 0
            for section in sections:
                if section.name == "model_card":
                    continue  # it is on the title page
                number += 1
                pdf.savefig(_with_header(section, number), dpi=dpi)
                pages += 1
    return pages


CSS = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;background:#fafafa;margin:0;line-height:1.5}
main{max-width:62rem;margin:0 auto;padding:1.5rem 2rem 4rem;background:#fff}
h1{font-size:1.9rem;margin:.5rem 0 .2rem}h2{font-size:1.25rem;margin:2.2rem 0 .4rem;border-bottom:1px solid #ddd}
h3{font-size:1.05rem;margin:1.2rem 0 .2rem}.sub{color:#555;margin-top:0}
table.card{border-collapse:collapse;font-size:.9rem;width:100%}
table.card th{background:#eef2f7;text-align:left;padding:.25rem .6rem;width:9rem;vertical-align:top}
table.card td{padding:.25rem .6rem;border-bottom:1px solid #eee;word-break:break-word}
.failures{border:1px solid #e0a0a0;background:#fff3f3;color:#8b1a1a;padding:.6rem 1rem;margin:1rem 0}
figure{margin:1rem 0;text-align:center}figure img{max-width:100%;height:auto}
nav ol{columns:2;font-size:.95rem}a{color:#1f4e79}
footer{margin-top:3rem;color:#777;font-size:.85rem}
"""


@contextmanager
def _page_style():
    """cnnviz's style, saving figures at their own size: constrained layout already fits them, and a tight
    bounding box would draw every figure twice."""
    import matplotlib.pyplot as plt

    with cnnviz_style(), plt.rc_context({"savefig.bbox": "standard"}):
        yield


def _png(fig: Figure, dpi: int) -> bytes:
    import io

    buffer = io.BytesIO()
    with _page_style():
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def write_html(sections: Sequence[Section], path: str | os.PathLike, ctx: _Context, *, dpi: int = DEFAULT_DPI) -> int:
    """Write one self-contained HTML file: inline CSS, every figure a base64 PNG, no external reference
    (no scripts, fonts, styles or images from elsewhere); it opens offline. Atomic. Returns the number of figures."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>What has this CNN learned? (cnnviz report)</title>", f"<style>{CSS}</style>", "</head>", "<body><main>",
        "<h1>What has this CNN learned?</h1>",
        f'<p class="sub">A cnnviz report on {esc(ctx.model_label)}, {time.strftime("%Y-%m-%d")}</p>',
    ]
    for heading, body in INTRO:
        parts += [f"<h3>{esc(heading)}</h3>", f"<p>{esc(body)}</p>"]
    if ctx.failures:
        parts.append(f'<div class="failures"><strong>Could not be used ({len(ctx.failures)}):</strong><ul>')
        parts += [f"<li><code>{esc(f.what)}</code>: {esc(f.error)}</li>" for f in ctx.failures]
        parts.append("</ul></div>")
    parts.append('<h2 id="model-card">Model card</h2><table class="card">')
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in _card_rows(ctx.card, ctx.model)]
    parts.append("</table>")
    shown = [s for s in sections if s.name != "model_card"]
    parts.append("<nav><h2>Contents</h2><ol>")
    parts += [f'<li><a href="#{esc(s.name)}">{esc(s.title)}</a></li>' for s in shown]
    parts.append("</ol></nav>")
    for number, section in enumerate(shown, 1):
        data = _png(section.figure, dpi)
        width, _ = _png_size(data)
        encoded = base64.b64encode(data).decode("ascii")
        parts += [
            f'<section id="{esc(section.name)}">', f"<h2>{number}. {esc(section.title)}</h2>",
            f"<p>{esc(section.text)}</p>" if section.text else "",
            f'<figure><img src="data:image/png;base64,{encoded}" width="{round(width * 96 / dpi)}" '
            f'alt="{esc(section.caption)}"></figure>', "</section>",
        ]
    parts += ["<footer>Made with cnnviz. Every figure of this report is also available on its own: "
              "<code>cnnviz export</code>.</footer>", "</main></body></html>"]
    with atomic_path(path, suffix=".html") as tmp:
        tmp.write_text("\n".join(p for p in parts if p), encoding="utf-8")
    return len(shown)


def report(output: str | os.PathLike, model: Any = None, images: Iterable[Any] | None = None,
           classes: Iterable[int] | None = range(10), *, examples: int = 4, data: Any = None, steps: int = 200,
           filter_steps: int = 150, max_maps: int = 16, dpi: int = DEFAULT_DPI, history: dict | None = None,
           card: dict | None = None, progress: bool | Progress = True) -> Report:
    """Write the report to ``output``: a multi-page PDF (``.pdf``) or one self-contained HTML file (``.html``).

    The sections are those of :func:`report_figures` (same options). Image files that cannot be read
    are listed on the first page and in ``failures``; the rest of the report is still built.

    >>> r = report("/tmp/cnnviz-doc-report.html", classes=[6], steps=20, filter_steps=10, examples=1,
    ...            progress=False)
    >>> r.path.name, "architecture" in r.figures
    ('cnnviz-doc-report.html', True)
    """
    start = time.perf_counter()
    path = Path(output)
    kind = path.suffix.lower()
    if kind not in (".pdf", ".html", ".htm"):
        raise ValueError(f"cannot write a report as {path.name!r}: name it report.pdf or report.html "
                         "(for separate figure files use cnnviz export).")
    say = _progress_fn(progress)
    ctx = _context(model, images, classes, examples=examples, data=data, steps=steps, filter_steps=filter_steps,
                   max_maps=max_maps, dpi=dpi, history=history, card=card, progress=say)
    sections = _build_all(ctx, say)
    written = time.perf_counter()
    if kind == ".pdf":
        pages = write_pdf(sections, path, ctx, dpi=dpi)
    else:
        pages = write_html(sections, path, ctx, dpi=dpi)
    seconds = time.perf_counter() - start
    say(f"wrote {path} ({pages} {'pages' if kind == '.pdf' else 'figures'}) in {seconds:.1f} s "
        f"(writing {time.perf_counter() - written:.1f} s)")
    return Report(path=path, pages=pages, figures=[s.name for s in sections], failures=list(ctx.failures),
                  seconds=seconds)


def export_figures(directory: str | os.PathLike, formats: Sequence[str] | str = FORMATS, model: Any = None,
                   images: Iterable[Any] | None = None, classes: Iterable[int] | None = range(10), *,
                   examples: int = 4, data: Any = None, steps: int = 200, filter_steps: int = 150,
                   max_maps: int = 16, dpi: int = DEFAULT_DPI, history: dict | None = None, card: dict | None = None,
                   progress: bool | Progress = True) -> Export:
    """Write every figure of the report as ``directory/<stable_name>.<format>`` (png, svg, pdf; atomic saves),
    plus ``figures.json`` listing each figure's title, caption and files.

    >>> e = export_figures("/tmp/cnnviz-doc-figures", ["png"], classes=[6], steps=20, filter_steps=10,
    ...                    examples=1, progress=False)
    >>> sorted(p.name for p in e.files)[:2]
    ['architecture.png', 'attribution_gradcam.png']
    """
    import json

    from .model import write_json
    from .plots import save_figure

    start = time.perf_counter()
    fmts = [f.strip().lower().lstrip(".") for f in (formats.split(",") if isinstance(formats, str) else formats)]
    fmts = [f for f in fmts if f]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ValueError(f"unknown figure format(s) {', '.join(bad) or '(none given)'}; use any of {', '.join(FORMATS)}.")
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; give a directory to export the figures into.")
    say = _progress_fn(progress)
    ctx = _context(model, images, classes, examples=examples, data=data, steps=steps, filter_steps=filter_steps,
                   max_maps=max_maps, dpi=dpi, history=history, card=card, progress=say)
    files: list[Path] = []
    index = []
    for section in _sections(ctx, say):
        written = [save_figure(section.figure, out / f"{section.name}.{fmt}", dpi=dpi) for fmt in fmts]
        files += written
        index.append({"name": section.name, "title": section.title, "caption": section.caption,
                      "text": section.text, "files": [p.name for p in written]})
    index_data: dict[str, Any] = {"model": ctx.model_label, "figures": index,
                                  "failures": [{"what": f.what, "error": f.error} for f in ctx.failures]}
    write_json(json.loads(json.dumps(index_data)), out / "figures.json")
    seconds = time.perf_counter() - start
    say(f"wrote {len(files)} files ({len(index)} figures x {', '.join(fmts)}) to {out}/ in {seconds:.1f} s")
    return Export(directory=out, files=files, figures=[e["name"] for e in index], failures=list(ctx.failures),
                  seconds=seconds)
