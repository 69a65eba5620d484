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

import numpy as np

from energyai.exceptions import ConfigError, InsufficientDataError

__all__ = ["METHODS", "fallback_forecast"]

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
