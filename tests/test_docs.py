"""The documentation site builds with ``mkdocs build --strict``: a broken link, a missing page or an API
reference that does not resolve is an error. The README stays short, and no page tells development history."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cnnviz

ROOT = Path(__file__).resolve().parents[1]
#: what the user reads: the README, the site, the CLI help and the dashboard's captions come from these
USER_FACING = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: words that belong in a lab notebook, not in what users read
HISTORY = re.compile(r"issue #?\d+|(?<!keras)#\d{2,}\b|load average|other engineers|other jobs", re.I)  # (an upstream bug: keras#N)


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    api = (tmp_path / "reference" / "cnnviz" / "index.html").read_text()
    assert 'id="cnnviz.features.feature_maps"' in api  # the reference was generated from the docstrings
    assert "&gt;&gt;&gt;" in api and "<blockquote>" not in api  # doctests shown as code, not as nested quotes


def test_the_api_reference_lists_every_public_name():
    page = (ROOT / "docs" / "reference" / "cnnviz.md").read_text()
    documented = set(re.findall(r"^::: cnnviz\.[\w.]*\.(\w+)$", page, re.M))
    submodules = {n for n in cnnviz.__all__ if f"cnnviz.{n}" in page and n not in documented}
    assert set(cnnviz.__all__) - documented - submodules == set()


def test_the_readme_is_short_and_keeps_its_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    commands = re.search(r"## Two commands\n\n```bash\n(.*?)```", readme, re.S).group(1)
    assert [line.split()[:2] for line in commands.splitlines()] == [["make", "dashboard"], ["make", "test"]]


def test_no_page_tells_development_history():
    found = [f"{path.relative_to(ROOT)}: {m.group(0)}" for path in USER_FACING for m in HISTORY.finditer(path.read_text())]
    assert found == []
