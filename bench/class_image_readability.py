"""Do class images read as their digit? Checks that share nothing with the CNN being explained.

    python bench/class_image_readability.py --data PATH/mnist.npz [--seeds 3] [--json out.json]

For each kind of class image (pixels with no constraint, "default", the previous default, the "l1"
constraint, Fourier + L1 + transforms, and the data prior), 10 classes x ``--seeds`` seeds, on the shipped
model:

- **CNN**: how many the explained model gives softmax >= 0.99 for their target (the objective itself);
- **k-NN**: how many a 3-nearest-neighbour classifier on raw pixels (the 60,000 training digits) reads as
  the target: it has no learned features at all, so adversarial patterns do not transfer to it;
- **PCA+LR**: the same with a logistic regression on the first 50 principal components of the pixels;
- **NN distance**: the median pixel (L2) distance from each image to its nearest training digit, divided by
  the same median for 1,000 real test digits (1.0 = as close to real digits as real digits are);
- **time**: wall seconds for the ten images (warm, one run).

The data prior is trained on the same training digits, so its NN distance favours it: read that column
with the two classifiers. A CNN "judge" is left out on purpose (another CNN reads even the fake digits).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import cnnviz
from cnnviz.optvis.param import fourier
from cnnviz.optvis.transforms import jitter, pad, rotate, scale

READABLE = dict(regularization="l1", param=fourier(), transforms=[pad(2), jitter(2), scale((0.9, 1.1)), rotate(10)])
KINDS = {
    "none (fake digits)": dict(regularization="none"),
    "default (80 steps)": dict(),
    "previous default (200 steps)": dict(steps=200, learning_rate=0.1, blur=0.5),
    "l1 (pixels)": dict(regularization="l1"),
    "fourier + l1 + transforms": READABLE,
    "data prior": dict(prior="data"),
}


def nearest(queries: np.ndarray, train: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the k nearest training images and the distance to the nearest, in chunks."""
    t2 = (train**2).sum(axis=1)
    idx, dist = [], []
    for i in range(0, len(queries), 256):
        q = queries[i:i + 256]
        d2 = (q**2).sum(axis=1)[:, None] + t2[None, :] - 2 * q @ train.T
        part = np.argpartition(d2, k, axis=1)[:, :k]
        rows = np.arange(len(q))[:, None]
        order = np.argsort(d2[rows, part], axis=1)
        idx.append(part[rows, order])
        dist.append(np.sqrt(np.maximum(d2[rows, part[rows, order[:, :1]]][:, 0], 0)))
    return np.concatenate(idx), np.concatenate(dist)


def knn_predict(queries: np.ndarray, train: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx, dist = nearest(queries, train)
    votes = labels[idx]
    pred = np.array([np.bincount(v, minlength=10).argmax() for v in votes])
    return pred, dist


class PcaLogistic:
    """Multinomial logistic regression on the first ``dims`` principal components (numpy, full-batch)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, dims: int = 50, steps: int = 300):
        self.mean = x.mean(axis=0)
        _, vecs = np.linalg.eigh(np.cov((x - self.mean).T))
        self.basis = vecs[:, ::-1][:, :dims]
        z = self._features(x)
        self.w, self.b = np.zeros((dims, 10)), np.zeros(10)
        onehot = np.eye(10)[y]
        m, v = np.zeros_like(self.w), np.zeros_like(self.w)
        for t in range(1, steps + 1):  # Adam on the full batch
            p = self._proba(z)
            gw, gb = z.T @ (p - onehot) / len(z), (p - onehot).mean(axis=0)
            m, v = 0.9 * m + 0.1 * gw, 0.999 * v + 0.001 * gw**2
            self.w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            self.b -= 0.05 * gb

    def _features(self, x):
        z = (x - self.mean) @ self.basis
        if not hasattr(self, "scale"):
            self.scale = z.std(axis=0) + 1e-6
        return z / self.scale

    def _proba(self, z):
        logits = z @ self.w + self.b
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._proba(self._features(x)).argmax(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="mnist.npz (else CNNVIZ_MNIST or Keras' cache)")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    mnist = cnnviz.load_mnist(args.data)
    train = mnist.x_train.reshape(len(mnist.x_train), -1).astype(np.float32) / 255.0
    y_train = mnist.y_train.astype(int)
    test = mnist.x_test[:1000].reshape(1000, -1).astype(np.float32) / 255.0
    started = time.perf_counter()
    lr = PcaLogistic(train, y_train)
    test_pred, test_dist = knn_predict(test, train, y_train)
    real_median = float(np.median(test_dist))
    print(f"load average {os.getloadavg()[0]:.2f}; judges ready in {time.perf_counter() - started:.0f} s: "
          f"k-NN {np.mean(test_pred == mnist.y_test[:1000]):.3f}, PCA+LR "
          f"{np.mean(lr.predict(test) == mnist.y_test[:1000]):.3f} on 1,000 real test digits; real digits' median "
          f"distance to the nearest training digit {real_median:.2f}")
    classes = list(range(10))
    rows = {}
    print(f"{'kind':28s} {'CNN>=0.99':>10s} {'k-NN':>7s} {'PCA+LR':>7s} {'NN dist':>8s} {'time':>7s}")
    for name, kw in KINDS.items():
        cnnviz.maximize(classes, seed=99, **kw)  # warm-up (tracing)
        images, targets, conf, seconds = [], [], [], []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            r = cnnviz.maximize(classes, seed=seed, **kw)
            seconds.append(time.perf_counter() - t0)
            images.append(r.images.reshape(10, -1))
            targets += classes
            conf.append(r.confidence)
        x, y, conf = np.concatenate(images), np.array(targets), np.concatenate(conf)
        knn, dist = knn_predict(x, train, y_train)
        row = {"cnn": float(np.mean(conf >= 0.99)), "knn": float(np.mean(knn == y)),
               "pca_lr": float(np.mean(lr.predict(x) == y)), "nn_distance_ratio": float(np.median(dist) / real_median),
               "seconds": float(np.median(seconds)), "n": int(len(y))}
        rows[name] = row
        print(f"{name:28s} {row['cnn']:10.2f} {row['knn']:7.2f} {row['pca_lr']:7.2f} {row['nn_distance_ratio']:8.2f} "
              f"{row['seconds']:6.2f}s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"real_median_nn_distance": real_median, "kinds": rows}, f, indent=2)


if __name__ == "__main__":
    main()
