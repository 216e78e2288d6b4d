"""Where the shipped model (and the files shipped beside it) live.

>>> (pretrained_dir() / PRETRAINED_NAME).is_file()
True
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PRETRAINED_NAME = "mnist_cnn.keras"


def pretrained_dir() -> Path:
    """Where the shipped model lives: inside the installed package, or ``pretrained/`` of a checkout.

    >>> (pretrained_dir() / "mnist_cnn.keras").is_file()
    True
    """
    for candidate in (PACKAGE_DIR / "pretrained", PACKAGE_DIR.parent / "pretrained"):
        if (candidate / PRETRAINED_NAME).is_file():
            return candidate
    return PACKAGE_DIR.parent / "pretrained"
