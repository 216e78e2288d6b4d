"""The HTML writer: one self-contained file (inline CSS, every figure an embedded image, no external
reference: it opens offline). Atomic write."""

from __future__ import annotations

import base64
import html
import os
import time
from collections.abc import Sequence

from matplotlib.figure import Figure

from ..io.files import atomic_path
from ..plots import card_rows
from ..style import DEFAULT_DPI
from .common import intro, page_style
from .context import Context
from .options import Section

CSS = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#222;background:#fafafa;margin:0;line-height:1.5}
main{max-width:62rem;margin:0 auto;padding:1.5rem 2rem 4rem;background:#fff}
h1{font-size:1.9rem;margin:.5rem 0 .2rem}h2{font-size:1.25rem;margin:2.2rem 0 .4rem;border-bottom:1px solid #ddd}
h3{font-size:1.05rem;margin:1.2rem 0 .2rem}.sub{color:#555;margin-top:0}
table.card{border-collapse:collapse;font-size:.9rem;width:100%}
table.card th{background:#eef2f7;text-align:left;padding:.25rem .6rem;width:9rem;vertical-align:top}
table.card td{padding:.25rem .6rem;border-bottom:1px solid #eee;word-break:break-word}
.failures{border:1px solid #e0a0a0;background:#fff3f3;color:#8b1a1a;padding:.6rem 1rem;margin:1rem 0}
.notes{border:1px solid #ccd;background:#f6f7fb;color:#333;padding:.6rem 1rem;margin:1rem 0}
figure{margin:1rem 0;text-align:center}figure img{max-width:100%;height:auto}
nav ol{columns:2;font-size:.95rem}a{color:#1f4e79}
footer{margin-top:3rem;color:#777;font-size:.85rem}
"""


#: The most pixels one HTML figure is rendered with (its dpi is lowered for bigger figures).
MAX_IMAGE_PIXELS = 6_000_000
#: Figures whose plain PNG is larger than this are also tried as a 256-colour PNG and a JPEG; the smallest wins.
COMPRESS_ABOVE = 150_000


def encode_figure(fig: Figure, dpi: int) -> tuple[str, bytes, int]:
    """(mime type, image bytes, width in CSS pixels) of a figure for the HTML file: at most
    :data:`MAX_IMAGE_PIXELS`; a plain PNG when small, else the smallest of a 256-colour PNG and a JPEG
    (a JPEG only when it is much smaller: plots have sharp lines that JPEG blurs).

    >>> import matplotlib.figure
    >>> mime, data, width = encode_figure(matplotlib.figure.Figure(figsize=(2, 1)), 100)
    >>> mime, data[:4], width
    ('image/png', b'\x89PNG', 192)
    """
    import io

    from PIL import Image

    w, h = fig.get_size_inches()
    used = max(30, min(dpi, int((MAX_IMAGE_PIXELS / max(w * h, 1e-6)) ** 0.5)))
    buffer = io.BytesIO()
    with page_style():
        fig.savefig(buffer, format="png", dpi=used)
    data = buffer.getvalue()
    width_px = int.from_bytes(data[16:20], "big")
    css_width = round(width_px * 96 / used)
    if len(data) <= COMPRESS_ABOVE:
        return "image/png", data, css_width
    with Image.open(io.BytesIO(data)) as img:
        rgb = img.convert("RGB")
    palette = io.BytesIO()
    rgb.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(palette, format="PNG", optimize=True)
    jpeg = io.BytesIO()
    rgb.save(jpeg, format="JPEG", quality=88, optimize=True)
    candidates = [("image/png", data), ("image/png", palette.getvalue())]
    if jpeg.tell() < 0.6 * min(len(data), palette.tell()):
        candidates.append(("image/jpeg", jpeg.getvalue()))
    mime, best = min(candidates, key=lambda item: len(item[1]))
    return mime, best, css_width


def write_html(sections: Sequence[Section], path: str | os.PathLike, ctx: Context, *, dpi: int = DEFAULT_DPI) -> int:
    """Write one self-contained HTML file: inline CSS, every figure a base64 PNG (or JPEG when much smaller), no external reference
    (no scripts, fonts, styles or images from elsewhere); it opens offline. Atomic. Returns the number of figures."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>What has this CNN learned? (cnnviz report)</title>", f"<style>{CSS}</style>", "</head>", "<body><main>",
        "<h1>What has this CNN learned?</h1>",
        f'<p class="sub">A cnnviz report on {esc(ctx.model_label)}, {time.strftime("%Y-%m-%d")}</p>',
    ]
    for heading, body in intro(ctx.probe):
        parts += [f"<h3>{esc(heading)}</h3>", f"<p>{esc(body)}</p>"]
    if ctx.failures:
        parts.append(f'<div class="failures"><strong>Could not be used ({len(ctx.failures)}):</strong><ul>')
        parts += [f"<li><code>{esc(f.what)}</code>: {esc(f.error)}</li>" for f in ctx.failures]
        parts.append("</ul></div>")
    if ctx.notes:
        parts.append('<div class="notes"><strong>Left out on purpose:</strong><ul>')
        parts += [f"<li>{esc(note)}</li>" for note in ctx.notes]
        parts.append("</ul></div>")
    parts.append('<h2 id="model-card">Model card</h2><table class="card">')
    parts += [f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in card_rows(ctx.card, ctx.model)]
    parts.append("</table>")
    shown = [s for s in sections if s.name != "model_card"]
    parts.append("<nav><h2>Contents</h2><ol>")
    parts += [f'<li><a href="#{esc(s.name)}">{esc(s.title)}</a></li>' for s in shown]
    parts.append("</ol></nav>")
    for number, section in enumerate(shown, 1):
        mime, data, width = encode_figure(section.figure, dpi)
        encoded = base64.b64encode(data).decode("ascii")
        parts += [
            f'<section id="{esc(section.name)}">', f"<h2>{number}. {esc(section.title)}</h2>",
            f"<p>{esc(section.text)}</p>" if section.text else "",
            f'<figure><img src="data:{mime};base64,{encoded}" width="{width}" '
            f'alt="{esc(section.caption)}"></figure>', "</section>",
        ]
    parts += ["<footer>Made with cnnviz. Every figure of this report is also available on its own: "
              "<code>cnnviz export</code>.</footer>", "</main></body></html>"]
    with atomic_path(path, suffix=".html") as tmp:
        tmp.write_text("\n".join(p for p in parts if p), encoding="utf-8")
    return len(shown)
