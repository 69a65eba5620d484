"""Window indexing over a panel of contiguous series, by integer arithmetic only.

A *panel* stores many series back to back in one array; ``offsets[s]:offsets[s + 1]``
is series ``s``. A *window* of length ``context + horizon`` is identified by its global
start index. Instead of storing one index per window (17.5 M int64 = 140 MB for 2,000
hourly series over a year), :class:`WindowIndex` stores *runs* of consecutive valid
starts, so memory is O(number of runs) and a flat window number maps to its start with
one ``searchsorted``. Numpy only: training and the runtime share it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from energyai.exceptions import ConfigError, InsufficientDataError

__all__ = ["WindowIndex", "build_window_index", "gather", "valid_starts_mask"]


@dataclass(frozen=True)
class WindowIndex:
    """Runs of valid window starts.

    Attributes
    ----------
    run_start : ndarray of int64, shape (R,)
        Global index (into the panel arrays) of the first window start of each run.
    run_series : ndarray of int64, shape (R,)
        Series number of each run.
    cum : ndarray of int64, shape (R + 1,)
        Cumulative window counts; run ``r`` holds windows ``cum[r]:cum[r + 1]``.
    stride : int
        Step between consecutive window starts in a run.
    """

    run_start: np.ndarray
    run_series: np.ndarray
    cum: np.ndarray
    stride: int

    def __len__(self) -> int:
        return int(self.cum[-1])

    def locate(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map flat window numbers to (global start index, series number).

        Parameters
        ----------
        idx : ndarray of int, shape (B,)
            Window numbers in ``[0, len(self))``.
        """
        idx = np.asarray(idx, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"window numbers must lie in [0, {len(self)})")
        run = np.searchsorted(self.cum, idx, side="right") - 1
        start = self.run_start[run] + (idx - self.cum[run]) * self.stride
        return start, self.run_series[run]



def valid_starts_mask(
    observed: np.ndarray, bad: np.ndarray | None, context: int, horizon: int
) -> np.ndarray:
    """Which starts of one series give a usable window.

    A window ``[t, t + context + horizon)`` is usable when its context has at least one
    observed target, its horizon has at least one observed target (the rest is masked out
    of the loss, never filled), and no covariate it reads is missing.

    Parameters
    ----------
    observed : ndarray of bool, shape (N,)
        Target observed mask of one series.
    bad : ndarray of bool, shape (N,), optional
        True where a covariate the window would read is missing.
    context, horizon : int

    Returns
    -------
    ndarray of bool, shape (max(N - context - horizon + 1, 0),)
    """
    n = observed.shape[0]
    n_starts = n - context - horizon + 1
    if n_starts <= 0:
        return np.zeros(0, dtype=bool)
    c_obs = np.concatenate([[0], np.cumsum(observed, dtype=np.int64)])
    t = np.arange(n_starts)
    ctx_obs = c_obs[t + context] - c_obs[t]
    hor_obs = c_obs[t + context + horizon] - c_obs[t + context]
    ok = (ctx_obs > 0) & (hor_obs > 0)
    if bad is not None and bad.any():
        c_bad = np.concatenate([[0], np.cumsum(bad, dtype=np.int64)])
        ok &= (c_bad[t + context + horizon] - c_bad[t]) == 0
    return ok


def _runs(mask: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of runs of True in ``mask[::stride]`` (positions in ``mask``)."""
    sub = mask[::stride].astype(np.int8)
    if not sub.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    edges = np.diff(np.concatenate([[0], sub, [0]]))
    first = np.flatnonzero(edges == 1)
    last = np.flatnonzero(edges == -1)
    return first * stride, last - first


def build_window_index(
    offsets: np.ndarray,
    observed: np.ndarray,
    context: int,
    horizon: int,
    *,
    bad: np.ndarray | None = None,
    first_origin: np.ndarray | None = None,
    last_origin: np.ndarray | None = None,
    stride: int = 1,
    allowed_last: np.ndarray | None = None,
) -> WindowIndex:
    """Index every usable window of a panel.

    Parameters
    ----------
    offsets : ndarray of int64, shape (S + 1,)
        Series boundaries in the panel arrays.
    observed : ndarray of bool, shape (N,)
        Target observed mask of the whole panel.
    context, horizon : int
        Window lengths in steps.
    bad : ndarray of bool, shape (N,), optional
        True where a covariate is missing.
    first_origin, last_origin : ndarray of int64, shape (S,), optional
        Per series, the first and last allowed forecast origin as a position inside the
        series (origin = index of the first horizon step). Used to split train and
        validation windows by time without copying data.
    stride : int
        Keep every ``stride``-th start.
    allowed_last : ndarray of bool, shape (N,), optional
        True at the panel positions that may be a window's last context step (its
        forecast is issued there), e.g. only 10:00 local time for a market gate.

    Returns
    -------
    WindowIndex
    """
    if context < 1 or horizon < 1 or stride < 1:
        raise ConfigError(f"context, horizon and stride must be >= 1, got {context}, {horizon}, {stride}")
    starts, series, counts = [], [], []
    for s in range(len(offsets) - 1):
        lo, hi = int(offsets[s]), int(offsets[s + 1])
        mask = valid_starts_mask(observed[lo:hi], None if bad is None else bad[lo:hi], context, horizon)
        if first_origin is not None:
            mask[: max(int(first_origin[s]) - context, 0)] = False
        if last_origin is not None:
            mask[max(int(last_origin[s]) - context + 1, 0):] = False
        if allowed_last is not None and mask.size:
            mask &= allowed_last[lo + context - 1:lo + context - 1 + mask.size]
        r0, rn = _runs(mask, stride)
        starts.append(r0 + lo)
        counts.append(rn)
        series.append(np.full(len(r0), s, dtype=np.int64))
    run_start = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    run_n = np.concatenate(counts) if counts else np.zeros(0, np.int64)
    keep = run_n > 0
    cum = np.concatenate([[0], np.cumsum(run_n[keep])]).astype(np.int64)
    return WindowIndex(
        run_start=run_start[keep].astype(np.int64),
        run_series=(np.concatenate(series) if series else np.zeros(0, np.int64))[keep],
        cum=cum,
        stride=stride,
    )


def gather(values: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Slice ``length`` consecutive rows of ``values`` at every start.

    Parameters
    ----------
    values : ndarray, shape (N, ...)
    starts : ndarray of int, shape (B,)
    length : int

    Returns
    -------
    ndarray, shape (B, length, ...)
        A new contiguous array (fancy indexing; only the batch is copied).
    """
    if length < 0:
        raise ConfigError(f"length must be >= 0, got {length}")
    idx = np.asarray(starts, dtype=np.int64)[:, None] + np.arange(length, dtype=np.int64)[None, :]
    if idx.size and (idx.min() < 0 or idx.max() >= values.shape[0]):
        raise InsufficientDataError(f"a window reaches outside the data (rows 0..{values.shape[0] - 1})")
    return values[idx]
