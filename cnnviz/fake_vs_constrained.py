"""The tutorial's experiment: every class maximized without regularization ("fake digits") and with the L1
constraint (readable ones), optionally with the data prior and each class's top dataset example."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras

from .class_examples import ClassExamples, class_examples
from .core.build import get_probe
from .core.display import shows
from .core.options import public
from .maximize import maximize
from .optvis.result import MaximizationResult


@shows("cnnviz.plots:plot_fake_vs_constrained")  # drawn by this figure when it ends a notebook cell
@dataclass
class ClassImages:
    """The tutorial's experiment: every class maximized without regularization and with the L1 constraint
    (and, when asked, with the data prior, and each class's top dataset example)."""

    plain: MaximizationResult
    constrained: MaximizationResult
    data: MaximizationResult | None = None
    examples: ClassExamples | None = None


def fake_vs_constrained(model: keras.Model | None = None, *, classes: Sequence[int] | None = None, steps: int | None = None,
                        seed: int = 0, data_prior: bool = False, examples: bool = False) -> ClassImages:
    """The tutorial's "what does the network see": fake digits (no constraint) vs readable ones (L1);
    ``data_prior=True`` adds the data-prior digits (MNIST-shaped models), ``examples=True`` each class's
    top example from the bundled sample.

    >>> exp = fake_vs_constrained(steps=50)
    >>> exp.plain.images.shape == exp.constrained.images.shape
    True
    """
    probe = get_probe(model)
    classes = list(range(min(10, probe.num_classes))) if classes is None else list(classes)
    return ClassImages(
        plain=maximize(classes, model=probe, steps=steps, seed=seed, regularization="none"),
        constrained=maximize(classes, model=probe, steps=steps, seed=seed, regularization="l1"),
        data=maximize(classes, model=probe, seed=seed, prior="data") if data_prior else None,
        examples=class_examples(classes, k=1, model=probe) if examples else None,
    )


__all__ = ["ClassImages", "fake_vs_constrained"]

#: unknown keyword options are one-line errors (cnnviz.core.options), as in every public call
fake_vs_constrained = public(fake_vs_constrained)
