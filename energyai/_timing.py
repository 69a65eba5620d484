"""Wall-clock timing of a callable (quickstart and benchmarks; never used by tests to assert)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["median_ms", "timed"]


def timed(fn: Callable[[], Any], n: int, warm: int) -> list[float]:
    """Seconds of ``n`` calls of ``fn`` after ``warm`` untimed calls."""
    for _ in range(warm):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def median_ms(fn: Callable[[], Any], n: int, warm: int) -> float:
    """Median milliseconds of ``n`` calls after ``warm`` untimed calls."""
    return statistics.median(timed(fn, n, warm)) * 1e3
