"""What every benchmark here times with: the best of a few repeats after one warm-up call; and the process's
resident memory (:func:`rss_mb`).

>>> seconds, value = best_of(lambda: sum(range(1000)), repeats=2)
>>> value, seconds >= 0
(499500, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], repeats: int = 3) -> tuple[float, Any]:
    """The shortest of ``repeats`` timed calls of ``fn`` after one untimed warm-up (tracing, first allocations),
    and the last call's result."""
    fn()
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def rss_mb(field: str = "VmRSS") -> float:
    """The process's resident memory now (VmRSS) or at its peak so far (VmHWM), in MB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")
