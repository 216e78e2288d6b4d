"""``cnnviz report`` and ``export``: the whole explanation as one document or as figure files."""

from __future__ import annotations

import argparse
import sys

from .args import model_facts, parse_classes


def _report_options(args: argparse.Namespace):
    """The CLI's report flags as one :class:`~cnnviz.report.ReportOptions` (its checks give the error lines)."""
    from ..report import ReportOptions

    steps = {k: v for k, v in (("steps", args.steps), ("filter_steps", args.filter_steps)) if v is not None}
    return ReportOptions(classes=None if args.classes is None else parse_classes(args.classes),
                         examples=args.examples, data="sample" if args.sample else args.data,
                         dpi=args.dpi, sections=args.sections,
                         max_layers=None if args.all_layers else args.max_layers, **steps)


def _failure_summary(failures) -> str:
    """"; 1 input could not be used, 1 figure failed (listed in the report)" or ""."""
    inputs = sum(1 for f in failures if getattr(f, "kind", "input") == "input")
    figures = len(failures) - inputs
    parts = ([f"{inputs} input{'s' if inputs != 1 else ''} could not be used"] if inputs else []) + \
        ([f"{figures} figure{'s' if figures != 1 else ''} could not be built"] if figures else [])
    return f"; {', '.join(parts)} (listed in the report)" if parts else ""


def _print_failures(failures) -> int:
    for failure in failures:
        what = "could not use" if getattr(failure, "kind", "input") == "input" else "could not build"
        print(f"  {what} {failure}", file=sys.stderr)
    return 1 if failures else 0


def cmd_report(args: argparse.Namespace) -> int:
    from ..report import report

    result = report(args.output, args.model, args.images, options=_report_options(args), progress=not args.quiet,
                    **model_facts(args))
    print(f"saved {result.path}: {result.pages} {'pages' if result.path.suffix == '.pdf' else 'figures'} "
          f"in {result.seconds:.1f} s" + _failure_summary(result.failures))
    return _print_failures(result.failures)


def cmd_export(args: argparse.Namespace) -> int:
    from ..report import export_figures

    result = export_figures(args.output, args.formats, args.model, args.images, options=_report_options(args),
                            progress=not args.quiet, **model_facts(args))
    print(f"saved {len(result.files)} files ({len(result.figures)} figures as {args.formats}) to {result.directory}/ "
          f"in {result.seconds:.1f} s")
    return _print_failures(result.failures)


COMMANDS = {"report": cmd_report, "export": cmd_export}
