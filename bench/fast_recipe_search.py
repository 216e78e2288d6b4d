"""Search for a fast recipe with margin: test accuracy of candidate recipes over seeds, on the full MNIST.

    python bench/fast_recipe_search.py --data mnist.npz --seeds 1 2 [--only NAME ...]

Each candidate is cnnviz.train() with a variant of the fast recipe; prints epochs, seconds and test accuracy.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import replace

import cnnviz
from cnnviz.training.recipes import RECIPES

FAST = RECIPES["fast"]
PLAIN2 = replace(FAST, epochs=2, augment=False)  # the recipe before: 2 epochs, batch 64, no augmentation
CANDIDATES = {  # name: (recipe, other train() settings); the results are in the README ("Numbers")
    # first round (batch 128, lr 0.006 was the recipe then)
    "fast-2ep-b128-lr6e-3": (replace(PLAIN2, batch_size=128, learning_rate=6e-3), {}),
    "3ep-b256-lr6e-3": (replace(PLAIN2, epochs=3, batch_size=256, learning_rate=6e-3), {}),
    "3ep-b256-lr6e-3-ls0.1": (replace(PLAIN2, epochs=3, batch_size=256, learning_rate=6e-3, label_smoothing=0.1), {}),
    "2ep-b64-lr4e-3": (PLAIN2, {}),
    "2ep-b128-lr6e-3-ema": (replace(PLAIN2, batch_size=128, learning_rate=6e-3, ema=True), {}),
    "2ep-b128-lr6e-3-noval": (replace(PLAIN2, batch_size=128, learning_rate=6e-3), {"validation_split": 0.0}),
    # second round: margin for every seed
    "2ep-b32-lr3e-3": (replace(PLAIN2, batch_size=32, learning_rate=3e-3, steps_per_execution=8), {}),
    "2ep-b16-lr2e-3": (replace(PLAIN2, batch_size=16, learning_rate=2e-3, steps_per_execution=8), {}),
    "2ep-b64-noval": (PLAIN2, {"validation_split": 0.0}),
    "2ep-b64-ls0.1": (replace(PLAIN2, label_smoothing=0.1), {}),
    "2ep-b64-lr3e-3": (replace(PLAIN2, learning_rate=3e-3), {}),
    "3ep-b64": (replace(PLAIN2, epochs=3), {}),
    "2ep-b64-augment": (replace(PLAIN2, augment=True), {}),
    "3ep-b64-augment (the recipe now)": (FAST, {}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="mnist.npz (default: $CNNVIZ_MNIST or Keras' cache)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[5, 1])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    mnist = cnnviz.load_mnist(args.data, download=False)
    rows = []
    for name, overrides in CANDIDATES.items():
        if args.only and name not in args.only:
            continue
        recipe, settings = overrides
        for seed in args.seeds:
            started = time.perf_counter()
            result = cnnviz.train(mnist, recipe=recipe, seed=seed, verbose=0, **settings)
            row = {"candidate": name, "seed": seed, "seconds": time.perf_counter() - started,
                   "test_accuracy": result.test_accuracy, "load": os.getloadavg()[0]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
