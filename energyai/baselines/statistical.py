"""Statistical baselines from statsmodels: ETS and SARIMAX.

Both are fitted once per series; ``predict`` applies the fitted parameters to the given
history (the state is re-filtered, the parameters are not re-estimated), so a backtest
without refit uses only data up to each origin.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from energyai._optional import import_optional
from energyai.base import BaseForecaster, SeriesData
from energyai.baselines._common import normal_quantiles, resolve_season
from energyai.exceptions import ConfigError, DataError, InsufficientDataError

__all__ = ["ETS", "SARIMAX"]


def _last_block(y: np.ndarray, min_len: int, model: str, series: object) -> np.ndarray:
    """The last run of consecutive observed values (ETS cannot filter through gaps)."""
    gaps = np.flatnonzero(np.isnan(y))
    start = gaps[-1] + 1 if gaps.size else 0
    block = y[start:]
    if block.size < min_len:
        raise InsufficientDataError(
            f"{model}: series {series!r} has only {block.size} consecutive observed values at the "
            f"end of its history, fewer than the {min_len} needed; ETS cannot run through gaps, "
            "use SARIMAX (which can) or a shorter season"
        )
    return block


class ETS(BaseForecaster):
    """Additive-error exponential smoothing (statsmodels ``ETSModel``).

    Parameters
    ----------
    horizon : int
        Steps to forecast, in the data's sampling interval; forecasts are in the target's units.
    season : {"day", "week"}, int or None
        Seasonal period; None for no seasonality.
    trend : {None, "add"}
    damped_trend : bool
    window : int or None
        Steps of history used to fit and to filter (default 20 seasons, at least 500).
    quantiles : sequence of float
        Levels in (0, 1); each gives a ``q<level>`` column in the target's units.
    n_paths : int
        Simulated paths for the quantiles (seeded with ``seed``).
    seed : int
    """

    def __init__(
        self,
        horizon: int,
        season: str | int | None = "day",
        trend: str | None = None,
        damped_trend: bool = False,
        window: int | None = None,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
        n_paths: int = 200,
        seed: int = 0,
    ) -> None:
        self.horizon = horizon
        self.season = season
        self.trend = trend
        self.damped_trend = damped_trend
        self.window = window
        self.quantiles = quantiles
        self.n_paths = n_paths
        self.seed = seed

    def _model(self, y: np.ndarray) -> Any:
        ets = import_optional("statsmodels.tsa.exponential_smoothing.ets", "the ETS baseline")
        return ets.ETSModel(
            y, error="add", trend=self.trend, damped_trend=self.damped_trend and self.trend is not None,
            seasonal="add" if self.season_ else None, seasonal_periods=self.season_ or None,
            initialization_method="heuristic" if self.season_ else "estimated",
        )

    def _fit_all(self, series: list[SeriesData]) -> None:
        if self.trend not in (None, "add"):
            raise ConfigError(f"trend must be None or 'add', got {self.trend!r}")
        self.season_ = resolve_season(self.season, self.schema_.freq) if self.season is not None else 0
        self.window_ = self.window or max(20 * self.season_, 500)
        # statsmodels' heuristic initialisation needs at least 10 full seasons
        self.min_len_ = max(10 * self.season_, 20)
        if self.window_ < self.min_len_:
            raise ConfigError(f"window={self.window_} is shorter than the {self.min_len_} steps ETS needs")
        self.params_: dict[object, np.ndarray] = {}
        for s in series:
            y = _last_block(s.y[-self.window_:], self.min_len_, "ETS", s.series)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = self._model(y).fit(disp=False)
            self.params_[s.series] = np.asarray(res.params)

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        if s.series not in self.params_:
            raise InsufficientDataError(f"ETS: series {s.series!r} was not seen in fit")
        y = _last_block(s.y[-self.window_:], self.min_len_, "ETS", s.series)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self._model(y).smooth(self.params_[s.series])
            point = np.asarray(res.forecast(self.horizon))
            paths = np.asarray(res.simulate(
                self.horizon, repetitions=self.n_paths, anchor="end", rng=np.random.default_rng(self.seed)
            )).reshape(self.horizon, self.n_paths)
        return point, np.quantile(paths, self.quantiles, axis=1).T


class SARIMAX(BaseForecaster):
    """Seasonal ARIMA with exogenous regressors (statsmodels ``SARIMAX``).

    Missing targets are handled by the Kalman filter, not filled. Future covariates of
    the schema are used as regressors when ``use_covariates`` is True.

    Parameters
    ----------
    horizon : int
        Steps to forecast, in the data's sampling interval; forecasts are in the target's units.
    order : tuple of int
        (p, d, q).
    seasonal_order : tuple
        (P, D, Q, s); ``s`` may be "day" or "week".
    season_diff : {"day", "week"}, int or None
        If set, the series is differenced at this lag before fitting and the forecasts are
        integrated back: a cheap way to model a long season (a week of hours) that would
        make the state space too large.
    window : int or None
        Steps of history used to fit and to filter (default 2,000).
    use_covariates : bool
        Use ``schema.future_covariates`` as regressors.
    quantiles : sequence of float
        Levels in (0, 1); each gives a ``q<level>`` column in the target's units.
    """

    def __init__(
        self,
        horizon: int,
        order: tuple[int, int, int] = (2, 0, 1),
        seasonal_order: tuple[int, int, int, Any] = (0, 0, 0, 0),
        season_diff: str | int | None = None,
        window: int | None = None,
        use_covariates: bool = True,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    ) -> None:
        self.horizon = horizon
        self.order = order
        self.seasonal_order = seasonal_order
        self.season_diff = season_diff
        self.window = window
        self.use_covariates = use_covariates
        self.quantiles = quantiles

    @property
    def uses_future_covariates(self) -> bool:  # type: ignore[override]
        return bool(self.use_covariates)

    def _model(self, y: np.ndarray, exog: np.ndarray | None) -> Any:
        sm = import_optional("statsmodels.tsa.statespace.sarimax", "the SARIMAX baseline")
        return sm.SARIMAX(
            y, exog=exog, order=tuple(self.order), seasonal_order=self.seasonal_order_,
            trend="c" if self.order[1] == 0 and not self.season_diff_ else None,
            enforce_stationarity=False, enforce_invertibility=False,
        )

    def _prepare(self, s: SeriesData, n_ahead: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        n = len(s.y)
        w = min(self.window_, n)
        y = s.y[n - w:]
        exog = fut = None
        if self.use_covariates and s.future.shape[1]:
            x = s.future
            if np.isnan(x[n - w:n + n_ahead]).any():
                raise DataError(
                    f"SARIMAX: series {s.series!r} has missing future covariates in its last {w} "
                    "steps or the horizon; regressors must be complete"
                )
            exog, fut = x[n - w:n], x[n:n + n_ahead]
        return y, exog, fut

    def _diff(self, y: np.ndarray) -> np.ndarray:
        m = self.season_diff_
        return y[m:] - y[:-m] if m else y

    def _fit_all(self, series: list[SeriesData]) -> None:
        so = list(self.seasonal_order)
        if len(so) != 4 or len(self.order) != 3:
            raise ConfigError(f"order must be (p, d, q) and seasonal_order (P, D, Q, s), got {self.order}, {self.seasonal_order}")
        if so[3] in ("day", "week"):
            so[3] = resolve_season(so[3], self.schema_.freq)
        self.seasonal_order_ = tuple(int(v) for v in so)
        self.season_diff_ = resolve_season(self.season_diff, self.schema_.freq) if self.season_diff else 0
        self.window_ = self.window or 2000
        self.params_: dict[object, np.ndarray] = {}
        for s in series:
            y, exog, _ = self._prepare(s, 0)
            z = self._diff(y)
            if np.sum(~np.isnan(z)) < 50:
                raise InsufficientDataError(f"SARIMAX: series {s.series!r} has fewer than 50 usable values")
            ex = exog[self.season_diff_:] if exog is not None and self.season_diff_ else exog
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = self._model(z, ex).fit(disp=False, maxiter=200)
            self.params_[s.series] = np.asarray(res.params)

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        if s.series not in self.params_:
            raise InsufficientDataError(f"SARIMAX: series {s.series!r} was not seen in fit")
        y, exog, fut = self._prepare(s, self.horizon)
        m = self.season_diff_
        z = self._diff(y)
        ex = exog[m:] if exog is not None and m else exog
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self._model(z, ex).filter(self.params_[s.series])
            fc = res.get_forecast(self.horizon, exog=fut)
            mean = np.asarray(fc.predicted_mean)
            std = np.sqrt(np.asarray(fc.var_pred_mean))
        if m:
            # integrate the seasonal difference back; the variance of y at lead h adds those
            # of the z forecasts k·m steps apart that sum into it
            hist = list(y)
            point = np.empty(self.horizon)
            var = np.empty(self.horizon)
            for i in range(self.horizon):
                base = hist[len(hist) - m]
                if np.isnan(base):
                    raise InsufficientDataError(
                        f"SARIMAX: series {s.series!r} lacks the value one season before lead {i + 1}"
                    )
                point[i] = mean[i] + base
                var[i] = std[i] ** 2 + (var[i - m] if i >= m else 0.0)
                hist.append(point[i])
            return point, normal_quantiles(point, np.sqrt(var), self.quantiles)
        return mean, normal_quantiles(mean, std, self.quantiles)
