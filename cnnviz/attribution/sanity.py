"""Sanity checks (Adebayo et al. 2018): does a map change when what the network learned is destroyed?

On a CLONE of the model (the caller's model is never touched), the layers with weights are re-initialized
with their own initializers from the top (output side) down, one more at each step (cascading), and,
separately, one at a time (independent). At each step every method draws its maps again for the same
images and classes, and the Spearman rank correlation of |map| with the trained model's |map| is taken
per image. A map that still looks the same after every layer is random shows the input (its edges), not
the model: it is flagged in plain words.

>>> import cnnviz
>>> check = sanity_check(cnnviz.load_sample().x_test[:3], methods=["saliency"])
>>> check.steps
['trained', 'predictions', 'conv2', 'conv1']
>>> check.flags["saliency"] is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from ..core.build import get_probe
from ..core.probe import Probe
from .base import Method, get_method, normalize, options_for

THRESHOLD = 0.8  # mean Spearman correlation after full randomization from which the maps "barely change": flagged
CAUTION = 0.5  # from here up to THRESHOLD the map changed, but much of it is the input's shape
FLAG = ("this map does not depend on what the network learned: after every layer was re-initialized at random, "
        "its ranking of the pixels still correlates {corr:.2f} with the trained model's")
PARTLY = ("this map depends only partly on what the network learned: with every layer random, its ranking of the "
          "pixels still correlates {corr:.2f} with the trained model's (a random network also marks where the input is)")
PASSES = "its maps change when the weights are randomized, as they should"
#: The cascade's length where a quick look is wanted (the report, the dashboard): ``max_steps`` for a deep model.
SHORT_CASCADE = 8


@dataclass
class SanityCheck:
    """Correlations (Spearman, |maps|) between the trained model's maps and the randomized models' maps.

    ``cascading[m]``: (steps, N), step 0 = trained (1.0), step k = every weighted layer from the top down to
    ``steps[k]`` re-initialized (one more layer per step, or a group of them with ``max_steps``);
    ``independent[m]``: (layers, N), one layer re-initialized at a time (top first); ``maps[m]``: the
    maps (steps, N, H, W) in [0, 1]; ``flags[m]``: a sentence when the method fails, else None."""

    methods: list[str]
    titles: dict[str, str]
    steps: list[str]
    layers: list[str]
    inputs: np.ndarray
    targets: list[int]
    cascading: dict[str, np.ndarray]
    independent: dict[str, np.ndarray]
    maps: dict[str, np.ndarray]
    flags: dict[str, str | None] = field(default_factory=dict)
    verdicts: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    within_input: dict[str, np.ndarray] | None = None
    threshold: float = THRESHOLD

    def final(self, method: str) -> tuple[float, float]:
        """Mean and standard deviation over the images of the correlation after full randomization."""
        c = self.cascading[method][-1]
        return float(c.mean()), float(c.std())

    def summary(self) -> list[str]:
        """One line per method, in plain words."""
        lines = []
        for m in self.methods:
            mean, std = self.final(m)
            spread = f" +/- {std:.2f}" if len(self.inputs) > 1 else ""
            lines.append(f"{self.titles[m]}: correlation after full randomization {mean:.2f}{spread}; {self.notes[m]}.")
        return lines


def spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman rank correlation of each row of ``a`` with the same row of ``b`` (0 where a row is constant).

    >>> spearman_rows(np.array([[1.0, 2, 3]]), np.array([[10.0, 30, 20]])).round(2).tolist()
    [0.5]
    """
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    try:
        from scipy.stats import rankdata

        ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    except ImportError:  # scipy comes with tf-keras-vis; without it, ranks without tie averaging
        ra, rb = (np.argsort(np.argsort(x, axis=1), axis=1).astype(np.float64) for x in (a, b))
    ra = ra - ra.mean(axis=1, keepdims=True)
    rb = rb - rb.mean(axis=1, keepdims=True)
    den = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (ra * rb).sum(axis=1) / den
    return np.where(den > 0, r, 0.0)


def weighted_layers(probe: Probe) -> list[str]:
    """Names of the layers that have weights, output side first (the cascading order)."""
    return [n for n in reversed(probe.layer_names) if probe.layer(n).weights]


_INITIALIZER_OF = {"depthwise_kernel": "depthwise_initializer", "pointwise_kernel": "pointwise_initializer"}


def reinitialize(layer: keras.layers.Layer, seed: int) -> None:
    """Give every weight of ``layer`` (and of layers inside it) a fresh draw from its own initializer."""
    count = 0
    for sub in layer._flatten_layers(include_self=True):
        for var in sub._trainable_variables + sub._non_trainable_variables:
            name = var.name.split("/")[-1]
            init = getattr(sub, _INITIALIZER_OF.get(name, f"{name}_initializer"), None)
            if init is None:
                init = keras.initializers.GlorotUniform() if len(var.shape) >= 2 else keras.initializers.Zeros()
            config = init.get_config()
            if "seed" in config:
                init = type(init).from_config({**config, "seed": seed + count})
            var.assign(keras.ops.cast(init(tuple(var.shape), dtype=var.dtype), var.dtype))
            count += 1


