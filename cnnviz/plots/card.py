"""The model card: what a model is, what it expects, how it was trained, as a table."""

from __future__ import annotations

import textwrap
from typing import Any

from matplotlib.figure import Figure

from ..style import DEFAULT_DPI, caption, cnnviz_style, figure


def card_rows(card: dict | None, model: Any) -> list[tuple[str, str]]:
    """The model card as (field, value) rows, for a table figure or an HTML table.

    >>> card_rows(None, __import__("cnnviz").load_model())[0][0]
    'model'
    """
    from ..core.probe import keras_model_of

    given, model = model, keras_model_of(model)  # given: maybe a described probe, with the user's class names
    if not card:
        return [("model", model.name), ("parameters", f"{model.count_params():,}"),
                ("model card", "none found beside the model (cnnviz train writes one)"), *_classes_row(given)]
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
    return rows + _classes_row(given)


def _classes_row(model: Any) -> list[tuple[str, str]]:
    """("classes", "7: angry, disgust, ...") when the model's classes have names (said by the user or its card)."""
    from ..core.build import get_probe

    try:
        probe = get_probe(model)
    except Exception:  # noqa: BLE001  (a card of a model cnnviz cannot probe: no row)
        return []
    names = [str(n) for n in probe.class_names]
    if names == [str(k) for k in range(len(names))]:
        return []
    return [("classes", f"{len(names)}: {', '.join(names[:20])}" + (", ..." if len(names) > 20 else ""))]



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
    >>> fig = plot_model_card(cnnviz.training.results.load_card(), cnnviz.load_model())
    """
    rows = card_rows(card, model)
    lines = sum(textwrap.fill(v, 80).count("\n") + 1 for _, v in rows)
    fig = figure(figsize=figsize or (7.4, 0.6 + 0.2 * lines), dpi=dpi)
    draw_card(fig.add_subplot(), rows)
    fig.suptitle("Model card")
    return caption(fig, "How the model was trained and how well it does, as recorded by cnnviz train beside the model.")
