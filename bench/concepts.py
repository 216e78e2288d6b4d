"""Concepts of conv2 over the full MNIST training set vs one plain model.predict pass, in one run.

    python bench/concepts.py --data mnist.npz [--images 60000] [--json out.json]

Times cnnviz.concepts("conv2", n=8) fitting on the uint8 training images in one streaming pass (with evidence:
fidelity on the held-out test images and two half-stream dictionaries fitted side by side; no feature
visualizations) and one plain ``model.predict`` over the same images already converted to float, after a
warm-up of both (tracing is not timed). Peak memory: the process's peak RSS right after the fit (before predict
runs), beside the RSS after importing cnnviz (TensorFlow) and loading the model and MNIST (``rss_base_mb``: what
any TensorFlow program holding this model and data holds) and after the warm-up (``rss_warm_mb``: TensorFlow's
traced functions and allocator pools added). ``--trace``: also the peak of Python/numpy allocations during a fit
(tracemalloc; slower, so timed apart). Then a second fit with another seed (stability across seeds), and R^2 on
held-out test images beside PCA's at n=8 (fitted on the same sampled positions). Goals: fit <= 2x predict,
< 1.5 GB, R^2 >= 0.9 of PCA's, stability >= 0.9, fidelity ratio >= 3.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import tracemalloc

from timing import rss_mb  # bench/timing.py, beside this script

import cnnviz
from cnnviz.concepts import concepts, match_dictionaries
from cnnviz.io.data import to_model_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help="mnist.npz (default: $CNNVIZ_MNIST or Keras' cache)")
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--holdout", type=int, default=2000, help="held-out test images for R^2 and fidelity")
    parser.add_argument("--json", default=None)
    parser.add_argument("--trace", action="store_true", help="also trace numpy's peak during one more fit")
    args = parser.parse_args()
    mnist = cnnviz.load_mnist(args.data, download=False)
    x, y = mnist.x_train[: args.images], mnist.y_train[: args.images]
    xt, yt = mnist.x_test, mnist.y_test
    model = cnnviz.load_model()
    rss_base = rss_mb()
    common = dict(n=8, model=model, holdout_data=xt, holdout_labels=yt, holdout=args.holdout, visualize=False)
    concepts("conv2", data=x[:2000], labels=y[:2000], evidence=True, **common)  # warm-up: tracing
    model.predict(to_model_input(x[:2000]), batch_size=1000, verbose=0)
    load_before = os.getloadavg()
    rss_warm = rss_mb()

    start = time.perf_counter()
    result = concepts("conv2", data=x, labels=y, seed=0, evidence=True, **common)
    fit_s = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced_mb = None
    if args.trace:
        tracemalloc.start()
        concepts("conv2", data=x, labels=y, seed=0, evidence=True, **common)
        traced_mb = round(tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()

    floats = to_model_input(x)
    start = time.perf_counter()
    model.predict(floats, batch_size=1000, verbose=0)
    predict_s = time.perf_counter() - start
    del floats

    other = concepts("conv2", data=x, labels=y, seed=1, evidence=False, k=1, **common)
    seeds = match_dictionaries(result.dictionary, other.dictionary)["mean_cosine"]
    f = result.evidence["fidelity"]
    out = {
        "images": int(result.images_seen), "holdout": int(result.holdout_seen),
        "fit_s": round(fit_s, 1), "predict_s": round(predict_s, 1), "ratio": round(fit_s / predict_s, 2),
        "peak_rss_mb": round(peak_mb), "rss_base_mb": round(rss_base), "rss_warm_mb": round(rss_warm),
        "numpy_peak_mb": traced_mb, "restarts": result.evidence.get("restarts"), "r2": round(result.r2, 4), "pca_r2": round(result.pca_r2, 4),
        "r2_share": round(result.r2_share, 3), "stability_seeds": round(seeds, 4),
        "stability_halves": round(result.evidence["stability"]["mean_cosine"], 4),
        "fidelity_top_drop": round(f["top_drop"], 3), "fidelity_random_drop": round(f["random_drop"], 3),
        "fidelity_ratio": round(f["ratio"], 2), "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()], "cpus": os.cpu_count(),
    }
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
