"""A validated long frame as contiguous float32 arrays: the input of neural training.

Every series is put on its regular grid (:func:`~energyai.data.regularize`), then all
series are stored back to back; ``offsets[s]:offsets[s + 1]`` is series ``s``. Missing
targets stay missing (``observed`` is False, the value is 0 and is never read by a loss).
Windows are then cut by index arithmetic (:mod:`energyai.windows`), so no per-window
object ever exists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from energyai._optional import import_optional
from energyai.data.timeaxis import TimeAxis
from energyai.exceptions import DataError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "panel building")

__all__ = ["Panel", "build_panel", "panel_from_regular"]

#: Name of the observed-mask column a regular frame carries into :func:`panel_from_regular`.
OBSERVED = "__observed__"


@dataclass
class Panel:
    """Contiguous arrays of a panel of series.

    Attributes
    ----------
    target : ndarray of float32, shape (N,)
        Raw target units; 0 where not observed.
    observed : ndarray of bool, shape (N,)
    past : ndarray of float32, shape (N, P)
        Past-observed covariates; NaN where missing.
    future : ndarray of float32, shape (N, F)
        Known-future covariates; NaN where missing.
    static : ndarray of float32, shape (S, C)
        One row per series.
    local_time : TimeAxis of int64, length N
        Local wall-clock time as seconds since 1970-01-01 (for calendar features). Stored
        as linear runs (:class:`~energyai.data.timeaxis.TimeAxis`); indexing gives arrays.
    utc : TimeAxis of datetime64, length N
        Interval starts in UTC, stored the same way.
    capacity : ndarray of float32, shape (N,), or None
    offsets : ndarray of int64, shape (S + 1,)
    series_ids : list
        Series id of each series (``[None]`` for a single-series frame).
    weights : ndarray of float32, shape (S,)
        Loss weight of each series.
    vintaged : HorizonVintages, optional
        Weather runs matched to each origin's lead times
        (:mod:`energyai.training.vintaged`); windows then read them over their horizon.
    holiday_override : ndarray of float32, shape (N, 4), optional
        Holiday flags per row fed as the ``holiday_override`` input of training windows
        (NaN: the model's table); see :mod:`energyai.training.series_holidays`.
    site_override : ndarray of float32, shape (S, 4), optional
        PV site per series fed as the ``site_override`` input of training windows (NaN:
        the model's ``solar_site``).
    """

    target: np.ndarray
    observed: np.ndarray
    past: np.ndarray
    future: np.ndarray
    static: np.ndarray
    local_time: TimeAxis
    utc: TimeAxis
    capacity: np.ndarray | None
    offsets: np.ndarray
    series_ids: list[Any]
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    vintaged: Any = None
    holiday_override: np.ndarray | None = None
    site_override: np.ndarray | None = None

    @property
    def n_series(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def missing_covariates(self, optional: tuple[int, ...] = ()) -> np.ndarray:
        """Bool (N,): True where any past or future covariate is missing.

        ``optional``: positions of future covariates whose absence the model handles (not counted).
        """
        bad = np.zeros(self.target.shape[0], dtype=bool)
        future = self.future
        if optional and future.shape[1]:
            future = np.delete(future, list(optional), axis=1)
        for block in (self.past, future):
            if block.shape[1]:
                # A row's float64 sum is NaN exactly when the row holds a NaN: values are
                # finite float32 or NaN by validation, so the sum cannot overflow. Much
                # faster than any(axis=1) over a few columns.
                bad |= np.isnan(block.sum(axis=1, dtype=np.float64))
        return bad

    def target_range(self) -> dict[str, float] | None:
        """``{"min": .., "max": ..}`` of the observed target values (target units), or None
        when none is observed; the models record it to bound their forecasts
        (:func:`energyai.limits.check_forecast_scale`)."""
        y = self.target[self.observed] if self.observed.any() else None
        if y is None or not y.size:
            return None
        return {"min": float(np.nanmin(y)), "max": float(np.nanmax(y))}

    def sha256(self) -> str:
        """Hash of the arrays a model learns from (target, mask, covariates, times)."""
        h = hashlib.sha256()
        for arr in (self.target, self.observed, self.past, self.future, self.static, self.local_time, self.offsets):
            parts = arr.chunks() if isinstance(arr, TimeAxis) else (arr,)
            for part in parts:  # the same bytes as one array, without materialising it
                h.update(np.ascontiguousarray(part).reshape(-1).view(np.uint8).data)
        return h.hexdigest()


def _time_axes(ts: pl.Series, tz: str | None, offsets: np.ndarray) -> tuple[TimeAxis, TimeAxis]:
    """Local wall-clock seconds and UTC instants of every row, as run-length time axes.

    Built a chunk of rows at a time, so no full-length time array is ever materialised.
    """
    n = ts.len()

    def local(lo: int, hi: int) -> np.ndarray:
        return _local_seconds(ts.slice(lo, hi - lo), tz)

    def utc(lo: int, hi: int) -> np.ndarray:
        return ts.slice(lo, hi - lo).dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy()

    unit = getattr(ts.dtype, "time_unit", "us") or "us"
    breaks = offsets[:-1]
    return (TimeAxis.from_chunks(n, local, np.int64, breaks),
            TimeAxis.from_chunks(n, utc, np.dtype(f"datetime64[{unit}]"), breaks))


def _local_seconds(ts: pl.Series, tz: str | None) -> np.ndarray:
    tz = tz or getattr(ts.dtype, "time_zone", None) or "UTC"
    local = ts.dt.convert_time_zone(tz).dt.replace_time_zone(None)
    return local.dt.epoch("s").to_numpy().astype(np.int64, copy=False)


def build_panel(frame: pl.DataFrame, schema: Schema, weights: Any = None) -> Panel:
    """Build a :class:`Panel` from a validated frame.

    Parameters
    ----------
    frame : polars.DataFrame
        Output of :func:`energyai.data.validate` (sorted, tz-aware).
    schema : Schema
        With ``freq`` resolved.
    weights : dict or None
        Loss weight per series id (default 1). Unknown ids raise :class:`DataError`.

    Returns
    -------
    Panel
    """
    from energyai.data.regularize import regularize

    return panel_from_regular(regularize(frame, schema, observed=OBSERVED), schema, weights)


def panel_from_regular(reg: pl.DataFrame, schema: Schema, weights: Any = None,
                       blocks: dict[str, np.ndarray] | None = None) -> Panel:
    """Build a :class:`Panel` from a frame already on its regular grid.

    Parameters
    ----------
    reg : polars.DataFrame
        Output of :func:`~energyai.data.regularize` with ``observed="__observed__"``.
    schema : Schema
    weights : dict or None
        As :func:`build_panel`.
    blocks : dict, optional
        ``"past"`` and/or ``"future"`` covariate blocks, float32 ``(len(reg), n)``, already
        aligned with ``reg``'s rows; their columns need not be in ``reg`` (the LazyFrame
        path reads them one at a time).
    """
    blocks = blocks or {}
    sid = schema.series_id
    if sid:
        # rows are sorted by series (validated), so each series is one run of its id: a
        # run-length pass, instead of a hash group-by over every row
        runs = reg[sid].rle().struct.unnest()
        series_ids = runs["value"].to_list()
        lengths = runs["len"].to_numpy().astype(np.int64)
        if len(set(series_ids)) != len(series_ids):
            raise DataError(f"rows of a series are not contiguous in column {sid!r}; validate the frame first")
    else:
        series_ids = [None]
        lengths = np.array([reg.height], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    observed = reg[OBSERVED].to_numpy().astype(bool)
    target = reg[schema.target].cast(pl.Float32).to_numpy()  # NaN where missing; one float32 copy
    if not target.flags.writeable:
        target = target.copy()
    np.nan_to_num(target, copy=False, nan=0.0)  # missing targets: 0, never read (observed is False)

    def block(cols: tuple[str, ...]) -> np.ndarray:
        return block_of(reg, cols) if cols else np.zeros((reg.height, 0), np.float32)

    static = _statics(reg, schema, offsets, series_ids)
    cap = _capacity(reg, schema)
    w = _weights(weights, series_ids)
    ts = reg[schema.timestamp]
    local_time, utc = _time_axes(ts, schema.tz, offsets)
    return Panel(
        target=target,
        observed=observed,
        past=blocks["past"] if "past" in blocks else block(schema.past_covariates),
        future=blocks["future"] if "future" in blocks else block(schema.future_covariates),
        static=static,
        local_time=local_time,
        utc=utc,
        capacity=cap,
        offsets=offsets,
        series_ids=series_ids,
        weights=w,
    )


def _statics(reg: pl.DataFrame, schema: Schema, offsets: np.ndarray, series_ids: list[Any]) -> np.ndarray:
    """Static covariates of every series (its first row), ``(n_series, S)``; missing ones are an error."""
    if not schema.static_covariates:
        return np.zeros((len(series_ids), 0), np.float32)
    first = reg[offsets[:-1].tolist()] if len(series_ids) else reg.head(0)
    try:
        static = block_of(first, schema.static_covariates)
    except pl.exceptions.InvalidOperationError as exc:
        raise DataError(
            f"static covariates {list(schema.static_covariates)} must be numeric (encode categories as "
            "integer codes first)"
        ) from exc
    if np.isnan(static).any():
        bad = [series_ids[i] for i in np.flatnonzero(np.isnan(static).any(axis=1))[:5]]
        raise DataError(f"static covariates {list(schema.static_covariates)} are missing for series {bad}")
    return static


def _capacity(reg: pl.DataFrame, schema: Schema) -> np.ndarray | None:
    """Capacity per row (a column forward-filled within each series, or the constant), or None."""
    if schema.capacity is None:
        return None
    if not isinstance(schema.capacity, str):
        return np.full(reg.height, float(schema.capacity), np.float32)
    sid = schema.series_id
    col = pl.col(schema.capacity).cast(pl.Float32).fill_null(strategy="forward")
    return reg.select(col.over(sid) if sid else col).to_series().to_numpy().astype(np.float32)


def _weights(weights: Any, series_ids: list[Any]) -> np.ndarray:
    """Loss weight per series (1 unless given); unknown ids and bad values are errors."""
    w = np.ones(len(series_ids), np.float32)
    if weights is None:
        return w
    if not isinstance(weights, dict):
        raise DataError(f"series weights must be a dict of series id -> weight, got {type(weights).__name__}")
    index = {s: i for i, s in enumerate(series_ids)}
    for key, value in weights.items():
        if key not in index:
            raise DataError(f"series weight given for unknown series {key!r}; known: {series_ids[:10]}")
        if not np.isfinite(value) or value < 0:
            raise DataError(f"series weight for {key!r} must be finite and >= 0, got {value}")
        w[index[key]] = value
    return w


def block_of(frame: pl.DataFrame, cols: tuple[str, ...]) -> np.ndarray:
    """Columns ``cols`` of ``frame`` as a float32 (rows, len(cols)) array, NaN for null.

    Filled one column at a time, so the transient memory is one column, not a second
    copy of the whole block.
    """
    out = np.empty((frame.height, len(cols)), np.float32)
    for j, c in enumerate(cols):
        out[:, j] = frame.get_column(c).cast(pl.Float32).fill_null(float("nan")).to_numpy()
    return out
