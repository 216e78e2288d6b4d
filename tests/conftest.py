"""Shared fixtures. Tests use only data that cnnviz ships or makes: no network, no full MNIST."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("CNNVIZ_DASHBOARD_WARM", "0")  # the dashboard's start-up warm-up: measured by bench/, not run per test

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def sample():
    import cnnviz

    return cnnviz.load_sample()


@pytest.fixture(scope="session")
def model():
    import cnnviz

    return cnnviz.load_model()


@pytest.fixture(scope="session")
def digit(sample):
    """A test-sample image of a 7 (uint8 28x28)."""
    return sample.x_test[np.flatnonzero(sample.y_test == 7)[0]]


@pytest.fixture()
def no_mnist(tmp_path, monkeypatch):
    """An environment where MNIST cannot be found: empty HOME, no CNNVIZ_MNIST, downloads refused."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CNNVIZ_MNIST", raising=False)
    monkeypatch.setenv("CNNVIZ_MNIST_URL", "http://127.0.0.1:9/mnist.npz")  # port 9 (discard): refused at once
    return tmp_path
