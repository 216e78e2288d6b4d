"""Gradients on a real architecture: the public mini-Xception (separable convs, residual adds, BatchNorm).

An eager backward pass through it ended Python in oneDNN's ``Conv2DBackpropFilter`` (TF 2.21, issue 17), so
every call runs in a child process: a crash fails the test instead of killing pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_child(code: str, timeout: int = 600) -> dict:
    """Run ``code`` in a fresh Python; its last stdout line is JSON. A crash or error fails with its output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    assert proc.returncode == 0, f"child exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


SETUP = """
    import json
    import numpy as np
    import cnnviz
    from zoo import mini_xception

    model = mini_xception()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64] / 63.0
    faces = np.stack([0.8 - 0.5 * np.exp(-((xx - 0.5) ** 2 + (yy - c) ** 2) / 0.05) + 0.05 * rng.random((64, 64))
                      for c in (0.4, 0.5, 0.6)]).astype("float32")[..., None]  # smooth, light background
"""


def test_every_attribution_method_runs_on_a_mini_xception():
    from cnnviz.attribution import method_names

    out = run_child(SETUP + """
    result = {}
    for name in cnnviz.attribution.method_names():
        a = cnnviz.attribute(faces, method=name, model=model)
        result[name] = [list(a.maps.shape), bool(np.isfinite(a.maps).all()), float(a.maps.max())]
    print(json.dumps(result))
    """)
    assert set(out) == set(method_names())
    for name, (shape, finite, top) in out.items():
        assert shape == [3, 64, 64] and finite, name
        # Score-CAM of the class conv (linear, random weights): every map weighted by a positive softmax score
        # sums to a negative CAM, which the ReLU makes flat; every other method finds some relevance
        assert top == pytest.approx(1.0) or name == "scorecam", f"{name} gave a flat map"


def test_gradcam_on_a_mini_xception_equals_an_independent_graph_mode_gradcam():
    out = run_child(SETUP + """
    import tensorflow as tf

    default = cnnviz.attribute(faces[:1], method="gradcam", model=model).layer
    # the last separable conv: on the class conv itself (before global pooling) every gradient is 1/16
    sep = [layer.name for layer in model.layers if type(layer).__name__ == "SeparableConv2D"][-1]
    a = cnnviz.attribute(faces, method="gradcam", model=model, target=[0, 3, 6], layer=sep)
    # independent: Grad-CAM of the logit (the pooled class maps, before the softmax layer) on the model's own
    # layers, gradients by graph-mode tf.gradients, upsampled with TF's corner-aligned bilinear resize
    conv = model.get_layer(a.layer)
    logits_layer = model.get_layer("predictions").input
    two = tf.keras.Model(model.inputs[0], [conv.output, logits_layer])

    @tf.function
    def cam(x, t):
        maps, logits = two(x, training=False)
        score = tf.reduce_sum(tf.gather(logits, t, axis=1, batch_dims=1))
        grads = tf.gradients(score, maps)[0]
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        small = tf.nn.relu(tf.reduce_sum(maps * weights, axis=-1))[..., None]
        return tf.compat.v1.image.resize_bilinear(small, (64, 64), align_corners=True)[..., 0]

    ref = cam(tf.constant(a.inputs), tf.constant([0, 3, 6])).numpy()
    r = [float(np.corrcoef(p.ravel(), q.ravel())[0, 1]) for p, q in zip(a.raw, ref)]
    rel = float(np.abs(a.raw - ref).max() / np.abs(ref).max())
    last = [layer.name for layer in model.layers if type(layer).__name__ == "Conv2D"][-1]
    print(json.dumps({"last": default == last, "r": r, "rel": rel}))
    """)
    assert out["last"], out  # the default layer: the last conv-like layer (the class maps)
    assert min(out["r"]) >= 0.99999, out  # measured: r = 1.0, max relative difference ~1e-7
    assert out["rel"] < 1e-4, out


