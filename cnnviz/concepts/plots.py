"""Figures of concepts: one row per concept, a concept map of one image, and the completeness curve.

>>> import cnnviz
>>> c = cnnviz.concepts("conv2", n=3, visualize=False, evidence=False)  # doctest: +SKIP
>>> fig = plot_concepts(c)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..plots.draw import draw_digit
from ..style import ACCENT, ACTIVATION_CMAP, DEFAULT_DPI, caption, cnnviz_style, figure, hide_ticks
from .evidence import FIDELITY_GOAL, STABILITY_GOAL
from .refit import Completeness


def evidence_line(result: Any) -> str:
    """One line: R^2 beside PCA's, fidelity and stability, each with its goal, and a doubt where one is missed."""
    parts = [f"R² {result.r2:.2f} on {result.holdout_seen:,} held-out images (PCA at n={result.n}: "
             f"{result.pca_r2:.2f}; {result.r2_share:.0%} of it)"]
    ev = result.evidence
    doubts = []
    if "fidelity" in ev:
        f = ev["fidelity"]
        parts.append(f"removing each class's top concept lowers its logit by {f['top_drop']:.2f}, a random one by "
                     f"{f['random_drop']:.2f} ({f['ratio']:.1f}x)")
        if not f["ratio"] >= FIDELITY_GOAL:
            doubts.append(f"fidelity below {FIDELITY_GOAL:g}x: the importance ranking is doubtful")
    if "stability" in ev:
        s = ev["stability"]["mean_cosine"]
        parts.append(f"stability {s:.2f} (two halves of the data)")
        if not s >= STABILITY_GOAL:
            doubts.append(f"stability below {STABILITY_GOAL:g}: another fit may find other concepts")
    if "restarts" in ev:
        r = ev["restarts"]
        parts.append(f"{r['agree']} of {len(r['cosines'])} random restarts of the fit found the same concepts"
                     + ("" if r["agree"] == len(r["cosines"]) else " (the others: other solutions of the NMF, "
                        "the one of lowest error is shown)"))
    if result.r2_share < 0.9:
        doubts.append("the dictionary explains less than 0.9 of what PCA explains at the same n")
    line = "; ".join(parts)
    if doubts:
        line += ". DOUBTFUL: " + "; ".join(doubts)
    return line


def plot_concepts(result: Any, *, k: int | None = None, dpi: int = DEFAULT_DPI,
                  figsize: tuple[float, float] | None = None) -> Figure:
    """One row per concept: its top held-out patches, its feature visualization, its importance for each class.

    >>> import cnnviz
    >>> fig = plot_concepts(cnnviz.concepts("conv2", n=2, visualize=False, evidence=False), k=3)  # doctest: +SKIP
    """
    n = result.n
    k = min(k or result.patches.shape[1], result.patches.shape[1])
    vis = result.images is not None
    cols = k + int(vis) + 4
    fig = figure(figsize=figsize or (0.62 * cols + 0.6, 0.7 * n + 1.3), dpi=dpi)
    with cnnviz_style():
        grid = fig.add_gridspec(n, cols)
        finite = np.nan_to_num(result.importance)
        lo, hi = min(0.0, float(finite.min())), max(0.0, float(finite.max())) or 1.0
        classes = np.arange(result.importance.shape[0])
        top = result.top_concepts()
        for c in range(n):
            for j in range(k):
                ax = fig.add_subplot(grid[c, j])
                if result.patch_indices[c, j] >= 0:
                    draw_digit(ax, result.patches[c, j])
                else:
                    hide_ticks(ax)
                    ax.axis("off")
                if j == 0:
                    ax.set_ylabel(f"concept {c}", rotation=0, ha="right", va="center")
            if vis:
                ax = fig.add_subplot(grid[c, k])
                draw_digit(ax, result.images[c])
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_edgecolor(ACCENT)
                if c == 0:
                    ax.set_title("visualized", fontsize=8)
            ax = fig.add_subplot(grid[c, k + int(vis):])
            colours = [ACCENT if top[i] == c else "0.55" for i in classes]
            ax.bar(classes, finite[:, c], color=colours)
            ax.axhline(0, color="0.3", linewidth=0.6)
            ax.set_ylim(lo * 1.1, hi * 1.1)
            ax.set_xticks(classes, [str(x) for x in result.class_names] if c == n - 1 else [], fontsize=7)
            ax.tick_params(axis="y", labelsize=6)
            if c == 0:
                ax.set_title("importance (red: class top)", fontsize=8)
        fig.suptitle(f"{n} concepts of {result.layer} ({result.method.upper()}, seed {result.seed}, "
                     f"{result.images_seen:,} images)")
    text = ("Each row is one concept: a non-negative direction in the layer's channels. Left: the held-out image "
            "patches (receptive fields) where it is strongest; "
            + ("framed: its feature visualization; " if vis else "")
            + "bars: its importance for each class (gradient of the class logit w.r.t. the concept's coefficients "
            "times the coefficients, mean over held-out images of the class). " + evidence_line(result) + ".")
    return caption(fig, text)


