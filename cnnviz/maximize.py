"""Activation maximization: the input the network thinks is most "6" (or most "filter 12 of conv2").

The friendly front door to :mod:`cnnviz.optvis` (Lucid's four parts: ``cnnviz.optvis.objectives``,
``cnnviz.optvis.param``, ``cnnviz.optvis.transforms`` and the compiled loop). ``class`` is a Python keyword,
so all of these work::

    cnnviz.maximize(6)
    cnnviz.maximize(class_=6)
    cnnviz.maximize(**{"class": 6})
    cnnviz.maximize([0, 1, 2])                    # a list runs as one batch
    cnnviz.maximize(6, n=4)                       # four different 6s
    cnnviz.maximize(6, prior="data")              # a 6 drawn by a generative model of MNIST
    cnnviz.maximize(objective=channel("conv2", 5) - 10 * l1(), param=fourier(), transforms=[jitter(2)])

Two kinds of answer, both true: with pixels (``prior=None``) the image shows what the model responds
to *at all*, which can be a pattern no person would draw ("fake digits"); with ``prior="data"`` it
shows what the model responds to *among natural digits* (images the generator can draw).

>>> import cnnviz
>>> result = cnnviz.maximize(6, steps=50)
>>> result.images.shape
(1, 28, 28, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from .core.build import get_probe
from .core.probe import Probe
from .optvis import objectives as O
from .optvis import param as P
from .optvis import transforms as T
from .optvis.plan import back_off, resolve, run
from .optvis.presets import Regularization
from .optvis.result import MaximizationResult


def as_list(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple, range, np.ndarray)) else [value]


def maximize(
    class_: int | Sequence[int] | None = None,
    *,
    model: keras.Model | Probe | None = None,
    objective: O.Objective | str | int | None = None,
    param: P.Param | str | None = None,
    transforms: Sequence[T.Transform] | T.Transform | None = None,
    n: int = 1,
    prior: str | None = None,
    steps: int | None = None,
    learning_rate: float | None = None,
    seed: int = 0,
    start: Any = None,
    regularization: Regularization | str | None = None,
    l1: float | None = None,
    l2: float | None = None,
    tv: float | None = None,
    jitter: int | None = None,
    blur: float | None = None,
    layer: str | None = None,
    neuron: int | Sequence[int] | None = None,
    decay: float | None = None,
    input_range: tuple[float, float] | None = None,
    **kwargs: Any,
) -> MaximizationResult:
    """The image(s) that maximize a class's logit (or any objective), ``n`` different ones per target.

    ``class_`` (also ``class=`` through ``**{"class": 6}``, or the first positional argument): one class or a
    list, run as one batch. ``regularization``: "default" (light L1 + TV + jitter), "none" (the tutorial's fake
    digits), "l1" (its "fewer pixels" constraint), or a :class:`Regularization`; ``l1``, ``l2``, ``tv``,
    ``jitter``, ``blur`` override single fields. Penalties are scaled to the model's logits, so "default" works
    whether they spread over 3 or 300.

    ``prior="data"``: optimize the latent vector of cnnviz's generative model of MNIST (a VAE decoder) instead
    of pixels, with a penalty keeping it near the prior: the image is a plausible handwritten digit that the
    model calls the class (what the model responds to *among natural digits*; pixels show what it responds to
    *at all*). ``n``: images per target, kept apart by a diversity term. ``objective``, ``param``,
    ``transforms``: the open engine (:mod:`cnnviz.optvis.objectives`, :mod:`cnnviz.optvis.param`, :mod:`cnnviz.optvis.transforms`).
    Same ``seed`` -> same images. ``start``: an image to start from (pixel parameterisation). ``decay``: how
    far the learning rate falls along a cosine by the last step (0: constant; default: the kind's own).
    ``input_range=(lo, hi)``: the pixel range the model expects, when cnnviz cannot read it from the model.
    The optimizer works on display images in [0, 1] and maps them with ``probe.to_model`` inside the loop, so
    one learning rate fits a model that takes [0, 1], [-1, 1] or 0-255.
    ``result.reached`` and ``result.message`` say which targets were not reached.

    >>> r = maximize(**{"class": 6}, steps=100)
    >>> int(r.predicted[0]), bool(r.reached[0])
    (6, True)
    """
    if "class" in kwargs:
        if class_ is not None:
            raise ValueError("give the class once: maximize(6), maximize(class_=6) or maximize(**{'class': 6}).")
        class_ = kwargs.pop("class")
    if kwargs:
        raise TypeError(f"maximize() got unexpected keyword arguments: {', '.join(kwargs)}.")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= 64:
        raise ValueError(f"n (images per target) must be a whole number from 1 to 64 (got {n!r}).")
    if prior not in (None, "none", "pixels", "data"):
        raise ValueError(f"unknown prior {prior!r}; use prior='data' (natural digits) or None (pixels).")
    prior = "data" if prior == "data" else None
    overrides = {"l1": l1, "l2": l2, "tv": tv, "jitter": jitter, "blur": blur}
    probe = get_probe(model, input_range=input_range)
    if layer is not None or neuron is not None:
        if class_ is not None or objective is not None:
            raise ValueError("class_ and layer=/neuron= name two different targets; give one: maximize(6) or "
                             "maximize(layer='conv2', neuron=5).")
        if layer is None or neuron is None:
            raise ValueError("a neuron target needs both layer= and neuron=.")
        return maximize_filter(layer, neuron, model=probe, steps=steps, learning_rate=learning_rate, seed=seed,
                               start=start, regularization=regularization, n=n, param=param, transforms=transforms,
                               **overrides)
    if prior == "data":
        if regularization is not None or any(v is not None for v in overrides.values()):
            raise ValueError("regularization/l1/tv/... shape pixel images; prior='data' keeps images natural by "
                             "itself. Drop one of them.")
        if param is not None or start is not None:
            raise ValueError("prior='data' sets its own parameterisation (the generator's latent); drop param=/start=.")
    if objective is None:
        if class_ is None:
            raise ValueError("which class? e.g. maximize(6), maximize(class_=6), maximize([0, 1, 2]).")
        classes = [probe.check_class(c) for c in as_list(class_)]
        if not classes:
            raise ValueError("the list of classes is empty.")
        kind, spec = "class", O.class_logit()
    else:
        kind, spec = "objective", O.as_objective(objective)
        for name in spec.tensors() - {"logits"}:
            probe.layer(name.split(":")[0])  # a clear error for an unknown layer, before tracing
        classes = [probe.check_class(c) for c in as_list(class_)] if class_ is not None else [0]
    targets = [c for c in classes for _ in range(int(n))]
    plan = resolve(probe, kind, spec, targets, regularization=regularization, overrides=overrides, param=param,
                   transforms=transforms, prior=prior, n=n, steps=steps, learning_rate=learning_rate, decay=decay,
                   judged_as_class=kind == "class" or class_ is not None)
    result = run(probe, plan, start, seed)
    automatic = (kind == "class" and prior is None and (regularization is None or regularization == "default")
                 and n == 1 and param is None and start is None and learning_rate is None
                 and all(v is None for v in overrides.values()) and plan.reg.penalties() is not None)
    if automatic and not result.reached.all():
        result = back_off(probe, result, plan.reg, plan.factor, plan.param, plan.transforms, plan.steps, seed,
                           plan.decay)
    return result


def filter_activation(layer: str) -> O.Objective:
    """What :func:`maximize_filter` climbs (see :class:`cnnviz.optvis.objectives.FilterActivation`).

    >>> filter_activation("conv1") == filter_activation("conv1")
    True
    """
    return O.FilterActivation(layer)


def maximize_filter(
    layer: str,
    index: int | Sequence[int],
    *,
    model: keras.Model | Probe | None = None,
    steps: int | None = None,
    learning_rate: float | None = None,
    seed: int = 0,
    start: Any = None,
    regularization: Regularization | str | None = None,
    n: int = 1,
    param: P.Param | str | None = None,
    transforms: Sequence[T.Transform] | T.Transform | None = None,
    input_range: tuple[float, float] | None = None,
    **overrides: Any,
) -> MaximizationResult:
    """The input pattern(s) that most excite filter ``index`` of ``layer`` (its mean activation).

    Works for conv layers (a filter) and dense layers (a neuron); a list of indices runs as one batch.
    ``regularization`` defaults to "none" for filters (and for ``maximize(layer=, neuron=)``, the same target).
    ``n``: images per filter, from different random starts (no diversity term: filters have no shared scale).

    >>> r = maximize_filter("conv1", [0, 1, 2], steps=50)
    >>> r.images.shape
    (3, 28, 28, 1)
    """
    probe = get_probe(model, input_range=input_range)
    channels = int(probe.layer(layer).output.shape[-1])
    indices = as_list(index)
    for i in indices:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < channels:
            raise ValueError(f"filter {i!r} is out of range: layer {layer!r} has filters 0..{channels - 1}.")
    given = {k: overrides.pop(k, None) for k in ("l1", "l2", "tv", "jitter", "blur")}
    if overrides:
        raise TypeError(f"maximize_filter() got unexpected keyword arguments: {', '.join(overrides)}.")
    plan = resolve(probe, "filter", filter_activation(layer), [int(i) for i in indices for _ in range(int(n))],
                   regularization=regularization, overrides=given, param=param, transforms=transforms, prior=None,
                   n=n, steps=steps, learning_rate=learning_rate, decay=None, layer=layer)
    return run(probe, plan, start, seed)


def data_prior_available(model: keras.Model | Probe | None = None) -> bool:
    """Whether ``prior="data"`` means something for this model: the shipped generator draws 28x28 grey MNIST
    digits (other shapes are resized and repeated, so ``maximize`` still runs, but "natural digits" is then a
    claim about MNIST, not about the model's data).

    >>> data_prior_available()
    True
    """
    from .optvis.param import _decoder_path

    return _decoder_path("mnist").is_file() and get_probe(model).input_shape == (28, 28, 1)

__all__ = ["maximize", "maximize_filter", "data_prior_available", "MaximizationResult", "Regularization"]
