"""Attribution methods on the shipped MNIST CNN: speed, faithfulness, sanity.

    .venv/bin/python bench/attribution.py --data mnist.npz        # or CNNVIZ_MNIST=...; else the 1,000-image sample

1. speed: images/s per method on the MNIST test images (all 10,000 unless a method runs past --budget
   seconds; then the rate on the images it did), and the ratio to saliency (one gradient per image) in
   this same run;
2. faithfulness: deletion and insertion area under the curve on --faith-images test images (1,000), with
   random order as the row to beat; and the time of the batched curves for 100 images x 5 methods x 29 steps;
3. sanity: Spearman correlation of |map| with the trained model's after every layer is re-initialized
   (cascading, top first), over --sanity-images images, on all pixels (Adebayo et al.) and on the digit's
   own pixels only; the verdict cnnviz gives.

Prints Markdown tables (for the README) and writes them with the raw numbers to --json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def load(path: str | None):
    from cnnviz.io.data import resolve_data

    return resolve_data(path, download=False, or_sample=True)


def speed(x, methods, budget: float, chunk: int = 250) -> dict[str, dict]:
    import cnnviz

    out = {}
    for m in methods:
        cnnviz.attribute(x[:8], m)  # warm-up: traces the graphs
        done, start = 0, time.perf_counter()
        while done < len(x) and time.perf_counter() - start < budget:
            cnnviz.attribute(x[done:done + chunk], m)
            done += len(x[done:done + chunk])
        seconds = time.perf_counter() - start
        out[m] = {"images": done, "seconds": seconds, "per_s": done / seconds}
        print(f"  speed {m:<13} {done:>6} images in {seconds:6.1f} s = {done / seconds:8.1f} images/s", flush=True)
    base = out.get("saliency", {}).get("per_s")
    for m in out:
        out[m]["vs_saliency"] = out[m]["per_s"] / base if base else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("CNNVIZ_MNIST"), help="mnist.npz (default: CNNVIZ_MNIST, "
                        "Keras' cache, else the bundled 1,000-image sample)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per method for the speed test")
    parser.add_argument("--faith-images", type=int, default=1000)
    parser.add_argument("--sanity-images", type=int, default=100)
    parser.add_argument("--json", default="bench/attribution.json")
    parser.add_argument("--timing-only", action="store_true", help="only the 100 x 5 x 29 faithfulness timing")
    args = parser.parse_args()

    import numpy as np

    import cnnviz
    from cnnviz.attribution import method_names, method_title

    mnist = load(args.data)
    x = mnist.x_test
    load_avg = os.getloadavg()
    print(f"data: {cnnviz.io.data.describe_data(mnist)}; load average {load_avg[0]:.1f} on {os.cpu_count()} cores", flush=True)
    methods = method_names()
    results: dict = {"load_before": load_avg, "test_images": int(len(x)), "data_is_sample": bool(mnist.is_sample)}

    # the batched curves: 100 images x 5 methods x 29 steps (times of the maps themselves apart)
    five = ["saliency", "smoothgrad", "grad_x_input", "ig", "gradcam"]
    cnnviz.faithfulness(x[:4], methods=five)  # warm-up
    t = time.perf_counter()
    f100 = cnnviz.faithfulness(x[:100], methods=five)
    total = time.perf_counter() - t
    t = time.perf_counter()
    for m in five:
        cnnviz.attribute(x[:100], m)
    maps_time = time.perf_counter() - t
    model = cnnviz.load_model()
    same = np.repeat(x[:100, ..., None].astype("float32") / 255.0, 6 * 29, axis=0)
    t = time.perf_counter()
    model.predict(same, batch_size=2048, verbose=0)
    keras_s = time.perf_counter() - t
    results["faithfulness_100x5"] = {"total_s": total, "maps_s": maps_time, "curves_s": total - maps_time,
                                     "keras_predict_same_count_s": keras_s}
    print(f"faithfulness, 100 images x 5 methods x 29 steps: {total:.2f} s in all, of which the maps "
          f"{maps_time:.2f} s and the {100 * 6 * 29:,} forward passes of the curves {total - maps_time:.2f} s; "
          f"Keras' model.predict on as many images: {keras_s:.2f} s", flush=True)
    del f100
    if args.timing_only:
        return

    print("speed:", flush=True)
    results["speed"] = speed(x, methods, args.budget)

    n = min(args.faith_images, len(x))
    results["faithfulness"] = {}
    for metric in ("deletion", "insertion"):
        t = time.perf_counter()
        r = cnnviz.faithfulness(x[:n], methods=methods, metric=metric)
        results["faithfulness"][metric] = {row["method"]: row for row in r.table()}
        print(f"{metric} on {n} images: {time.perf_counter() - t:.1f} s", flush=True)

    k = min(args.sanity_images, len(x))
    t = time.perf_counter()
    check = cnnviz.sanity_check(x[:k], methods=methods)
    print(f"sanity check on {k} images: {time.perf_counter() - t:.1f} s", flush=True)
    results["sanity"] = {m: {"all_pixels": check.final(m), "digit_pixels": (float(check.within_input[m][-1].mean()),
                                                                          float(check.within_input[m][-1].std())),
                             "independent_mean": check.independent[m].mean(axis=1).tolist(),
                             "cascading_mean": check.cascading[m].mean(axis=1).tolist(),
                             "verdict": check.verdicts[m]} for m in methods}
    results["sanity_steps"] = check.steps
    results["load_after"] = os.getloadavg()

    d, i = results["faithfulness"]["deletion"], results["faithfulness"]["insertion"]
    print(f"\n| method | images/s ({len(x):,} test images) | vs saliency | deletion AUC (lower is better) | "
          f"insertion AUC (higher is better) | sanity r, all pixels | sanity r, digit pixels | verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for m in ["random", *methods]:
        if m == "random":
            print(f"| random order | | | {d[m]['auc']:.3f} | {i[m]['auc']:.3f} | | | |")
            continue
        s, sa = results["speed"][m], results["sanity"][m]
        partial = "" if s["images"] >= len(x) else f" ({s['images']:,} in {args.budget:.0f} s)"
        print(f"| {method_title(m)} | {s['per_s']:,.0f}{partial} | {s['vs_saliency']:.2f} | "
              f"{d[m]['auc']:.3f}{'' if d[m]['beats_random'] else ' (not better than random)'} | "
              f"{i[m]['auc']:.3f}{'' if i[m]['beats_random'] else ' (not better than random)'} | "
              f"{sa['all_pixels'][0]:.2f} +/- {sa['all_pixels'][1]:.2f} | "
              f"{sa['digit_pixels'][0]:.2f} +/- {sa['digit_pixels'][1]:.2f} | {sa['verdict']} |")
    print(f"\nload average before {load_avg[0]:.1f}, after {results['load_after'][0]:.1f}")
    Path(args.json).write_text(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
