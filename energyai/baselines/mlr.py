"""Tao Hong's vanilla multiple linear regression benchmark for load.

    load ~ trend + weekday x time-of-day + month + month x (T, T², T³) + time-of-day x (T, T², T³)

(Hong, Wang & White 2015, "Weather station selection for electric load forecasting",
IJF 31(2); the GEFCom2012 and BFCom2016s benchmark). The time of day is the hour for
hourly data and the step of the day for finer data. Calendar terms use local time.
"""

from __future__ import annotations

import numpy as np

from energyai.base import BaseForecaster, SeriesData
from energyai.exceptions import ConfigError, DataError, InsufficientDataError

__all__ = ["VanillaMLR"]

_EPOCH_YEARS = 365.25 * 86400 * 1e6  # microseconds in a year


class VanillaMLR(BaseForecaster):
    """Hong's vanilla MLR load benchmark, fitted by least squares per series.

    Parameters
    ----------
    horizon : int
        Steps to forecast, in the data's sampling interval; forecasts are in the target's units.
    temperature : str or list of str, optional
        Future-covariate column(s) with temperature; several are averaged. Default: the
        schema's first future covariate.
    quantiles : sequence of float
        Taken from the in-sample residuals and added to the point forecast.
    """

    uses_future_covariates = True

    def __init__(self, horizon: int, temperature: str | list[str] | None = None,
                 quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> None:
        self.horizon = horizon
        self.temperature = temperature
        self.quantiles = quantiles

    def _check_inputs(self, schema) -> None:  # type: ignore[no-untyped-def]
        cols = self.temperature
        if cols is None:
            if not schema.future_covariates:
                raise ConfigError(
                    "VanillaMLR needs a temperature column among Schema.future_covariates; "
                    "add one or pass temperature='column'"
                )
            cols = [schema.future_covariates[0]]
        cols = [cols] if isinstance(cols, str) else list(cols)
        missing = [c for c in cols if c not in schema.future_covariates]
        if missing:
            raise ConfigError(
                f"temperature column(s) {missing} must be listed in Schema.future_covariates "
                f"{list(schema.future_covariates)}"
            )
        self.temperature_columns_ = cols
        self.temperature_index_ = [schema.future_covariates.index(c) for c in cols]

    def _design(self, s: SeriesData, sl: slice, times: np.ndarray) -> np.ndarray:
        temp = s.future[sl][:, self.temperature_index_].mean(axis=1)
        if np.isnan(temp).any():
            raise DataError(
                f"VanillaMLR: temperature {self.temperature_columns_} missing for series "
                f"{s.series!r} at {times[np.isnan(temp)][:3]}"
            )
        t = (temp - self.t_center_) / self.t_scale_
        slot = s.local["hour"][sl] * 60 + s.local["minute"][sl]
        slot = np.searchsorted(self.slots_, slot)
        dow = s.local["dow"][sl]
        month = s.local["month"][sl] - 1
        n, k = len(t), len(self.slots_)
        trend = (times.astype("datetime64[us]").astype(np.int64) / _EPOCH_YEARS - 40.0)[:, None]
        dh = np.zeros((n, 7 * k))
        dh[np.arange(n), dow * k + slot] = 1.0
        mo = np.zeros((n, 12))
        mo[np.arange(n), month] = 1.0
        powers = np.stack([t, t**2, t**3], axis=1)
        hour_t = np.zeros((n, k, 3))
        hour_t[np.arange(n), slot] = powers
        mo_t = mo[:, :, None] * powers[:, None, :]
        return np.hstack([trend, dh, mo, mo_t.reshape(n, -1), hour_t.reshape(n, -1)])

    def _fit_all(self, series: list[SeriesData]) -> None:
        # slots of the day seen in training; temperature centring shared by all series
        all_slots = np.unique(np.concatenate([s.local["hour"] * 60 + s.local["minute"] for s in series]))
        self.slots_ = all_slots
        idx = self.temperature_index_
        temps = np.concatenate([s.future[:, idx].mean(axis=1) for s in series])
        temps = temps[np.isfinite(temps)]
        if temps.size == 0:
            raise InsufficientDataError("VanillaMLR: no observed temperature in the training data")
        self.t_center_ = float(np.mean(temps))
        self.t_scale_ = float(np.std(temps)) or 1.0
        self.coef_: dict[object, np.ndarray] = {}
        self.residual_quantiles_: dict[object, np.ndarray] = {}
        for s in series:
            n = len(s.y)
            ok = ~np.isnan(s.y)
            ok &= ~np.isnan(s.future[:n][:, idx]).any(axis=1)
            if ok.sum() < 2 * 7 * len(self.slots_):
                raise InsufficientDataError(
                    f"VanillaMLR: series {s.series!r} has {int(ok.sum())} complete rows; it needs at "
                    f"least two weeks ({2 * 7 * len(self.slots_)} rows)"
                )
            sl = np.flatnonzero(ok)
            x = self._design_rows(s, sl)
            coef, *_ = np.linalg.lstsq(x, s.y[sl], rcond=None)
            self.coef_[s.series] = coef
            resid = s.y[sl] - x @ coef
            self.residual_quantiles_[s.series] = np.quantile(resid, self.quantiles)

    def _design_rows(self, s: SeriesData, rows: np.ndarray) -> np.ndarray:
        sub = SeriesData(
            series=s.series, times=s.times[rows], y=s.y[rows], future_times=s.future_times[:0],
            past=s.past[rows], future=s.future[rows], local={k: v[rows] for k, v in s.local.items()},
            capacity=None,
        )
        return self._design(sub, slice(None), sub.times)

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        if s.series not in self.coef_:
            raise InsufficientDataError(f"VanillaMLR: series {s.series!r} was not seen in fit")
        n = len(s.y)
        x = self._design(s, slice(n, None), s.future_times)
        point = x @ self.coef_[s.series]
        return point, point[:, None] + self.residual_quantiles_[s.series][None, :]
