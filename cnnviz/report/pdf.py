"""The PDF writer: a title page (the introduction, the model card, the contents, what could not be used),
then one figure per page under its number, title and explanation. Vector text; atomic write."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Sequence

from matplotlib.figure import Figure

from ..io.files import atomic_path
from ..plots import card_rows, draw_card
from ..style import DEFAULT_DPI, cnnviz_style
from .common import intro, page_style
from .context import Context
from .options import Section


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


def _contents(sections: Sequence[Section], ctx: Context) -> list[tuple[int, Section]]:
    """(page number, section) of every page after the title page (the model card is on the title page)."""
    out, page = [], 2
    for section in sections:
        if section.name == "model_card":
            out.append((1, section))
            continue
        out.append((page, section))
        page += 1
    return out


def _title_page(ctx: Context, sections: Sequence[Section], *, dpi: int) -> Figure:
    """A4 portrait: title, the tutorial's explanation, the model card, the contents, and what could not be used."""
    fig = Figure(figsize=(8.27, 11.69), dpi=dpi)
    line = 0.0155  # one 9 pt line, in figure height
    with cnnviz_style():
        fig.text(0.08, 0.955, "What has this CNN learned?", fontsize=20, weight="bold", va="top")
        fig.text(0.08, 0.92, f"A cnnviz report on {ctx.model_label}, {time.strftime('%Y-%m-%d')}",
                 fontsize=10, color="0.3", va="top")
        y = 0.88
        for heading, body in intro(ctx.probe):
            fig.text(0.08, y, heading, fontsize=11.5, weight="bold", va="top")
            wrapped = textwrap.fill(body, 105)
            fig.text(0.08, y - 0.022, wrapped, fontsize=9, va="top", linespacing=1.45)
            y -= 0.03 + line * (wrapped.count("\n") + 1) + 0.015
        fig.text(0.08, y, "Model card", fontsize=11.5, weight="bold", va="top")
        rows = card_rows(ctx.card, ctx.model)
        lines = sum(textwrap.fill(v, 80).count("\n") + 1 for _, v in rows)
        height = line * 1.05 * lines
        draw_card(fig.add_axes((0.08, y - 0.025 - height, 0.84, height)), rows, width_chars=80, fontsize=8.5)
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
            y -= 0.03 + 0.0145 * (listed.count("\n") + 1) + 0.02
        if ctx.notes:
            fig.text(0.08, y, "Left out on purpose", fontsize=11.5, weight="bold", va="top")
            listed = "\n".join(textwrap.fill(f"- {n}", 110, subsequent_indent="  ") for n in ctx.notes[:8])
            fig.text(0.08, y - 0.022, listed, fontsize=8, va="top", color="0.25", linespacing=1.4)
        fig.text(0.5, 0.03, "Made with cnnviz. Every figure of this report is also available on its own: cnnviz export.",
                 fontsize=7.5, color="0.4", ha="center")
    return fig


def write_pdf(sections: Sequence[Section], path: str | os.PathLike, ctx: Context, *, dpi: int = DEFAULT_DPI) -> int:
    """Write a multi-page PDF (vector, images embedded as they are): the title page, then one section per page.
    Atomic: an interrupted write leaves no half file. Returns the number of pages."""
    from matplotlib.backends.backend_pdf import PdfPages

    pages = 0
    with atomic_path(path, suffix=".pdf") as tmp, page_style():
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
