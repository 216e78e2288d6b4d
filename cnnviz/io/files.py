"""Files written atomically: an interrupted write leaves the old file (or none), never half a file.

>>> write_json({"a": 1}, "settings.json").read_text()
'{\\n  "a": 1\\n}'
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ""):
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on failure remove it.

    >>> with atomic_path("notes.txt") as tmp:
    ...     _ = Path(tmp).write_text("hello")
    >>> Path("notes.txt").read_text()
    'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.tmp-", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # let the writer create it; some writers refuse existing files
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_json(data: Any, path: str | os.PathLike) -> Path:
    """Write JSON atomically.

    >>> write_json({"a": 1}, "settings.json").read_text()
    '{\\n  "a": 1\\n}'
    """
    path = Path(path)
    with atomic_path(path, suffix=".json") as tmp:
        tmp.write_text(json.dumps(data, indent=2, default=_jsonable))
    return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
