"""The window of a frame that validation would pass unchanged, read with numpy alone.

:func:`energyai.inference.predict_frame` validates, regularises and groups its input with
polars, about twenty small queries per call; on the one-window forecast that backtests and
calibration repeat thousands of times that is most of the cost. :func:`clean_window`
proves, with a few numpy operations, that a frame of one series is already what those
queries would return (sorted, on the grid without a gap, finite, in range, within
capacity, the future covariates complete for every horizon step) and then builds the
:class:`~energyai.contract.Window` directly. It never raises and never decides a
borderline case: any frame it cannot prove clean (a null or NaN in a covariate, a gap,
an unsorted or off-grid timestamp, another dtype or zone, several series, a capacity
column, static covariates) returns None, and the caller takes the full path, which
raises the usual typed error or handles the case as documented. Both paths give the
same forecast to the bit (``tests/test_clean_window.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from energyai.contract import Window
from energyai.limits import MAX_ABS
from energyai.timeutil import MAX_UTC, MIN_UTC, future_seconds

__all__ = ["clean_window"]

_PER_SECOND = {"ns": 1_000_000_000, "us": 1_000_000, "ms": 1_000}


def clean_window(model: Any, df: Any, future: Any) -> tuple[Window, list[Any], dict[str, Any]] | None:
    """The window of ``df`` (history) and ``future`` for a fitted ``model``, the series ids
    (one) and the dtypes of the id and time columns; None when the frame is not provably clean.

    Parameters
    ----------
    model : Forecaster
        Fitted; its schema has no static covariates or capacity column.
    df : polars.DataFrame
        The history of one series (one id when the schema has a series id column), at least
        ``context_length`` rows, timestamps in the schema's zone.
    future : polars.DataFrame or None
        The future covariates, rows covering the ``horizon`` steps after the history (with
        the same single id).
    """
    import polars as pl

    s = model.schema_
    f = s.frequency
    if (not isinstance(df, pl.DataFrame) or s.static_covariates or isinstance(s.capacity, str)
            or f is None or f.is_calendar or f.seconds % 86400 == 0 or not s.tz):
        return None
    ids = _one_id(df, s.series_id)
    if ids is None:
        return None
    L, H = model.context_length, model.horizon
    stamps = _stamps(df, s.timestamp, s.tz)
    if stamps is None or len(stamps) < L or (len(stamps) > 1 and not (np.diff(stamps) > 0).all()):
        return None
    secs = stamps[-L:]
    if (np.diff(secs) != f.seconds).any() or secs[0] < MIN_UTC or secs[-1] + H * f.seconds >= MAX_UTC:
        return None
    tail = df.tail(L)
    y = _values(tail, (s.target,))
    covariates = (*s.past_covariates, *s.future_covariates)
    block = _values(tail, covariates)
    if y is None or block is None or not np.isfinite(block).all() or (np.abs(block) > MAX_ABS).any():
        return None
    y = y[:, 0]
    obs = ~np.isnan(y)  # a null target is missing (masked); a NaN one was refused by _values
    seen = y[obs]
    if not obs.any() or not np.isfinite(seen).all() or (np.abs(seen) > MAX_ABS).any():
        return None
    if (s.nonnegative and (seen < 0).any()) or (
            s.capacity is not None and (seen > float(s.capacity) * (1.0 + s.capacity_tolerance)).any()):
        return None
    ahead = future_seconds(secs[-1:], f.seconds, H, s.tz)[0]
    fut = None
    if s.future_covariates:
        fut = _future(future, s, df.schema[s.timestamp], ahead, f.seconds)
        if fut is None or (s.series_id and _one_id(future, s.series_id) != ids):
            return None
    elif future is not None:  # the full path checks a future frame even when no column is read
        return None
    P, F = len(s.past_covariates), len(s.future_covariates)
    past = np.zeros((1, L, P), np.float32)
    past[0] = block[:, :P]
    future_block = np.zeros((1, L + H, F), np.float32)
    if F:
        future_block[0, :L] = block[:, P:]
        future_block[0, L:] = fut
    cap = np.full((1, H), np.inf if s.capacity is None else float(s.capacity), np.float32)
    window = Window(target=y.astype(np.float32)[None], utc=np.concatenate([secs, ahead])[None], tz=s.tz,
                    past=past, future=future_block, static=np.zeros((1, 0), np.float32), capacity=cap)
    types = {c: df.schema[c] for c in (s.series_id, s.timestamp) if c}
    return window, ids, types


def _one_id(frame: Any, column: str | None) -> list[Any] | None:
    """``[id]`` when ``column`` holds one id and no null (``[None]`` without a column); else None."""
    if not column:
        return [None]
    if column not in frame.columns or not frame.height:
        return None
    col = frame.get_column(column)
    if col.null_count() or col.n_unique() != 1:
        return None
    return [col[0]]


def _stamps(df: Any, column: str, tz: str) -> np.ndarray | None:
    """UTC seconds of ``column`` when it is a datetime in zone ``tz``, without nulls or
    fractions of a second; else None."""
    import polars as pl

    dtype = df.schema.get(column)
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone != tz or dtype.time_unit not in _PER_SECOND:
        return None
    col = df.get_column(column)
    if col.null_count():
        return None
    raw = col.to_physical().to_numpy()
    per = _PER_SECOND[dtype.time_unit]
    if (raw % per).any():
        return None
    out: np.ndarray = raw // per
    return out


def _values(frame: Any, columns: tuple[str, ...]) -> np.ndarray | None:
    """``columns`` as float64 (rows, k), NaN for null, when each is a Float64 column without
    NaN values; else None."""
    import polars as pl

    if any(frame.schema.get(c) != pl.Float64 for c in columns):
        return None
    out = np.empty((frame.height, len(columns)), np.float64)
    for j, c in enumerate(columns):
        col = frame.get_column(c)
        out[:, j] = col.to_numpy()  # a null becomes NaN here, so a NaN beyond the nulls was a NaN value
        if int(np.isnan(out[:, j]).sum()) != col.null_count():
            return None
    return out


def _future(future: Any, s: Any, dtype: Any, ahead: np.ndarray, step: int) -> np.ndarray | None:
    """The future covariates at the ``ahead`` seconds as float32 (H, F), when ``future`` is a
    frame of the history's timestamp dtype, strictly on the grid, with every covariate finite
    everywhere, holding those steps in order; else None."""
    import polars as pl

    if not isinstance(future, pl.DataFrame) or future.schema.get(s.timestamp) != dtype:
        return None
    stamps = _stamps(future, s.timestamp, s.tz)
    block = _values(future, tuple(s.future_covariates))
    if stamps is None or block is None or not np.isfinite(block).all() or (np.abs(block) > MAX_ABS).any():
        return None
    if len(stamps) > 1 and (np.diff(stamps) != step).any():
        return None
    start = int(np.searchsorted(stamps, ahead[0]))
    if start + len(ahead) > len(stamps) or not np.array_equal(stamps[start:start + len(ahead)], ahead):
        return None
    out: np.ndarray = block[start:start + len(ahead)].astype(np.float32)
    return out
