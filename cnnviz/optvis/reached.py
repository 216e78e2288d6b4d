"""Whether a maximized image reached its target, one meaning everywhere.

A class image is reached when its target is the model's top class with softmax >= :data:`REACHED_SOFTMAX`;
any other objective (a channel, a neuron) when its score on the final image, read after the layer's
activation, is above its mean over real images (the bundled sample's first :data:`REAL_IMAGES` test images,
prepared for the model): the target moved past what real inputs give it. For a model whose images are not
MNIST-like there are no real images to compare with: it is reached when the objective rose, and the message says so.

>>> uses_target(O.as_objective("conv2:5"))
False
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.batches import FORWARD_BATCH
from ..core.probe import Probe
from . import objectives as O

#: ``reached`` for class images: the target is the top class with at least this softmax.
REACHED_SOFTMAX = 0.8
#: ``reached`` for any other objective: compared with its mean over this many real images.
REAL_IMAGES = 256


def objective_scores(probe: Probe, objective: O.Objective, model_images: np.ndarray, targets: Sequence[int],
                     batch: int = FORWARD_BATCH) -> np.ndarray:
    """``objective`` without its penalties on images already in the model's range, one target per image (a
    forward pass only)."""
    import tensorflow as tf

    from .render import renderer

    skel, weights = O.skeleton(objective)
    rend = renderer(probe, tuple(skel.tensors()) or ("logits",))
    w = tf.constant(weights, tf.float32)
    out = []
    for s in range(0, len(model_images), batch):
        x = tf.constant(model_images[s:s + batch], tf.float32)
        ctx = O.Context(rend.activations(x), tf.constant(np.asarray(targets[s:s + batch], np.int32)), x, x)
        out.append(O.evaluate(skel, ctx, w, penalties=False).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def as_fired(objective: O.Objective) -> O.Objective:
    """``objective`` read after each layer's activation (a channel climbs its pre-activation, which can rise a
    long way while the channel stays off): what ``reached`` compares with real images.

    >>> as_fired(O.channel("conv2", 5)).pre
    False
    """
    from dataclasses import fields, is_dataclass

    if not is_dataclass(objective):
        return objective
    changes: dict[str, Any] = {}
    for f in fields(objective):
        value = getattr(objective, f.name)
        if f.name == "pre" and value is True:
            changes["pre"] = False
        elif isinstance(value, O.Objective):
            changes[f.name] = as_fired(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, O.Objective) for v in value):
            changes[f.name] = tuple(as_fired(v) for v in value)
    return replace(objective, **changes) if changes else objective


def uses_target(objective: O.Objective) -> bool:
    """Whether ``objective`` reads each image's target (a class logit, or a channel chosen by the target);
    ``"conv2:5"`` does not, so optimizing it "for" ten classes gives ten copies of one image.

    >>> uses_target(O.as_objective("conv2:5")), uses_target(O.as_objective("conv2")), uses_target(O.class_logit())
    (False, True, True)
    """
    from dataclasses import fields, is_dataclass

    if isinstance(objective, (O.ClassLogit, O.ClassLogProbability)):
        return objective.c is None
    if not is_dataclass(objective):
        return False
    for f in fields(objective):
        value = getattr(objective, f.name)
        if f.name == "index" and value is None and not objective.penalty:
            return True
        parts = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, O.Objective) and uses_target(v) for v in parts):
            return True
    return False


def real_scores(probe: Probe, objective: O.Objective, targets: Sequence[int], batch: int = FORWARD_BATCH) -> np.ndarray | None:
    """The mean of ``objective`` (no penalties) over real images, per target; None when the bundled MNIST sample
    is not images of this model's kind (a photo model: MNIST digits resized are not its real images). One forward pass serves every target (a layer's 64 channels cost one pass,
    not 64)."""
    import tensorflow as tf

    from ..io.data import load_sample
    from .render import renderer

    if not probe.mnist_like:
        return None
    try:
        images = probe.prepare(load_sample().x_test[:REAL_IMAGES])
    except Exception:  # noqa: BLE001  (a model the MNIST sample does not fit: nothing to compare with)
        return None
    wanted = sorted({int(t) for t in targets})
    skel, weights = O.skeleton(objective)
    rend = renderer(probe, tuple(skel.tensors()) or ("logits",))
    w = tf.constant(weights, tf.float32)
    sums = np.zeros(len(wanted), np.float64)
    for s in range(0, len(images), batch):
        x = tf.constant(images[s:s + batch], tf.float32)
        activations = rend.activations(x)
        for j, t in enumerate(wanted):
            ctx = O.Context(activations, tf.fill([len(x)], t), x, x)
            sums[j] += float(tf.reduce_sum(O.evaluate(skel, ctx, w, penalties=False)))
    means = dict(zip(wanted, sums / max(len(images), 1)))
    return np.array([means[int(t)] for t in targets], np.float32)


def _named(probe: Probe, k: int) -> str:
    """A class as the message shows it: its index, and its name when the model's classes have names ("3 happy")."""
    name = probe.class_names[int(k)] if 0 <= int(k) < len(probe.class_names) else str(k)
    return str(int(k)) if name == str(int(k)) else f"{int(k)} {name}"


def check_result(probe: Probe, targets: list[int], images: np.ndarray, scores: np.ndarray,
                  is_class: bool, objective: O.Objective | None = None) -> tuple:
    model_images = np.asarray(probe.to_model(images), np.float32)  # what the model was fed
    probabilities = probe.forward(model_images)["probabilities"]
    final = real = None
    if is_class:
        idx = np.arange(len(targets))
        conf = probabilities[idx, targets]
        reached = (probabilities.argmax(axis=1) == np.asarray(targets)) & (conf >= REACHED_SOFTMAX)
        shown = [f"{_named(probe, t)}: softmax {c:.3f}"
                 + ("" if r else f" (top class {_named(probe, p)}, NOT REACHED)" if p != t else " (NOT REACHED)")
                 for t, c, p, r in zip(targets, conf, probabilities.argmax(axis=1), reached)]
        rule = f"reached = the target is the top class with softmax >= {REACHED_SOFTMAX:g}"
    else:
        fired = as_fired(objective) if objective is not None else None
        final = objective_scores(probe, fired, model_images, targets) if fired is not None else scores[-1]
        real = real_scores(probe, fired, targets) if fired is not None else None
        if real is None:
            reached = final > scores[0] + 1e-6
            shown = [f"{final[k]:.3g}" + ("" if r else " (NOT REACHED)") for k, r in enumerate(reached)]
            rule = "reached = the objective rose (no real images to compare with for this model)"
        else:
            reached = final > real
            shown = [f"{final[k]:.3g} vs real images' {real[k]:.3g}" + ("" if r else " (NOT REACHED)")
                     for k, r in enumerate(reached)]
            rule = "reached = above its mean over real images"
    count = int(np.sum(reached))
    missing = ", ".join(_named(probe, t) if is_class else str(k + 1) for k, (t, r) in enumerate(zip(targets, reached)) if not r)
    head = (f"all {len(targets)} reached" if count == len(targets)
            else f"not reached: {'class' if is_class else 'image'} {missing} ({count} of {len(targets)} reached)")
    message = f"{head}; {rule}: {'; '.join(shown)}"
    if count < len(targets):
        message += ". Try more steps, a lighter regularization (regularization='none') or another seed."
    return model_images, probabilities, np.asarray(reached, bool), message, final, real


__all__ = ["REACHED_SOFTMAX", "REAL_IMAGES", "as_fired", "check_result", "objective_scores", "real_scores", "uses_target"]
