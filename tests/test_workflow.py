"""Conventions of the package: the version, ``python -m cnnviz``."""

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import cnnviz

ROOT = Path(__file__).resolve().parents[1]


def test_version_matches_pyproject(capsys):
    from cnnviz.cli import main

    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert cnnviz.__version__ == expected
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"cnnviz {expected}"


@pytest.mark.slow
def test_python_dash_m_cnnviz_is_the_command():
    done = subprocess.run([sys.executable, "-m", "cnnviz", "--version"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == f"cnnviz {cnnviz.__version__}"
    done = subprocess.run([sys.executable, "-m", "cnnviz", "replay", "--fps", "0"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 2 and done.stderr.strip() == "cnnviz replay: error: fps must be > 0 (got 0.0)."
