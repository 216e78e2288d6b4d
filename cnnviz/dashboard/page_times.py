"""How long each page run took on the server, one JSON line per run, when ``CNNVIZ_PAGE_LOG`` names a file
(off otherwise). The load bench reads it to say where the time goes under many sessions.

>>> import json, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "pages.jsonl")
>>> record("Filters", started=0.0, outcome="ok", log=path, now=1.5)
>>> json.loads(open(path).read())["seconds"]
1.5
"""

from __future__ import annotations

import json
import os
import threading
import time

ENV = "CNNVIZ_PAGE_LOG"


def record(page: str, started: float, outcome: str, log: str | None = None, now: float | None = None) -> None:
    """Append ``{"page", "seconds", "outcome", "thread", "end"}`` to ``log`` (default: ``$CNNVIZ_PAGE_LOG``;
    nothing when neither names a file). ``started``/``now`` are ``time.perf_counter()`` values."""
    log = log or os.environ.get(ENV)
    if not log:
        return
    now = time.perf_counter() if now is None else now
    line = json.dumps({"page": page, "seconds": round(now - started, 3), "outcome": outcome,
                       "thread": threading.current_thread().name, "end": round(time.time(), 3)}) + "\n"
    with open(log, "a", encoding="utf-8") as file:  # one short append per line: whole lines from many threads
        file.write(line)
