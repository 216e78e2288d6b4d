"""Library calls are quiet by default: no Keras progress bars, retracing warnings or TensorFlow start-up lines."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CALLS = """
import cnnviz
sample = cnnviz.load_sample()
cnnviz.train("sample", recipe="fast", epochs=1, seed=0)
cnnviz.maximize(6, steps=3)
cnnviz.maximize_filter("conv1", [0, 1], steps=3)  # a compiled loop per objective: no "frequent retracing" warning
for classes in ([0, 1, 2], [3, 4]):
    cnnviz.maximize(classes, steps=3)
for layer in ("conv2", "conv1", "conv2"):  # a compiled loop per objective: no "frequent retracing" warning
    cnnviz.maximize_filter(layer, [2], steps=3, regularization="none")
for method in ("gradcam", "layercam", "saliency", "ig"):
    cnnviz.attribute(sample.x_test[:2], method)
cnnviz.dataset_examples(["conv1"], data=sample.x_test[:100], labels=sample.y_test[:100], k=3)
cnnviz.evaluate(data="sample")
print("END")
"""


@pytest.mark.slow  # one epoch on the sample and a few short optimizations: ~20 s idle
def test_train_maximize_atlas_print_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "CNNVIZ_VERBOSE")}
    result = subprocess.run([sys.executable, "-c", CALLS], cwd=tmp_path, capture_output=True, text=True, timeout=900,
                            env={**env, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "END", result.stdout[-2000:]  # no progress bar, no "Epoch 1/1"
    noise = [line for line in result.stderr.splitlines() if line.strip()]
    assert noise == [], "\n".join(noise[:20])  # no oneDNN / cuInit / absl lines, no retracing warnings
