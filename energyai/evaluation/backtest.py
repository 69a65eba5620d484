"""Rolling-origin backtesting: forecasts from many origins, scored per series, lead and hour."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from energyai._optional import import_optional
from energyai.base import quantile_column
from energyai.data.split import rolling_origin_cutoffs
from energyai.data.validate import resolve
from energyai.evaluation.scoring import score_frame
from energyai.exceptions import ConfigError, DataError, LeakageError
from energyai.schema import Schema

pl = import_optional("polars", "backtesting")

__all__ = ["BacktestResult", "backtest"]


@dataclass
class BacktestResult:
    """Forecasts and metrics of a rolling-origin backtest.

    Attributes
    ----------
    forecasts : polars.DataFrame
        One row per (series, cutoff, lead): ``cutoff``, timestamp, ``lead`` (1..H),
        ``actual`` (null where not observed), ``forecast`` and the quantile columns.
    metrics : polars.DataFrame
        One row over everything: n, mae, rmse, mape, smape, cv_rmse (and pinball, coverage).
    by_series, by_lead, by_hour : polars.DataFrame
        The same metrics per series, per lead and per local hour of the target time.
    cutoffs : list of datetime
    model : str
    fit_seconds, predict_seconds : float
        Wall time spent in fit and predict calls.
    """

    forecasts: pl.DataFrame
    metrics: pl.DataFrame
    by_series: pl.DataFrame
    by_lead: pl.DataFrame
    by_hour: pl.DataFrame
    cutoffs: list[dt.datetime]
    model: str
    quantiles: tuple[float, ...] = ()
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    schema: Schema | None = field(default=None, repr=False)
    #: where the future covariates came from: "none", "vintages", "table", "known in
    #: advance" or "oracle" (read from the data at their valid times: an ex-post experiment)
    future_source: str = "none"

    @property
    def oracle(self) -> bool:
        """True when the future covariates were read from the data (an oracle experiment)."""
        return self.future_source == "oracle"

    def summary(self) -> dict[str, Any]:
        """JSON-ready overall metrics and run facts."""
        return {
            "model": self.model,
            "future_covariates": self.future_source,
            "folds": len(self.cutoffs),
            "first_cutoff": str(self.cutoffs[0]),
            "last_cutoff": str(self.cutoffs[-1]),
            "fit_seconds": round(self.fit_seconds, 3),
            "predict_seconds": round(self.predict_seconds, 3),
            **{k: v[0] for k, v in self.metrics.to_dict(as_series=False).items()},
        }


def backtest(
    model: Any,
    df: Any,
    schema: Schema,
    *,
    cutoffs: list[Any] | None = None,
    start: Any = None,
    end: Any = None,
    step: int | None = None,
    n_folds: int | None = None,
    refit: bool | int = False,
    train_window: int | None = None,
    min_train: int | None = None,
    fit: bool = True,
    future: Any = None,
    oracle: bool = False,
    known_future: Any = (),
) -> BacktestResult:
    """Rolling-origin backtest of a forecaster.

    At every cutoff the model sees only rows at or before the cutoff: ``fit`` receives the
    training rows and ``predict`` the history, plus the future covariates (never the
    target) of the ``horizon`` steps after it.

    Parameters
    ----------
    model : forecaster
        Anything with ``horizon``, ``quantiles``, ``fit(df, schema)`` and
        ``predict(df, future)``.
    df : polars.DataFrame
        The full data.
    schema : Schema
    cutoffs : list of datetime, optional
        Explicit forecast origins; otherwise from :func:`~energyai.data.rolling_origin_cutoffs`
        with ``start``, ``end``, ``step`` (default: the horizon) and ``n_folds``.
    refit : bool or int
        False: fit once on the data up to the first cutoff. True: refit at every cutoff.
        k: refit every k cutoffs.
    train_window : int, optional
        Fit on at most this many steps before the cutoff (default: all of them).
    min_train : int, optional
        Steps of history before the first possible cutoff (default: 2 weeks or 2 horizons).
    fit : bool
        False scores an already fitted model (a saved one, say) without fitting it;
        ``refit`` must then be False.
    future : Vintages or polars.DataFrame, optional
        Where the future covariates of each horizon come from: weather-forecast vintages
        (the latest run available at each cutoff is picked), or a table with ``cutoff``,
        the timestamp, the covariates and ``issue_time``. Either way a value issued after
        its cutoff raises :class:`~energyai.exceptions.LeakageError`. Covariates the table
        does not hold are read from ``df`` and must be in ``known_future``.
    oracle : bool
        Read every future covariate from ``df`` at its valid time (measured weather as if
        it were a forecast). The result is labelled ``future_source="oracle"``.
    known_future : sequence of str
        Future covariates that are known in advance (calendar, holidays, planned
        capacity), which may be read from ``df``.

    Returns
    -------
    BacktestResult

    Raises
    ------
    LeakageError
        A future covariate would be read from ``df`` without ``oracle=True`` or
        ``known_future``, or a vintage was issued after its cutoff.
    """
    frame, schema = resolve(df, schema)
    horizon = int(model.horizon)
    freq_s = schema.frequency.seconds  # type: ignore[union-attr]
    from energyai.data.vintages import Vintages, check_vintage_leakage

    table_cols: tuple[str, ...] = ()
    if isinstance(future, Vintages):
        table_cols = tuple(future.columns)
    elif future is not None:
        table_cols = tuple(c for c in schema.future_covariates if c in future.columns)
    from_frame = [c for c in schema.future_covariates if c not in table_cols]
    unknown = [c for c in from_frame if c not in set(known_future)]
    if unknown and not oracle:
        raise LeakageError(
            f"future covariates {unknown} would be read from the data at their valid times, which uses observed "
            "values as if they were forecasts. Pass future= (Vintages or a table with issue_time), list them in "
            "known_future= if they are known in advance (calendar, holidays), or pass oracle=True to run a "
            "labelled oracle experiment"
        )
    source = "none" if not schema.future_covariates else (
        "oracle" if unknown else ("vintages" if isinstance(future, Vintages) else "table" if table_cols
                                  else "known in advance"))
    if min_train is None:
        min_train = max(2 * horizon, (14 * 86400) // freq_s)
    if cutoffs is None:
        cutoffs = rolling_origin_cutoffs(
            frame, schema, horizon, start=start, end=end, step=step, n_folds=n_folds, min_history=min_train
        )
    else:
        from energyai.data.split import _as_aware

        cutoffs = sorted(_as_aware(c, schema) for c in cutoffs)
    if isinstance(refit, bool):
        every = 1 if refit else 0
    elif isinstance(refit, int) and refit >= 1:
        every = refit
    else:
        raise ConfigError(f"refit must be True, False or a positive int, got {refit!r}")
    if not fit and every:
        raise ConfigError("fit=False scores a fitted model as it is; it cannot be combined with refit")

    ts, sid = schema.timestamp, schema.series_id
    keys = ([sid] if sid else []) + [ts]
    step_td = dt.timedelta(seconds=freq_s)
    table = None
    if table_cols:
        if isinstance(future, Vintages):
            ids = frame[sid].unique(maintain_order=True).to_list() if sid else None
            table = future.for_origins(list(cutoffs), horizon, step_td, ids, tz=schema.tz or "UTC", timestamp=ts)
            if future.series_id and sid and future.series_id != sid:
                table = table.rename({future.series_id: sid})
            delay = future.delay
        else:
            table, delay = future, dt.timedelta(0)
        check_vintage_leakage(table, delay, timestamp=ts)
        missing = table.filter(pl.any_horizontal([pl.col(c).is_null() for c in table_cols]))
        if missing.height:
            row = missing.row(0, named=True)
            raise DataError(f"no weather run available at cutoff {row['cutoff']} covers {row[ts]} "
                            f"({missing.height} steps); drop those cutoffs or supply the runs")
        table = table.with_columns(pl.col("cutoff", ts).dt.convert_time_zone(schema.tz or "UTC"))
    fit_s = pred_s = 0.0
    parts = []
    batched = every == 0 and hasattr(model, "forecast_origins")
    if batched:
        # Neural models: fit once, then forecast every origin in one batched pass. The
        # inputs of each window end at its cutoff, exactly as in the loop below.
        train = frame.filter(pl.col(ts) <= cutoffs[0])
        if train_window:
            train = train.filter(pl.col(ts) > cutoffs[0] - train_window * step_td)
        t0 = time.perf_counter()
        if fit:
            model.fit(train, schema)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        parts.append(model.forecast_origins(frame, list(cutoffs), future=table))
        pred_s = time.perf_counter() - t0
    for i, cutoff in enumerate([] if batched else cutoffs):
        history = frame.filter(pl.col(ts) <= cutoff)
        if fit and (i == 0 or (every and i % every == 0)):
            train = history
            if train_window:
                train = train.filter(pl.col(ts) > cutoff - train_window * step_td)
            t0 = time.perf_counter()
            model.fit(train, schema)
            fit_s += time.perf_counter() - t0
        horizon_end = cutoff + horizon * step_td
        ahead = frame.filter((pl.col(ts) > cutoff) & (pl.col(ts) <= horizon_end))
        fut = ahead.select(*keys, *schema.future_covariates) if schema.future_covariates else None
        if table is not None and fut is not None:
            runs = table.filter(pl.col("cutoff") == cutoff).select(*keys, *table_cols)
            fut = fut.drop(list(table_cols)).join(runs, on=keys, how="left").select(*keys, *schema.future_covariates)
        t0 = time.perf_counter()
        pred = model.predict(history, fut)
        pred_s += time.perf_counter() - t0
        if pred[ts].min() <= cutoff:
            raise LeakageError(f"{type(model).__name__} returned forecasts at or before the cutoff {cutoff}")
        pred = pred.with_columns(
            pl.lit(cutoff).alias("cutoff"),
            pl.int_range(1, pl.len() + 1).over(sid).alias("lead") if sid else pl.int_range(1, pl.len() + 1).alias("lead"),
        )
        actual = ahead.select(*keys, pl.col(schema.target).alias("actual"))
        parts.append(pred.join(actual, on=keys, how="left"))
    forecasts = pl.concat(parts)
    qcols = [quantile_column(q) for q in model.quantiles]
    order = ([sid] if sid else []) + ["cutoff", ts, "lead", "actual", "forecast", *qcols]
    forecasts = forecasts.select(order).with_columns(pl.col("lead").cast(pl.Int32))
    quantiles = tuple(model.quantiles)
    hourly = forecasts.with_columns(pl.col(ts).dt.hour().alias("hour"))
    return BacktestResult(
        forecasts=forecasts,
        metrics=score_frame(forecasts, quantiles=quantiles),
        by_series=score_frame(forecasts, [sid], quantiles) if sid else score_frame(forecasts, quantiles=quantiles),
        by_lead=score_frame(forecasts, ["lead"], quantiles),
        by_hour=score_frame(hourly, ["hour"], quantiles),
        cutoffs=list(cutoffs),
        model=type(model).__name__,
        quantiles=quantiles,
        fit_seconds=fit_s,
        predict_seconds=pred_s,
        schema=schema,
        future_source=source,
    )
