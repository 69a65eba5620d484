"""A time column stored as runs of constant step: exact values in O(runs) memory.

A panel on its regular grid has timestamps that rise by the same step for thousands of
rows; the step changes only at series boundaries and, for local wall-clock time or daily
data in a zone with daylight saving, twice a year. Storing every value costs 8 bytes a
row (134 MB per column for 2,000 hourly series over a year); storing the runs costs a few
kilobytes, and any value is ``base[r] + (i - start[r]) * step[r]`` with ``r`` the run of
row ``i``. Numpy only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

__all__ = ["TimeAxis"]


class TimeAxis:
    """An int64-backed time column (int64 seconds or datetime64) stored as linear runs.

    Parameters
    ----------
    start : ndarray of int64, shape (R,)
        First row of each run; ``start[0] == 0``, increasing.
    base : ndarray of int64, shape (R,)
        Value at each run's first row (in the units of ``dtype``).
    step : ndarray of int64, shape (R,)
        Increment per row inside each run.
    n : int
        Number of rows.
    dtype : numpy dtype
        ``int64`` or a ``datetime64`` unit; values are returned with it.
    """

    ndim = 1

    def __init__(self, start: np.ndarray, base: np.ndarray, step: np.ndarray, n: int, dtype: Any = np.int64) -> None:
        self.start = np.asarray(start, dtype=np.int64)
        self.base = np.asarray(base, dtype=np.int64)
        self.step = np.asarray(step, dtype=np.int64)
        self.n = int(n)
        self.dtype = np.dtype(dtype)
        self.end = np.append(self.start[1:], self.n).astype(np.int64)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_array(cls, values: np.ndarray, breaks: np.ndarray | None = None) -> TimeAxis:
        """Runs of an int64 or datetime64 array; ``breaks`` (row numbers) always start a run."""
        values = np.asarray(values)
        return cls.from_chunks(values.shape[0], lambda lo, hi: values[lo:hi], values.dtype, breaks)

    @classmethod
    def from_chunks(cls, n: int, read: Callable[[int, int], np.ndarray], dtype: Any,
                    breaks: np.ndarray | None = None, chunk: int = 1 << 20) -> TimeAxis:
        """Build from ``read(lo, hi)``, which returns rows ``lo:hi``; only a chunk is in memory at once.

        A row starts a run when it is row 0, is in ``breaks`` (series starts), or the step
        into it differs from the step into the row before. Every run is then exactly
        linear (the extra one-row runs this rule may cut are harmless).
        """
        is_time = np.dtype(dtype).kind == "M"

        def as_int(a: Any) -> np.ndarray:
            return np.asarray(a).view(np.int64) if is_time else np.asarray(a, dtype=np.int64)

        brk = np.zeros(0, np.int64) if breaks is None else np.unique(np.asarray(breaks, dtype=np.int64))
        starts, bases, steps = [], [], []
        prev = np.zeros(0, np.int64)  # the values of the two rows before this chunk
        for lo in range(0, n, chunk):
            hi = min(lo + chunk, n)
            v = as_int(read(lo, min(hi + 1, n)))  # one row of look-ahead for the last run's step
            ext = np.concatenate([prev, v])
            k = len(prev)
            d = np.diff(ext)  # d[j] = ext[j + 1] - ext[j]
            rows = np.arange(lo, hi)
            j = rows - lo + k  # position of each row in ext
            new = np.ones(hi - lo, dtype=bool)
            two = j >= 2
            new[two] = d[j[two] - 1] != d[j[two] - 2]
            new[rows == 1] = False  # row 1 continues row 0's run, whose step it defines
            b = brk[(brk >= lo) & (brk < hi)]
            new[b - lo] = True
            s = rows[new]
            step = np.zeros(len(s), np.int64)
            ahead = s + 1 < n
            step[ahead] = v[s[ahead] + 1 - lo] - v[s[ahead] - lo]
            starts.append(s)
            bases.append(v[s - lo])
            steps.append(step)
            last = hi - 1 - lo + k
            prev = ext[max(last - 1, 0):last + 1]
        if not starts:
            return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), 0, dtype)
        return cls(np.concatenate(starts), np.concatenate(bases), np.concatenate(steps), n, dtype)

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return self.n

    @property
    def shape(self) -> tuple[int]:
        return (self.n,)

    @property
    def nbytes(self) -> int:
        return int(self.start.nbytes + self.base.nbytes + self.step.nbytes + self.end.nbytes)

    def take(self, idx: Any) -> np.ndarray:
        """Values at row numbers ``idx`` (any shape), with this axis's dtype."""
        idx = np.asarray(idx, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n):
            raise IndexError(f"row numbers must lie in [0, {self.n})")
        r = np.searchsorted(self.start, idx, side="right") - 1
        return self._out(self.base[r] + (idx - self.start[r]) * self.step[r])

    def gather(self, starts: np.ndarray, length: int) -> np.ndarray:
        """``length`` consecutive values from every start: shape (B, length).

        A window inside one run (the usual case) is computed from its run directly; only
        windows that cross a run boundary look up every row.
        """
        starts = np.asarray(starts, dtype=np.int64)
        if starts.size and (starts.min() < 0 or starts.max() + length > self.n):
            from energyai.exceptions import InsufficientDataError

            raise InsufficientDataError(f"a window reaches outside the data (rows 0..{self.n - 1})")
        r = np.searchsorted(self.start, starts, side="right") - 1
        out = (self.base[r] + (starts - self.start[r]) * self.step[r])[:, None] + np.arange(length) * self.step[r][:, None]
        crossing = np.flatnonzero(starts + length > self.end[r])
        if crossing.size:
            idx = starts[crossing, None] + np.arange(length)
            rr = np.searchsorted(self.start, idx, side="right") - 1
            out[crossing] = self.base[rr] + (idx - self.start[rr]) * self.step[rr]
        return self._out(out)

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            lo, hi, stride = key.indices(self.n)
            return self.take(np.arange(lo, hi, stride))
        if isinstance(key, (int, np.integer)):
            return self.take(np.array([key]))[0]
        key = np.asarray(key)
        if key.dtype == bool:
            key = np.flatnonzero(key)
        return self.take(key)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.take(np.arange(self.n))
        return out if dtype is None else out.astype(dtype)

    def chunks(self, size: int = 1 << 20) -> Iterator[np.ndarray]:
        """The values in order, ``size`` rows at a time (for hashing without materialising)."""
        for lo in range(0, self.n, size):
            yield self.take(np.arange(lo, min(lo + size, self.n)))

    def _out(self, values: np.ndarray) -> np.ndarray:
        return values if self.dtype == np.int64 else values.view(self.dtype)

