"""The CAM family: cnnviz's compiled Grad-CAM, Grad-CAM++, LayerCAM and Score-CAM vs tf-keras-vis' own, in one run.

    python bench/cam_vs_tf_keras_vis.py [--images 64] [--json out.json]

On the shipped MNIST model and the bundled sample's first ``--images`` test images, for each method: images
per second of ``cnnviz.attribution.run`` (one compiled gradient call per batch; Score-CAM sends every masked
image of the batch through the model in a few big calls) and of tf-keras-vis 0.8.7's class (it runs its
backward pass eagerly; Score-CAM via ``model.predict`` in batches of 32), each warmed up once, then the best of
3 timed runs; the ratio, and how far apart the two maps are (max |difference| of the maps scaled to max 1).
Goal: >= 2x each. tf-keras-vis is given the probe's logits model with a list input (on the source model its
tape finds no gradient for the conv layer's output under Keras 3). The mini-Xception of issue 17 cannot be
timed with tf-keras-vis: its eager backward pass can end the process (oneDNN Conv2DBackpropFilter, TF 2.21).
"""

from __future__ import annotations

import argparse
import json
import os
import platform

import keras
import numpy as np
from timing import best_of  # bench/timing.py, beside this script

import cnnviz
from cnnviz.attribution import get_method, run
from cnnviz.attribution.gradients import scores_model
from cnnviz.core.build import get_probe

PAIRS = {"gradcam": "tf_keras_vis.gradcam.Gradcam", "gradcam++": "tf_keras_vis.gradcam_plus_plus.GradcamPlusPlus",
         "layercam": "tf_keras_vis.layercam.Layercam", "scorecam": "tf_keras_vis.scorecam.Scorecam"}


class _Quiet(keras.Model):
    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        return super().predict(x, batch_size=batch_size, verbose=0, steps=steps, callbacks=callbacks)


def scaled(maps: np.ndarray) -> np.ndarray:
    return maps / np.maximum(np.abs(maps).max(axis=(1, 2), keepdims=True), 1e-12)


def main() -> None:
    import importlib

    from tf_keras_vis.utils.scores import CategoricalScore

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    probe = get_probe()
    x = probe.prepare(cnnviz.load_sample().x_test[:args.images])
    targets = [int(t) for t in probe.forward(x)["probabilities"].argmax(axis=1)]
    logits = scores_model(probe)
    vis_model = _Quiet(inputs=[logits.inputs[0]], outputs=[logits.outputs[0]], name="logits_vis")
    rows = {}
    for name, path in PAIRS.items():
        method = get_method(name).build(probe)
        module, cls = path.rsplit(".", 1)
        theirs = getattr(importlib.import_module(module), cls)(vis_model, clone=False)

        def tkv(theirs=theirs, layer=method.layer):
            maps = theirs(CategoricalScore(targets), x, penultimate_layer=layer, normalize_cam=False,
                          seek_penultimate_conv_layer=False)
            return np.asarray(maps, np.float32)

        ours_s, ours = best_of(lambda method=method: run(method, x, targets))
        theirs_s, their_maps = best_of(tkv)
        rows[name] = {"cnnviz_images_per_s": len(x) / ours_s, "tf_keras_vis_images_per_s": len(x) / theirs_s,
                      "ratio": theirs_s / ours_s, "max_map_difference": float(np.abs(scaled(ours) - scaled(their_maps)).max())}
        r = rows[name]
        print(f"{name:10s} cnnviz {r['cnnviz_images_per_s']:8.1f} img/s   tf-keras-vis {r['tf_keras_vis_images_per_s']:8.1f}"
              f" img/s   {r['ratio']:5.1f}x   max map difference {r['max_map_difference']:.1e}", flush=True)
    print(f"{len(x)} images, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"images": len(x), "methods": rows}, f, indent=1)


if __name__ == "__main__":
    main()
