"""Naive baselines: persistence, seasonal naive, persistence ensemble and climatology."""

from __future__ import annotations

import numpy as np

from energyai.base import BaseForecaster, SeriesData, check_quantiles
from energyai.baselines._common import lag_error_quantiles, normal_quantiles, resolve_season
from energyai.exceptions import ConfigError, InsufficientDataError

__all__ = ["Climatology", "Persistence", "PersistenceEnsemble", "SeasonalNaive"]


def _last_observed(y: np.ndarray, model: str) -> float:
    idx = np.flatnonzero(~np.isnan(y))
    if idx.size == 0:
        raise InsufficientDataError(f"{model}: the history has no observed value")
    return float(y[idx[-1]])


class Persistence(BaseForecaster):
    """Repeat the last observed value over the horizon.

    Quantiles are the in-sample quantiles of ``y[t+h] - y[t]`` for each lead ``h``.

    Parameters
    ----------
    horizon : int
        Steps to forecast.
    quantiles : sequence of float
        Quantile levels in (0, 1).
    """

    def __init__(self, horizon: int, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> None:
        self.horizon = horizon
        self.quantiles = quantiles

    def _fit_all(self, series: list[SeriesData]) -> None:
        lags = np.arange(1, self.horizon + 1)
        self.error_quantiles_ = {
            s.series: lag_error_quantiles(s.y, lags, self.quantiles, "Persistence") for s in series
        }

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        level = _last_observed(s.y, "Persistence")
        point = np.full(self.horizon, level)
        return point, point[:, None] + self._errors(s.series)

    def _errors(self, series: object) -> np.ndarray:
        if series not in self.error_quantiles_:
            raise InsufficientDataError(f"series {series!r} was not seen in fit; its error quantiles are unknown")
        return self.error_quantiles_[series]


class SeasonalNaive(BaseForecaster):
    """Repeat the last observed season: ``ŷ[o+h] = y[o+h-k·m]`` with the smallest ``k`` that
    reaches into the history.

    When that value is missing, the same position one season earlier is used (up to
    ``max_lookback`` seasons), so a gap never produces an interpolated value.

    Parameters
    ----------
    horizon : int
        Steps to forecast, in the data's sampling interval; forecasts are in the target's units.
    season : {"day", "week"} or int
        Season length, as a period or a number of steps.
    quantiles : sequence of float
        Levels in (0, 1); each gives a ``q<level>`` column in the target's units.
    max_lookback : int
        Seasons to look back for an observed value.
    """

    def __init__(
        self,
        horizon: int,
        season: str | int = "day",
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
        max_lookback: int = 4,
    ) -> None:
        self.horizon = horizon
        self.season = season
        self.quantiles = quantiles
        self.max_lookback = max_lookback

    def _fit_all(self, series: list[SeriesData]) -> None:
        if self.max_lookback < 1:
            raise ConfigError(f"max_lookback must be >= 1, got {self.max_lookback}")
        self.season_ = resolve_season(self.season, self.schema_.freq)
        lags = self._lags()
        self.error_quantiles_ = {
            s.series: lag_error_quantiles(s.y, lags, self.quantiles, "SeasonalNaive") for s in series
        }

    def _lags(self) -> np.ndarray:
        h = np.arange(1, self.horizon + 1)
        return self.season_ * np.ceil(h / self.season_).astype(int)

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        n, m = len(s.y), self.season_
        point = np.full(self.horizon, np.nan)
        for i, lag in enumerate(self._lags()):
            for extra in range(self.max_lookback):
                j = n - 1 + (i + 1) - lag - extra * m
                if j < 0:
                    break
                if not np.isnan(s.y[j]):
                    point[i] = s.y[j]
                    break
        if np.isnan(point).any():
            lead = int(np.flatnonzero(np.isnan(point))[0]) + 1
            raise InsufficientDataError(
                f"SeasonalNaive: series {s.series!r} has no observed value for lead {lead} in the "
                f"last {self.max_lookback} seasons of {m} steps; the history ends at {s.times[-1]}"
            )
        if s.series not in self.error_quantiles_:
            raise InsufficientDataError(f"series {s.series!r} was not seen in fit")
        return point, point[:, None] + self.error_quantiles_[s.series]


class PersistenceEnsemble(BaseForecaster):
    """The persistence ensemble of BuildingsBench (Emami et al. 2023).

    Each lead is forecast by the mean of the values at the same time of day on the last
    ``days`` days before the origin, with Gaussian quantiles of their standard deviation.
    Missing values are left out of the mean.

    Parameters
    ----------
    horizon : int
        Steps to forecast, in the data's sampling interval; forecasts are in the target's units.
    days : int
        Days in the ensemble (7 in BuildingsBench).
    quantiles : sequence of float
        Levels in (0, 1); each gives a ``q<level>`` column in the target's units.
    """

    def __init__(self, horizon: int, days: int = 7, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> None:
        self.horizon = horizon
        self.days = days
        self.quantiles = quantiles

    def _fit_all(self, series: list[SeriesData]) -> None:
        if not isinstance(self.days, int) or self.days < 2:
            raise ConfigError(f"days must be an int >= 2, got {self.days!r}")
        self.day_ = resolve_season("day", self.schema_.freq)

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        n, d = len(s.y), self.day_
        h = np.arange(1, self.horizon + 1)
        first = np.ceil(h / d).astype(int)
        k = first[:, None] + np.arange(self.days)[None, :]
        idx = (n - 1) + h[:, None] - k * d
        vals = np.where(idx >= 0, s.y[np.clip(idx, 0, None)], np.nan)
        count = np.sum(~np.isnan(vals), axis=1)
        if np.any(count == 0):
            raise InsufficientDataError(
                f"PersistenceEnsemble: series {s.series!r} has no observed value at some time of "
                f"day in the last {self.days} days"
            )
        mean = np.nanmean(vals, axis=1)
        std = np.where(count > 1, np.nanstd(vals, axis=1, ddof=1) if vals.shape[1] > 1 else 0.0, 0.0)
        return mean, normal_quantiles(mean, np.nan_to_num(std), self.quantiles)


class Climatology(BaseForecaster):
    """Empirical quantiles of the training target by local time of day (and weekday).

    Parameters
    ----------
    horizon : int
        Steps to forecast, in the data's sampling interval; forecasts are in the target's units.
    by_weekday : bool
        Also condition on the day of the week.
    quantiles : sequence of float
        Levels in (0, 1); each gives a ``q<level>`` column in the target's units.
    """

    def __init__(self, horizon: int, by_weekday: bool = False, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> None:
        self.horizon = horizon
        self.by_weekday = by_weekday
        self.quantiles = quantiles

    def _key(self, s: SeriesData, sl: slice) -> np.ndarray:
        key = s.local["hour"][sl] * 60 + s.local["minute"][sl]
        if self.by_weekday:
            key = key + 1440 * s.local["dow"][sl]
        return key

    def _fit_all(self, series: list[SeriesData]) -> None:
        levels = check_quantiles((*self.quantiles, 0.5)) if 0.5 not in self.quantiles else self.quantiles
        self.levels_ = levels
        self.table_: dict[object, dict[int, np.ndarray]] = {}
        for s in series:
            keys = self._key(s, slice(0, len(s.y)))
            ok = ~np.isnan(s.y)
            table = {}
            for key in np.unique(keys[ok]):
                table[int(key)] = np.quantile(s.y[ok & (keys == key)], levels)
            self.table_[s.series] = table

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        if s.series not in self.table_:
            raise InsufficientDataError(f"Climatology: series {s.series!r} was not seen in fit")
        table = self.table_[s.series]
        keys = self._key(s, slice(len(s.y), None))
        missing = [int(k) for k in keys if int(k) not in table]
        if missing:
            raise InsufficientDataError(
                f"Climatology: series {s.series!r} had no training value at local slot {missing[0]}"
            )
        rows = np.array([table[int(k)] for k in keys])
        med = rows[:, list(self.levels_).index(0.5)]
        cols = [list(self.levels_).index(q) for q in self.quantiles]
        return med, rows[:, cols]
