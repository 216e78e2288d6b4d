"""Rebuild the MNIST sample bundled in cnnviz/_sample/ from a full MNIST npz.

Usage: python scripts/make_sample.py [path/to/mnist.npz]   (default: $CNNVIZ_MNIST, Keras' cache, the download)

Takes 100 images of each digit from the training set and 100 of each digit from the
test set (seeded, so the sample is the same every time) and writes them compressed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

PER_CLASS = 100
OUT = Path(__file__).resolve().parents[1] / "cnnviz" / "_sample" / "mnist_sample.npz"


def stratified(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    picks = np.concatenate([rng.choice(np.flatnonzero(y == d), PER_CLASS, replace=False) for d in range(10)])
    picks = rng.permutation(picks)
    return x[picks], y[picks]


def main(path: str) -> None:
    with np.load(path, allow_pickle=False) as f:
        rng = np.random.default_rng(2024)
        x_train, y_train = stratified(f["x_train"], f["y_train"], rng)
        x_test, y_test = stratified(f["x_test"], f["y_test"], rng)
    np.savez_compressed(OUT, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    import cnnviz

    main(sys.argv[1] if len(sys.argv) > 1 else cnnviz.load_mnist().source)
