"""The estimator contract shared by baselines and neural models.

``__init__`` only stores its arguments; ``fit(df, schema)`` validates, learns and returns
``self``; learned state ends in ``_``; ``predict`` before ``fit`` raises
:class:`~energyai.exceptions.NotFittedError`; ``get_params``/``set_params`` work.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from energyai._optional import import_optional
from energyai.exceptions import ConfigError, DataError, NotFittedError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "forecasting models")

__all__ = ["BaseForecaster", "SeriesData", "quantile_column"]


def quantile_column(q: float) -> str:
    """Name of the output column for quantile level ``q``: ``0.1 -> "q0.1"``."""
    return f"q{q:g}"


def check_quantiles(quantiles: Any) -> tuple[float, ...]:
    """Validate quantile levels: strictly inside (0, 1), unique; returned sorted."""
    if isinstance(quantiles, (str, bytes)):  # "0.5" would be read character by character
        raise ConfigError(f"quantiles must be a sequence of levels in (0, 1) such as (0.1, 0.5, 0.9), got the "
                          f"string {quantiles!r}")
    try:
        qs = tuple(sorted(float(q) for q in quantiles))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"quantiles must be a sequence of levels in (0, 1), got {quantiles!r}") from exc
    if any(q != q for q in qs):
        raise ConfigError(f"quantiles must be distinct levels strictly between 0 and 1, got {quantiles!r}")
    if any(not 0 < q < 1 for q in qs) or len(set(qs)) != len(qs):
        raise ConfigError(f"quantiles must be distinct levels strictly between 0 and 1, got {quantiles!r}")
    return qs


@dataclass
class SeriesData:
    """One series on its regular grid, as numpy arrays.

    Attributes
    ----------
    series : object
        The series id (None for a single-series frame).
    times : ndarray of datetime64[us], shape (N,)
        Interval starts in UTC.
    y : ndarray of float64, shape (N,)
        Target in raw units, NaN where not observed.
    future_times : ndarray of datetime64[us], shape (H,)
        The horizon's timestamps (empty when fitting).
    past : ndarray, shape (N, P)
    future : ndarray, shape (N + H, F)
        Known-future covariates over history and horizon.
    local : dict of ndarray
        Local-calendar fields ``hour``, ``minute``, ``dow`` (0 = Monday), ``month``, each
        of shape (N + H,).
    capacity : ndarray, shape (N + H,), or None
    """

    series: Any
    times: np.ndarray
    y: np.ndarray
    future_times: np.ndarray
    past: np.ndarray
    future: np.ndarray
    local: dict[str, np.ndarray]
    capacity: np.ndarray | None


class BaseForecaster:
    """Base class of every energyai forecaster.

    Subclasses set ``horizon`` and ``quantiles`` in ``__init__`` and implement
    ``_fit_series`` and ``_predict_series``. The base class validates and regularises the
    frames, builds :class:`SeriesData`, assembles the output frame and clips it to the
    physical range (non-negative when ``schema.nonnegative``; at most the capacity).
    """

    #: Whether the model needs ``future`` covariates at predict time.
    uses_future_covariates: bool = False

    horizon: int
    quantiles: tuple[float, ...]

    # ----------------------------------------------------------------- params
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The constructor arguments, as stored."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> BaseForecaster:
        """Set constructor arguments; unknown names raise :class:`ConfigError`."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ConfigError(f"{type(self).__name__} has no parameter {key!r}; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -------------------------------------------------------------- contract
    def _check_params(self) -> None:
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise ConfigError(f"horizon must be a positive int, got {self.horizon!r}")
        self.quantiles = check_quantiles(self.quantiles)

    def _check_fitted(self) -> None:
        if not hasattr(self, "schema_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(df, schema) first")

    def fit(self, df: Any, schema: Schema) -> BaseForecaster:
        """Validate ``df`` against ``schema`` and learn from it. Returns ``self``."""
        from energyai.data.validate import resolve

        self._check_params()
        frame, schema = resolve(df, schema)
        self._check_inputs(schema)
        self.schema_ = schema
        series = self._series_data(frame, None, 0)
        self.series_ids_ = [s.series for s in series]
        self._fit_all(series)
        return self

    def _check_inputs(self, schema: Schema) -> None:
        """Subclasses check that the schema provides the covariates they need."""

    def _fit_all(self, series: list[SeriesData]) -> None:
        for s in series:
            self._fit_series(s)

    def _fit_series(self, s: SeriesData) -> None:
        raise NotImplementedError

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        """Return the point forecast, shape (H,), and quantiles, shape (H, Q)."""
        raise NotImplementedError

    def predict(self, df: Any, future: Any = None) -> pl.DataFrame:
        """Forecast ``horizon`` steps after the last timestamp of each series in ``df``.

        Parameters
        ----------
        df : polars.DataFrame
            History up to the forecast origin, in the schema given to ``fit``.
        future : polars.DataFrame, optional
            Known-future covariates for the ``horizon`` steps after the origin: the series
            id, timestamp and ``schema.future_covariates`` columns. Required when the model
            uses future covariates.

        Returns
        -------
        polars.DataFrame
            Columns: series id (when the schema has one), timestamp, ``forecast`` and one
            ``q<level>`` column per quantile, in raw target units.
        """
        from energyai.data.validate import validate

        self._check_fitted()
        frame = validate(df, self.schema_)
        return self._predict_frame(frame, future)

    def _predict_frame(self, frame: pl.DataFrame, future: Any) -> pl.DataFrame:
        """Predict from an already validated history frame."""
        schema = self.schema_
        if self.uses_future_covariates and schema.future_covariates and future is None:
            raise DataError(
                f"{type(self).__name__} uses the future covariates {list(schema.future_covariates)}; "
                "pass future= with their values for the horizon"
            )
        series = self._series_data(frame, future, self.horizon)
        parts = []
        for s in series:
            point, quant = self._predict_series(s)
            point, quant = self._clip(point, quant, s)
            cols: dict[str, Any] = {}
            if schema.series_id:
                cols[schema.series_id] = [s.series] * self.horizon
            cols[schema.timestamp] = s.future_times
            cols["forecast"] = point
            for j, q in enumerate(self.quantiles):
                cols[quantile_column(q)] = quant[:, j]
            parts.append(pl.DataFrame(cols))
        out = pl.concat(parts)
        out = out.with_columns(
            pl.col(schema.timestamp).cast(pl.Datetime("us")).dt.replace_time_zone("UTC").dt.convert_time_zone(schema.tz or "UTC")
        )
        if schema.series_id:
            out = out.with_columns(pl.col(schema.series_id).cast(frame.schema[schema.series_id]))
        return out

    def _clip(self, point: np.ndarray, quant: np.ndarray, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        quant = np.sort(quant, axis=1)
        if self.schema_.nonnegative:
            point, quant = np.maximum(point, 0.0), np.maximum(quant, 0.0)
        if s.capacity is not None:
            cap = s.capacity[-self.horizon:]
            point, quant = np.minimum(point, cap), np.minimum(quant, cap[:, None])
        return point, quant

    # ---------------------------------------------------------------- arrays
    def _series_data(self, frame: pl.DataFrame, future: Any, n_ahead: int) -> list[SeriesData]:
        """Split a validated frame into per-series arrays, with ``n_ahead`` future steps."""
        from energyai.data.regularize import regularize

        schema = self.schema_
        reg = regularize(frame, schema, observed="_observed")
        sid = schema.series_id
        fut_cols = list(schema.future_covariates)
        fut_frame = None
        if future is not None:
            fut_frame = self._check_future(future, reg)
        out = []
        groups = reg.partition_by(sid, maintain_order=True, as_dict=True) if sid else {(None,): reg}
        for key, g in groups.items():
            series = key[0]
            ts = g[schema.timestamp]
            if fut_frame is not None:
                fg = fut_frame.filter(pl.col(sid) == series) if sid else fut_frame
                ftimes = fg[schema.timestamp]
            elif n_ahead:
                ftimes = self._future_times(ts)
            else:
                ftimes = ts.head(0)
            all_ts = pl.concat([ts, ftimes])
            local = pl.DataFrame({"t": all_ts}).select(
                pl.col("t").dt.hour().cast(pl.Int64).alias("hour"),
                pl.col("t").dt.minute().cast(pl.Int64).alias("minute"),
                (pl.col("t").dt.weekday().cast(pl.Int64) - 1).alias("dow"),
                pl.col("t").dt.month().cast(pl.Int64).alias("month"),
            )
            fut = np.empty((len(all_ts), 0))
            if fut_cols:
                hist = g.select(fut_cols).to_numpy().astype(np.float64)
                if fut_frame is not None:
                    ahead = fg.select(fut_cols).to_numpy().astype(np.float64)
                else:
                    ahead = np.full((len(ftimes), len(fut_cols)), np.nan)
                fut = np.vstack([hist, ahead]) if len(ahead) else hist
            cap = None
            if schema.capacity is not None:
                if isinstance(schema.capacity, str):
                    c_hist = g[schema.capacity].to_numpy().astype(np.float64)
                    last = c_hist[~np.isnan(c_hist)][-1] if np.any(~np.isnan(c_hist)) else np.nan
                    c_fut = np.full(len(ftimes), last)
                    if fut_frame is not None and schema.capacity in fut_frame.columns:
                        c_fut = fg[schema.capacity].to_numpy().astype(np.float64)
                    cap = np.concatenate([c_hist, c_fut])
                else:
                    cap = np.full(len(all_ts), float(schema.capacity))
            out.append(SeriesData(
                series=series,
                times=ts.dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy(),
                y=g[schema.target].to_numpy().astype(np.float64),
                future_times=ftimes.dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy(),
                past=g.select(list(schema.past_covariates)).to_numpy().astype(np.float64)
                if schema.past_covariates else np.empty((g.height, 0)),
                future=fut,
                local={k: local[k].to_numpy() for k in local.columns},
                capacity=cap,
            ))
        return out

    def _future_times(self, ts: pl.Series) -> pl.Series:
        return future_times(ts, self.schema_.freq, self.horizon)

    def _check_future(self, future: Any, reg: pl.DataFrame) -> pl.DataFrame:
        return check_future(future, reg, self.schema_, self.horizon)


def future_times(ts: pl.Series, freq: str | None, horizon: int) -> pl.Series:
    """The ``horizon`` timestamps after the last of ``ts`` (calendar-aware for daily steps)."""
    f = str(freq)
    offsets = pl.Series([f"{k * int(f[:-1])}{f[-1]}" for k in range(1, horizon + 1)])
    # one vectorised offset (calendar-aware for "d" in the series' time zone)
    return pl.select(pl.lit(ts.tail(1)).dt.offset_by(offsets)).to_series().alias(ts.name)  # type: ignore[arg-type]


def check_future(future: Any, reg: pl.DataFrame, schema: Schema, horizon: int,
                 optional: tuple[str, ...] = ()) -> pl.DataFrame:
    """Validate ``future`` and return one row per expected horizon step of every series in ``reg``.

    ``optional``: future covariates the model handles missing (null, or the column left out).

    Raises
    ------
    DataError
        A future covariate is missing at some horizon step (the first ones are named).
    """
    from energyai.data.validate import validate

    if not isinstance(future, pl.DataFrame):
        from energyai.data.io import from_pandas

        future = from_pandas(future, schema)
    absent = [c for c in optional if c not in future.columns]
    if absent:
        future = future.with_columns(pl.lit(None, pl.Float64).alias(c) for c in absent)
    fut_schema = Schema(
        timestamp=schema.timestamp, target="__none__", series_id=schema.series_id,
        future_covariates=tuple(schema.future_covariates), freq=schema.freq, tz=schema.tz,
        nonnegative=False,
    )
    future = future.with_columns(pl.lit(0.0).alias("__none__"))
    future = validate(future, fut_schema).drop("__none__")
    # the same instants in the history's time unit (ms against us would not join)
    future = future.with_columns(pl.col(schema.timestamp).cast(reg.schema[schema.timestamp]))
    sid = schema.series_id
    expected = []  # the expected horizon timestamps per series
    groups = reg.partition_by(sid, maintain_order=True, as_dict=True) if sid else {(None,): reg}
    for key, g in groups.items():
        ft = future_times(g[schema.timestamp], schema.freq, horizon)
        cols = {schema.timestamp: ft}
        if sid:
            cols = {sid: pl.Series([key[0]] * ft.len()).cast(reg.schema[sid]), **cols}
        expected.append(pl.DataFrame(cols))
    exp = pl.concat(expected)
    keys = ([sid] if sid else []) + [schema.timestamp]
    joined = exp.join(future, on=keys, how="left", maintain_order="left")
    needed = [c for c in schema.future_covariates if c not in optional]
    if needed:
        missing = joined.filter(pl.any_horizontal(pl.col(needed).is_null()))
        if missing.height:
            first = missing.head(5).select(keys).rows()
            raise DataError(
                f"future covariates {list(schema.future_covariates)} are missing for {missing.height} "
                f"of the {exp.height} horizon steps, first at {first}; provide a value for "
                f"every one of the {horizon} steps after each series' last timestamp"
            )
    return joined
