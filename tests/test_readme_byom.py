"""The README's "Bring your own model" section, run as written (its Python block, then its command lines)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from cnnviz.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Bring your own model")
    return text[start : text.index("\n## ", start + 5)]


def test_bring_your_own_model_runs_as_written(tmp_path, monkeypatch, capsys):
    section = _section()
    python = re.findall(r"```python\n(.*?)```", section, re.S)
    commands = [line for block in re.findall(r"```bash\n(.*?)```", section, re.S) for line in block.splitlines()
                if line.startswith("cnnviz ")]
    assert len(python) == 1 and commands
    monkeypatch.chdir(tmp_path)
    exec(compile(python[0], "README.md (Bring your own model)", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "['images resized from 480x640 to 96x96']" and out[1] == "True"
    assert out[2].startswith("{'cat': ")
    assert (tmp_path / "why.png").stat().st_size > 0
    for line in commands:
        assert main(shlex.split(line)[1:]) == 0, line
    assert "prediction: " in capsys.readouterr().out and (tmp_path / "maps.png").is_file()
