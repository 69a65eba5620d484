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


def timed_interleaved(fns: list[Callable[[], Any]], n: int, warm: int) -> list[list[float]]:
    """Seconds of ``n`` rounds in which every function of ``fns`` runs once, in turn.

    Two latencies compared on a shared machine drift apart when measured in separate
    blocks (its load and clock change between them); alternating the calls gives both
    the same conditions, so their ratio is fair.
    """
    for _ in range(warm):
        for fn in fns:
            fn()
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(n):
        for times, fn in zip(out, fns, strict=True):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return out


def median_ms(fn: Callable[[], Any], n: int, warm: int) -> float:
    """Median milliseconds of ``n`` calls after ``warm`` untimed calls."""
    return statistics.median(timed(fn, n, warm)) * 1e3
