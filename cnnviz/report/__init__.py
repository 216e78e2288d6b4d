"""One document that explains a CNN the way the tutorial does: a multi-page PDF, one offline HTML file,
or every figure as separate files.

The package: ``options.py`` (:class:`ReportOptions`, the results), ``context.py`` (what the sections
are built from), ``registry.py`` (:data:`SECTIONS`), ``sections/`` (one file per section),
``pdf.py`` / ``html.py`` / ``files.py`` (one writer per format).

>>> import cnnviz
>>> result = cnnviz.report("report.pdf", classes=[6], steps=10, filter_steps=5, examples=1, max_layers=1,
...                        max_channels=8, sections=["architecture", "filters", "attribution"], progress=False)
>>> result.figures, result.failures
(['architecture', 'conv2_filters', 'conv2_patterns', 'attribution_gradcam', 'attribution_saliency'], [])
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..core.options import public
from ..plots import FORMATS, plot_architecture, plot_model_card
from . import sections as _sections  # noqa: F401  (registers every section)
from .context import DEFAULT_EXAMPLE_DIGITS, Context, build_context
from .files import parse_formats, write_files
from .html import write_html
from .options import (
    Export,
    Failure,
    Progress,
    Report,
    ReportOptions,
    Section,
    progress_fn,
    report_options,
)
from .pdf import write_pdf
from .registry import SECTIONS, Planned, build, register

#: The document writers by file suffix (``cnnviz export`` writes figure files instead).
WRITERS: dict[str, Callable[..., int]] = {".pdf": write_pdf, ".html": write_html, ".htm": write_html}

__all__ = [
    "DEFAULT_EXAMPLE_DIGITS",
    "FORMATS",
    "SECTIONS",
    "WRITERS",
    "Context",
    "Export",
    "Failure",
    "Planned",
    "Report",
    "ReportOptions",
    "Section",
    "export_figures",
    "plot_architecture",
    "plot_model_card",
    "register",
    "report",
    "report_figures",
    "write_html",
    "write_pdf",
]


def _options(classes: Iterable[int] | None, options: ReportOptions | None, settings: dict[str, Any]) -> ReportOptions:
    from .registry import chosen_sections

    if classes is not None:
        settings["classes"] = classes
    opts = ReportOptions.of(options, **settings)
    chosen_sections(opts.sections)  # an unknown section name fails here, before any work
    return opts


def described(input_range: Any, class_names: Any, convention: Any) -> dict[str, Any]:
    """What the caller said about the model for this report (``None``s dropped)."""
    said = {"input_range": input_range, "class_names": class_names, "convention": convention}
    return {k: v for k, v in said.items() if v is not None}


def report_figures(model: Any = None, images: Iterable[Any] | None = None, classes: Iterable[int] | None = None, *,
                   options: ReportOptions | None = None, progress: bool | Progress = True,
                   failures: list[Failure] | None = None, input_range: tuple[float, float] | None = None,
                   class_names: Sequence[str] | None = None, convention: str | None = None,
                   **settings: Any) -> Iterator[Section]:
    """Build the report's sections in order, one at a time, printing ``[k/n] title ... seconds`` per section.

    ``model``: a .keras path, a Keras model, or None for the shipped model (its training history and
    model card are read from beside the file). ``images``: image files (or arrays) shown after the
    example digits from the bundled sample; files that cannot be read are skipped and appended to
    ``failures`` (pass a list to get them). ``classes``: the class images to draw (default: the
    first ``min(10, classes)`` of the model). Every other setting is a field of
    :class:`ReportOptions`, given as ``options=`` or by name (``steps=30``).
    ``progress``: True (stderr), False, or a callable taking each line. ``input_range`` / ``class_names`` /
    ``convention``: what the model takes, for this report only (see :func:`cnnviz.describe`).

    >>> sections = report_figures(progress=False)
    >>> [next(sections).name, next(sections).name]  # each section is built when it is asked for
    ['architecture', 'model_card']
    """
    opts = _options(classes, options, settings)
    say = progress_fn(progress)
    ctx = build_context(model, images, opts, say, described(input_range, class_names, convention))
    try:
        yield from build(ctx, say)
    finally:
        if failures is not None:
            failures.extend(ctx.failures)


def report(output: str | os.PathLike, model: Any = None, images: Iterable[Any] | None = None,
           classes: Iterable[int] | None = None, *, options: ReportOptions | None = None,
           progress: bool | Progress = True, input_range: tuple[float, float] | None = None,
           class_names: Sequence[str] | None = None, convention: str | None = None, **settings: Any) -> Report:
    """Write the report to ``output``: a multi-page PDF (``.pdf``) or one self-contained HTML file (``.html``).

    The sections are those of :func:`report_figures` (same options). Image files that cannot be read
    are listed on the first page and in ``failures``; the rest of the report is still built. An
    output that cannot be written is refused before any work.

    >>> r = report("report.html", sections=["architecture", "model_card", "confusion_matrix"], progress=False)
    >>> r.path.name, r.figures
    ('report.html', ['architecture', 'model_card', 'confusion_matrix'])
    """
    from ..core.paths import check_writable

    start = time.perf_counter()
    path = Path(output)
    kind = path.suffix.lower()
    if kind not in WRITERS:
        raise ValueError(f"cannot write a report as {path.name!r}: name it report.pdf or report.html "
                         "(for separate figure files use cnnviz export).")
    check_writable(path)
    opts = _options(classes, options, settings)
    say = progress_fn(progress)
    ctx = build_context(model, images, opts, say, described(input_range, class_names, convention))
    sections = list(build(ctx, say))
    written = time.perf_counter()
    pages = WRITERS[kind](sections, path, ctx, dpi=opts.dpi)
    seconds = time.perf_counter() - start
    say(f"wrote {path} ({pages} {'pages' if kind == '.pdf' else 'figures'}) in {seconds:.1f} s "
        f"(writing {time.perf_counter() - written:.1f} s)")
    return Report(path=path, pages=pages, figures=[s.name for s in sections], failures=list(ctx.failures),
                  seconds=seconds, notes=list(ctx.notes))


def export_figures(directory: str | os.PathLike, formats: Sequence[str] | str = FORMATS, model: Any = None,
                   images: Iterable[Any] | None = None, classes: Iterable[int] | None = None, *,
                   options: ReportOptions | None = None, progress: bool | Progress = True,
                   input_range: tuple[float, float] | None = None, class_names: Sequence[str] | None = None,
                   convention: str | None = None, **settings: Any) -> Export:
    """Write every figure of the report as ``directory/<stable_name>.<format>`` (png, svg, pdf; atomic saves),
    plus ``figures.json`` listing each figure's title, caption and files.

    >>> e = export_figures("figures", ["png", "svg"], examples=1, sections=["architecture", "attribution"],
    ...                    progress=False)
    >>> sorted(p.name for p in e.files)[:3]
    ['architecture.png', 'architecture.svg', 'attribution_gradcam.png']
    """
    from ..core.paths import check_writable

    start = time.perf_counter()
    fmts = parse_formats(formats)
    out = check_writable(directory, directory=True)
    opts = _options(classes, options, settings)
    say = progress_fn(progress)
    ctx = build_context(model, images, opts, say, described(input_range, class_names, convention))
    files, index = write_files(build(ctx, say), out, fmts, ctx, say)
    seconds = time.perf_counter() - start
    say(f"wrote {len(files)} files ({len(index)} figures x {', '.join(fmts)}) to {out}/ in {seconds:.1f} s")
    return Export(directory=out, files=files, figures=[e["name"] for e in index], failures=list(ctx.failures),
                  seconds=seconds, notes=list(ctx.notes))


# unknown keyword options are one-line errors (cnnviz.core.options), as in every public call
report_figures = public(report_figures, extra=report_options)
