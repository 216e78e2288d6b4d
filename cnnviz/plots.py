"""One ``plot_*`` per visualization; each returns a matplotlib Figure. ``save_figure`` writes it.

Plots never train or compute with TensorFlow: they draw the arrays and dataclasses that
the rest of cnnviz returns.

>>> import cnnviz
>>> fig = cnnviz.plot_history(cnnviz.load_history())
>>> save_figure(fig, "/tmp/cnnviz-doc-history.png").suffix
'.png'
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from .io.files import atomic_path
from .style import (
    ACCENT,
    ACTIVATION_CMAP,
    ATTRIBUTION_CMAP,
    DEFAULT_DPI,
    DIGIT_CMAP,
    SIGNED_CMAP,
    TRAIN_COLOR,
    VALIDATION_COLOR,
    caption,
    cnnviz_style,
    figure,
    hide_ticks,
    symmetric_limits,
)

if TYPE_CHECKING:
    from .attribution import Attribution
    from .evaluate import Evaluation
    from .features import FeatureMaps, TopExamples
    from .maximize import ClassImages, MaximizationResult

FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, path: str | os.PathLike, *, dpi: int | None = None) -> Path:
    """Write ``fig`` as PNG, SVG or PDF, chosen by the path's extension; atomically.

    >>> save_figure(figure(), "/tmp/cnnviz-doc.svg").name
    'cnnviz-doc.svg'
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"cannot save a figure as {path.name!r}: use a .png, .svg or .pdf file name.")
    with atomic_path(path) as tmp, cnnviz_style():
        fig.savefig(tmp, format=fmt, dpi=dpi or fig.dpi or DEFAULT_DPI, bbox_inches="tight")
    return path


def figure_bytes(fig: Figure, fmt: str = "png", *, dpi: int | None = None) -> bytes:
    """The figure encoded as PNG, SVG or PDF bytes (for downloads and HTML reports).

    >>> figure_bytes(figure())[:4]
    b'\\x89PNG'
    """
    import io

    if fmt not in FORMATS:
        raise ValueError(f"unknown figure format {fmt!r}; use one of {', '.join(FORMATS)}.")
    buffer = io.BytesIO()
    with cnnviz_style():
        fig.savefig(buffer, format=fmt, dpi=dpi or fig.dpi or DEFAULT_DPI, bbox_inches="tight")
    return buffer.getvalue()


