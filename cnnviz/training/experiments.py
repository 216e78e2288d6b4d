"""The tutorial's batch-size experiment: how long one epoch takes for a few batch sizes.

Small batches mean more parameter updates per epoch, and each update costs time; big
batches are computed in parallel, so an epoch gets faster up to a point. The tutorial
quotes 166 s an epoch for batch size 1 and 17 s for batch size 10 (on a GPU, full MNIST).

>>> import cnnviz
>>> timing = cnnviz.training.experiments.time_batch_sizes([32, 256], data="sample")
>>> timing["batch_size"], timing["updates_per_epoch"]
([32, 256], [29, 4])
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..io.data import MNIST


def time_batch_sizes(batch_sizes: Sequence[int], data: MNIST | str | os.PathLike | None = "sample", epochs: int = 1,
                     *, seed: int = 0, warmup: bool = True,
                     on_result: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, list]:
    """Train the reference CNN with each batch size (the tutorial's recipe) and time its epochs.

    Each run is a real :func:`cnnviz.train`. With ``warmup`` an extra first epoch is run
    and not counted, because it includes building the graph; then ``epochs`` epochs are
    timed and their mean reported. ``on_result(batch_size, row)`` is called after each
    run (for progress bars). Returns columns: ``batch_size``, ``seconds_per_epoch``,
    ``updates_per_epoch``, ``val_accuracy`` (after the last epoch), ``train_images``.

    >>> time_batch_sizes([128], data="sample")["seconds_per_epoch"][0] > 0
    True
    """
    from .loop import resolve_data, train

    sizes = [int(b) for b in batch_sizes]
    if not sizes or any(b < 1 for b in sizes):
        raise ValueError(f"give one or more batch sizes of at least 1 (got {list(batch_sizes)}).")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1 (got {epochs}).")
    mnist = resolve_data(data)
    fit_images = len(mnist.x_train) - int(len(mnist.x_train) * 0.1)  # train() holds out 10% for validation
    table: dict[str, list] = {"batch_size": [], "seconds_per_epoch": [], "updates_per_epoch": [], "val_accuracy": [],
                              "train_images": []}
    skip = 1 if warmup else 0
    for size in sizes:
        result = train(mnist, recipe="tutorial", epochs=epochs + skip, batch_size=size, seed=seed, evaluate=False,
                       verbose=0)
        seconds = result.history["epoch_seconds"][skip:]
        row = {"batch_size": size, "seconds_per_epoch": float(np.mean(seconds)),
               "updates_per_epoch": math.ceil(fit_images / size),
               "val_accuracy": float(result.history.get("val_accuracy", [float("nan")])[-1]),
               "train_images": fit_images}
        for key, value in row.items():
            table[key].append(value)
        if on_result is not None:
            on_result(size, row)
    return table


def plot_batch_timing(timing: dict[str, list], *, dpi: int = 150) -> Figure:
    """Seconds per epoch against batch size (log scale), with the number of updates per epoch.

    >>> fig = plot_batch_timing({"batch_size": [1, 10, 100], "seconds_per_epoch": [9.0, 1.2, 0.3],
    ...                          "updates_per_epoch": [900, 90, 9], "train_images": [900] * 3})
    >>> len(fig.axes)
    2
    """
    from ..style import ACCENT, TRAIN_COLOR, caption, figure

    sizes = np.asarray(timing["batch_size"])
    seconds = np.asarray(timing["seconds_per_epoch"])
    updates = np.asarray(timing["updates_per_epoch"])
    fig = figure(figsize=(6.4, 3.2), dpi=dpi)
    ax = fig.subplots()
    ax.plot(sizes, seconds, "o-", color=TRAIN_COLOR, label="seconds per epoch")
    for b, s in zip(sizes, seconds):
        ax.annotate(f"{s:.2f} s", (b, s), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    ax.set_xscale("log")
    ax.set_xticks(sizes, [str(b) for b in sizes])
    ax.minorticks_off()
    ax.set_xlabel("batch size")
    ax.set_ylabel("seconds per epoch", color=TRAIN_COLOR)
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    twin.plot(sizes, updates, "s--", color=ACCENT, ms=3, label="updates per epoch")
    twin.set_yscale("log")
    twin.set_ylabel("parameter updates per epoch", color=ACCENT)
    twin.spines["right"].set_visible(True)
    images = timing.get("train_images", [None])[0]
    ax.set_title(f"Time per epoch by batch size{f' ({images:,} training images)' if images else ''}")
    return caption(fig, "Each batch is one parameter update; small batches make many slow updates, large batches are "
                        "computed in parallel, so an epoch takes less time (the tutorial's batch-size picture).")


__all__ = ["plot_batch_timing", "time_batch_sizes"]
