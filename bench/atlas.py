"""Dataset examples for every channel in one pass vs one plain model.predict pass, in one run.

    python bench/atlas.py --data mnist.npz [--images 60000] [--batch-size 1000] [-o atlas.npz]

Times cnnviz.dataset_examples (every channel of conv1, conv2, the dense layer and the 10
logits, top 9, from the uint8 training images) and then one plain ``model.predict`` over the
same images already converted to float (so the ratio is, if anything, against cnnviz).
Peak memory: the process's peak RSS right after the atlas (before predict runs) and the
peak of Python/numpy allocations during the atlas (tracemalloc). Goal: ratio <= 2, peak < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import tracemalloc

import cnnviz
from cnnviz.atlas import dataset_examples
from cnnviz.io.data import to_model_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="mnist.npz (default: $CNNVIZ_MNIST or Keras' cache)")
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("-o", "--output", default=None, help="also save the atlas here")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    mnist = cnnviz.load_mnist(args.data, download=False)
    x, y = mnist.x_train[: args.images], mnist.y_train[: args.images]
    model = cnnviz.load_model()
    probe = cnnviz.core.build.get_probe(model)
    dataset_examples(data=x[:2000], labels=y[:2000], model=model, batch_size=args.batch_size)  # warm-up: tracing
    model.predict(to_model_input(x[:2000]), batch_size=args.batch_size, verbose=0)
    load_before = os.getloadavg()

    tracemalloc.start()
    started = time.perf_counter()
    atlas = dataset_examples(data=x, labels=y, model=model, batch_size=args.batch_size)
    atlas_seconds = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    inputs = to_model_input(x)
    started = time.perf_counter()
    probe.model.predict(inputs, batch_size=args.batch_size, verbose=0)
    predict_seconds = time.perf_counter() - started
    numbers = {
        "images": len(x), "layers": atlas.layers, "channels": {n: atlas.channels(n) for n in atlas.layers},
        "atlas_seconds": atlas_seconds, "predict_seconds": predict_seconds,
        "ratio_atlas_vs_predict": atlas_seconds / predict_seconds,
        "peak_rss_bytes_after_atlas": rss_peak, "tracemalloc_peak_bytes_during_atlas": traced_peak,
        "load_before": load_before, "load_after": os.getloadavg(),
    }
    print(f"{len(x):,} images, layers {atlas.layers}: atlas {atlas_seconds:.1f} s, plain predict {predict_seconds:.1f} s,"
          f" ratio {numbers['ratio_atlas_vs_predict']:.2f} (goal <= 2)")
    print(f"peak RSS after the atlas {rss_peak / 2**30:.2f} GB (goal < 1.5); numpy/Python peak during it "
          f"{traced_peak / 2**20:.0f} MB; load {load_before[0]:.1f} -> {numbers['load_after'][0]:.1f}")
    if args.output:
        atlas.source = f"{os.path.basename(mnist.source)}, training images"
        print(f"saved {atlas.save(args.output)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(numbers, f, indent=2)


if __name__ == "__main__":
    main()
