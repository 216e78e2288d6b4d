"""Figures about the model itself: its architecture (a layer table under a diagram of the shapes) and its
model card. Used by the report, the dashboard and anyone with a Keras model.

>>> import cnnviz
>>> plot_architecture(cnnviz.load_model()).cnnviz_caption.startswith("The layers")
True
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .style import DEFAULT_DPI, caption, cnnviz_style, figure


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


def plot_architecture(model: Any, *, dpi: int = DEFAULT_DPI, figsize: tuple[float, float] | None = None,
                      max_rows: int = 40, max_boxes: int = 12) -> Figure:
    """The layer table (name, type, what it does, output shape, parameters) under a diagram of the shapes.

    Big models stay readable: the table shows the first and last ``max_rows / 2`` layers with one row
    counting the rest by type, and the diagram at most ``max_boxes`` shapes (where the shape changes,
    chosen across depth).

    >>> import cnnviz
    >>> fig = plot_architecture(cnnviz.load_model())
    >>> fig.cnnviz_caption.startswith("The layers")
    True
    """
    from .probe import keras_model_of

    model = keras_model_of(model)
    from collections import Counter

    from matplotlib.patches import FancyArrowPatch, Rectangle

    from .model import _layers, layer_table

    all_rows = layer_table(model)
    all_layers = list(_layers(model))
    in_shape = tuple(model.inputs[0].shape[1:])
    all_shapes = [in_shape] + [row["output_shape"] for row in all_rows]
    total = sum(row["parameters"] for row in all_rows)
    if len(all_rows) > max_rows:
        half = max_rows // 2
        kept = [*range(half), *range(len(all_rows) - half, len(all_rows))]
        skipped = Counter(all_rows[i]["type"] for i in range(half, len(all_rows) - half))
        left_out = (f"... {sum(skipped.values())} more layers: "
                    + ", ".join(f"{count} {kind}" for kind, count in skipped.most_common(3))
                    + (", ..." if len(skipped) > 3 else ""))
    else:
        kept, left_out = list(range(len(all_rows))), ""
    rows = [all_rows[i] for i in kept]
    table_lines = len(rows) + 2 + (1 if left_out else 0)
    fig = figure(figsize=figsize or (7.4, 1.9 + 0.3 * table_lines), dpi=dpi)
    grid = fig.add_gridspec(2, 1, height_ratios=[1.6, 0.3 * table_lines])

    boxes = _diagram_indices(all_shapes, max_boxes)
    shapes = [all_shapes[i] for i in boxes]
    names = [("input" if i == 0 else all_rows[i - 1]["name"]) for i in boxes]
    n = len(all_shapes)

    # the shapes, left to right: boxes sized by height x width, stacked by channels
    ax = fig.add_subplot(grid[0])
    ax.axis("off")
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
        short = name if len(name) <= 12 or len(boxes) <= 6 else name[:11] + "."
        ax.text(x + width / 2, -0.2, f"{short}\n{label}", ha="center", va="top", fontsize=7.5 if len(boxes) <= 8 else 6.5)
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
    cells = [["input", "Input", f"a {in_shape[0]}x{in_shape[1]} image, {in_shape[2]} channel(s)",
              "x".join(map(str, in_shape)), "0"]]
    for k, i in enumerate(kept):
        if left_out and k == len(kept) // 2:
            cells.append(["", "", left_out, "", ""])
        row = all_rows[i]
        cells.append([row["name"], row["type"], _describe(all_layers[i], all_shapes[i], row["output_shape"]),
                      "x".join(map(str, row["output_shape"])), f"{row['parameters']:,}"])
    cells.append(["", "", "total", "", f"{total:,}"])
    with cnnviz_style():
        table = ax.table(cellText=cells, colLabels=["layer", "type", "what it does", "output", "parameters"],
                         colLoc="left", cellLoc="left", loc="upper center",
                         colWidths=[0.11, 0.14, 0.52, 0.11, 0.12] if max(len(r["name"]) for r in rows) <= 12
                         else [0.21, 0.17, 0.39, 0.11, 0.12])
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


def _diagram_indices(shapes: list[tuple], limit: int) -> list[int]:
    """Which shapes the diagram draws: all when few; else the input, every change of shape and the output,
    thinned evenly across depth to ``limit``.

    >>> _diagram_indices([(8, 8, 1), (8, 8, 4), (8, 8, 4), (4, 4, 4), (16,)], 3)
    [0, 3, 4]
    """
    if len(shapes) <= limit:
        return list(range(len(shapes)))
    changes = [0] + [i for i in range(1, len(shapes)) if shapes[i] != shapes[i - 1]]
    if changes[-1] != len(shapes) - 1:
        changes.append(len(shapes) - 1)
    if len(changes) <= limit:
        return changes
    return [changes[round(k * (len(changes) - 1) / (limit - 1))] for k in range(limit)]


def card_rows(card: dict | None, model: Any) -> list[tuple[str, str]]:
    """The model card as (field, value) rows, for a table figure or an HTML table.

    >>> card_rows(None, __import__("cnnviz").load_model())[0][0]
    'model'
    """
    from .probe import keras_model_of

    model = keras_model_of(model)
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


def draw_card(ax, rows: list[tuple[str, str]], *, width_chars: int = 80, fontsize: float = 8.0) -> None:
    """Draw (field, value) rows as a two-column table on ``ax`` (long values wrapped)."""
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
    >>> from cnnviz.train import load_card
    >>> fig = plot_model_card(load_card(), cnnviz.load_model())
    """
    rows = card_rows(card, model)
    lines = sum(textwrap.fill(v, 80).count("\n") + 1 for _, v in rows)
    fig = figure(figsize=figsize or (7.4, 0.6 + 0.2 * lines), dpi=dpi)
    draw_card(fig.add_subplot(), rows)
    fig.suptitle("Model card")
    return caption(fig, "How the model was trained and how well it does, as recorded by cnnviz train beside the model.")


__all__ = ["plot_architecture", "plot_model_card"]
