"""The report's sections, as a registry: each section is one small function, in its own file under
``cnnviz/report/sections/``, registered by name and order. It takes the :class:`~.context.Context`
and yields :class:`Planned` figures (a title, a paragraph, and a function that draws the figure), so
the report can count its pages before the slow work starts.

Adding a section is one file plus one import line in ``sections/__init__.py``::

    @register("my_section", order=85)
    def my_section(ctx):
        yield Planned("my_figure", "My figure", "What it shows.", lambda: plot_something(ctx.model))

>>> from cnnviz.report import SECTIONS
>>> [name for name in SECTIONS][:3]
['architecture', 'model_card', 'training_curves']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from matplotlib.figure import Figure

from ..registry import Registry
from .context import Context
from .options import Failure, Progress, Section, clean_error


@dataclass(frozen=True)
class Planned:
    """One figure a section will draw: stable file name, title, explanation, and the (slow) drawing function."""

    name: str
    title: str
    text: str
    build: Callable[[], Figure]


SectionFn = Callable[[Context], Iterable[Planned]]


@dataclass(frozen=True)
class SectionSpec:
    name: str
    order: float
    plan: SectionFn


#: Every registered section by name, in ``order`` (the report's order).
SECTIONS: Registry[SectionSpec] = Registry("report section", order=lambda _, spec: spec.order)


def register(name: str, order: float) -> Callable[[SectionFn], SectionFn]:
    """Register ``plan`` as the section ``name``, at position ``order`` in the report (lower first)."""

    def decorate(plan: SectionFn) -> SectionFn:
        SECTIONS.register(name, SectionSpec(name, order, plan))
        return plan

    return decorate


def chosen_sections(names: Iterable[str] | None) -> list[SectionSpec]:
    """The registered sections named (every one for ``None``), in the report's order; an unknown name is a
    one-line error listing the names.

    >>> [s.name for s in chosen_sections(["attribution", "filters"])]
    ['filters', 'attribution']
    """
    if names is None:
        return list(SECTIONS.values())
    wanted = {SECTIONS.get(name).name for name in names}
    return [spec for spec in SECTIONS.values() if spec.name in wanted]


def plan(ctx: Context, progress: Progress) -> list[Planned]:
    """Every figure of every chosen section (``ctx.options.sections``), in order (planning is quick: nothing is
    drawn yet)."""
    planned: list[Planned] = []
    for spec in chosen_sections(ctx.options.sections):
        try:
            planned += list(spec.plan(ctx))
        except Exception as exc:  # one section failing must not lose the rest of the report
            ctx.failures.append(Failure(f"section {spec.name!r}", clean_error(exc), kind="section"))
            progress(f"section {spec.name} could not be planned: {clean_error(exc)}")
    return planned


def build(ctx: Context, progress: Progress) -> Iterator[Section]:
    """Draw the planned figures one at a time, with a ``[k/n] title ... seconds`` line each; a figure that
    fails is listed in ``ctx.failures`` (kind "section") and the rest are still drawn."""
    planned = plan(ctx, progress)
    total = len(planned)
    for k, item in enumerate(planned, 1):
        start = time.perf_counter()
        try:
            fig = item.build()
        except Exception as exc:
            ctx.failures.append(Failure(f"section {item.title!r}", clean_error(exc), kind="section"))
            progress(f"[{k}/{total}] {item.title} ... failed: {clean_error(exc)}")
            continue
        progress(f"[{k}/{total}] {item.title} ... {time.perf_counter() - start:.1f} s")
        yield Section(name=item.name, title=item.title, figure=fig, text=item.text)
