"""The guide "Bring your own model", run as written (its first Python block, then its command lines)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from cnnviz.cli import main

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guides" / "bring-your-own-model.md"


def _section() -> str:
    text = GUIDE.read_text()
    return text[: text.index("\n## ")]  # up to "Which models work"


@pytest.mark.slow
def test_bring_your_own_model_runs_as_written(tmp_path, monkeypatch, capsys):
    section = _section()
    python = re.findall(r"```python\n(.*?)```", section, re.S)
    commands = [line for block in re.findall(r"```bash\n(.*?)```", section, re.S) for line in block.splitlines()
                if line.startswith("cnnviz ")]
    assert len(python) == 1 and commands
    monkeypatch.chdir(tmp_path)
    exec(compile(python[0], "docs/guides/bring-your-own-model.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "['images resized from 480x640 to 96x96']" and out[1] == "True"
    assert out[2].startswith("{'cat': ")
    assert (tmp_path / "why.png").stat().st_size > 0
    for line in commands:
        assert main(shlex.split(line)[1:]) == 0, line
    assert "prediction: " in capsys.readouterr().out and (tmp_path / "maps.png").is_file()
