"""Training speed: the tutorial's script as written vs cnnviz's recipes, in one run on one machine.

    python bench/train_vs_tutorial.py [--data path/to/mnist.npz] [--epochs 15]

Prints, for (a) the tutorial's script (its Sequential model, model.fit on numpy arrays,
batch 128, 15 epochs, validation_split 0.1), (b) `cnnviz.train()` with the default
(tutorial) recipe and (c) `cnnviz.train(recipe="fast")`: wall time of training and test
accuracy; then the ratios:
  - fast, over 5 seeds: test accuracy >= 0.990 for every seed; the time until the test accuracy
    first reaches the tutorial's reported 0.9893, and the whole recipe's time, slowest seed,
    over the tutorial's 15-epoch time (goal <= 0.20);
  - default: cnnviz.train() time over the tutorial's time (goal <= 1.05: no overhead).
The per-epoch test evaluation used to find "time to reach" is not counted as training time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import keras
import numpy as np

import cnnviz
from cnnviz.io.data import to_model_input
from cnnviz.training.recipes import TUTORIAL_TEST_ACCURACY


def tutorial_script(mnist, epochs: int) -> tuple[float, float]:
    """The tutorial's code, unchanged but for the data source (cnnviz's loader) and timing.

    Timed like cnnviz.train() below: from the arrays in memory to the end of fit (data
    scaling, model, compile, fit), test evaluation not included."""
    started = time.perf_counter()
    x_train, x_test = mnist.x_train.astype("float32") / 255, mnist.x_test.astype("float32") / 255
    x_train, x_test = np.expand_dims(x_train, -1), np.expand_dims(x_test, -1)
    y_train, y_test = keras.utils.to_categorical(mnist.y_train, 10), keras.utils.to_categorical(mnist.y_test, 10)
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(filters=32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Conv2D(filters=64, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(units=10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - started
    return seconds, float(model.evaluate(x_test, y_test, verbose=0)[1])


class TestAccuracyPerEpoch(keras.callbacks.Callback):
    """After each epoch: the wall time since the run started (less the time spent here), and test accuracy."""

    def __init__(self, x, y, started: float):
        super().__init__()
        self.x, self.y, self.started = x, y, started
        self.accuracy: list[float] = []
        self.elapsed: list[float] = []
        self.eval_seconds = 0.0

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.elapsed.append(now - self.started - self.eval_seconds)
        probs = self.model.predict(self.x, batch_size=1000, verbose=0)
        self.accuracy.append(float((probs.argmax(1) == self.y).mean()))
        self.eval_seconds += time.perf_counter() - now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="mnist.npz (default: $CNNVIZ_MNIST, Keras' cache, the download)")
    parser.add_argument("--epochs", type=int, default=15, help="tutorial epochs (15 as written)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fast-seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5],
                        help="seeds of the fast recipe (goal: test accuracy >= 0.990 for every one)")
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args()
    mnist = cnnviz.load_mnist(args.data)
    keras.utils.set_random_seed(args.seed)
    print(f"machine: {platform.platform()}, {platform.machine()}, cpus={__import__('os').cpu_count()}; "
          f"TensorFlow {__import__('tensorflow').__version__}, Keras {keras.__version__}; data {mnist.source}")

    tut_seconds, tut_acc = tutorial_script(mnist, args.epochs)
    print(f"(a) tutorial script: {args.epochs} epochs in {tut_seconds:.1f} s, test accuracy {tut_acc:.4f}")

    started = time.perf_counter()  # the whole call: data preparation, compile, fit
    default = cnnviz.train(mnist, epochs=args.epochs, seed=args.seed, verbose=0, evaluate=False)
    default_seconds = time.perf_counter() - started
    default_acc = cnnviz.evaluate(default.model, mnist).accuracy
    print(f"(b) cnnviz.train() default recipe: {default_seconds:.1f} s, test accuracy {default_acc:.4f}")

    fast_runs = []
    for seed in args.fast_seeds:
        started = time.perf_counter()
        tracker = TestAccuracyPerEpoch(to_model_input(mnist.x_test), mnist.y_test, started)
        cnnviz.train(mnist, recipe="fast", seed=seed, verbose=0, evaluate=False, callbacks=[tracker])
        cumulative = np.array(tracker.elapsed)
        reached = [i for i, acc in enumerate(tracker.accuracy) if acc >= TUTORIAL_TEST_ACCURACY]
        to_reach = float(cumulative[reached[0]]) if reached else float("nan")
        fast_runs.append({"seed": seed, "seconds": float(cumulative[-1]), "test_accuracy": tracker.accuracy[-1],
                          "accuracy_per_epoch": tracker.accuracy, "seconds_to_reach_0.9893": to_reach,
                          "load": os.getloadavg()[0]})
        print(f"(c) cnnviz.train(recipe='fast', seed={seed}): {len(cumulative)} epochs in {cumulative[-1]:.1f} s, "
              f"test accuracy {tracker.accuracy[-1]:.4f}; per epoch {[round(a, 4) for a in tracker.accuracy]}; "
              f"reached {TUTORIAL_TEST_ACCURACY} after epoch {reached[0] + 1 if reached else 'never'} ({to_reach:.1f} s);"
              f" load {os.getloadavg()[0]:.1f}", flush=True)
    reach = [r["seconds_to_reach_0.9893"] for r in fast_runs if not np.isnan(r["seconds_to_reach_0.9893"])]
    worst_reach = max(reach) if reach else float("nan")
    worst_total = max(r["seconds"] for r in fast_runs)
    accuracies = [r["test_accuracy"] for r in fast_runs]

    numbers = {
        "tutorial_seconds": tut_seconds, "tutorial_test_accuracy": tut_acc,
        "default_seconds": default_seconds, "default_test_accuracy": default_acc,
        "fast_runs": fast_runs, "fast_min_test_accuracy": min(accuracies),
        "fast_seeds_at_or_above_0.990": sum(a >= 0.990 for a in accuracies),
        "ratio_fast_to_reach_vs_tutorial_worst_seed": worst_reach / tut_seconds,
        "ratio_fast_total_vs_tutorial_worst_seed": worst_total / tut_seconds,
        "ratio_default_vs_tutorial": default_seconds / tut_seconds,
        "load_end": os.getloadavg(),
    }
    print(f"fast recipe test accuracy over {len(accuracies)} seeds: min {min(accuracies):.4f}, "
          f"mean {np.mean(accuracies):.4f}; {numbers['fast_seeds_at_or_above_0.990']}/{len(accuracies)} >= 0.990 "
          "(goal: all)")
    print(f"ratio fast (time to reach {TUTORIAL_TEST_ACCURACY}, slowest of the {len(reach)} seeds that reached it) / "
          f"tutorial 15 epochs: {numbers['ratio_fast_to_reach_vs_tutorial_worst_seed']:.3f}  (goal <= 0.20)")
    print(f"ratio fast (whole recipe, slowest seed) / tutorial: {numbers['ratio_fast_total_vs_tutorial_worst_seed']:.3f}"
          "  (goal <= 0.20)")
    print(f"ratio cnnviz.train() default / tutorial: {numbers['ratio_default_vs_tutorial']:.3f}  (goal <= 1.05)")
    print(f"load average at the end: {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(numbers, f, indent=2)


if __name__ == "__main__":
    main()
