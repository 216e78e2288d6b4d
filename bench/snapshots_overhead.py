"""Overhead of the Snapshots callback on the tutorial's recipe, every=1, in ONE run.

    python bench/snapshots_overhead.py --data mnist.npz [--epochs 2]   (or CNNVIZ_MNIST=...)

Trains the reference CNN with the tutorial's recipe (Adam 0.001, batch 128, validation 10%)
with ``cnnviz.training.callbacks.Snapshots(every=1)`` and compares, within that run, the seconds each
per-epoch snapshot took (filters, feature maps, 20 warm-started maximization steps for ten
classes, saliency of four probe images, the .npz + index + TensorBoard writes) with the
seconds of the epoch itself (Keras' training + validation, measured by cnnviz.train without
the snapshot). The one-off snapshot of the untrained network at the start (which also traces
the maximization loop) is reported separately and in the whole-run ratio. Goal: <= 10%.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import cnnviz
from cnnviz.training.callbacks import Snapshots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("CNNVIZ_MNIST"), help="Keras-style mnist.npz")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    if not args.data:
        raise SystemExit("give --data mnist.npz (or set CNNVIZ_MNIST): the overhead is measured on the full MNIST.")
    with tempfile.TemporaryDirectory() as log_dir:
        callback = Snapshots(log_dir, every=1)
        result = cnnviz.train(args.data, recipe="tutorial", epochs=args.epochs, seed=0, verbose=0, evaluate=False,
                              snapshots=callback)
        size = sum(f.stat().st_size for f in os.scandir(log_dir)) / 1e6
    epochs = np.asarray(result.history["epoch_seconds"])
    start, per_epoch = callback.seconds[0], np.asarray(callback.seconds[1:])
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average at the end)")
    print(f"epochs: {', '.join(f'{s:.2f}' for s in epochs)} s; snapshots after them: "
          f"{', '.join(f'{s:.3f}' for s in per_epoch)} s; start snapshot (untrained, tracing): {start:.2f} s")
    print(f"per-epoch overhead: mean snapshot / mean epoch = {per_epoch.mean() / epochs.mean():.4f} (goal <= 0.10)")
    print(f"whole run incl. the start snapshot: {sum(callback.seconds) / epochs.sum():.4f}")
    print(f"written: {size:.2f} MB for {len(callback.seconds)} snapshots")


if __name__ == "__main__":
    main()