def plot_history(history: dict[str, list[float]] | Any, *, title: str = "Training curves",
                 dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """The tutorial's accuracy and loss curves, training against validation, per epoch.

    Takes the dict that :func:`cnnviz.train` returns (or a Keras ``History``).

    >>> fig = plot_history({"accuracy": [0.9, 0.95], "val_accuracy": [0.92, 0.96], "loss": [0.3, 0.1], "val_loss": [0.2, 0.1]})
    >>> len(fig.axes)
    2
    """
    if hasattr(history, "history"):
        history = history.history
    if not history or "loss" not in history:
        raise ValueError("this history has no 'loss' entry; pass the history that cnnviz.train or model.fit returned.")
    fig = figure(figsize=figsize or (7.0, 2.8), dpi=dpi)
    axes = fig.subplots(1, 2)
    for ax, metric, label in ((axes[0], "accuracy", "accuracy"), (axes[1], "loss", "cross-entropy loss")):
        train = history.get(metric) or history.get("acc" if metric == "accuracy" else metric, [])
        val = history.get(f"val_{metric}", [])
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, "o-", color=TRAIN_COLOR, ms=3, label="train")
        if val:
            ax.plot(np.arange(1, len(val) + 1), val, "s-", color=VALIDATION_COLOR, ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_title(f"model {metric}")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right" if metric == "accuracy" else "upper right")
        if len(epochs) and len(epochs) <= 10:
            ax.set_xticks(epochs)
        else:  # every epoch labelled would run the numbers together at column width
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(title)
    return caption(fig, "Accuracy (left) and loss (right) after each epoch, on the training images and on the "
                        "10% held out for validation. Curves that part ways mean overfitting.")


def plot_confusion(evaluation: Evaluation, *, dpi: int = DEFAULT_DPI,
                   figsize: tuple[float, float] | None = None) -> Figure:
    """The confusion matrix (true digit by predicted digit) with per-class accuracy.

    >>> import cnnviz
    >>> fig = plot_confusion(cnnviz.evaluate(data="sample"))
    """
    confusion = evaluation.confusion
    n = confusion.shape[0]
    fig = figure(figsize=figsize or (5.2, 4.4), dpi=dpi)
    ax = fig.subplots()
    # log scale so the few mistakes show next to ~1,000 correct answers per class
    shown = np.log10(confusion + 1.0)
    im = ax.imshow(shown, cmap="Blues")
    for i in range(n):
        for j in range(n):
            value = confusion[i, j]
            if value:
                dark = shown[i, j] > 0.6 * shown.max()
                ax.text(j, i, str(value), ha="center", va="center", fontsize=6.5,
                        color="white" if dark else (ACCENT if i != j else "black"))
    labels = [class_label(evaluation, i) for i in range(n)]
    ax.set_xticks(range(n), labels, rotation=45 if max(map(len, labels)) > 3 else 0)
    ax.set_yticks(range(n), [f"{class_label(evaluation, i)}  ({evaluation.per_class_accuracy[i]:.1%})"
                             for i in range(n)])
    what = "digit" if all(label.isdigit() for label in labels) else "class"
    ax.set_xlabel(f"predicted {what}")
    ax.set_ylabel(f"true {what}  (accuracy)")
    ax.set_title(f"Confusion matrix: {evaluation.accuracy:.2%} of {evaluation.images:,} test images correct")
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    ticks = [t for t in (0, 1, 10, 100, 1000) if t <= confusion.max()]
    bar.set_ticks(np.log10(np.array(ticks) + 1.0), labels=[str(t) for t in ticks])
    bar.set_label("images")
    return caption(fig, "Each row is a true digit, each column the model's answer; off-diagonal cells "
                        "(red numbers) are mistakes.")


# --------------------------------------------------------------------------- visualization core


def _grid(n: int, max_cols: int = 8) -> tuple[int, int]:
    cols = min(n, max_cols)
    return int(np.ceil(n / cols)), cols


def _image_axes(fig: Figure, n: int, rows: int, cols: int) -> list:
    """``n`` tick-less axes on a rows x cols grid; the spare cells are switched off."""
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes[n:]:
        ax.axis("off")
    for ax in axes[:n]:
        hide_ticks(ax)
    return list(axes[:n])


def class_label(result: Any, index: int) -> str:
    """The name of class ``index`` in a result's ``class_names`` (the model's), else the index.

    >>> from types import SimpleNamespace
    >>> class_label(SimpleNamespace(class_names=["cat", "dog"]), 1), class_label(SimpleNamespace(), 1)
    ('dog', '1')
    """
    names = getattr(result, "class_names", None) or []
    return str(names[int(index)]) if 0 <= int(index) < len(names) else str(int(index))


def _digit(ax, image: np.ndarray, title: str | None = None) -> None:
    img = np.asarray(image)
    lo, hi = (float(img.min()), float(img.max())) if img.size else (0.0, 1.0)
    if lo < -0.01 or hi > 1.01:  # a model's own input range (0-255, [-1, 1]): shown stretched to its extremes
        img = (img - lo) / ((hi - lo) or 1.0)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 2:
        ax.imshow(img, cmap=DIGIT_CMAP, vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(np.clip(img, 0, 1), interpolation="nearest")
    hide_ticks(ax)
    if title:
        ax.set_title(title)


def plot_feature_maps(fmaps: FeatureMaps, *, index: int = 0, layers: Sequence[str] | None = None,
                      max_maps: int = 16, dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """The tutorial's picture: the input, then the first ``max_maps`` maps of each layer (a row of panels per layer).

    >>> import cnnviz
    >>> fig = plot_feature_maps(cnnviz.feature_maps(cnnviz.load_sample().x_test[0]), max_maps=8)
    """
    names = list(layers) if layers is not None else list(fmaps.maps)
    cols = max_maps // 2 if max_maps > 8 else max_maps
    rows_per_layer = int(np.ceil(max_maps / cols))
    total_rows = 1 + rows_per_layer * len(names)
    fig = figure(figsize=figsize or (0.9 * (cols + 1.6), 0.95 * total_rows + 0.6), dpi=dpi)
    grid = fig.add_gridspec(total_rows, cols + 2, width_ratios=[1.4] + [1] * cols + [0.12])
    ax = fig.add_subplot(grid[0, 0])
    probs = fmaps.probabilities[index]
    _digit(ax, fmaps.inputs[index], f"input {fmaps.inputs.shape[1]}x{fmaps.inputs.shape[2]}")
    ax_text = fig.add_subplot(grid[0, 1:])
    ax_text.axis("off")
    ax_text.text(0.0, 0.5, f"prediction: {class_label(fmaps, probs.argmax())}  (softmax {probs.max():.3f})",
                 va="center", fontsize=10)
    for li, name in enumerate(names):
        maps = fmaps.maps[name][index]
        n = min(max_maps, maps.shape[-1])
        vmax = float(maps[..., :n].max()) or 1.0
        label = fig.add_subplot(grid[1 + li * rows_per_layer : 1 + (li + 1) * rows_per_layer, 0])
        label.axis("off")
        label.text(0.5, 0.5, f"{name}\n{maps.shape[0]}x{maps.shape[1]}\nx {maps.shape[2]} maps",
                   ha="center", va="center", fontsize=8.5)
        im = None
        for k in range(n):
            r, c = divmod(k, cols)
            ax = fig.add_subplot(grid[1 + li * rows_per_layer + r, 1 + c])
            im = ax.imshow(maps[..., k], cmap=ACTIVATION_CMAP, vmin=0, vmax=vmax, interpolation="nearest")
            hide_ticks(ax)
            ax.set_title(f"#{k}", fontsize=6, pad=1)
        if im is not None:
            bar = fig.colorbar(im, cax=fig.add_subplot(grid[1 + li * rows_per_layer : 1 + (li + 1) * rows_per_layer, -1]))
            bar.ax.tick_params(labelsize=6)
    fig.suptitle("Feature maps: what each layer makes of the input")
    shapes = " -> ".join(f"{fmaps.maps[n].shape[1]}x{fmaps.maps[n].shape[2]}x{fmaps.maps[n].shape[3]}" for n in names)
    return caption(fig, f"Activations (bright = strong) of the first {max_maps} channels of each layer: "
                        f"{fmaps.inputs.shape[1]}x{fmaps.inputs.shape[2]} -> {shapes}. Shared colour scale per layer.")


def plot_pooling(feature_map: np.ndarray, *, size: int = 2, title: str = "", dpi: int = DEFAULT_DPI,
                 figsize: tuple[float, float] | None = None) -> Figure:
    """One feature map and the tutorial's four kinds of pooling of it, side by side, values written in small maps.

    >>> fig = plot_pooling(np.random.default_rng(0).random((6, 6)))
    """
    from .features import pooling

    fmap = np.asarray(feature_map, np.float32)
    results = pooling(fmap, size)
    fig = figure(figsize=figsize or (10.0, 2.6), dpi=dpi)
    axes = fig.subplots(1, 5)
    vmax = float(fmap.max()) or 1.0
    panels = [("feature map", fmap)] + [(f"{k} pooling" if "global" not in k else k, v) for k, v in results.items()]
    for ax, (name, values) in zip(axes, panels):
        im = ax.imshow(values, cmap=ACTIVATION_CMAP, vmin=0, vmax=vmax, interpolation="nearest")
        hide_ticks(ax)
        ax.set_title(f"{name}\n{values.shape[0]}x{values.shape[1]}")
        if values.size <= 49:
            for (r, c), v in np.ndenumerate(values):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6 if values.size > 16 else 8,
                        color="white" if v < 0.6 * vmax else "black")
    fig.colorbar(im, ax=axes, shrink=0.8, label="activation")
    fig.suptitle(title or f"Four kinds of pooling ({size}x{size} windows, stride {size})")
    return caption(fig, "Max pooling keeps the largest value of each window, average pooling its mean; the global "
                        "kinds reduce the whole map to one number.")


def plot_filters(weights: np.ndarray, *, layer: str = "", max_filters: int = 64, channel: int | None = None,
                 dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """Kernel weights (kh, kw, in, out) as small images, red positive, blue negative, centred on zero.

    For multi-channel kernels, each filter shows ``channel`` (default: the sum over input channels).

    >>> import cnnviz
    >>> fig = plot_filters(cnnviz.filters("conv1"), layer="conv1")
    """
    w = np.asarray(weights)
    if w.ndim != 4:
        raise ValueError(f"filter weights have shape {w.shape}; expected (kh, kw, in_channels, filters).")
    shown = w[:, :, channel, :] if channel is not None else w.sum(axis=2)
    n = min(max_filters, shown.shape[-1])
    rows, cols = _grid(n, 8 if n <= 32 else 16)
    fig = figure(figsize=figsize or (0.75 * cols + 0.9, 0.8 * rows + 0.8), dpi=dpi)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    lo, hi = symmetric_limits(shown[..., :n])
    im = None
    for k, ax in enumerate(axes):
        hide_ticks(ax)
        if k < n:
            im = ax.imshow(shown[..., k], cmap=SIGNED_CMAP, vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_title(f"#{k}", fontsize=6, pad=1)
        else:
            ax.axis("off")
    fig.colorbar(im, ax=axes.tolist(), shrink=0.8, label="weight")
    what = "channel " + str(channel) if channel is not None else ("sum over input channels" if w.shape[2] > 1 else "")
    fig.suptitle(f"{layer or 'conv'} filters: {w.shape[0]}x{w.shape[1]} kernels, {w.shape[3]} filters" +
                 (f" ({what})" if what else ""))
    return caption(fig, "Each square is one learned kernel: red weights add where the input is bright, blue "
                        "weights subtract. The filter slides over the image and sums these products.")


def plot_top_examples(top: TopExamples, *, dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """The images that excite a filter most, strongest first, with the receptive field of the peak marked.

    >>> import cnnviz
    >>> fig = plot_top_examples(cnnviz.top_examples("conv2", 3, k=6))
    """
    from matplotlib.patches import Rectangle

    n = len(top.images)
    rows, cols = _grid(n, 8)
    fig = figure(figsize=figsize or (1.15 * cols, 1.35 * rows + 0.5), dpi=dpi)
    for k, ax in enumerate(_image_axes(fig, n, rows, cols)):
        label = f" (a {top.labels[k]})" if top.labels is not None else ""
        _digit(ax, top.images[k], f"{top.activations[k]:.2f}{label}")
        t, left, b, r = top.boxes[k]
        ax.add_patch(Rectangle((left - 0.5, t - 0.5), r - left, b - t, fill=False, edgecolor=ACCENT, linewidth=1.2))
    fig.suptitle(f"Top {n} images for {top.layer} filter #{top.filter}")
    return caption(fig, "The dataset images with the strongest response of this filter (value above each); the red "
                        "box is the part of the image that the strongest position sees (its receptive field).")


def plot_filter_patterns(result: MaximizationResult, *, dpi: int = DEFAULT_DPI,
                         figsize: tuple[float, float] | None = None) -> Figure:
    """The input pattern each filter of a layer responds to most (from :func:`cnnviz.maximize_filter`), as a grid.

    >>> import cnnviz
    >>> fig = plot_filter_patterns(cnnviz.maximize_filter("conv1", [0, 1, 2, 3], steps=20))
    """
    n = len(result)
    rows, cols = _grid(n, 8 if n <= 32 else 16)
    fig = figure(figsize=figsize or (0.75 * cols + 0.3, 0.8 * rows + 0.8), dpi=dpi)
    for k, ax in enumerate(_image_axes(fig, n, rows, cols)):
        _digit(ax, result.images[k])
        ax.set_title(f"#{result.targets[k]}", fontsize=6, pad=1)
        for spine in ax.spines.values():  # a frame, so an all-white pattern still shows on a white page
            spine.set_visible(True)
            spine.set_color("0.6")
            spine.set_linewidth(0.5)
    fig.suptitle(f"{result.layer}: the input each filter responds to most ({result.steps} steps from noise)")
    return caption(fig, "Each image was optimized from noise to raise the filter's mean activation over the whole map, "
                        "so the stroke it likes repeats everywhere as a texture (white = ink). Uniform squares: filters "
                        "that respond to brightness (or darkness) itself.")


def plot_maximization(result: MaximizationResult, *, dpi: int = DEFAULT_DPI,
                      figsize: tuple[float, float] | None = None) -> Figure:
    """Maximized images (one per target), the objective per step, and the final softmax of each image.

    >>> import cnnviz
    >>> fig = plot_maximization(cnnviz.maximize([3, 6], steps=30))
    """
    n = len(result)
    is_class = result.layer is None and result.objective == "class logit"  # only these images are of a class
    cols = min(n, 10)
    img_rows = int(np.ceil(n / cols))
    fig = figure(figsize=figsize or (max(7.0, 1.0 * cols + 1), 1.2 * img_rows + 2.6), dpi=dpi)
    grid = fig.add_gridspec(img_rows + 2, max(cols, 2), height_ratios=[1.0] * img_rows + [0.25, 1.9])
    for k in range(n):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        target = result.targets[k]
        if is_class:
            title = f"class {class_label(result, target)}\np={result.confidence[k]:.3f}"
            if result.predicted[k] != target:
                title += f"\n(sees {class_label(result, result.predicted[k])})"
        elif result.layer is not None:
            title = f"{result.layer} #{target}"
        else:  # any other objective: its own score, never a class it was not optimized for
            final = getattr(result, "final_scores", None)
            title = "objective" + (f"\n{final[k]:.3g}" if final is not None else "")
            real = getattr(result, "real_scores", None)
            if real is not None:
                title += f" (real {real[k]:.3g})"
        missed = getattr(result, "reached", None) is not None and not result.reached[k]
        _digit(ax, result.images[k], title + ("\nNOT REACHED" if missed else ""))
        if missed:
            ax.title.set_color("#c0392b")
    half = max(1, cols // 2)
    ax = fig.add_subplot(grid[img_rows + 1, :half])
    steps = (result.score_steps + 1 if getattr(result, "score_steps", None) is not None
             else np.arange(1, result.scores.shape[0] + 1))
    for k in range(n):
        ax.plot(steps, result.scores[:, k], lw=1, label=class_label(result, result.targets[k]) if is_class
                else str(result.targets[k]))
    ax.set_xlabel("step")
    ax.set_ylabel("class logit" if is_class else "mean activation")
    ax.set_title("objective while optimizing")
    ax.grid(alpha=0.3)
    if n <= 10:
        ax.legend(fontsize=6, ncol=2, loc="lower right", title="target", title_fontsize=6)
    ax = fig.add_subplot(grid[img_rows + 1, half:])
    shown = result.probabilities[:, :] if n <= 10 else result.probabilities[:10]
    im = ax.imshow(shown, cmap=ACTIVATION_CMAP, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(shown.shape[1]))
    ax.set_yticks(range(len(shown)), [class_label(result, t) for t in result.targets[: len(shown)]])
    ax.set_xlabel("class the model gives")
    ax.set_ylabel("image of target")
    ax.set_title("softmax of each image")
    fig.colorbar(im, ax=ax, shrink=0.9, label="probability")
    reg = result.regularization
    if getattr(result, "prior", None) == "data":
        settings = "data prior: a latent of cnnviz's MNIST generator, kept near its prior"
        kind = ("Data prior: what the model responds to among natural digits (the generator draws only "
                "digit-like images). ")
    else:
        settings = (", ".join(f"{k}={v}" for k, v in vars(reg).items() if v) if reg is not None else "") or "no regularization"
        settings += f", param {getattr(result, 'param', 'pixels')}"
        kind = "Pixels: what the model responds to at all (it may be no digit a person would draw). "
    fig.suptitle(f"Activation maximization: {result.objective} ({result.steps} steps, seed {result.seed})")
    told = f" {result.message}." if getattr(result, "reached", None) is not None else ""
    adjusted = getattr(result, "adjustments", None)
    told += f" Adjusted on its own: {'; '.join(adjusted)}." if adjusted else ""
    return caption(fig, f"{kind}Each image was optimized to raise its target's score ({settings}); the curves "
                        f"show the score per step, the grid the model's softmax for each final image.{told}")


def plot_fake_vs_constrained(experiment: ClassImages, *, dpi: int = DEFAULT_DPI,
                             figsize: tuple[float, float] | None = None) -> Figure:
    """The tutorial's experiment in one figure: the class images without a constraint (fake digits)
    above the ones made with the L1 "fewer pixels" constraint.

    >>> import cnnviz
    >>> fig = plot_fake_vs_constrained(cnnviz.fake_vs_constrained(steps=30))
    """
    rows = [("no constraint\n(\"fake digits\")", experiment.plain), ("L1 constraint\n(fewer pixels)", experiment.constrained)]
    data, examples = getattr(experiment, "data", None), getattr(experiment, "examples", None)
    if data is not None:
        rows.append(("data prior\n(natural digits)", data))
    n = len(experiment.plain)
    height = len(rows) + (examples is not None)
    fig = figure(figsize=figsize or (1.05 * n + 1.4, 1.6 * height), dpi=dpi)
    grid = fig.add_gridspec(height, n + 1, width_ratios=[1.4] + [1] * n)
    for r, (label, result) in enumerate(rows):
        ax = fig.add_subplot(grid[r, 0])
        ax.axis("off")
        ax.text(0.5, 0.5, label, ha="center", va="center", fontsize=9)
        for k in range(n):
            ax = fig.add_subplot(grid[r, k + 1])
            missed = getattr(result, "reached", None) is not None and not result.reached[k]
            _digit(ax, result.images[k], f"{class_label(result, result.targets[k])}: p={result.confidence[k]:.2f}"
                   + (" MISSED" if missed else ""))
            if missed:
                ax.title.set_color("#c0392b")
    if examples is not None:
        ax = fig.add_subplot(grid[len(rows), 0])
        ax.axis("off")
        ax.text(0.5, 0.5, "dataset example\n(highest logit)", ha="center", va="center", fontsize=9)
        for k in range(min(n, len(examples.classes))):
            _digit(fig.add_subplot(grid[len(rows), k + 1]), examples.images[k, 0], f"{examples.classes[k]}: real")
    fig.suptitle("What does the network see? The input each class likes most")
    text = ("Top: images optimized only to raise each digit's score (pixels: what the model responds to at all); the "
            "model is sure of them, yet they do not look like digits. Next: the same with a penalty on the number of "
            "lit pixels (L1) and on noise (total variation): the strokes start to look like the digits.")
    if data is not None:
        text += (" Data prior: digits drawn by a generative model of MNIST, steered to each class (what the model "
                 "responds to among natural digits).")
    if examples is not None:
        text += " Last row: the real sample digit with the highest score for the class."
    return caption(fig, text)


def plot_attribution(attribution: Attribution, *, index: int | None = None, alpha: float = 0.5,
                     dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """Each image with its attribution heat map over it (and the map alone), titled with the target class.

    >>> import cnnviz
    >>> fig = plot_attribution(cnnviz.attribute(cnnviz.load_sample().x_test[:2], method="gradcam"))
    """
    indices = range(len(attribution.maps)) if index is None else [index]
    n = len(indices)
    fig = figure(figsize=figsize or ((3.4, 1.75 * n + 0.5) if n > 1 else (3.6, 2.2)), dpi=dpi)
    axes = np.atleast_2d(fig.subplots(n, 2))
    im = None
    for row, i in enumerate(indices):
        img = attribution.inputs[i]
        target = attribution.targets[i]
        p = attribution.probabilities[i, target]
        _digit(axes[row, 0], img, f"class {class_label(attribution, target)} (p={p:.2f})")
        _digit(axes[row, 1], img, "overlay")
        im = axes[row, 1].imshow(attribution.maps[i], cmap=ATTRIBUTION_CMAP, alpha=alpha, vmin=0, vmax=1,
                                 interpolation="bilinear")
    fig.colorbar(im, ax=axes[:, 1].tolist(), shrink=0.8, label="relevance")
    layer = f" on {attribution.layer}" if attribution.layer else ""
    fig.suptitle(f"{attribution.title}{layer}")
    return caption(fig, "Bright yellow: the pixels that raise the target class's score the most; dark: pixels that matter little.")



def plot_atlas(atlas: Any, layer: str, *, channels: Sequence[int] | None = None, k: int | None = None,
               dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None) -> Figure:
    """A layer's page of an atlas (:func:`cnnviz.dataset_examples`): one row per channel, its top ``k`` images,
    strongest first, the receptive field of each peak boxed.

    >>> import cnnviz
    >>> atlas = cnnviz.dataset_examples(["conv1"], data=cnnviz.load_sample().x_test[:100], k=4)
    >>> fig = plot_atlas(atlas, "conv1", channels=range(3))
    """
    from matplotlib.patches import Rectangle

    chosen = list(channels) if channels is not None else list(range(min(16, atlas.channels(layer))))
    k = min(k or atlas.k, atlas.k)
    fig = figure(figsize=figsize or (0.9 * k + 0.9, 0.95 * len(chosen) + 0.9), dpi=dpi)
    axes = fig.subplots(len(chosen), k, squeeze=False)
    for row, channel in enumerate(chosen):
        top = atlas.top(layer, channel, k)
        for col in range(k):
            ax = axes[row, col]
            if col >= len(top.images):
                ax.set_axis_off()
                continue
            _digit(ax, top.images[col])
            t, left, b, r = top.boxes[col]
            if (b - t, r - left) != top.images[col].shape[:2]:
                ax.add_patch(Rectangle((left - 0.5, t - 0.5), r - left, b - t, fill=False, edgecolor=ACCENT,
                                       linewidth=1.0))
            ax.set_title(f"{top.activations[col]:.1f}", fontsize=7, pad=2)
        axes[row, 0].set_ylabel(f"#{channel}", rotation=0, ha="right", va="center", fontsize=8)
    what = "class" if layer == "logits" else "channel"
    fig.suptitle(f"{layer}: the top {k} of {atlas.images_seen:,} images for each {what}")
    boxed = "; the red box is what the strongest position sees" if layer in atlas.boxes and np.any(
        atlas.boxes[layer][..., 2:] - atlas.boxes[layer][..., :2] < np.array(atlas.images.shape[1:3])) else ""
    return caption(fig, f"Each row is one {what}: its strongest images from the whole dataset, strongest first "
                        f"(the value above each){boxed}.")


def plot_class_variety(result: MaximizationResult, *, dpi: int = DEFAULT_DPI,
                       figsize: tuple[float, float] | None = None) -> Figure:
    """Several images per class (from ``cnnviz.maximize(classes, n=4)``): one row per class, with each image's softmax.

    >>> import cnnviz
    >>> fig = plot_class_variety(cnnviz.maximize([3, 6], n=2, steps=30))
    """
    classes = list(dict.fromkeys(result.targets))
    n = max(result.targets.count(c) for c in classes)
    fig = figure(figsize=figsize or (1.05 * n + 0.6, 1.15 * len(classes) + 0.9), dpi=dpi)
    grid = fig.add_gridspec(len(classes), n)
    for r, c in enumerate(classes):
        for j, k in enumerate(i for i, t in enumerate(result.targets) if t == c):
            ax = fig.add_subplot(grid[r, j])
            missed = result.reached is not None and not result.reached[k]
            _digit(ax, result.images[k], f"{c}: p={result.confidence[k]:.2f}" + (" MISSED" if missed else ""))
            if missed:
                ax.title.set_color("#c0392b")
    kind = ("data prior: natural digits the model calls the class" if result.prior == "data"
            else "pixels: what the model responds to at all")
    fig.suptitle(f"{n} different images per class ({kind})")
    return caption(fig, "Each row: images of one class that a diversity term kept apart (they must differ in which "
                        "strokes they use), each still classified as the class.")
