"""The package version, importable without TensorFlow (``cnnviz --version`` stays instant)."""

__version__ = "0.1.0"
