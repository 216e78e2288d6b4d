"""What :func:`cnnviz.maximize` returns: the images, their scores, and whether each reached its target."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.display import shows
from . import objectives as O
from .presets import Regularization


@shows("cnnviz.notebook:_plot_maximization_result")  # drawn by this figure when it ends a notebook cell
@dataclass
class MaximizationResult:
    """Images that maximize an objective, one per target (``n`` per target when asked for several).

    ``images``: (N, H, W, C) in the display range [0, 1] (what to look at); ``model_images``: the same in the
    model's input range (what the model was fed); ``scores``: (rows, N), the objective (without penalties) at
    the steps in ``score_steps`` (every step up to 1,000 steps, every k-th after); ``probabilities``: (N,
    classes) of the final images; ``reached``: per image, whether the target was reached (class: it is the
    model's top class with softmax >= :data:`~cnnviz.optvis.reached.REACHED_SOFTMAX`; other objectives: the objective on the final
    image is above its mean over real images, ``real_scores``); ``message``: one line with every image's
    softmax (or score), saying which were not reached; ``adjustments``: what the default did on its own
    (lighter penalties, more steps) for targets it first missed.
    """

    images: np.ndarray
    targets: list[int]
    scores: np.ndarray
    probabilities: np.ndarray
    objective: str
    regularization: Regularization | None
    steps: int
    seed: int
    layer: str | None = None
    model_images: np.ndarray | None = None
    reached: np.ndarray | None = None
    message: str = ""
    param: str = "pixels"
    prior: str | None = None
    transforms: tuple = ()
    score_steps: np.ndarray | None = None
    spec: O.Objective | None = field(default=None, repr=False)
    class_names: list[str] = field(default_factory=list)  # the model's, for titles (empty: the indices)
    final_scores: np.ndarray | None = None
    real_scores: np.ndarray | None = None
    adjustments: list[str] = field(default_factory=list)
    backed_off: np.ndarray | None = None  # per image: made by the default's back-off (see ``adjustments``)

    @property
    def predicted(self) -> np.ndarray:
        """The class the model gives each final image."""
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        """The softmax each image gets for its own target class (class objectives only)."""
        return self.probabilities[np.arange(len(self.targets)), self.targets]

    @property
    def kind(self) -> str:
        """"data prior" (natural digits the model responds to) or "pixels" (what it responds to at all)."""
        return "data prior" if self.prior == "data" else "pixels"

    def __len__(self) -> int:
        return len(self.targets)


__all__ = ["MaximizationResult"]
