"""cnnviz: see what a convolutional neural network has learned.

>>> import cnnviz
>>> model = cnnviz.load_model()          # the shipped MNIST CNN
>>> model.count_params()
34826
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of users' terminals

from .data import DataError, load_mnist, load_sample, preprocess  # noqa: E402
from .evaluate import Evaluation, evaluate  # noqa: E402
from .model import ModelError, load_model, reference_model, save_model  # noqa: E402
from .plots import figure_bytes, plot_confusion, plot_history, save_figure  # noqa: E402
from .train import RECIPES, TrainResult, load_card, load_history, train  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "RECIPES",
    "DataError",
    "Evaluation",
    "ModelError",
    "TrainResult",
    "evaluate",
    "figure_bytes",
    "load_card",
    "load_history",
    "load_mnist",
    "load_model",
    "load_sample",
    "plot_confusion",
    "plot_history",
    "preprocess",
    "reference_model",
    "save_figure",
    "save_model",
    "train",
]
