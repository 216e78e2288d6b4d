"""How to train: the tutorial's recipe and faster ones (:data:`RECIPES`), the learning-rate schedule and scaling.

>>> RECIPES["tutorial"].epochs, RECIPES["tutorial"].batch_size
(15, 128)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import keras

from ..registry import Registry

TUTORIAL_TEST_ACCURACY = 0.9893


@dataclass(frozen=True)
class Recipe:
    """How to train: the tutorial's recipe, or a faster one. Every field can be overridden in ``train``."""

    name: str
    epochs: int
    batch_size: int
    learning_rate: float
    schedule: str = "constant"  # or "warmup_cosine": linear warm-up, then cosine decay to zero
    warmup_fraction: float = 0.0
    augment: bool = False  # small random rotations, zooms and shifts (cnnviz.training.augment), keyed by (seed, epoch, batch)
    ema: bool = False  # keep an exponential moving average of the weights and end on it
    label_smoothing: float = 0.0
    steps_per_execution: int = 1  # batches per call into TensorFlow (fewer Python round trips; same maths)
    description: str = ""


RECIPES: Registry[Recipe] = Registry("recipe", verb="choose")  # reads like a dict of name -> Recipe
for _name, _recipe in {
    "tutorial": Recipe(
        "tutorial", epochs=15, batch_size=128, learning_rate=1e-3,
        description="The tutorial's recipe: Adam (lr 0.001), batch 128, 15 epochs, validation_split 0.1.",
    ),
    "fast": Recipe(
        "fast", epochs=3, batch_size=64, learning_rate=4e-3, schedule="warmup_cosine", warmup_fraction=0.1,
        augment=True, steps_per_execution=4,
        description="Adam with a linear warm-up to lr 0.004 then cosine decay to zero (one cycle), batch 64, 3 epochs, "
        "small random shifts/rotations/zooms of the training images, 4 batches per call into TensorFlow.",
    ),
    "augmented": Recipe(
        "augmented", epochs=24, batch_size=128, learning_rate=3e-3, schedule="warmup_cosine", warmup_fraction=0.05,
        augment=True, ema=True,
        description="Warm-up + cosine Adam (peak lr 0.003) with a moving average of the weights, batch 128, "
        "24 epochs, small random shifts/rotations/zooms of the training images. The shipped model's recipe.",
    ),
}.items():
    RECIPES.register(_name, _recipe)


def _schedule(recipe: Recipe, steps_per_epoch: int, epochs: int, learning_rate: float):
    if recipe.schedule == "constant":
        return learning_rate
    total = max(1, steps_per_epoch * epochs)
    warmup = max(1, int(total * recipe.warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate / 25, decay_steps=total - warmup, alpha=0.0,
        warmup_target=learning_rate, warmup_steps=warmup,
    )


LR_SCALINGS: dict[str, Callable[[float, int], float]] = {
    "linear": lambda lr, replicas: lr * replicas,  # Goyal et al. 2017: k times the batch, k times the rate
    "sqrt": lambda lr, replicas: lr * math.sqrt(replicas),
    "none": lambda lr, replicas: lr,
}
LR_SCALING_NOTES = {
    "linear": "linear: the recipe's rate x replicas (the global batch is replicas x larger)",
    "sqrt": "square root: the recipe's rate x sqrt(replicas)",
    "none": "none: the recipe's rate as given, whatever the global batch",
}
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def _check_settings(epochs: int, batch_size: int, validation_split: float, lr_scaling: str, precision: str) -> None:
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be at least 1 (got epochs={epochs}, batch_size={batch_size}).")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1) (got {validation_split}).")
    if lr_scaling not in LR_SCALINGS:
        raise ValueError(f"unknown lr_scaling {lr_scaling!r}; choose one of: {', '.join(LR_SCALINGS)}.")
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}.")

__all__ = ["Recipe", "RECIPES"]