def _clone_probe(probe: Probe) -> tuple[Probe, keras.Model]:
    """A probe on a copy of the caller's model with weights of its own (same values, same input range)."""
    if getattr(probe, "opaque", ""):
        raise ValueError(f"a sanity check re-initializes the model layer by layer, which this model does not allow: "
                         f"{probe.opaque}")
    source = getattr(probe, "source", probe.model)
    try:
        clone = keras.models.clone_model(source)
    except Exception:  # subclassed models: clone_model needs a config; a deep copy has fresh variables too
        import copy

        try:
            clone = copy.deepcopy(source)
        except Exception as exc:
            raise ValueError(f"this model cannot be copied for a sanity check ({type(exc).__name__}); the check "
                             "never changes the caller's model, so it needs a copy (keras.models.clone_model).") from None
    clone.set_weights(source.get_weights())
    if any(a is b for a, b in zip(clone.weights, source.weights)):
        raise ValueError("the copy of this model shares weights with it; the sanity check cannot run without "
                         "changing the caller's model.")
    return get_probe(clone, input_range=tuple(probe.input_range), class_names=probe.class_names,
                     convention=probe.convention), clone


def sanity_check(images: Any, methods: Sequence[str | type[Method]] = ("saliency", "gradcam", "ig"), *,
                 model: keras.Model | None = None, seed: int = 0, independent: bool = True,
                 max_steps: int | None = None, **options: Any) -> SanityCheck:
    """Cascading (and independent) model-parameter randomization for each method on ``images``.

    ``options`` go to the methods (see :func:`cnnviz.attribute`). The caller's ``model`` is not changed.
    ``max_steps``: draw the cascade at most this many times after the trained model's maps (a deep model's layers
    are then re-initialized several at a time, top first; ``steps`` names the deepest layer of each group, and
    each step's weights are exactly those of the one-layer-per-step cascade at the same depth).

    >>> import cnnviz
    >>> sanity_check(cnnviz.load_sample().x_test[:2], methods=["gradcam"], independent=False).independent
    {}
    """
    from .running import run

    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be at least 1 (got {max_steps}).")
    user = get_probe(model)
    classes = [get_method(m) for m in methods]
    each = options_for(classes, options)  # an option none of the methods takes fails here, before the work
    for cls, o in zip(classes, each):
        cls(user, **o)  # as does a missing conv layer
    probe, clone = _clone_probe(user)
    inputs = probe.prepare(images)
    targets = [int(t) for t in probe.forward(inputs)["probabilities"].argmax(axis=1)]
    layers = weighted_layers(probe)
    if not layers:
        raise ValueError("this model has no layers with weights: there is nothing to randomize.")
    trained_weights = clone.get_weights()
    names = [cls.name for cls in classes]

    def draw() -> dict[str, np.ndarray]:
        return {cls.name: np.abs(run(cls(probe, **o), inputs, targets)) for cls, o in zip(classes, each)}

    groups = np.array_split(np.arange(len(layers)), min(max_steps or len(layers), len(layers)))
    trained = draw()
    raw_steps = [trained]
    for group in groups:
        for k in group:
            reinitialize(probe.layer(layers[k]), seed + 1000 * int(k))
        raw_steps.append(draw())
    cascading = {m: np.stack([spearman_rows(trained[m], step[m]) for step in raw_steps]) for m in names}
    maps = {m: np.stack([normalize(step[m]) for step in raw_steps]) for m in names}
    indep: dict[str, np.ndarray] = {}
    if independent:
        rows: dict[str, list[np.ndarray]] = {m: [] for m in names}
        for k, name in enumerate(layers):
            clone.set_weights(trained_weights)
            reinitialize(probe.layer(name), seed + 1000 * k)
            step = draw()
            for m in names:
                rows[m].append(spearman_rows(trained[m], step[m]))
        indep = {m: np.stack(rows[m]) for m in names}
    verdicts, notes = {}, {}
    for m in names:
        corr = float(cascading[m][-1].mean())
        verdicts[m] = "fails" if corr >= THRESHOLD else "partly" if corr >= CAUTION else "passes"
        notes[m] = {"fails": FLAG, "partly": PARTLY, "passes": PASSES}[verdicts[m]].format(corr=corr)
    flags = {m: notes[m] if verdicts[m] == "fails" else None for m in names}
    within = None
    if inputs.shape[-1] == 1:
        from .gradients import blank

        ink = np.abs(inputs - blank(probe, inputs))[..., 0] > 1e-6
        within = {m: np.stack([_masked_spearman(trained[m], step[m], ink) for step in raw_steps]) for m in names}
    steps = ["trained", *(layers[int(group[-1])] for group in groups)]
    return SanityCheck(methods=names, titles={cls.name: cls.title for cls in classes}, steps=steps,
                       layers=layers, inputs=inputs, targets=targets, cascading=cascading, independent=indep,
                       maps=maps, flags=flags, verdicts=verdicts, notes=notes, within_input=within)


def _masked_spearman(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.array([spearman_rows(x[m][None], y[m][None])[0] if m.sum() > 2 else 0.0
                     for x, y, m in zip(a, b, mask)])