def test_sanity_check_and_faithfulness_run_on_a_mini_xception():
    out = run_child(SETUP + """
    check = cnnviz.sanity_check(faces[:2], methods=["saliency", "gradcam", "gradcam++", "layercam"],
                                model=model, independent=False)
    faith = cnnviz.faithfulness(faces[:2], methods=["saliency", "gradcam", "scorecam", "ig"], model=model)
    print(json.dumps({"steps": len(check.steps), "verdicts": check.verdicts,
                      "finite": bool(all(np.isfinite(v).all() for v in check.cascading.values())),
                      "curves": sorted(faith.curves)}))
    """)
    assert out["finite"] and out["steps"] > 10  # trained + every weighted layer of the mini-Xception
    assert set(out["verdicts"]) == {"saliency", "gradcam", "gradcam++", "layercam"}
    assert {"gradcam", "ig", "saliency", "scorecam"} <= set(out["curves"]), out["curves"]


@pytest.mark.slow
def test_maximize_and_the_report_run_on_a_mini_xception(tmp_path):
    # about 6 minutes on 2 loaded cores: the class images miss on random weights and back off, and the sanity
    # check re-initializes some 40 layers one by one
    out = run_child(SETUP + f"""
    result = cnnviz.maximize([0, 1], model=model, steps=30)
    rep = cnnviz.report({str(tmp_path / "r.html")!r}, model=model, images=list(faces[..., 0]), classes=[0, 1],
                        examples=0, filter_steps=5, max_layers=2, max_channels=4, progress=False)
    print(json.dumps({{"images": list(result.images.shape), "reached": result.reached.tolist(),
                      "message": result.message, "figures": rep.figures, "failures": [str(f) for f in rep.failures]}}))
    """, timeout=1200)
    assert out["images"][0] == 2
    assert "softmax" in out["message"] and len(out["reached"]) == 2
    assert any(f.startswith("attribution_gradcam") for f in out["figures"]), out["figures"]
    assert not out["failures"]


@pytest.mark.parametrize(("name", "theirs", "tol"), [
    ("gradcam", "tf_keras_vis.gradcam.Gradcam", 1e-5), ("gradcam++", "tf_keras_vis.gradcam_plus_plus.GradcamPlusPlus", 1e-2),
    ("layercam", "tf_keras_vis.layercam.Layercam", 1e-5), ("scorecam", "tf_keras_vis.scorecam.Scorecam", 1e-5)])
def test_the_compiled_cam_family_equals_tf_keras_vis_on_the_shipped_model(name, theirs, tol):
    # tf-keras-vis runs eagerly; on the shipped MNIST CNN that is safe, so it is the independent computation here
    import importlib

    import keras
    import numpy as np
    from tf_keras_vis.utils.scores import CategoricalScore

    import cnnviz
    from cnnviz.attribution.gradients import scores_model
    from cnnviz.core.build import get_probe

    class Quiet(keras.Model):
        def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
            return super().predict(x, batch_size=batch_size, verbose=0, steps=steps, callbacks=callbacks)

    probe = get_probe()
    x = probe.prepare(cnnviz.load_sample().x_test[:6])
    targets = [7, 2, 1, 0, 4, 9]
    ours = cnnviz.attribute(x, name, targets).raw
    logits = scores_model(probe)
    module, cls = theirs.rsplit(".", 1)
    vis = getattr(importlib.import_module(module), cls)(
        Quiet(inputs=[logits.inputs[0]], outputs=[logits.outputs[0]], name="vis"), clone=False)
    ref = np.asarray(vis(CategoricalScore(targets), x, penultimate_layer=probe.last_conv_layer, normalize_cam=False,
                         seek_penultimate_conv_layer=False), np.float32)
    peak = np.abs(ref).max(axis=(1, 2), keepdims=True)
    # Grad-CAM++: ours leaves out tf-keras-vis' factor exp(logit) (a positive number per image) and works in
    # float64; measured 4e-3 of the peak after scaling each map to its own maximum
    scaled = ours / np.maximum(np.abs(ours).max(axis=(1, 2), keepdims=True), 1e-12) if name == "gradcam++" else ours
    reference = ref / np.maximum(peak, 1e-12) if name == "gradcam++" else ref
    np.testing.assert_allclose(scaled, reference, atol=tol * (1 if name == "gradcam++" else float(peak.max())))