def plot_concept_map(cmap: Any, *, dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None,
                     top: int | None = None) -> Figure:
    """The image, each concept's place in it (coefficients upsampled), and its contribution to the class.

    >>> import cnnviz
    >>> c = cnnviz.concepts("conv2", n=3, visualize=False, evidence=False)  # doctest: +SKIP
    >>> fig = plot_concept_map(cnnviz.concept_map(cnnviz.load_sample().x_test[0], c))  # doctest: +SKIP
    """
    order = np.argsort(-cmap.contributions)[: top or len(cmap.contributions)]
    n = len(order)
    cols = n + 1
    fig = figure(figsize=figsize or (1.25 * cols + 0.4, 3.4), dpi=dpi)
    vmax = float(cmap.maps.max()) or 1.0
    with cnnviz_style():
        grid = fig.add_gridspec(2, cols, height_ratios=[1.0, 0.8])
        ax = fig.add_subplot(grid[0, 0])
        draw_digit(ax, cmap.image, f"class {cmap.class_name}\np={cmap.probabilities[cmap.target]:.2f}")
        for j, c in enumerate(order):
            ax = fig.add_subplot(grid[0, j + 1])
            grey = cmap.image[..., 0] if cmap.image.shape[-1] == 1 else cmap.image.mean(axis=-1)
            ax.imshow(grey, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.imshow(cmap.maps[c], cmap=ACTIVATION_CMAP, vmin=0, vmax=vmax, alpha=0.6, interpolation="bilinear")
            hide_ticks(ax)
            ax.set_title(f"concept {c}\n{cmap.contributions[c]:+.2f}", fontsize=8)
        ax = fig.add_subplot(grid[1, :])
        values = np.append(cmap.contributions[order], cmap.residual)
        labels = [f"c{c}" for c in order] + ["rest"]
        ax.bar(range(len(values)), values, color=[ACCENT if v > 0 else "#1f77b4" for v in values[:-1]] + ["0.6"])
        ax.axhline(0, color="0.3", linewidth=0.6)
        ax.set_xticks(range(len(values)), labels)
        ax.set_ylabel("logit share")
        fig.suptitle(f"Concepts of {cmap.layer} in this image: why {cmap.class_name}")
    total = float(cmap.contributions.sum() + cmap.residual)
    return caption(fig, f"Colour: where each concept sits (its coefficient at each position, upsampled; one scale "
                        f"for all). Number and bars: its contribution to the {cmap.class_name} logit "
                        f"({cmap.logit:.2f}), gradient x coefficient; 'rest' is the part of the layer the concepts do "
                        f"not explain. Together {total:.2f}: a first-order account (the network is not linear, and "
                        f"the layers before and the biases carry the rest).")


def plot_concept_completeness(result: Completeness, *, dpi: int = DEFAULT_DPI,
                              figsize: tuple[float, float] | None = None) -> Figure:
    """R^2 of n concepts beside PCA's at the same n (the rank-n limit), to choose n.

    >>> fig = plot_concept_completeness(Completeness("conv2", [4, 8], [0.3, 0.45], [0.32, 0.48]))
    """
    fig = figure(figsize=figsize or (4.2, 3.0), dpi=dpi)
    with cnnviz_style():
        ax = fig.add_subplot()
        ax.plot(result.ns, result.pca_r2, "o--", color="0.5", label="PCA (rank-n limit)")
        ax.plot(result.ns, result.r2, "o-", color=ACCENT, label="concepts (NMF)")
        for n, r in zip(result.ns, result.r2):
            ax.annotate(f"{r:.2f}", (n, r), textcoords="offset points", xytext=(0, -12), ha="center", fontsize=7)
        ax.set_xscale("log", base=2)
        ax.set_xticks(result.ns, [str(n) for n in result.ns])
        ax.set_ylim(0, 1)
        ax.set_xlabel("concepts n")
        ax.set_ylabel("held-out R²")
        ax.legend(loc="lower right")
        ax.set_title(f"How much of {result.layer} n concepts explain")
    return caption(fig, "R² of the reconstruction on held-out images (1 - SSE / SST). PCA is the best any rank-n "
                        "linear factorization can do; non-negative concepts trade a little of it for parts that add "
                        "up. Choose n where the curve flattens.")


