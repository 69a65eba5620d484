"""A fast path from a clean single-series frame to the network's input arrays.

:meth:`energyai.Forecaster.predict` validates and regularises its input with polars,
which costs a few milliseconds per call whatever the frame's size. Online use (one
site, one window, forecast again every step) is dominated by that overhead. This
module recognises the common clean case with numpy checks only and builds the tensor
contract arrays directly.

It never raises on bad data: when anything is unusual (gaps, missing values, several
series, unsorted rows, NaN, negative load, values above capacity, daily steps across
daylight saving, future or static covariates) it returns ``None`` and the caller takes
the general path, which reports the problem with its usual typed error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from energyai._optional import import_optional
from energyai.schema import Schema

pl = import_optional("polars", "neural forecasting")

__all__ = ["FastWindow", "fast_window"]

_UNITS = {"ns": 1_000_000_000, "us": 1_000_000, "ms": 1_000}


@dataclass(frozen=True)
class FastWindow:
    """Arrays of one window in the tensor contract, plus the forecast timestamps.

    Shapes use L = context length, H = horizon, P = past covariates.
    """

    past_target: np.ndarray  #: (1, L) float32, target units
    past_observed: np.ndarray  #: (1, L) float32, all ones
    past_covariates: np.ndarray  #: (1, L, P) float32
    local_time: np.ndarray  #: (1, L + H) int64, local wall-clock seconds
    capacity: np.ndarray  #: (1, H) float32, inf when the schema has none
    utc_time: np.ndarray  #: (1, L + H) int64, UTC seconds
    series: Any  #: the series id, or None
    future_times: Any  #: polars.Series of the H forecast timestamps


def fast_window(df: Any, schema: Schema, context_length: int, horizon: int) -> FastWindow | None:
    """Build the inputs of one forecast from a clean frame, or return None.

    Parameters
    ----------
    df : polars.DataFrame
        History of one series ending at the forecast origin, with time-zone-aware
        timestamps sorted ascending and at least ``context_length`` rows.
    schema : Schema
        The fitted schema (frequency resolved).
    context_length, horizon : int
        L and H, in steps.

    Returns
    -------
    FastWindow or None
        None whenever the general (validating, regularising) path is needed.
    """
    if not isinstance(df, pl.DataFrame) or schema.future_covariates or schema.static_covariates:
        return None
    freq = schema.frequency
    if freq is None or freq.seconds % 86400 == 0 or isinstance(schema.capacity, str):
        return None
    ts, target = schema.timestamp, schema.target
    cols = [ts, target, *schema.past_covariates]
    if any(c not in df.columns for c in cols) or df.height < context_length:
        return None
    dtype = df.schema[ts]
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is None:
        return None
    if any(not df.schema[c].is_numeric() for c in cols[1:]):
        return None
    series = None
    if schema.series_id:
        if schema.series_id not in df.columns:
            return None
        ids = df[schema.series_id]
        if ids.null_count() or ids.n_unique() != 1:
            return None
        series = ids[0]

    unit = _UNITS[dtype.time_unit or "us"]
    t = df[ts].to_physical().to_numpy()
    step = freq.seconds * unit
    if df.height > 1 and not (np.diff(t) > 0).all():
        return None
    t = t[-context_length:]
    if not (np.diff(t) == step).all():
        return None

    tail = df.tail(context_length)
    y = np.array(tail[target].cast(pl.Float32).to_numpy(), dtype=np.float32)
    if not np.isfinite(y).all():
        return None
    if schema.nonnegative and (y < 0).any():
        return None
    cap = np.inf
    if schema.capacity is not None:
        cap = float(schema.capacity)
        if (y > cap * (1.0 + schema.capacity_tolerance)).any():
            return None
    if schema.past_covariates:
        pc = tail.select(pl.col(list(schema.past_covariates)).cast(pl.Float32)).to_numpy()
        if not np.isfinite(pc).all():
            return None
    else:
        pc = np.zeros((context_length, 0), np.float32)

    zone = schema.tz or dtype.time_zone
    future = t[-1] + step * np.arange(1, horizon + 1, dtype=np.int64)
    instants = pl.Series(ts, np.concatenate([t, future])).cast(pl.Datetime(dtype.time_unit, "UTC"))
    local = instants.dt.convert_time_zone(zone)
    local_s = local.dt.replace_time_zone(None).dt.epoch("s").to_numpy()
    return FastWindow(
        past_target=np.ascontiguousarray(y[None, :]),
        past_observed=np.ones((1, context_length), np.float32),
        past_covariates=np.ascontiguousarray(pc[None, :, :], dtype=np.float32),
        local_time=np.ascontiguousarray(local_s[None, :], dtype=np.int64),
        capacity=np.full((1, horizon), cap, np.float32),
        utc_time=np.ascontiguousarray(instants.dt.epoch("s").to_numpy()[None, :], dtype=np.int64),
        series=series,
        future_times=local.tail(horizon),
    )
