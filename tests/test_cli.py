"""The `cnnviz` command on real files. Most commands run in this process through the console script's own
``main`` (TensorFlow and the model are loaded once, not once per command); the data policy, which depends on
``HOME`` as a new process reads it, runs as a real process."""

import contextlib
import io
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

CLI = [sys.executable, "-m", "cnnviz.cli"]


def run(*args):
    """``cnnviz ARGS`` through the console script's entry point, in this process: exit code, stdout, stderr."""
    from cnnviz.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def run_process(*args, env=None):
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment, timeout=300)


@pytest.fixture(scope="module")
def digit_png(tmp_path_factory):
    import cnnviz

    sample = cnnviz.load_sample()
    path = tmp_path_factory.mktemp("img") / "three.png"
    Image.fromarray(255 - sample.x_test[np.flatnonzero(sample.y_test == 3)[0]]).resize((112, 112)).save(path)
    return path


def is_png(path):
    return path.is_file() and path.read_bytes()[:4] == b"\x89PNG" and Image.open(path).size[0] > 200


@pytest.mark.slow
def test_train_and_evaluate_on_the_sample(tmp_path):
    out = tmp_path / "tiny.keras"
    result = run("train", "--sample", "--recipe", "fast", "--epochs", "1", "--seed", "0", "-o", str(out),
                 "--curves", str(tmp_path / "curves.png"), "--verbose", "0")
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout and out.is_file()
    assert (tmp_path / "tiny.history.json").is_file() and (tmp_path / "tiny.card.json").is_file()
    assert is_png(tmp_path / "curves.png")
    result = run("evaluate", str(out), "--sample", "--out", str(tmp_path / "confusion.png"))
    assert result.returncode == 0, result.stderr
    assert "test accuracy:" in result.stdout and "per-class accuracy:" in result.stdout
    assert is_png(tmp_path / "confusion.png")


def test_evaluate_shipped_model_on_the_sample():
    result = run("evaluate", "--sample")
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.split("test accuracy:")[1].split()[0])
    assert accuracy >= 0.98


@pytest.mark.slow
def test_missing_data_falls_back_to_the_sample_once_and_says_so(tmp_path):
    env = {"HOME": str(tmp_path), "CNNVIZ_MNIST": "", "CNNVIZ_MNIST_URL": "http://127.0.0.1:9/mnist.npz"}
    result = run_process("evaluate", env=env)  # one policy: full MNIST when found, else the sample and one line saying so
    assert result.returncode == 0, result.stderr
    said = result.stdout + result.stderr
    assert said.count("CNNVIZ_MNIST=/path/to/mnist.npz") == 1 and "Traceback" not in said
    result = run_process("evaluate", str(tmp_path / "nothing.keras"), "--sample")
    assert result.returncode == 2 and "does not exist" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_visualization_commands_write_figures(tmp_path, digit_png):
    result = run("maximize", "--class", "6", "-o", str(tmp_path / "six.png"))
    assert result.returncode == 0, result.stderr
    assert "class 6: the model sees 6" in result.stdout and is_png(tmp_path / "six.png")
    result = run("features", str(digit_png), "-o", str(tmp_path / "maps.png"))
    assert result.returncode == 0, result.stderr
    assert "prediction: 3" in result.stdout and "conv1: 26x26 x 32 maps" in result.stdout
    assert is_png(tmp_path / "maps.png")
    result = run("filters", "conv1", "-o", str(tmp_path / "f.svg"))
    assert result.returncode == 0 and b"<svg" in (tmp_path / "f.svg").read_bytes()[:500]
    result = run("attribution", str(digit_png), "--method", "gradcam", "-o", str(tmp_path / "g.pdf"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.pdf").read_bytes()[:4] == b"%PDF"


def test_visualization_errors_are_clear(tmp_path, digit_png):
    result = run("filters", "conv3", "-o", str(tmp_path / "f.png"))
    assert result.returncode == 2 and "layer 'conv3' not found; layers are: conv1" in result.stderr
    result = run("maximize", "--class", "12", "-o", str(tmp_path / "x.png"))
    assert result.returncode == 2 and "class 12 is out of range" in result.stderr
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    result = run("features", str(bad), "-o", str(tmp_path / "x.png"))
    assert result.returncode == 2 and "not an image" in result.stderr and "Traceback" not in result.stderr
