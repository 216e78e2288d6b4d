"""What a report is built from (:class:`ReportOptions`) and what building it returns.

>>> ReportOptions(steps=20).filter_steps
150
>>> ReportOptions(steps=0)
Traceback (most recent call last):
...
ValueError: steps must be 1..10000 (got 0).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..optvis.presets import CLASS_STEPS, FILTER_STEPS
from ..style import DEFAULT_DPI

Progress = Callable[[str], None]

#: (name, lowest, highest) of every number a user can set: what is outside is refused with one line.
LIMITS = {
    "examples": (0, 50),
    "steps": (1, 10_000),
    "filter_steps": (1, 10_000),
    "max_maps": (1, 256),
    "max_layers": (1, 1_000),
    "max_channels": (1, 1_024),
    "pattern_values": (1_000, 1_000_000_000),
    "pattern_layers": (1, 1_000),
    "dpi": (30, 600),
}


@dataclass(frozen=True)
class ReportOptions:
    """Every setting of the report, in one place (``report``, ``report_figures``, ``export_figures``, the CLI).

    ``classes``: the class images to draw (``None``: the first ``min(10, classes)`` of the model).
    ``examples``: example images from the bundled MNIST sample (distinct classes the model has).
    ``data``: a mnist.npz (or ``"sample"``) for the confusion matrix (``None``: the full MNIST when
    found without a download, else the bundled test sample). ``steps``/``filter_steps``:
    maximization steps for class images / filter patterns. ``max_maps``: maps per layer in a
    feature-map figure. ``max_layers``: convolution layers given filter and pattern pages, and
    layers shown in feature-map figures, chosen evenly across depth (``None``: all).
    ``max_channels``: filter patterns per layer, at most; ``pattern_values``: the input values optimized
    at once per layer (channels x height x width x colours), which lowers the channels shown for large
    inputs (64 for 28x28 grey, 24 for 64x64 grey, 4 for colour from 96x96 up); ``pattern_layers``: the layers
    (of those with filter pages) that get pattern pages, chosen across depth (``None``: all of them). ``history``/``card``: the training history and
    model card (``None``: read from beside a model file). ``sections``: the names of the sections to build
    (``cnnviz.report.SECTIONS``: "filters", "attribution", ...; ``None``: every one), in the report's order.
    """

    classes: tuple[int, ...] | None = None
    examples: int = 4
    data: Any = None
    steps: int = CLASS_STEPS["pixels"]
    filter_steps: int = FILTER_STEPS
    max_maps: int = 16
    max_layers: int | None = 8
    max_channels: int = 64
    pattern_values: int = 100_000
    pattern_layers: int | None = 4
    dpi: int = DEFAULT_DPI
    sections: tuple[str, ...] | None = None
    history: dict | None = field(default=None, compare=False)
    card: dict | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.classes is not None:
            if isinstance(self.classes, (str, bytes)) or not isinstance(self.classes, Iterable):
                raise ValueError(f"classes must be a list of class numbers (got {self.classes!r}).")
            object.__setattr__(self, "classes", tuple(self.classes))
        if self.sections is not None:
            names = self.sections.split(",") if isinstance(self.sections, str) else self.sections
            object.__setattr__(self, "sections", tuple(str(n).strip() for n in names if str(n).strip()))
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if value is None and name in ("max_layers", "pattern_layers"):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise ValueError(f"{name} must be {lo}..{hi} (got {value!r}).")

    @classmethod
    def of(cls, options: ReportOptions | None = None, **settings: Any) -> ReportOptions:
        """``options`` (or the defaults) with ``settings`` replaced; an unknown name is a clear error.

        >>> ReportOptions.of(steps=30, classes=range(2)).classes
        (0, 1)
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise TypeError(f"unknown report option(s) {', '.join(unknown)}; the options are {', '.join(sorted(known))}.")
        return replace(options or cls(), **settings)


@dataclass(frozen=True)
class Failure:
    """Something the report could not use (an image file, or a section that raised), and why.

    ``kind`` is ``"input"`` (a file or image given by the user) or ``"section"`` (a figure that
    could not be built: a problem of the model or of cnnviz, not of the inputs).
    """

    what: str
    error: str
    kind: str = "input"

    def __str__(self) -> str:
        return f"{self.what}: {self.error}"


@dataclass
class Section:
    """One figure of the report: a stable file name, a title, the figure, and a paragraph that explains it."""

    name: str
    title: str
    figure: Figure
    text: str = ""

    @property
    def caption(self) -> str:
        return getattr(self.figure, "cnnviz_caption", "")


@dataclass
class Report:
    """What :func:`report` wrote: the file, its pages (PDF) or figures (HTML), what failed, and how long it took."""

    path: Path
    pages: int
    figures: list[str]
    failures: list[Failure]
    seconds: float
    notes: list[str] = field(default_factory=list)


@dataclass
class Export:
    """What :func:`export_figures` wrote: one file per figure and format, what failed, and how long it took."""

    directory: Path
    files: list[Path]
    figures: list[str]
    failures: list[Failure]
    seconds: float
    notes: list[str] = field(default_factory=list)


def clean_error(exc: BaseException, limit: int = 400) -> str:
    """``Type: message`` on one line, without terminal colour codes (Keras colours its errors).

    >>> clean_error(ValueError("\\x1b[1mbad\\x1b[0m shape\\n  more"))
    'ValueError: bad shape more'
    """
    from ..core.messages import describe_error

    return describe_error(exc, limit)


def _print_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def progress_fn(progress: bool | Progress | None) -> Progress:
    """True/None -> print to stderr; False -> silent; a callable is used as it is."""
    if progress is True or progress is None:
        return _print_progress
    if progress is False:
        return lambda line: None
    return progress


def report_options() -> list[str]:
    """The settings :class:`cnnviz.report.ReportOptions` takes by name."""
    return [f.name for f in fields(ReportOptions)]
