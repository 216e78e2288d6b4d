"""A real model from outside, end to end: the public mini-Xception architecture (face_classification's
``mini_XCEPTION``: 64x64 grey, 7 expressions, separable convolutions, residual adds, BatchNorm) TRAINED on face-like
photos made in code (tests/photos.py ``expression_face``: seven made-up expressions under random shift, scale,
lighting and noise), on pixels scaled to [-1, 1] with nothing in the model saying so, saved as Keras-2-style HDF5.
(The published weights cannot be downloaded on the machines that run this; the architecture, the range convention
and the file format are the published model's.)

What it measures, against the model's own code (``model.predict`` on ``pixels / 127.5 - 1``):
predictions on photos of another size (200x200, resized by cnnviz as the model's code would), Grad-CAM against an
independent graph-mode Grad-CAM of the logit (Pearson r), the class images (every one reached?), class names in the
report, and the HTML report's time against the shipped model's PDF report in the same run (goal: <= 60 s).

    .venv/bin/python bench/trained_xception.py [--epochs 5] [--out DIR]

The training (Keras' own ``model.fit``, not cnnviz) runs in a child process with ``TF_ENABLE_ONEDNN_OPTS=0``: on a
CPU with AMX (a Xeon of 2026 here) oneDNN's backward pass of this architecture corrupts the heap and ends the process
(``corrupted size vs. prev_size``), in ``fit`` as in an eager tape; cnnviz's own calls run with oneDNN on.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def faces(per_class: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from photos import expression_face

    x = np.stack([expression_face(c, size, seed=seed + 1000 * c + k) for c in range(7) for k in range(per_class)])
    return x, np.repeat(np.arange(7), per_class)


def graph_gradcam(model, layer: str, x: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Grad-CAM of the logit (the softmax's input), written out with a tf.function: the independent check."""
    import keras
    import tensorflow as tf

    last = model.layers[-1]
    logits_in = last.input if isinstance(last, keras.layers.Activation) else model.layers[-2].output
    two = keras.Model(model.inputs, [model.get_layer(layer).output, logits_in])

    @tf.function
    def cam(x, t):
        with tf.GradientTape() as tape:
            maps, logits = two(x, training=False)
            tape.watch(maps)
            score = tf.gather(logits, t, batch_dims=1)
        grads = tape.gradient(score, maps)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        return tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))

    return cam(tf.constant(x, tf.float32), tf.constant(targets, tf.int32)).numpy()


def train(path: Path, epochs: int) -> None:
    """Train the mini-Xception on 7 x 150 faces and save it as HDF5, as the published model (run in a child)."""
    import keras
    from zoo import mini_xception

    x_train, y_train = faces(150, 64, seed=0)
    model = mini_xception()
    for layer in model.layers:  # a few hundred steps: BatchNorm's moving statistics must follow (Keras' 0.99 lags)
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = 0.9
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[..., None] / 127.5 - 1, y_train, batch_size=32, epochs=epochs, verbose=0, shuffle=True)
    model.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default=None)
    parser.add_argument("--train-only", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.train_only:
        return train(Path(args.train_only), args.epochs)
    out = Path(args.out or tempfile.mkdtemp(prefix="cnnviz-xception-"))

    import keras
    from photos import EXPRESSIONS, expression_face
    from PIL import Image

    import cnnviz

    print(f"machine: {os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.2f}", flush=True)
    x_test, y_test = faces(30, 64, seed=10_000_000)
    path = out / "mini_xception_expressions.h5"
    t = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--train-only", str(path), "--epochs", str(args.epochs)], check=True,
                   env={**os.environ, "TF_ENABLE_ONEDNN_OPTS": "0"})
    model = keras.models.load_model(path)
    accuracy = model.evaluate(x_test[..., None] / 127.5 - 1, y_test, verbose=0)[1]
    print(f"trained {args.epochs} epochs on {7 * 150} faces in {time.perf_counter() - t:.1f} s (a child process); "
          f"test accuracy {accuracy:.3f} on {len(x_test)}", flush=True)
    loaded = cnnviz.load_model(path)
    names = list(EXPRESSIONS)

    # predictions: the model's own code on 64x64 pixels, and cnnviz on 200x200 photos it resizes
    photos = [expression_face(c, 200, seed=77 + c) for c in range(7)]
    own = model.predict(np.stack([np.asarray(Image.fromarray(p).resize((64, 64), Image.BILINEAR), np.float32)
                                  for p in photos])[..., None] / 127.5 - 1, verbose=0)
    ours = np.concatenate([cnnviz.predict(p, model=loaded, input_range=(-1, 1)) for p in photos])
    print(f"predictions on 7 photos (200x200): same class {int((own.argmax(1) == ours.argmax(1)).sum())}/7, max "
          f"probability difference {np.abs(own - ours).max():.4f}; on 64x64 pixels as given: ", end="")
    direct = cnnviz.predict(x_test[:50, ..., None].astype(np.float32) / 127.5 - 1, model=loaded, input_range=(-1, 1))
    print(f"max difference {np.abs(direct - model.predict(x_test[:50, ..., None] / 127.5 - 1, verbose=0)).max():.2e}")

    # Grad-CAM against the independent graph-mode computation
    probe_x = cnnviz.core.build.get_probe(loaded, input_range=(-1, 1)).prepare(x_test[::10])
    targets = model.predict(probe_x, verbose=0).argmax(1)
    att = cnnviz.attribute(probe_x, "gradcam", targets, model=loaded, input_range=(-1, 1))
    layer = att.layer
    theirs = graph_gradcam(loaded, layer, probe_x, targets)
    from scipy.ndimage import zoom

    up = np.stack([zoom(m, (64 / m.shape[0], 64 / m.shape[1]), order=1) for m in theirs])
    rs = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(att.raw, up) if a.std() > 0 and b.std() > 0]
    print(f"Grad-CAM ({layer}) vs an independent graph-mode Grad-CAM of the logit: r min {min(rs):.3f}, "
          f"mean {np.mean(rs):.3f} over {len(rs)} images")

    t = time.perf_counter()
    result = cnnviz.maximize(list(range(7)), model=loaded, input_range=(-1, 1), class_names=names)
    print(f"class images: {int(result.reached.sum())}/7 reached in {time.perf_counter() - t:.1f} s: {result.message[:300]}")

    t = time.perf_counter()
    cnnviz.report(out / "shipped.pdf", progress=False)
    baseline = time.perf_counter() - t
    t = time.perf_counter()
    rep = cnnviz.report(out / "xception.html", path, images=photos[:2], input_range=(-1, 1), class_names=names,
                        progress=False)
    seconds = time.perf_counter() - t
    text = (out / "xception.html").read_text()
    print(f"report: {seconds:.1f} s = {seconds / baseline:.2f}x the shipped model's PDF report ({baseline:.1f} s) in "
          f"this run; {len(rep.figures)} figures, {len(rep.failures)} failures; class names in it: "
          f"{sum(n in text for n in names)}/7; load average {os.getloadavg()[0]:.2f}")
    print(f"files in {out}")


if __name__ == "__main__":
    main()
