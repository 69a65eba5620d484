"""Helpers shared by the baselines."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from energyai.exceptions import ConfigError, InsufficientDataError
from energyai.frequency import parse_freq


def resolve_season(season: Any, freq: str | None) -> int:
    """Season length in steps from ``"day"``, ``"week"`` or an int."""
    if isinstance(season, bool):
        raise ConfigError(f"season must be 'day', 'week' or a positive int, got {season!r}")
    if isinstance(season, int):
        if season < 1:
            raise ConfigError(f"season must be positive, got {season}")
        return season
    if season in ("day", "week"):
        if freq is None:
            raise ConfigError("the frequency is unknown; give season as a number of steps")
        return parse_freq(freq).season(season)
    raise ConfigError(f"season must be 'day', 'week' or a positive int, got {season!r}")


def lag_error_quantiles(y: np.ndarray, lags: np.ndarray, quantiles: tuple[float, ...], model: str) -> np.ndarray:
    """Empirical quantiles of ``y[t] - y[t - lag]`` for each lead's lag.

    Returns an array of shape (H, Q): the in-sample error distribution of a forecast that
    repeats the value ``lag`` steps back, used to put intervals around naive forecasts.
    """
    out = np.empty((len(lags), len(quantiles)))
    for i, lag in enumerate(lags):
        if lag >= len(y):
            raise InsufficientDataError(f"{model}: lag {lag} is longer than the {len(y)}-step history")
        err = y[lag:] - y[:-lag]
        err = err[np.isfinite(err)]
        if err.size < 10:
            raise InsufficientDataError(
                f"{model}: fewer than 10 in-sample errors at lag {lag} to estimate its quantiles"
            )
        out[i] = np.quantile(err, quantiles)
    return out


def normal_quantiles(mean: np.ndarray, std: np.ndarray, quantiles: tuple[float, ...]) -> np.ndarray:
    """Gaussian quantiles, shape (H, Q), for means and standard deviations of shape (H,)."""
    z = np.array([NormalDist().inv_cdf(q) for q in quantiles])
    return mean[:, None] + std[:, None] * z[None, :]
