"""Class images optimized for a model: the images with their scores, several per class, and the fake-vs-constrained experiment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..style import ACTIVATION_CMAP, DEFAULT_DPI, caption, figure
from .draw import class_label, draw_digit, of_digits

if TYPE_CHECKING:
    from ..fake_vs_constrained import ClassImages
    from ..optvis.result import MaximizationResult


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
    titles, missed = [], []
    for k in range(n):
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
        missed.append(getattr(result, "reached", None) is not None and not result.reached[k])
        titles.append(title + ("\nNOT REACHED" if missed[-1] else ""))
    longest = max((len(class_label(result, t)) for t in result.targets), default=1)
    chars = max((len(line) for title in titles for line in title.split("\n")), default=1)
    wide = min(2.2, 1.0 + 0.13 * max(0, chars - 7))  # inches per image: as wide as its longest title line
    fig = figure(figsize=figsize or (max(7.0, wide * cols + 1), 1.2 * img_rows + 2.6 + (0.6 if longest > 2 else 0)),
                 dpi=dpi)
    grid = fig.add_gridspec(img_rows + 2, max(cols, 2), height_ratios=[1.0] * img_rows + [0.25, 1.9])
    for k in range(n):
        ax = fig.add_subplot(grid[k // cols, k % cols])
        draw_digit(ax, result.images[k], titles[k])
        if missed[k]:
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
    given = [class_label(result, c) for c in range(shown.shape[1])]
    ax.set_xticks(range(shown.shape[1]), given, fontsize=None if longest <= 2 else 7)
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
        kind = ("Pixels: what the model responds to at all (it may be no digit a person would draw). " if of_digits(result)
                else "Pixels: what the model responds to at all (it may look like nothing a person would call the class). ")
    fig.suptitle(f"Activation maximization: {result.objective} ({result.steps} steps, seed {result.seed})")
    told = f" {result.message}." if getattr(result, "reached", None) is not None else ""
    adjusted = getattr(result, "adjustments", None)
    told += f" Adjusted on its own: {'; '.join(adjusted)}." if adjusted else ""
    return caption(fig, f"{kind}Each image was optimized to raise its target's score ({settings}); the curves "
                        f"show the score per step, the grid the model's softmax for each final image.{told}")



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
            draw_digit(ax, result.images[k], f"{c}: p={result.confidence[k]:.2f}" + (" MISSED" if missed else ""))
            if missed:
                ax.title.set_color("#c0392b")
    kind = ("data prior: natural digits the model calls the class" if result.prior == "data"
            else "pixels: what the model responds to at all")
    fig.suptitle(f"{n} different images per class ({kind})")
    return caption(fig, "Each row: images of one class that a diversity term kept apart (they must differ in which "
                        "strokes they use), each still classified as the class.")



def plot_fake_vs_constrained(experiment: ClassImages, *, dpi: int = DEFAULT_DPI,
                             figsize: tuple[float, float] | None = None) -> Figure:
    """The tutorial's experiment in one figure: the class images without a constraint (fake digits)
    above the ones made with the L1 "fewer pixels" constraint.

    >>> import cnnviz
    >>> from cnnviz.fake_vs_constrained import fake_vs_constrained
    >>> fig = plot_fake_vs_constrained(fake_vs_constrained(steps=30))
    """
    digits = of_digits(experiment.plain)
    fake = "(\"fake digits\")" if digits else "(\"fake images\")"
    rows = [(f"no constraint\n{fake}", experiment.plain), ("L1 constraint\n(fewer pixels)", experiment.constrained)]
    data, examples = getattr(experiment, "data", None), getattr(experiment, "examples", None)
    if data is not None:
        rows.append(("data prior\n(natural digits)", data))
    n = len(experiment.plain)
    height = len(rows) + (examples is not None)
    longest = max((len(class_label(experiment.plain, t)) for t in experiment.plain.targets), default=1)
    wide = min(2.0, 1.05 + 0.09 * (longest - 1))  # inches per image: class names are longer than digits
    fig = figure(figsize=figsize or (wide * n + 1.4, 1.6 * height), dpi=dpi)
    grid = fig.add_gridspec(height, n + 1, width_ratios=[1.4] + [1] * n)
    for r, (label, result) in enumerate(rows):
        ax = fig.add_subplot(grid[r, 0])
        ax.axis("off")
        ax.text(0.5, 0.5, label, ha="center", va="center", fontsize=9)
        for k in range(n):
            ax = fig.add_subplot(grid[r, k + 1])
            missed = getattr(result, "reached", None) is not None and not result.reached[k]
            draw_digit(ax, result.images[k], f"{class_label(result, result.targets[k])}: p={result.confidence[k]:.2f}"
                   + ((" MISSED" if digits else "\nMISSED") if missed else ""))
            if missed:
                ax.title.set_color("#c0392b")
    if examples is not None:
        ax = fig.add_subplot(grid[len(rows), 0])
        ax.axis("off")
        ax.text(0.5, 0.5, "dataset example\n(highest logit)", ha="center", va="center", fontsize=9)
        for k in range(min(n, len(examples.classes))):
            draw_digit(fig.add_subplot(grid[len(rows), k + 1]), examples.images[k, 0], f"{examples.classes[k]}: real")
    fig.suptitle("What does the network see? The input each class likes most")
    if digits:
        text = ("Top: images optimized only to raise each digit's score (pixels: what the model responds to at all); "
                "the model is sure of them, yet they do not look like digits. Next: the same with a penalty on the "
                "number of lit pixels (L1) and on noise (total variation): the strokes start to look like the digits.")
    else:
        text = ("Top: images optimized only to raise each class's score (pixels: what the model responds to at all). "
                "Next: the same with a penalty on the number of strong pixels (L1) and on noise (total variation). "
                "Above each image: the model's softmax for its class (MISSED: not reached).")
    if data is not None:
        text += (" Data prior: digits drawn by a generative model of MNIST, steered to each class (what the model "
                 "responds to among natural digits).")
    if examples is not None:
        text += " Last row: the real sample digit with the highest score for the class."
    return caption(fig, text)
