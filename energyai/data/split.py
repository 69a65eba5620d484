"""Time-based splits and rolling forecast origins (no shuffling, no leakage)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.exceptions import ConfigError, InsufficientDataError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "time splits")

__all__ = ["rolling_origin_cutoffs", "split_by_time", "train_rows", "val_origins"]


def split_by_time(df: pl.DataFrame, schema: Schema, cutoff: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split into rows at or before ``cutoff`` and rows after it.

    Parameters
    ----------
    cutoff : datetime
        Last timestamp of the first part. A naive datetime is read in ``schema.tz``.
    """
    cutoff = as_aware(cutoff, schema)
    ts = pl.col(schema.timestamp)
    return df.filter(ts <= cutoff), df.filter(ts > cutoff)


def as_aware(value: Any, schema: Schema) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise ConfigError(f"expected a datetime or ISO string for a cutoff, got {value!r}")
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(schema.tz or "UTC")
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone)  # the frame's zone: polars compares datetimes of one zone only


def rolling_origin_cutoffs(
    df: pl.DataFrame,
    schema: Schema,
    horizon: int,
    *,
    start: Any = None,
    end: Any = None,
    step: int | None = None,
    n_folds: int | None = None,
    min_history: int = 1,
) -> list[dt.datetime]:
    """Forecast origins (cutoffs) for a rolling-origin evaluation.

    A cutoff is the last timestamp a forecast may use; its forecast covers the ``horizon``
    steps after it. Cutoffs lie on the union of the series' timestamps, every ``step``
    steps (default ``horizon``), from ``start`` (default: the earliest origin with
    ``min_history`` steps before it) to the last origin whose whole horizon lies in the
    data, or ``end``. ``n_folds`` keeps the last n.

    Returns
    -------
    list of datetime
        Sorted, time-zone aware.
    """
    if horizon < 1:
        raise ConfigError(f"horizon must be >= 1, got {horizon}")
    if step is not None and step < 1:
        raise ConfigError(f"step must be >= 1, got {step}")
    if n_folds is not None and n_folds < 1:
        raise ConfigError(f"n_folds must be >= 1, got {n_folds}")
    step = step or horizon
    times = df[schema.timestamp].unique().sort()
    if times.len() <= horizon + min_history - 1:
        raise InsufficientDataError(
            f"{times.len()} timestamps are too few for horizon {horizon} with "
            f"min_history {min_history}"
        )
    last_origin_idx = times.len() - 1 - horizon
    first_idx = min_history - 1
    if start is not None:
        s = as_aware(start, schema)
        first_idx = max(first_idx, int(times.search_sorted(s, side="left")))
    if end is not None:
        e = as_aware(end, schema)
        last_origin_idx = min(last_origin_idx, int(times.search_sorted(e, side="right")) - 1)
    if first_idx > last_origin_idx:
        raise InsufficientDataError(
            f"no forecast origin between {start} and {end} leaves a full horizon of {horizon} "
            "steps in the data; move start earlier or shorten the horizon"
        )
    idx = list(range(first_idx, last_origin_idx + 1, step))
    if n_folds is not None:
        idx = idx[-n_folds:]
    return [times[i] for i in idx]


def val_origins(panel: Any, schema: Schema, val_size: float | int, horizon: int, val_start: Any = None) -> Any:
    """Per series, the first validation origin as a position inside the series.

    Parameters
    ----------
    panel : energyai.data.panel.Panel
    schema : Schema
    val_size : float or int
        A fraction of each series' length or a number of steps (at least ``horizon``
        when non-zero); 0 keeps every window for training.
    horizon : int
    val_start : datetime, optional
        Windows whose origin is at or after this instant validate instead (naive: in
        ``schema.tz``).

    Returns
    -------
    ndarray of int64, shape (n_series,)
    """
    import numpy as np

    lengths = panel.lengths
    if val_start is not None:
        aware = as_aware(val_start, schema).astimezone(dt.timezone.utc).replace(tzinfo=None)
        cut = np.datetime64(aware, "us")
        out = np.empty(panel.n_series, np.int64)
        for s in range(panel.n_series):
            utc = panel.utc[panel.offsets[s]:panel.offsets[s + 1]]
            out[s] = np.searchsorted(utc, cut, side="left")
        return out
    if val_size == 0:
        return lengths.copy()
    if isinstance(val_size, float):
        n_val = np.round(lengths * val_size).astype(np.int64)
    else:
        n_val = np.full_like(lengths, int(val_size))
    n_val = np.maximum(n_val, horizon)
    return np.maximum(lengths - n_val, 0)


def train_rows(panel: Any, val_first: Any) -> Any:
    """Boolean mask of the panel rows before each series' first validation origin."""
    import numpy as np

    rows = np.zeros(panel.target.shape[0], dtype=bool)
    for lo, n in zip(panel.offsets[:-1].tolist(), np.minimum(val_first, panel.lengths).tolist(), strict=True):
        rows[lo:lo + max(int(n), 0)] = True
    return rows
