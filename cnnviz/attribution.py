"""Which pixels made the model say what it said: saliency, SmoothGrad, Grad-CAM, Grad-CAM++, Score-CAM.

All run through tf-keras-vis on the probe's logits model, and all are called the same way:
``attribute(image, method=..., target=...)`` (Captum's shape). ``saliency(...)`` and
``gradcam(...)`` are the same call with the method filled in.

>>> import cnnviz
>>> digit = cnnviz.load_sample().x_test[0]
>>> cnnviz.attribute(digit, method="gradcam").maps.shape
(1, 28, 28)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from .probe import get_probe

METHODS = ("saliency", "smoothgrad", "gradcam", "gradcam++", "scorecam")
CAM_METHODS = ("gradcam", "gradcam++", "scorecam")


@dataclass
class Attribution:
    """One heat map (N, H, W) in [0, 1] per input image, for the class in ``targets``."""

    method: str
    maps: np.ndarray
    inputs: np.ndarray
    targets: list[int]
    probabilities: np.ndarray
    layer: str | None = None


@contextmanager
def _quiet_keras():
    """Score-CAM calls model.predict, which would print a progress bar per call."""
    was = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    try:
        yield
    finally:
        if was:
            keras.config.enable_interactive_logging()


def attribute(image: Any, method: str = "saliency", target: int | Sequence[int] | None = None, *,
              model: keras.Model | None = None, layer: str | None = None, smooth_samples: int = 20,
              smooth_noise: float = 0.2, seed: int = 0) -> Attribution:
    """Attribution maps for ``image`` (one or a batch) towards ``target`` (default: the predicted class).

    ``method``: one of "saliency", "smoothgrad", "gradcam", "gradcam++", "scorecam".
    CAM methods use ``layer`` (default: the last conv layer).

    >>> a = attribute(np.zeros((28, 28)), method="saliency", target=3)
    >>> a.targets
    [3]
    """
    from tf_keras_vis.utils.scores import CategoricalScore

    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; use one of: {', '.join(METHODS)}.")
    probe = get_probe(model)
    inputs = probe.prepare(image)
    probabilities = probe.forward(inputs)["probabilities"]
    if target is None:
        targets = [int(i) for i in probabilities.argmax(axis=1)]
    else:
        raw = list(target) if isinstance(target, (list, tuple, np.ndarray, range)) else [target] * len(inputs)
        if len(raw) != len(inputs):
            raise ValueError(f"{len(raw)} targets for {len(inputs)} images: give one target, or one per image.")
        targets = [probe.check_class(t) for t in raw]
    score = CategoricalScore(targets)
    used_layer = None
    if method in CAM_METHODS:
        convs = probe.conv_layer_names
        if not convs:
            raise ValueError(f"{method} needs a convolution layer, and this model has none "
                             f"(layers: {', '.join(probe.layer_names)}); use method='saliency' instead.")
        used_layer = layer or probe.last_conv_layer
        if used_layer not in convs:
            probe.layer(used_layer)  # unknown names: the list of layers
            raise ValueError(f"{method} needs a convolution layer; {used_layer!r} is not one (conv layers: {', '.join(convs)}).")
    with warnings.catch_warnings():  # tf-keras-vis calls Keras models with a list; Keras warns on each call
        warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")
        maps = _run(probe, method, score, inputs, used_layer, smooth_samples, smooth_noise, seed)
    maps = np.nan_to_num(np.asarray(maps, np.float32))
    if maps.ndim == 4:
        maps = maps.max(axis=-1)
    return Attribution(method=method, maps=_normalize(maps), inputs=inputs, targets=targets,
                       probabilities=probabilities, layer=used_layer)


def _run(probe, method, score, inputs, layer, smooth_samples, smooth_noise, seed):
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.saliency import Saliency
    from tf_keras_vis.scorecam import Scorecam

    model = probe.logits_model
    if method == "saliency":
        return Saliency(model, clone=False)(score, inputs, normalize_map=False)
    if method == "smoothgrad":
        import tensorflow as tf

        tf.random.set_seed(seed)
        return Saliency(model, clone=False)(score, inputs, smooth_samples=smooth_samples, smooth_noise=smooth_noise,
                                            normalize_map=False)
    if method == "gradcam":
        return Gradcam(model, clone=False)(score, inputs, penultimate_layer=layer, normalize_cam=False,
                                                seek_penultimate_conv_layer=False)
    if method == "gradcam++":
        return GradcamPlusPlus(model, clone=False)(score, inputs, penultimate_layer=layer, normalize_cam=False,
                                                seek_penultimate_conv_layer=False)
    with _quiet_keras():
        return Scorecam(model, clone=False)(score, inputs, penultimate_layer=layer, normalize_cam=False,
                                                seek_penultimate_conv_layer=False)


def _normalize(maps: np.ndarray) -> np.ndarray:
    out = np.zeros_like(maps)
    for i, m in enumerate(maps):
        lo, hi = float(m.min()), float(m.max())
        out[i] = (m - lo) / (hi - lo) if hi > lo else 0.0
    return out


def saliency(image: Any, target: int | Sequence[int] | None = None, **kwargs: Any) -> Attribution:
    """Vanilla gradient saliency; ``attribute(..., method="saliency")``.

    >>> saliency(np.zeros((28, 28)), 1).method
    'saliency'
    """
    return attribute(image, "saliency", target, **kwargs)


def smoothgrad(image: Any, target: int | Sequence[int] | None = None, **kwargs: Any) -> Attribution:
    """SmoothGrad: saliency averaged over noisy copies; ``attribute(..., method="smoothgrad")``."""
    return attribute(image, "smoothgrad", target, **kwargs)


def gradcam(image: Any, target: int | Sequence[int] | None = None, **kwargs: Any) -> Attribution:
    """Grad-CAM on the last conv layer; ``attribute(..., method="gradcam")``."""
    return attribute(image, "gradcam", target, **kwargs)


def gradcam_plus_plus(image: Any, target: int | Sequence[int] | None = None, **kwargs: Any) -> Attribution:
    """Grad-CAM++; ``attribute(..., method="gradcam++")``."""
    return attribute(image, "gradcam++", target, **kwargs)


def scorecam(image: Any, target: int | Sequence[int] | None = None, **kwargs: Any) -> Attribution:
    """Score-CAM; ``attribute(..., method="scorecam")``."""
    return attribute(image, "scorecam", target, **kwargs)
