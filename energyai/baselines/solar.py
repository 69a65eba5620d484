"""Smart persistence, the reference every PV forecast should beat."""

from __future__ import annotations

from typing import Any

import numpy as np

from energyai.base import BaseForecaster, SeriesData
from energyai.baselines._common import resolve_season
from energyai.exceptions import ConfigError, InsufficientDataError

__all__ = ["SmartPersistence"]


def interval_clearsky(times: np.ndarray, site: tuple[float, float, float], step: int,
                      linke_turbidity: float) -> np.ndarray:
    """Clear-sky GHI (W/m², Ineichen) averaged over each interval ``[t, t + step)``.

    The mean of five instants (start, quarter points, end), as the in-graph solar features
    compute it, so an hour that holds sunrise is not zero.
    """
    from energyai.physics.solar import clearsky

    t = np.asarray(times).astype("datetime64[s]")
    offsets = [0] if step <= 0 else [round(k * step / 4) for k in range(5)]
    acc = np.zeros(t.shape, dtype=np.float64)
    for k in offsets:
        acc += clearsky(t + np.timedelta64(int(k), "s"), site[0], site[1], site[2], linke_turbidity).ghi
    return acc / len(offsets)


class SmartPersistence(BaseForecaster):
    """Clear-sky-index persistence for PV power.

    The clear-sky index of the same time yesterday persists:
    ``ŷ(t) = y(t - day) · G_cs(t) / G_cs(t - day)``, with ``G_cs`` the site's clear-sky GHI
    averaged over each step (Ineichen with ``linke_turbidity``). Yesterday's weather and
    the plant's own daily shape (tilt, orientation, shading), today's sun: the day-ahead
    reference of PV forecasting. Where yesterday's clear sky at that time is under
    ``min_clearsky`` W/m² (around sunrise and sunset) the ratio is not used and
    ``y(t - day)`` is repeated. It is scale-free: the target may be in W, kW or a capacity
    factor. A missing ``y(t - day)`` is looked up one day earlier (up to a week), never
    interpolated.

    Quantiles come from the in-sample errors of the same rule, as fractions of the clear
    sky: ``ŷ(t) + e_q · G_cs(t) / 1000``, with ``e_q`` the empirical quantile of
    ``(y - ŷ) / (G_cs / 1000)`` over daylight training steps; they are clipped at 0 (and at
    capacity when the schema has one). Steps with the sun down all day are 0.

    Parameters
    ----------
    horizon : int
        Steps to forecast, at most one day.
    site : (latitude, longitude[, altitude])
        Degrees (north, east positive) and metres.
    linke_turbidity : float
        Of the clear-sky model.
    min_clearsky : float
        W/m²; below it yesterday's value is repeated without the ratio.
    quantiles : sequence of float
        Levels in (0, 1).
    """

    def __init__(self, horizon: int, site: tuple[float, ...], linke_turbidity: float = 3.0,
                 min_clearsky: float = 10.0, quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)) -> None:
        self.horizon = horizon
        self.site = site
        self.linke_turbidity = linke_turbidity
        self.min_clearsky = min_clearsky
        self.quantiles = quantiles

    def _check_params(self) -> None:
        super()._check_params()
        s = self.site
        ok = isinstance(s, (tuple, list)) and len(s) in (2, 3) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) for v in s)
        if not ok or abs(s[0]) > 90 or abs(s[1]) > 180:
            raise ConfigError(f"site must be (latitude, longitude[, altitude]) in degrees and metres, got {s!r}")
        if not (isinstance(self.linke_turbidity, (int, float)) and self.linke_turbidity > 0):
            raise ConfigError(f"linke_turbidity must be positive, got {self.linke_turbidity!r}")
        if not (isinstance(self.min_clearsky, (int, float)) and self.min_clearsky > 0):
            raise ConfigError(f"min_clearsky must be positive (W/m2), got {self.min_clearsky!r}")

    def _site(self) -> tuple[float, float, float]:
        s = self.site
        return float(s[0]), float(s[1]), float(s[2]) if len(s) > 2 else 0.0

    def _sky(self, times: np.ndarray) -> np.ndarray:
        return interval_clearsky(times, self._site(), self.step_, float(self.linke_turbidity))

    def _rule(self, y: np.ndarray, sky: np.ndarray, n: int) -> np.ndarray:
        """Forecasts of steps ``n .. len(sky) - 1`` from ``y[:n]`` (NaN where no day of the last
        week is observed at that time)."""
        d = self.day_
        out = np.full(len(sky) - n, np.nan)
        for i, t in enumerate(range(n, len(sky))):
            for back in range(1, 8):
                j = t - back * d
                if j < 0 or j >= n:
                    if j < 0:
                        break
                    continue
                if np.isfinite(y[j]):
                    ratio = sky[t] / sky[j] if sky[j] >= self.min_clearsky else 1.0
                    out[i] = y[j] * ratio if sky[t] > 0 else 0.0
                    break
        return out

    def _fit_all(self, series: list[SeriesData]) -> None:
        freq = self.schema_.frequency
        if freq is None:
            raise ConfigError("SmartPersistence needs a regular frequency in the schema (freq='1h', '15min')")
        self.step_ = int(freq.seconds)
        self.day_ = resolve_season("day", self.schema_.freq)
        if self.horizon > self.day_:
            raise ConfigError(f"SmartPersistence forecasts at most one day ({self.day_} steps); horizon is "
                              f"{self.horizon}")
        self.error_quantiles_: dict[Any, np.ndarray] = {}
        for s in series:
            sky = self._sky(s.times)
            d = self.day_
            # in-sample: each step forecast from the days before it (its own day left out)
            pred = np.concatenate([self._rule(s.y, sky[:n + d], n) for n in range(d, len(s.y), d)]) \
                if len(s.y) > d else np.empty(0)
            y, g = s.y[d:d + len(pred)], sky[d:d + len(pred)]
            ok = np.isfinite(y) & np.isfinite(pred) & (g > self.min_clearsky)
            if ok.sum() < 24:
                raise InsufficientDataError(
                    f"SmartPersistence: series {s.series!r} has {int(ok.sum())} daylight steps with an observed "
                    "day before them; fit it on at least two days of daylight data")
            self.error_quantiles_[s.series] = np.quantile((y[ok] - pred[ok]) / (g[ok] / 1000.0), self.quantiles)

    def _predict_series(self, s: SeriesData) -> tuple[np.ndarray, np.ndarray]:
        if s.series not in self.error_quantiles_:
            raise InsufficientDataError(f"SmartPersistence: series {s.series!r} was not seen in fit")
        n = len(s.y)
        times = np.concatenate([s.times[-7 * self.day_:], s.future_times])
        sky = self._sky(times)
        hist = s.y[-7 * self.day_:]
        point = self._rule(hist, sky, len(hist))
        if np.isnan(point).any():
            lead = int(np.flatnonzero(np.isnan(point))[0]) + 1
            raise InsufficientDataError(
                f"SmartPersistence: series {s.series!r} has no observed value for lead {lead} on any of the "
                f"7 days before {s.future_times[0]} (history of {n} steps)")
        fut = sky[len(hist):]
        q = point[:, None] + self.error_quantiles_[s.series][None, :] * (fut[:, None] / 1000.0)
        q = np.maximum(np.where(fut[:, None] > 0, q, 0.0), 0.0)
        if s.capacity is not None:
            cap = s.capacity[-self.horizon:]
            point, q = np.minimum(point, cap), np.minimum(q, cap[:, None])
        return point, np.sort(q, axis=1)
