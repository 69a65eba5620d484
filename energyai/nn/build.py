"""The forecasting network is built here, and only here (fit, load and fine-tuning)."""

from __future__ import annotations

from typing import Any

from energyai.nn.calendar import CalendarFeatures
from energyai.nn.network import ForecastNetwork

__all__ = ["CLOUD_UNITS", "build_for", "build_network", "cloud_spec", "daylight_index", "feature_width", "optional_index",
           "wind_spec"]


def feature_width(calendar: bool, solar: bool, holidays: bool = False, similar_day: bool = False,
                  wind: bool = False, cloud: bool = False) -> int:
    """Columns the in-graph features append to the known-future covariates (each module declares its own)."""
    from energyai.nn.holidays import HolidayFeatures
    from energyai.nn.similar_day import SimilarDay
    from energyai.nn.solar import SolarFeatures
    from energyai.nn.wind import WindFeatures

    return (CalendarFeatures.n_features if calendar else 0) + (SolarFeatures.n_features if solar else 0) \
        + (HolidayFeatures.n_features if holidays else 0) + (WindFeatures.n_features if wind else 0) \
        + (SimilarDay.n_features if similar_day else 0) + (1 if solar and cloud else 0)


def wind_spec(wind_columns: Any, power_curve: Any, future_covariates: tuple[str, ...]) -> tuple[int, int, int, Any] | None:
    """``(u, v, speed, curve)`` column positions for :class:`~energyai.nn.wind.WindFeatures`, or None.

    Raises
    ------
    ConfigError
        When a named column is not among the schema's future covariates.
    """
    from energyai.exceptions import ConfigError
    from energyai.nn.wind import GENERIC_CURVE

    if not wind_columns:
        return None
    names = list(future_covariates)
    missing = [c for c in wind_columns if c not in names]
    if missing:
        raise ConfigError(f"wind_columns {list(wind_columns)}: {missing} are not future covariates of the schema "
                          f"({names}); add them to Schema(future_covariates=...)")
    curve = tuple(tuple(float(v) for v in part) for part in (power_curve or GENERIC_CURVE))
    if len(wind_columns) == 2:
        return names.index(wind_columns[0]), names.index(wind_columns[1]), -1, curve
    return -1, -1, names.index(wind_columns[0]), curve


#: Units of a cloud-cover column and the factor that turns them into oktas, with the largest valid value.
CLOUD_UNITS = {"tenths": (0.8, 10.0), "oktas": (1.0, 8.0), "percent": (0.08, 100.0), "fraction": (8.0, 1.0)}


def cloud_spec(cloud_column: str | None, cloud_units: str, future_covariates: tuple[str, ...],
               solar: bool) -> tuple[int, float] | None:
    """``(column position, to_oktas)`` of the cloud-cover column, or None.

    Raises
    ------
    ConfigError
        The column is not a future covariate, the units are unknown, or there is no solar site.
    """
    from energyai.exceptions import ConfigError

    if cloud_column is None:
        return None
    if cloud_units not in CLOUD_UNITS:
        raise ConfigError(f"cloud_units must be one of {sorted(CLOUD_UNITS)}, got {cloud_units!r}")
    if cloud_column not in future_covariates:
        raise ConfigError(f"cloud_column {cloud_column!r} is not a future covariate of the schema "
                          f"({list(future_covariates)}); add it to Schema(future_covariates=...)")
    if not solar:
        raise ConfigError("cloud_column turns cloud cover into irradiance with the site's clear sky: it needs "
                          "solar_site=(latitude, longitude[, altitude])")
    return list(future_covariates).index(cloud_column), CLOUD_UNITS[cloud_units][0]


def daylight_index(daylight_column: str | None, future_covariates: tuple[str, ...]) -> int:
    """Position of ``daylight_column`` among the schema's future covariates (-1: none).

    Raises
    ------
    ConfigError
        When the column is not a future covariate.
    """
    from energyai.exceptions import ConfigError

    if daylight_column is None:
        return -1
    if daylight_column not in future_covariates:
        raise ConfigError(f"daylight_column {daylight_column!r} is not a future covariate of the schema "
                          f"({list(future_covariates)}); add it to Schema(future_covariates=...) or leave "
                          "daylight_column unset")
    return list(future_covariates).index(daylight_column)


