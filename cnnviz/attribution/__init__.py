"""Which pixels made the model say what it said, and can that answer be trusted.

Every method is one small class in a registry (:mod:`cnnviz.attribution.base`); all are called the same
way, ``attribute(image, method=..., target=...)`` (Captum's shape), and ``saliency(...)``, ``gradcam(...)``
... are the same call with the method filled in. :func:`faithfulness` (deletion / insertion curves) and
:func:`sanity_check` (model randomization) say how far a map can be trusted.

>>> import cnnviz
>>> digit = cnnviz.load_sample().x_test[0]
>>> cnnviz.attribute(digit, method="gradcam").maps.shape
(1, 28, 28)
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from ..core.build import get_probe
from ..core.options import public
from . import cam, gradients, noise, occlusion  # noqa: F401  (each registers its methods)
from .base import (
    REGISTRY,
    Attribution,
    Method,
    UnusedOption,  # noqa: F401  (importable; out of __all__, so the API pages link UnknownOption once)
    get_method,
    method_names,
    method_options,
    method_title,
    normalize,
    options_for,
    register,
)
from .metrics import Faithfulness, faithfulness
from .noise import NoiseTunnel
from .plots import plot_faithfulness, plot_sanity_check
from .running import CHUNK, resolve_targets, run  # noqa: F401
from .sanity import SanityCheck, sanity_check


def __getattr__(name: str) -> Any:
    if name == "METHODS":  # the registered names, now (a method registered later shows up too)
        return tuple(method_names())
    if name == "CAM_METHODS":
        return tuple(n for n in method_names() if "conv_layer" in REGISTRY[n].needs)
    raise AttributeError(name)


def attribute(image: Any, method: str | type[Method] = "saliency", target: int | Sequence[int] | None = None, *,
              model: keras.Model | None = None, layer: str | None = None, smooth_samples: int | None = None,
              smooth_noise: float | None = None, seed: int | None = None,
              input_range: tuple[float, float] | None = None, class_names: Sequence[str] | None = None,
              convention: str | None = None, **options: Any) -> Attribution:
    """Attribution maps for ``image`` (one or a batch) towards ``target`` (default: the predicted class).

    ``method``: a registered name (``cnnviz.attribution.METHODS``) or a :class:`Method` class. Options go to
    the methods that take them: ``layer`` (CAM methods; default the last conv layer), ``smooth_samples``,
    ``smooth_noise``, ``seed`` (SmoothGrad, VarGrad), ``steps``, ``baseline`` (Integrated Gradients),
    ``patch``, ``stride`` (Occlusion), ``batch_size`` (rows per gradient call). ``input_range``,
    ``class_names``, ``convention``: what the model takes, for this call only (see :func:`cnnviz.describe`).
    An option the method does not take is a ValueError naming the ones it takes.

    >>> a = attribute(np.zeros((28, 28)), method="saliency", target=3)
    >>> a.targets
    [3]
    """
    cls = get_method(method)
    probe = get_probe(model, input_range=input_range, class_names=class_names, convention=convention)
    options.update(layer=layer, samples=smooth_samples, noise=smooth_noise, seed=seed)
    # an option this method does not take is an error naming the ones it takes (before the work), as is a
    # missing conv layer
    instance = cls(probe, **options_for([cls], options, spelled=SPELLED)[0])
    inputs = probe.prepare(image)
    probabilities = probe.forward(inputs)["probabilities"]
    targets = resolve_targets(probe, inputs, target, probabilities)
    raw = run(instance, inputs, targets)
    return Attribution(method=cls.name, maps=normalize(np.abs(raw)), inputs=inputs, targets=targets,
                       probabilities=probabilities, layer=instance.layer, title=cls.title, raw=raw,
                       class_names=list(probe.class_names))


#: how ``attribute`` spells the noise tunnel's options
SPELLED = {"samples": "smooth_samples", "noise": "smooth_noise"}


def attribute_options() -> list[str]:
    """What ``attribute`` and its shortcuts (``gradcam(image, target, **options)``) take by name."""
    names = [n for n in inspect.signature(attribute).parameters if n not in ("image", "options")]
    return names + [n for n in method_options() if n not in names]


def _shortcut(name: str, function_name: str | None = None):
    def call(image: Any, target: int | Sequence[int] | None = None, **kwargs: Any) -> Attribution:
        return attribute(image, name, target, **kwargs)

    call.__name__ = call.__qualname__ = function_name or name
    call.__doc__ = (f"{method_title(name)}: ``attribute(..., method={name!r})``.\n\n"
                    f"    >>> {call.__name__}(np.zeros((28, 28)), 1).method\n    {name!r}\n    ")
    return call


saliency = _shortcut("saliency")
saliency.__doc__ = """Vanilla gradient saliency; ``attribute(..., method="saliency")``.

    >>> saliency(np.zeros((28, 28)), 1).method
    'saliency'
    """
smoothgrad = _shortcut("smoothgrad")
gradcam = _shortcut("gradcam")
gradcam_plus_plus = _shortcut("gradcam++", "gradcam_plus_plus")
scorecam = _shortcut("scorecam")
layercam = _shortcut("layercam")
integrated_gradients = _shortcut("ig", "integrated_gradients")

# unknown keyword options are one-line errors (cnnviz.core.options), as in every public call
saliency, smoothgrad, gradcam, gradcam_plus_plus, scorecam, layercam, integrated_gradients = (
    public(f, extra=attribute_options)
    for f in (saliency, smoothgrad, gradcam, gradcam_plus_plus, scorecam, layercam, integrated_gradients))

__all__ = ["REGISTRY", "Attribution", "Faithfulness", "Method", "NoiseTunnel", "SanityCheck", "attribute",
           "faithfulness", "plot_faithfulness", "plot_sanity_check", "sanity_check", "get_method", "gradcam",
           "gradcam_plus_plus", "integrated_gradients", "layercam", "method_names", "method_title", "register",
           "resolve_targets", "run", "saliency", "scorecam", "smoothgrad"]
