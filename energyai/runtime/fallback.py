"""Fallback forecasts for windows too gappy to trust the model with.

A device that lost its meter for hours still has to submit a forecast. When the
context's observed share is below ``min_observed``, the runtime replaces the model's
forecast for that series by one of these and flags it (``RuntimeForecast.fallback``):

- ``"seasonal"``: the latest observed value at the same time of day (seasonal
  persistence), or the last observed value when that time of day was never observed;
- ``"climatology"``: the mean of the observed values at the same time of day in the
  context, or the mean of all observed values;
- ``"persistence"``: the last observed value.

Every quantile takes the point value (no spread is claimed). Values are clipped as the
model's are (at 0 for non-negative targets, at the capacity).
"""

from __future__ import annotations

import math

import numpy as np

from energyai.exceptions import ConfigError, InsufficientDataError

__all__ = ["METHODS", "apply_fallback", "check_fallback", "fallback_forecast", "steps_per_day"]

METHODS = ("seasonal", "climatology", "persistence")


def fallback_forecast(y: np.ndarray, horizon: int, period: int, method: str) -> np.ndarray:
    """Point forecasts ``(B, horizon)`` from contexts ``y`` ``(B, L)`` with NaN for missing.

    Parameters
    ----------
    y : ndarray of float32, shape (B, L)
    horizon : int
    period : int
        Steps per day (1 for daily or coarser data).
    method : {"seasonal", "climatology", "persistence"}
    """
    if method not in METHODS:
        raise ConfigError(f"fallback must be one of {METHODS}, 'none' or 'raise'; got {method!r}")
    B, L = y.shape
    out = np.empty((B, horizon), np.float32)
    for b in range(B):
        row = y[b]
        seen = np.flatnonzero(np.isfinite(row))
        if seen.size == 0:
            raise InsufficientDataError(
                f"series {b} has no observed target in its last {L} steps; not even a fallback forecast is possible"
            )
        last = row[seen[-1]]
        if method == "persistence" or period <= 1:
            out[b] = last if method != "climatology" else row[seen].mean()
            continue
        for h in range(horizon):
            phase = (L + h) % period
            same = seen[seen % period == phase]
            if same.size == 0:
                out[b, h] = last if method == "seasonal" else row[seen].mean()
            elif method == "seasonal":
                out[b, h] = row[same[-1]]
            else:
                out[b, h] = row[same].mean()
    return out


def steps_per_day(freq_seconds: int) -> int:
    """The seasonal fallback's period: steps per day (1 for daily or coarser data)."""
    return max(86400 // freq_seconds, 1) if freq_seconds <= 86400 else 1


def check_fallback(fallback: str, min_observed: float) -> None:
    """Raise :class:`ConfigError` for a ``fallback`` or ``min_observed`` outside their allowed values."""
    if fallback not in (*METHODS, "none", "raise"):
        raise ConfigError(f"fallback must be one of {METHODS}, 'none' or 'raise'; got {fallback!r}")
    if not 0.0 <= float(min_observed) <= 1.0:
        raise ConfigError(f"min_observed must lie in [0, 1], got {min_observed!r}")


def apply_fallback(values: np.ndarray, y: np.ndarray, period: int, fallback: str, min_observed: float, *,
                   nonnegative: bool, capacity: np.ndarray | None = None,
                   series: list[object] | None = None) -> tuple[np.ndarray, list[str]]:
    """Replace, in place, the forecasts of series whose context is too gappy; return their flags.

    The one fallback rule of :class:`energyai.runtime.OnnxForecaster` and
    ``Forecaster.predict``.

    Parameters
    ----------
    values : ndarray, shape (B, H, Q)
        The model's forecasts, overwritten for the flagged series.
    y : ndarray, shape (B, L)
        The contexts, NaN where missing.
    period : int
        Steps per day.
    fallback : {"seasonal", "climatology", "persistence", "none", "raise"}
    min_observed : float
        Smallest observed share of the context that keeps the model's forecast.
    nonnegative : bool
    capacity : ndarray, shape (B, H), optional
    series : list, optional
        Series ids for messages.

    Returns
    -------
    flags : ndarray of bool, shape (B,)
    methods : list of str
        ``"model"`` or the fallback method of every series.
    """
    B, L = y.shape
    H = values.shape[1]
    flags = np.zeros(B, bool)
    methods = ["model"] * B
    if fallback == "none" or math.isfinite(y.sum(dtype=np.float64)):  # the common case: nothing missing
        return flags, methods
    observed = np.isfinite(y).sum(axis=1) / L
    gappy = observed < min_observed
    if not gappy.any():
        return flags, methods
    if fallback == "raise":
        b = int(np.flatnonzero(gappy)[0])
        name = series[b] if series is not None else b
        raise InsufficientDataError(
            f"series {name!r} has only {100 * observed[b]:.0f}% of its last {L} steps observed (min_observed "
            f"{100 * min_observed:.0f}%); fill the meter's gap, or pass fallback='seasonal' for a flagged forecast"
        )
    rows = np.flatnonzero(gappy)
    point = fallback_forecast(y[rows], H, period, fallback)
    if nonnegative:
        point = np.maximum(point, 0.0)
    if capacity is not None:
        point = np.minimum(point, capacity[rows])
    values[rows] = point[..., None]
    flags[rows] = True
    for r in rows:
        methods[int(r)] = fallback
    return flags, methods