def optional_index(optional_covariates: Any, future_covariates: tuple[str, ...]) -> tuple[int, ...]:
    """Positions of ``optional_covariates`` among the schema's future covariates (``()``: none).

    Raises
    ------
    ConfigError
        A name that is not a future covariate of the schema.
    """
    from energyai.exceptions import ConfigError

    if not optional_covariates:
        return ()
    names = list(future_covariates)
    missing = [c for c in optional_covariates if c not in names]
    if missing:
        raise ConfigError(f"optional_covariates {list(optional_covariates)}: {missing} are not future covariates of "
                          f"the schema {names}; add them to Schema(future_covariates=...) or drop them from "
                          "optional_covariates")
    return tuple(names.index(c) for c in optional_covariates)


def build_network(spec: Any, cfg: Any, context: int, horizon: int, levels: tuple[float, ...],
                  n_inputs: tuple[int, int, int], *, calendar: bool, solar: tuple[float, ...] | None,
                  scaler: str, affine: bool, nonnegative: bool, holiday_days: int = 0,
                  similar_day: bool = False, solar_step: int = 0,
                  wind: tuple[int, int, int, Any] | None = None, daylight_index: int = -1,
                  optional: tuple[int, ...] = (), clearsky_index: bool = False,
                  cloud: tuple[int, float] | None = None) -> ForecastNetwork:
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
    scaler, affine, nonnegative, holiday_days, similar_day, solar_step, wind, daylight_index, optional, \
    clearsky_index, cloud :
        As :class:`ForecastNetwork`.
    """
    P, F, S = n_inputs
    width = F + len(optional) + feature_width(calendar, solar is not None, holiday_days > 0, similar_day,
                                              wind is not None, cloud is not None)
    core = spec.build(cfg, context, horizon, len(levels), P, width, S)
    return ForecastNetwork(core, levels, P, F, S, calendar=calendar, scaler=scaler, affine=affine,
                           nonnegative=nonnegative, horizon=horizon, holiday_days=holiday_days, similar_day=similar_day,
                           solar_step=solar_step, wind=wind, daylight_index=daylight_index, optional=optional,
                           clearsky_index=clearsky_index, cloud=cloud,
                           solar=None if solar is None else tuple(solar))  # type: ignore[arg-type]


def build_for(t: Any, spec: Any, cfg: Any, context: int, horizon: int, levels: tuple[float, ...],
              n_inputs: tuple[int, int, int], schema: Any, *, calendar: bool, holiday_days: int = 0) -> ForecastNetwork:
    """:func:`build_network` with every option taken from a :class:`~energyai.config.TrainConfig` and the
    fitted schema: the one call fitting, loading and the ensemble's members share.

    Parameters
    ----------
    t : TrainConfig
    spec, cfg : the architecture and its config
    context, horizon : int
    levels : tuple of float
    n_inputs : (int, int, int)
    schema : Schema
        The fitted schema (covariate names, step, capacity, sign).
    calendar : bool
    holiday_days : int
        Rows of the holiday day table (0: no holiday features).
    """
    fc = schema.future_covariates
    solar = t.solar()
    return build_network(spec, cfg, context, horizon, levels, n_inputs, calendar=calendar, solar=solar,
                         scaler=t.scaler, affine=bool(t.affine), nonnegative=schema.nonnegative,
                         holiday_days=holiday_days, similar_day=bool(t.similar_day),
                         solar_step=schema.frequency.seconds if schema.frequency else 0,
                         wind=wind_spec(t.wind_columns, t.power_curve, fc),
                         daylight_index=daylight_index(t.daylight_column, fc),
                         optional=optional_index(t.optional_covariates, fc),
                         clearsky_index=bool(t.clearsky_index),
                         cloud=cloud_spec(t.cloud_column, t.cloud_units, fc, solar is not None))
