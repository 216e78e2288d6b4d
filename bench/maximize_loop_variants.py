"""Why cnnviz.maximize is not faster: the bare compute of its loop, and what XLA and bfloat16 do to it.

    python bench/maximize_loop_variants.py

The shipped network's forward + backward pass to the input, 10 images x 200 steps, plain SGD, no
regularizers, in one `tf.while_loop` inside `tf.function`: (a) float32 graph, (b) the same with XLA
(`jit_compile=True`), (c) bfloat16 compute. Then (d) `cnnviz.maximize(range(10), regularization="none")`
and (e) with its defaults. Best of 5 after a warm-up.
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf

import cnnviz

STEPS = 200


def bare_loop(model, dtype=tf.float32, jit: bool = False):
    k1, b1 = (tf.cast(v, dtype) for v in model.get_layer("conv1").get_weights())
    k2, b2 = (tf.cast(v, dtype) for v in model.get_layer("conv2").get_weights())
    w, b = (tf.cast(v, dtype) for v in model.get_layer("predictions").get_weights())
    targets = tf.range(10)

    @tf.function(jit_compile=jit)
    def loop(x):
        def body(i, x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                h = tf.cast(tf.sigmoid(x), dtype)
                h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(h, k1, 1, "VALID") + b1), 2, 2, "VALID")
                h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(h, k2, 1, "VALID") + b2), 2, 2, "VALID")
                logits = tf.cast(tf.reshape(h, (10, -1)) @ w + b, tf.float32)
                score = tf.reduce_sum(tf.gather(logits, targets, axis=1, batch_dims=1))
            return i + 1, x + 0.1 * tape.gradient(score, x)

        return tf.while_loop(lambda i, x: i < STEPS, body, (0, x))[1]

    return loop


def best_of(fn, repeats: int = 5) -> float:
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    model = cnnviz.load_model()
    x = tf.constant(np.random.default_rng(0).normal(-2, 0.5, (10, 28, 28, 1)).astype("float32"))
    graph, xla, bf16 = bare_loop(model), bare_loop(model, jit=True), bare_loop(model, tf.bfloat16)
    rows = [
        ("(a) bare loop, float32 graph", lambda: graph(x).numpy()),
        ("(b) bare loop, XLA", lambda: xla(x).numpy()),
        ("(c) bare loop, bfloat16", lambda: bf16(x).numpy()),
        ("(d) cnnviz.maximize, no regularizers", lambda: cnnviz.maximize(list(range(10)), regularization="none")),
        ("(e) cnnviz.maximize, defaults", lambda: cnnviz.maximize(list(range(10)))),
    ]
    for name, fn in rows:
        print(f"{name:40s} {best_of(fn):.3f} s", flush=True)


if __name__ == "__main__":
    main()
