"""What the sections are built from, resolved once: the model, its probe, the example images, the classes.

>>> ctx = build_context(None, None, ReportOptions(examples=2, classes=(6,)), lambda line: None)
>>> ctx.example_labels[0], ctx.classes
('a 7 from the MNIST test sample (#4)', [6])
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .options import Failure, Progress, ReportOptions, clean_error

#: Classes of the bundled test sample shown by default, in this order (the tutorial's "6" among them).
DEFAULT_EXAMPLE_DIGITS = (7, 2, 6, 9, 0, 1, 3, 4, 5, 8)
#: Class images drawn by default: the first ``min(DEFAULT_CLASSES, classes)`` of the model.
DEFAULT_CLASSES = 10


@dataclass
class Context:
    """What the sections are built from (resolved once), plus what went wrong and what was left out."""

    model: Any
    model_label: str
    probe: Any
    options: ReportOptions
    history: dict | None
    card: dict | None
    examples: np.ndarray
    example_labels: list[str]
    classes: list[int]
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def dpi(self) -> int:
        return self.options.dpi

    def blank(self, index: int) -> bool:
        """Whether example ``index`` is blank (one value everywhere): the model can only guess on it."""
        from ..io.data import is_blank

        return bool(is_blank(self.examples[index : index + 1])[0])

    def feature_maps(self):
        """The feature maps of every example image on the chosen layers (computed once, shared by sections)."""
        from ..features import feature_maps

        if "feature_maps" not in self.cache:
            self.cache["feature_maps"] = feature_maps(self.examples, model=self.model, layers=self.map_layers())
        return self.cache["feature_maps"]

    def map_layers(self) -> list[str]:
        """The layers shown in feature-map figures: at most ``max_layers``, chosen evenly across depth."""
        return pick_across(self.probe.spatial_layer_names, self.options.max_layers)

    def conv_layers(self) -> list[str]:
        """The convolution layers given filter and pattern pages: at most ``max_layers``, across depth."""
        return pick_across(self.probe.conv_layer_names, self.options.max_layers)

    def note(self, line: str) -> None:
        """Say in the report that something was left out on purpose (not a failure)."""
        self.notes.append(line)


def pick_across(names: Sequence[str], n: int | None) -> list[str]:
    """At most ``n`` of ``names``, evenly spread from the first to the last (all of them when ``n`` is None).

    >>> pick_across([f"l{i}" for i in range(10)], 4)
    ['l0', 'l3', 'l6', 'l9']
    >>> pick_across(["a", "b"], 8)
    ['a', 'b']
    """
    names = list(names)
    if n is None or len(names) <= n:
        return names
    if n == 1:
        return [names[-1]]
    return [names[i] for i in sorted({round(k * (len(names) - 1) / (n - 1)) for k in range(n)})]


def resolve_model(model: Any, history: dict | None, card: dict | None) -> tuple[Any, str, dict | None, dict | None]:
    """(model, label, history, card): a .keras path, a Keras model or None (the shipped model)."""
    import keras

    from ..core.model import load_model
    from ..training.results import load_card, load_history

    if model is None or isinstance(model, (str, os.PathLike)):
        loaded = load_model(model)
        label = "the shipped model (pretrained/mnist_cnn.keras)" if model is None else Path(model).name
        return (loaded, label, history if history is not None else load_history(model),
                card if card is not None else load_card(model))
    if isinstance(model, keras.Model):
        return model, model.name, history, card
    raise TypeError(f"model must be a .keras path, a Keras model or None (the shipped model); got {type(model).__name__}.")


def example_images(probe, images: Iterable[Any] | None, examples: int,
                   progress: Progress) -> tuple[np.ndarray, list[str], list[Failure]]:
    """``examples`` digits from the bundled test sample (distinct classes the model has) when the model is
    MNIST-like (the "mnist" convention, or a 28x28 grey input), then each of ``images``; the ones that cannot
    be used are listed, the rest kept. A photo model gets no MNIST digits: only the user's images."""
    from ..io.data import load_sample

    batches: list[np.ndarray] = []
    labels: list[str] = []
    failures: list[Failure] = []
    digits = [d for d in DEFAULT_EXAMPLE_DIGITS if d < probe.num_classes][:examples] if probe.mnist_like else []
    if digits:
        sample = load_sample()
        try:
            for digit in digits:
                index = int(np.flatnonzero(sample.y_test == digit)[0])
                batches.append(probe.prepare(sample.x_test[index]))
                labels.append(f"a {digit} from the MNIST test sample (#{index})")
        except (ValueError, OSError) as exc:
            batches, labels = [], []
            failures.append(Failure("the example digits", f"they do not fit this model's input: {clean_error(exc)}",
                                    kind="section"))
    if isinstance(images, (str, os.PathLike)):
        images = [images]
    for k, image in enumerate(images or []):
        is_path = isinstance(image, (str, os.PathLike))
        name = Path(image).name if is_path else f"image {k + 1}"
        try:
            batch = probe.prepare(image)
        except (ValueError, OSError) as exc:  # DataError is a ValueError
            failures.append(Failure(str(image) if is_path else name, str(exc)))
            progress(f"cannot read {name}: {exc} (skipped; the rest of the report is still built)")
            continue
        for i in range(len(batch)):
            batches.append(batch[i : i + 1])
            labels.append(name if len(batch) == 1 else f"{name} [{i}]")
    if not batches:
        return np.zeros((0, *probe.input_shape), np.float32), labels, failures
    return np.concatenate(batches), labels, failures


def build_context(model: Any, images: Iterable[Any] | None, options: ReportOptions, progress: Progress,
                  said: dict[str, Any] | None = None) -> Context:
    """Resolve everything the sections need, and fail now (before minutes of work) on what the user must fix.
    ``said``: input_range / class_names / convention for this report only."""
    from ..core.build import get_probe
    from ..core.probe import Probe
    from ..io.data import BLANK_NOTE, is_blank, resolve_data

    given = model
    if isinstance(model, Probe):
        given, model = model, model.source
    loaded, label, history, card = resolve_model(model, options.history, options.card)
    probe = get_probe(given if isinstance(given, Probe) else loaded, **(said or {}))
    for warning in probe.warnings:
        progress(f"warning: {warning}")
    if options.classes is None:
        classes = probe.default_classes(DEFAULT_CLASSES)
    else:
        classes = [probe.check_class(c) for c in options.classes]
    batch, labels, failures = example_images(probe, images, options.examples, progress)
    ctx = Context(model=probe if probe is not get_probe(loaded) else loaded, model_label=label, probe=probe, options=options, history=history, card=card,
                  examples=batch, example_labels=labels, classes=classes, failures=failures)
    for warning in probe.warnings:
        ctx.note(warning)
    if options.examples and not probe.mnist_like:
        ctx.note(f"Example images: only the ones given (images=, --images): the bundled MNIST digits are not images "
                 f"of this model's kind ({'x'.join(map(str, probe.input_shape))}, convention {probe.convention!r}).")
    for name, blank in zip(labels, is_blank(batch) if len(batch) else []):
        if blank:
            ctx.note(f"{name}: {BLANK_NOTE}.")
    ctx.cache["model_source"] = model  # a path or None (shipped): sections may look for files beside it
    if options.data is not None and not (isinstance(options.data, str) and options.data == "sample"):
        ctx.cache["mnist"] = resolve_data(options.data)  # an explicit --data file that cannot be read: say so now
    if isinstance(model, (str, os.PathLike)):
        ctx.cache["model_path"] = Path(model)  # sections may look beside it (e.g. its training snapshots)
    return ctx
