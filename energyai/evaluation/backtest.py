"""Rolling-origin backtesting: forecasts from many origins, scored per series, lead and hour."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from energyai._optional import import_optional
from energyai.base import quantile_column
from energyai.data.split import rolling_origin_cutoffs
from energyai.data.validate import resolve
from energyai.evaluation.scoring import score_frame
from energyai.exceptions import ConfigError, DataError, LeakageError
from energyai.progress import Progress, progress_mode
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "backtesting")

__all__ = ["BacktestResult", "SupportsForecast", "backtest"]


@runtime_checkable
class SupportsForecast(Protocol):
    """What :func:`backtest` needs of a model; no base class has to be inherited.

    ``fit(df, schema)`` returns the fitted model, ``predict(history, future)`` returns a
    frame with the timestamp (and series id), ``forecast`` and one ``q<level>`` column per
    level of ``quantiles``, for the ``horizon`` steps after each series' history. A
    model may also offer ``forecast_origins(df, cutoffs, future=...)`` to forecast many
    origins in one pass when it is not refitted.
    """

    horizon: int
    quantiles: Any

    def fit(self, df: Any, schema: Schema) -> Any: ...

    def predict(self, df: Any, future: Any = None) -> Any: ...


@dataclass
class BacktestResult:
    """Forecasts and metrics of a rolling-origin backtest.

    Attributes
    ----------
    forecasts : polars.DataFrame
        One row per (series, cutoff, lead): ``cutoff``, timestamp, ``lead`` (1..H),
        ``actual`` (null where not observed), ``forecast`` and the quantile columns.
    metrics : polars.DataFrame
        One row over everything: n, mae, rmse, mape, smape, cv_rmse (and pinball, crps,
        coverage).
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

    def reliability(self, by_lead: bool = False) -> pl.DataFrame:
        """Share at or under each level, interval coverage and width (optionally per lead);
        see :func:`energyai.evaluation.probabilistic.reliability_table`."""
        from energyai.evaluation.probabilistic import reliability_table

        return reliability_table(self.forecasts, self.quantiles, by_lead=by_lead)

    def plot_reliability(self, path: Any) -> Any:
        """The reliability diagram and PIT histogram as a PNG (``plot`` extra)."""
        from energyai.evaluation.probabilistic import plot_reliability

        return plot_reliability(self.forecasts, self.quantiles, path, title=self.model)

    def plot(self, path: Any, *, series: Any = None, windows: int = 7) -> Any:
        """Forecast against actual with the quantile band, error by lead and by hour, and the
        reliability diagram, as a PNG (``plot`` extra); see
        :func:`energyai.evaluation.plots.plot_backtest`."""
        from energyai.evaluation.plots import plot_backtest

        return plot_backtest(self, path, series=series, windows=windows)

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


