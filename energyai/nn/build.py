"""The forecasting network is built here, and only here (fit, load and fine-tuning)."""

from __future__ import annotations

from typing import Any

from energyai.nn.calendar import CalendarFeatures
from energyai.nn.network import ForecastNetwork

__all__ = ["build_network", "feature_width"]


def feature_width(calendar: bool, solar: bool, holidays: bool = False, similar_day: bool = False) -> int:
    """Columns the in-graph features append to the known-future covariates (each module declares its own)."""
    from energyai.nn.holidays import HolidayFeatures
    from energyai.nn.similar_day import SimilarDay
    from energyai.nn.solar import SolarFeatures

    return (CalendarFeatures.n_features if calendar else 0) + (SolarFeatures.n_features if solar else 0) \
        + (HolidayFeatures.n_features if holidays else 0) + (SimilarDay.n_features if similar_day else 0)


def build_network(spec: Any, cfg: Any, context: int, horizon: int, levels: tuple[float, ...],
                  n_inputs: tuple[int, int, int], *, calendar: bool, solar: tuple[float, ...] | None,
                  scaler: str, affine: bool, nonnegative: bool, holiday_days: int = 0,
                  similar_day: bool = False, solar_step: int = 0) -> ForecastNetwork:
    """The architecture ``spec`` inside a :class:`ForecastNetwork`.

    Parameters
    ----------
    spec : energyai.models.ModelSpec
    cfg : dataclass
        The architecture's config.
    context, horizon : int
        L and H, in steps.
    levels : tuple of float
        Quantile levels, sorted, with 0.5.
    n_inputs : tuple of int
        Raw past, future and static covariate counts (P, F, S).
    calendar : bool
    solar : tuple of float or None
        ``(latitude, longitude, altitude, linke_turbidity)``.
    scaler, affine, nonnegative, holiday_days, similar_day, solar_step :
        As :class:`ForecastNetwork`.
    """
    P, F, S = n_inputs
    width = F + feature_width(calendar, solar is not None, holiday_days > 0, similar_day)
    core = spec.build(cfg, context, horizon, len(levels), P, width, S)
    return ForecastNetwork(core, levels, P, F, S, calendar=calendar, scaler=scaler, affine=affine,
                           nonnegative=nonnegative, horizon=horizon, holiday_days=holiday_days, similar_day=similar_day,
                           solar_step=solar_step,
                           solar=None if solar is None else tuple(solar))  # type: ignore[arg-type]
