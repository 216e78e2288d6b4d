"""Activation maximization: tf-keras-vis vs cnnviz, and feature-map throughput, in one run.

    python bench/maximize_vs_tf_keras_vis.py [--data path/to/mnist.npz]

(a) tf-keras-vis 0.8.7 `ActivationMaximization` with its documented defaults (input
modifiers Jitter(4) + Rotate2D(1), regularizers TotalVariation2D(1.0) + Norm(0.3, p=1),
its default optimizer), 10 classes x 200 steps in one batch, on the probe's logits model
(its ReplaceToLinear modifier fails on Keras 3); (b) `cnnviz.maximize(range(10))` with its
defaults (80 steps at learning rate 0.25, blur 0.75: bench/class_image_readability.py reads them as
digits at least as well as (c)); (c) the previous default, 200 steps at learning rate 0.1, blur 0.5;
(d) `prior="data"`. Both start from the same random image, both are warmed up first (one full run),
then the best of 3 timed runs is reported. For each: how many of the 10 images the shipped
model classifies as their target with softmax >= 0.99. Goal: cnnviz >= 15x faster, 10/10.
Then: feature maps of every layer for the 10,000 MNIST test images, in images per second
(goal >= 5,000/s on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform

import numpy as np
import tensorflow as tf
from timing import best_of  # bench/timing.py, beside this script

import cnnviz
from cnnviz.core.build import get_probe

CLASSES = list(range(10))
STEPS = 200  # tf-keras-vis' documented default, and cnnviz's previous default


def on_target(model, images: np.ndarray) -> int:
    probs = model.predict(images, verbose=0)
    return int(sum(probs[i].argmax() == c and probs[i, c] >= 0.99 for i, c in enumerate(CLASSES)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    from tf_keras_vis.activation_maximization import ActivationMaximization
    from tf_keras_vis.activation_maximization.input_modifiers import Jitter, Rotate2D
    from tf_keras_vis.activation_maximization.regularizers import Norm, TotalVariation2D
    from tf_keras_vis.utils.scores import CategoricalScore

    model = cnnviz.load_model()
    probe = get_probe(model)
    print(f"machine: {platform.platform()}, cpus={os.cpu_count()}; TensorFlow {tf.__version__}")
    start = np.random.default_rng(0).uniform(0.0, 0.25, (10, 28, 28, 1)).astype("float32")  # the same start for both

    am = ActivationMaximization(probe.logits_model, clone=False)

    def run_tf_keras_vis():
        return am(CategoricalScore(CLASSES), seed_input=start.copy(), input_range=(0.0, 1.0),
                  input_modifiers=[Jitter(jitter=4), Rotate2D(degree=1)],
                  regularizers=[TotalVariation2D(weight=1.0), Norm(weight=0.3, p=1)], steps=STEPS)

    def run_cnnviz():
        return cnnviz.maximize(CLASSES, start=start).images

    def run_cnnviz_before():  # the default before this benchmark's goal was met
        return cnnviz.maximize(CLASSES, start=start, steps=STEPS, learning_rate=0.1, blur=0.5).images

    def run_cnnviz_prior():
        return cnnviz.maximize(CLASSES, prior="data").images

    tkv_seconds, tkv_images = best_of(run_tf_keras_vis)
    cv_seconds, cv_images = best_of(run_cnnviz)
    before_seconds, before_images = best_of(run_cnnviz_before)
    prior_seconds, prior_images = best_of(run_cnnviz_prior)
    tkv_hits, cv_hits = on_target(model, np.clip(tkv_images, 0, 1)), on_target(model, cv_images)
    before_hits, prior_hits = on_target(model, before_images), on_target(model, prior_images)
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"(a) tf-keras-vis ActivationMaximization: {tkv_seconds:.2f} s, {tkv_hits}/10 on target (softmax >= 0.99)")
    print(f"(b) cnnviz.maximize, defaults (80 steps): {cv_seconds:.3f} s, {cv_hits}/10 on target; "
          f"{tkv_seconds / cv_seconds:.1f}x  (goal >= 15x, 10/10)")
    print(f"(c) cnnviz.maximize, previous default (200 steps): {before_seconds:.3f} s, {before_hits}/10 on target; "
          f"{tkv_seconds / before_seconds:.1f}x")
    print(f"(d) cnnviz.maximize, prior='data':     {prior_seconds:.3f} s, {prior_hits}/10 on target; "
          f"{tkv_seconds / prior_seconds:.1f}x  (goal <= 2 s)")

    try:
        mnist = cnnviz.load_mnist(args.data, download=False)
        test = mnist.x_test
    except cnnviz.DataError:
        sample = cnnviz.load_sample().x_test
        test = np.concatenate([sample] * 10)  # 10,000 images from the bundled sample
    inputs = cnnviz.preprocess(test)

    def all_maps():
        for i in range(0, len(inputs), 1000):
            cnnviz.feature_maps(inputs[i : i + 1000])

    fm_seconds, _ = best_of(all_maps)
    rate = len(inputs) / fm_seconds
    print(f"feature maps, every layer, {len(inputs):,} test images: {fm_seconds:.2f} s = {rate:,.0f} images/s "
          f"(goal >= 5,000/s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"tf_keras_vis_seconds": tkv_seconds, "tf_keras_vis_on_target": tkv_hits,
                       "cnnviz_seconds": cv_seconds, "cnnviz_on_target": cv_hits,
                       "speedup": tkv_seconds / cv_seconds, "cnnviz_previous_default_seconds": before_seconds,
                       "cnnviz_previous_default_on_target": before_hits,
                       "speedup_previous_default": tkv_seconds / before_seconds,
                       "prior_data_seconds": prior_seconds, "prior_data_on_target": prior_hits, "feature_maps_images_per_second": rate}, f, indent=2)


if __name__ == "__main__":
    main()