def backtest(model: SupportsForecast, df: Any, schema: Schema, *, cutoffs: list[Any] | None = None, start: Any = None,
             end: Any = None, step: int | None = None, n_folds: int | None = None, refit: bool | int = False,
             train_window: int | None = None, min_train: int | None = None, fit: bool = True, future: Any = None,
             oracle: bool = False, known_future: Any = (), progress: Any = "auto") -> BacktestResult:
    """Rolling-origin backtest of a forecaster.

    At every cutoff the model sees only rows at or before the cutoff: ``fit`` receives the
    training rows and ``predict`` the history, plus the future covariates (never the
    target) of the ``horizon`` steps after it.

    Parameters
    ----------
    model : SupportsForecast
        Anything with ``horizon``, ``quantiles``, ``fit(df, schema)`` and
        ``predict(df, future)``; no base class is needed.
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
    progress : bool or "auto"
        A fold counter on standard error for origin-by-origin backtests; "auto" shows it
        on a terminal, a line every 30 s elsewhere (:func:`energyai.progress.progress_mode`).

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
    table_cols, source = _future_source(schema, future, oracle, known_future)
    if min_train is None:
        min_train = max(2 * horizon, (14 * 86400) // schema.frequency.seconds)  # type: ignore[union-attr]
    if cutoffs is None:
        cutoffs = rolling_origin_cutoffs(
            frame, schema, horizon, start=start, end=end, step=step, n_folds=n_folds, min_history=min_train
        )
    else:
        from energyai.data.split import as_aware

        cutoffs = sorted(as_aware(c, schema) for c in cutoffs)
    every = _refit_every(refit, fit)
    table = origin_table(frame, schema, future, table_cols, list(cutoffs), horizon) if table_cols else None
    run = _Run(model, frame, schema, list(cutoffs), table, table_cols, fit, train_window)
    if every == 0 and hasattr(model, "forecast_origins"):
        run.batched()
    else:
        with Progress(len(cutoffs), f"backtest {type(model).__name__}", progress_mode(progress)) as bar:
            run.loop(every, bar.update)
    return _result(run, source)


def _future_source(schema: Schema, future: Any, oracle: bool, known_future: Any) -> tuple[tuple[str, ...], str]:
    """The future covariates a table or vintages supply, and the label of where the rest come from."""
    from energyai.data.vintages import Vintages

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
    return table_cols, source


def _refit_every(refit: bool | int, fit: bool) -> int:
    if isinstance(refit, bool):
        every = 1 if refit else 0
    elif isinstance(refit, int) and refit >= 1:
        every = refit
    else:
        raise ConfigError(f"refit must be True, False or a positive int, got {refit!r}")
    if not fit and every:
        raise ConfigError("fit=False scores a fitted model as it is; it cannot be combined with refit")
    return every


def origin_table(frame: pl.DataFrame, schema: Schema, future: Any, table_cols: tuple[str, ...],
                  cutoffs: list[Any], horizon: int) -> pl.DataFrame:
    """Per cutoff, the weather run available then for every horizon step; leakage-checked."""
    from energyai.data.vintages import Vintages, check_vintage_leakage

    ts, sid = schema.timestamp, schema.series_id
    step_td = dt.timedelta(seconds=schema.frequency.seconds)  # type: ignore[union-attr]
    if isinstance(future, Vintages):
        ids = frame[sid].unique(maintain_order=True).to_list() if sid else None
        table = future.for_origins(cutoffs, horizon, step_td, ids, tz=schema.tz or "UTC", timestamp=ts)
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
    return table.with_columns(pl.col("cutoff", ts).dt.convert_time_zone(schema.tz or "UTC"))


@dataclass
class _Run:
    """One backtest's forecasts, gathered origin by origin or in one batched pass."""

    model: Any
    frame: pl.DataFrame
    schema: Schema
    cutoffs: list[Any]
    table: pl.DataFrame | None
    table_cols: tuple[str, ...]
    fit: bool
    train_window: int | None
    fit_s: float = 0.0
    pred_s: float = 0.0
    parts: list[pl.DataFrame] = field(default_factory=list)

    def _train(self, cutoff: Any) -> None:
        ts = self.schema.timestamp
        train = self.frame.filter(pl.col(ts) <= cutoff)
        if self.train_window:
            step_td = dt.timedelta(seconds=self.schema.frequency.seconds)  # type: ignore[union-attr]
            train = train.filter(pl.col(ts) > cutoff - self.train_window * step_td)
        t0 = time.perf_counter()
        self.model.fit(train, self.schema)
        self.fit_s += time.perf_counter() - t0

    def batched(self) -> None:
        """Neural models: fit once, then forecast every origin in one batched pass. The
        inputs of each window end at its cutoff, exactly as in :meth:`loop`."""
        if self.fit:
            self._train(self.cutoffs[0])
        t0 = time.perf_counter()
        self.parts.append(self.model.forecast_origins(self.frame, self.cutoffs, future=self.table))
        self.pred_s += time.perf_counter() - t0

    def loop(self, every: int, done: Any = None) -> None:
        """Refit every ``every`` origins (0: only at the first) and predict from each history;
        ``done()`` after each origin."""
        schema, frame = self.schema, self.frame
        ts, sid = schema.timestamp, schema.series_id
        keys = ([sid] if sid else []) + [ts]
        step_td = dt.timedelta(seconds=schema.frequency.seconds)  # type: ignore[union-attr]
        for i, cutoff in enumerate(self.cutoffs):
            if self.fit and (i == 0 or (every and i % every == 0)):
                self._train(cutoff)
            history = frame.filter(pl.col(ts) <= cutoff)
            ahead = frame.filter((pl.col(ts) > cutoff) & (pl.col(ts) <= cutoff + int(self.model.horizon) * step_td))
            fut = ahead.select(*keys, *schema.future_covariates) if schema.future_covariates else None
            if self.table is not None and fut is not None:
                runs = self.table.filter(pl.col("cutoff") == cutoff).select(*keys, *self.table_cols)
                fut = fut.drop(list(self.table_cols)).join(runs, on=keys, how="left").select(
                    *keys, *schema.future_covariates)
            t0 = time.perf_counter()
            pred = self.model.predict(history, fut)
            self.pred_s += time.perf_counter() - t0
            if pred[ts].min() <= cutoff:
                raise LeakageError(f"{type(self.model).__name__} returned forecasts at or before the cutoff {cutoff}")
            lead = pl.int_range(1, pl.len() + 1)
            pred = pred.with_columns(pl.lit(cutoff).alias("cutoff"), (lead.over(sid) if sid else lead).alias("lead"))
            actual = ahead.select(*keys, pl.col(schema.target).alias("actual"))
            self.parts.append(pred.join(actual, on=keys, how="left"))
            if done is not None:
                done()


def _result(run: _Run, source: str) -> BacktestResult:
    schema, model = run.schema, run.model
    ts, sid = schema.timestamp, schema.series_id
    forecasts = pl.concat(run.parts)
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
        cutoffs=list(run.cutoffs),
        model=type(model).__name__,
        quantiles=quantiles,
        fit_seconds=run.fit_s,
        predict_seconds=run.pred_s,
        schema=schema,
        future_source=source,
    )
