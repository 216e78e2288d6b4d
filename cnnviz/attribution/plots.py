"""Figures for the trust checks: the deletion / insertion curves and the sanity-check figure.

>>> import cnnviz
>>> from cnnviz.attribution.metrics import faithfulness
>>> fig = plot_faithfulness(faithfulness(cnnviz.load_sample().x_test[:2], methods=["saliency"]))
>>> len(fig.axes)
2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from ..style import ACCENT, ATTRIBUTION_CMAP, DEFAULT_DPI, DIGIT_CMAP, caption, figure, hide_ticks
from .sanity import CAUTION

if TYPE_CHECKING:
    from .metrics import Faithfulness
    from .sanity import SanityCheck

VERDICT_COLORS = {"fails": ACCENT, "partly": "#b8860b", "passes": "#2a7d2a"}


def _display(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image, np.float32)
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img[..., 0] if img.shape[-1] == 1 else img


def plot_faithfulness(result: Faithfulness, *, dpi: int = DEFAULT_DPI,
                      figsize: tuple[float, float] | None = None) -> Figure:
    """Mean deletion (or insertion) curve per method against random order, and the areas under them."""
    fig = figure(figsize=figsize or (7.4, 2.9), dpi=dpi)
    left, right = fig.subplots(1, 2, width_ratios=[1.4, 1])
    x = result.fractions * 100
    names = [n for n in result.curves if n != "random"] + ["random"]
    colors = {n: f"C{i}" for i, n in enumerate(names[:-1])}
    colors["random"] = "0.45"
    for name in names:
        mean = result.curves[name].mean(axis=0)
        style = "--" if name == "random" else "-"
        left.plot(x, mean, style, color=colors[name], lw=1.6, label=result.titles.get(name, name))
    left.set_xlabel(f"pixels {'removed' if result.metric == 'deletion' else 'put back'} (%), most relevant first")
    left.set_ylabel("softmax of the predicted class")
    left.set_ylim(-0.02, 1.02)
    left.grid(alpha=0.3)
    left.legend(loc="upper right" if result.metric == "deletion" else "lower right", fontsize=7)
    auc = result.auc
    y = np.arange(len(names))
    right.barh(y, [auc[n].mean() for n in names], xerr=[auc[n].std() for n in names],
               color=[colors[n] for n in names], alpha=0.85, error_kw={"lw": 0.8, "ecolor": "0.3"})
    right.set_yticks(y, [result.titles.get(n, n) for n in names])
    right.invert_yaxis()
    right.set_xlim(0, 1)
    better = "lower" if result.metric == "deletion" else "higher"
    right.set_xlabel(f"area under the curve ({better} is better)")
    for yi, n in zip(y, names):
        right.text(0.99, yi, f"{auc[n].mean():.2f}", va="center", ha="right", fontsize=7)
    n_images = len(result.targets)
    fig.suptitle(f"{result.metric.capitalize()} on {n_images} image{'s' if n_images != 1 else ''}")
    if result.metric == "deletion":
        text = ("Pixels are set to the background in the order each map ranks them. A map that finds what the "
                "model uses makes the score fall fast (small area); random order is the bar to beat.")
    else:
        text = ("Starting from a blank image, pixels are put back in the order each map ranks them. A map that "
                "finds what the model uses makes the score rise fast (large area); random order is the bar to beat.")
    return caption(fig, text)


def _wrap_name(name: str, width: int = 15) -> str:
    """A layer name on lines of about ``width`` characters, broken after underscores ("batch_\nnormalization_8")."""
    lines = [""]
    for part in name.split("_"):
        piece = part if not lines[-1] else f"_{part}"
        if lines[-1] and len(lines[-1]) + len(piece) > width:
            lines[-1] += "_"
            lines.append(part)
        else:
            lines[-1] += piece
    return "\n".join(lines)


def plot_sanity_check(check: SanityCheck, *, index: int = 0, dpi: int = DEFAULT_DPI,
                      figsize: tuple[float, float] | None = None) -> Figure:
    """Adebayo et al.'s figure: one row per method, its map for image ``index`` as the layers are re-initialized
    from the top down (left to right), then the correlation curves (mean and spread over the images)."""
    m, s = len(check.methods), len(check.steps)
    fig = figure(figsize=figsize or (1.15 * (s + 1) + 0.9, 1.2 * m + 2.9), dpi=dpi)
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.2 * m + 0.3, 2.5])
    axes = np.atleast_2d(top.subplots(m, s + 1))
    image = _display(check.inputs[index])
    for row, name in enumerate(check.methods):
        ax = axes[row, 0]
        ax.imshow(image, cmap=DIGIT_CMAP if image.ndim == 2 else None, interpolation="nearest")
        hide_ticks(ax)
        verdict = check.verdicts.get(name, "")
        ax.set_ylabel(f"{check.titles[name]}\n{verdict}", fontsize=7.5, color=VERDICT_COLORS.get(verdict, "0.1"))
        for col in range(s):
            ax = axes[row, col + 1]
            ax.imshow(check.maps[name][col, index], cmap=ATTRIBUTION_CMAP, vmin=0, vmax=1, interpolation="nearest")
            hide_ticks(ax)
            if col:
                ax.set_xlabel(f"r={check.cascading[name][col, index]:.2f}", fontsize=7, labelpad=1)
    axes[0, 0].set_title("input", fontsize=8)
    axes[0, 1].set_title("trained", fontsize=8)
    grouped = len(check.steps) - 1 < len(check.layers)  # several layers per step: each named by its deepest
    for col, layer in enumerate(check.steps[1:]):
        name = _wrap_name(layer)
        title = f"down to\n{name}" if grouped else f"+ {name}" if col else f"{name}\nrandom"
        axes[0, col + 2].set_title(title, fontsize=8)
    top.suptitle("Maps as the layers are re-initialized, top layer first (cascading randomization)", fontsize=9)
    panels = bottom.subplots(1, 2 if check.independent else 1, squeeze=False)[0]
    for ax, data, labels, title in ((panels[0], check.cascading, check.steps, "cascading"),
                                    *(((panels[1], check.independent, check.layers, "one layer at a time"),)
                                      if check.independent else ())):
        xs = np.arange(len(labels))
        for i, name in enumerate(check.methods):
            mean, std = data[name].mean(axis=1), data[name].std(axis=1)
            ax.plot(xs, mean, "o-", ms=3, color=f"C{i}", label=check.titles[name])
            ax.fill_between(xs, mean - std, mean + std, color=f"C{i}", alpha=0.15, lw=0)
        ax.axhline(check.threshold, color=ACCENT, lw=0.8, ls=":")
        ax.axhline(CAUTION, color=VERDICT_COLORS["partly"], lw=0.8, ls=":")
        ax.set_xticks(xs, labels, rotation=30, fontsize=7)
        ax.set_ylim(min(-0.3, min(float(v.mean(axis=1).min()) for v in data.values()) - 0.1), 1.05)
        ax.set_ylabel("Spearman r with trained |map|", fontsize=7.5)
        ax.set_title(title, fontsize=8)
        ax.grid(alpha=0.3)
    panels[-1].legend(fontsize=6.5, loc="lower left")
    return caption(fig, f"If a method's maps stay the same when what the network learned is destroyed (correlation "
                        f"at or above {check.threshold:.1f}, red dotted line), they show the input, not the model; "
                        f"between {CAUTION:.1f} (gold line) and {check.threshold:.1f} they do so only partly. Mean "
                        f"and spread over {len(check.inputs)} image{'s' if len(check.inputs) != 1 else ''}.")
