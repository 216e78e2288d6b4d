"""The figure-files writer: every figure as ``directory/<stable_name>.<format>`` plus ``figures.json``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..plots import FORMATS
from .context import Context
from .options import Progress, Section


def parse_formats(formats: Sequence[str] | str) -> list[str]:
    """"png, SVG" or ["png", ".svg"] -> ["png", "svg"]; anything not in :data:`cnnviz.plots.FORMATS` is refused.

    >>> parse_formats("png, SVG")
    ['png', 'svg']
    """
    fmts = [f.strip().lower().lstrip(".") for f in (formats.split(",") if isinstance(formats, str) else formats)]
    fmts = [f for f in fmts if f]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise ValueError(f"unknown figure format(s) {', '.join(bad) or '(none given)'}; use any of {', '.join(FORMATS)}.")
    return fmts


def write_files(sections: Iterable[Section], directory: Path, fmts: Sequence[str], ctx: Context,
                progress: Progress) -> tuple[list[Path], list[dict[str, Any]]]:
    """Save each section's figure in every format (atomic saves) and write ``figures.json``; returns (files, index)."""
    from ..io.files import write_json
    from ..plots import save_figure

    files: list[Path] = []
    index: list[dict[str, Any]] = []
    for section in sections:
        written = [save_figure(section.figure, directory / f"{section.name}.{fmt}", dpi=ctx.dpi) for fmt in fmts]
        files += written
        index.append({"name": section.name, "title": section.title, "caption": section.caption,
                      "text": section.text, "files": [p.name for p in written]})
    index_data: dict[str, Any] = {"model": ctx.model_label, "figures": index, "notes": list(ctx.notes),
                                  "failures": [{"what": f.what, "error": f.error, "kind": f.kind}
                                               for f in ctx.failures]}
    write_json(json.loads(json.dumps(index_data)), directory / "figures.json")
    return files, index
