"""One policy for full MNIST everywhere: use it when found, else the bundled sample, said once, never a traceback."""

import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cnnviz.io import data as D

ROOT = Path(__file__).resolve().parents[1]
PORT = 8661  # nothing listens here: a download fails at once, as it does offline


def without_mnist(home: Path, url: str = f"http://127.0.0.1:{PORT}/mnist.npz") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CNNVIZ_MNIST", "CNNVIZ_MNIST_URL")}
    return {**env, "HOME": str(home), "CNNVIZ_MNIST_URL": url, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.mark.slow
def test_cli_evaluate_without_full_mnist_uses_the_sample_and_says_so_once(tmp_path):
    result = subprocess.run([sys.executable, "-m", "cnnviz", "evaluate", "--out", "confusion.png"], cwd=tmp_path,
                            env=without_mnist(tmp_path), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert "test images: 1,000 (mnist_sample.npz)" in result.stdout
    notices = [line for line in result.stderr.splitlines() if "full MNIST was not found" in line]
    assert len(notices) == 1, result.stderr
    assert "2,000-image sample" in notices[0] and "~/.keras/datasets/mnist.npz" in notices[0]
    assert "Traceback" not in result.stderr and "Downloading" not in result.stdout + result.stderr


def test_library_falls_back_once_per_process(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CNNVIZ_MNIST", raising=False)
    monkeypatch.setenv("CNNVIZ_MNIST_URL", f"http://127.0.0.1:{PORT}/mnist.npz")
    monkeypatch.setattr(D, "_SAID", set())
    assert D.resolve_data(None).is_sample and D.resolve_data(None).is_sample
    assert capsys.readouterr().err.count("full MNIST was not found") == 1
    with pytest.raises(D.DataError, match="was not found"):
        D.resolve_data(None, or_sample=False)


def test_download_lands_in_keras_cache(tmp_path, monkeypatch):
    served = tmp_path / "www"
    served.mkdir()
    shutil.copy(D.SAMPLE_PATH, served / "mnist.npz")  # a valid Keras-style file stands in for the real one
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT + 1), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("CNNVIZ_MNIST", raising=False)
        monkeypatch.setenv("CNNVIZ_MNIST_URL", f"http://127.0.0.1:{PORT + 1}/mnist.npz")
        mnist = D.resolve_data(None, or_sample=False)
    finally:
        server.shutdown()
        server.server_close()
    cache = tmp_path / ".keras" / "datasets" / "mnist.npz"
    assert Path(mnist.source) == cache and cache.is_file() and len(mnist.y_test) == 1000
    assert not list(cache.parent.glob("*.part"))
