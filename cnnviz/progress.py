"""A progress bar for library work that takes more than a couple of seconds; silent unless asked.

Library calls take ``verbose=`` (default False/0) and wrap their loop in :func:`progress`.
On a terminal it redraws one line (``label [#####-----] 5/10 2.1 s``); elsewhere (logs,
notebooks' captured stderr, CI) it prints a single line when done. No global state.

>>> list(progress(range(3), label="frames"))
[0, 1, 2]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")
WIDTH = 24


def progress(items: Iterable[T], *, label: str, total: int | None = None, verbose: bool | int = False,
             stream: IO[str] | None = None) -> Iterator[T]:
    """Yield ``items``; with ``verbose``, show how far the loop is on ``stream`` (default: stderr).

    >>> import io
    >>> out = io.StringIO()
    >>> _ = list(progress([1, 2], label="frames", verbose=True, stream=out))
    >>> out.getvalue().startswith("frames: 2/2 in ")
    True
    """
    if not verbose:
        yield from items
        return
    stream = stream if stream is not None else sys.stderr
    total = total if total is not None else (len(items) if hasattr(items, "__len__") else None)
    live = hasattr(stream, "isatty") and stream.isatty()
    started = time.perf_counter()
    done = 0
    for item in items:
        yield item
        done += 1
        if live:
            stream.write("\r" + _line(label, done, total, time.perf_counter() - started))
            stream.flush()
    seconds = time.perf_counter() - started
    stream.write(("\r" + _line(label, done, total, seconds) + "\n") if live
                 else f"{label}: {done}/{total if total is not None else done} in {seconds:.1f} s\n")
    stream.flush()


def _line(label: str, done: int, total: int | None, seconds: float) -> str:
    if not total:
        return f"{label} {done} {seconds:.1f} s"
    filled = int(WIDTH * done / total)
    return f"{label} [{'#' * filled}{'-' * (WIDTH - filled)}] {done}/{total} {seconds:.1f} s"
