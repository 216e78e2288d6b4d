"""What every benchmark here times with: the best of a few repeats after one warm-up call.

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
