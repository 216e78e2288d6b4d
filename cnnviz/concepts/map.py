"""Where each concept sits in one image, and how much it gave the predicted class.

Contribution of concept k to class c: the gradient of c's logit with respect to k's coefficient at each position
(the logit's gradient at the layer dotted with k's dictionary row) times the coefficient, summed over positions:
a first-order (gradient x input) share of the logit, computed with a compiled gradient.

>>> import cnnviz
>>> c = cnnviz.concepts("conv2", n=4, visualize=False, evidence=False)  # doctest: +SKIP
>>> m = cnnviz.concept_map(cnnviz.load_sample().x_test[0], c)  # doctest: +SKIP
>>> m.maps.shape, m.contributions.shape  # doctest: +SKIP
((4, 28, 28), (4,))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from ..core.display import shows
from .fit import ConceptError, Concepts


@dataclass
class ConceptMap:
    """``coefficients`` (h, w, n) at the layer; ``maps`` (n, H, W) the same upsampled to the image (bilinear);
    ``contributions`` (n,) each concept's gradient x coefficient for ``target`` (the predicted class unless
    given); ``residual``: the part of the layer's activations the dictionary does not explain, as its
    gradient x input (so contributions + residual is the first-order account of the logit at this layer)."""

    image: np.ndarray
    layer: str
    target: int
    class_name: str
    probabilities: np.ndarray
    coefficients: np.ndarray
    maps: np.ndarray
    contributions: np.ndarray
    residual: float
    logit: float
    notes: list[str] = field(default_factory=list)


shows("cnnviz.concepts.plots:plot_concept_map")(ConceptMap)


def concept_map(image: Any, concepts: Concepts, *, target: int | None = None) -> ConceptMap:
    """Where each of ``concepts`` sits in ``image`` and each one's contribution to ``target`` (default: the
    predicted class). ``image``: anything :func:`cnnviz.preprocess` reads, one image.

    >>> import cnnviz
    >>> c = cnnviz.concepts("conv2", n=4, visualize=False, evidence=False)  # doctest: +SKIP
    >>> int(cnnviz.concept_map(cnnviz.load_sample().x_test[0], c, target=7).target)  # doctest: +SKIP
    7
    """
    from .tail import gradients

    if not isinstance(concepts, Concepts):
        raise ConceptError(f"concept_map needs the result of cnnviz.concepts(...); got {type(concepts).__name__}.")
    probe = concepts._probe
    inputs, notes = probe.prepare_with_notes(image)
    if len(inputs) != 1:
        raise ConceptError(f"concept_map takes one image; got a batch of {len(inputs)}. Pass images[i].")
    probabilities = probe.classify(inputs)[1][0]
    chosen = int(probabilities.argmax()) if target is None else probe.check_class(target)
    acts, grads, logits = gradients(probe, concepts.layer, inputs, np.array([chosen], np.int32))
    acts = np.maximum(acts[0], 0)
    coeff = concepts.coefficients(acts)  # (h, w, n)
    along = grads[0] @ concepts.dictionary.T  # (h, w, n): d logit / d coefficient
    contributions = (coeff * along).sum(axis=(0, 1))
    residual = float((grads[0] * (acts - coeff @ concepts.dictionary)).sum())
    height, width, _ = probe.input_shape
    maps = tf.image.resize(coeff[None], (height, width), method="bilinear")[0].numpy().transpose(2, 0, 1)
    display = np.asarray(probe.to_display(inputs[0]), np.float32)
    return ConceptMap(image=display, layer=concepts.layer, target=chosen, class_name=str(probe.class_names[chosen]),
                      probabilities=probabilities, coefficients=coeff, maps=maps, contributions=contributions,
                      residual=residual, logit=float(logits[0, chosen]), notes=notes)
