"""Presets: a configured :class:`~energyai.Forecaster` for a forecasting job, in one call.

>>> import energyai as ea
>>> model = ea.Forecaster.preset("day-ahead-load", country="KR", issue_time="10:00")
>>> model.horizon                      # 10:00 on D-1 to 23:00 on D, hourly
37

A preset chooses the architecture, the context, the horizon (from the issue time and the
delivery day), the in-graph energy features (calendar, holidays, solar geometry, wind
power curve), the loss and quantiles, and a training budget sized from the data at
``fit`` (``max_steps="auto"``). Every choice is an ordinary ``Forecaster`` parameter:
it is printed by ``repr``, saved in ``config.json`` and overridden by passing it
(``Forecaster.preset("day-ahead-load", context_length=336, hidden=256)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from energyai.config import issue_seconds
from energyai.exceptions import ConfigError
from energyai.frequency import parse_freq

__all__ = ["DEFAULT_QUANTILES", "PRESETS", "Preset", "available_presets", "preset_params"]

#: The presets' output levels: the median and the 80% and 90% central intervals.
DEFAULT_QUANTILES = (0.05, 0.1, 0.5, 0.9, 0.95)


@dataclass(frozen=True)
class Preset:
    """A named recipe.

    Attributes
    ----------
    name : str
    summary : str
        One line.
    options : dict of str to str
        The preset's own options (not ``Forecaster`` parameters) with their meaning.
    make : callable
        ``make(**options) -> dict`` of ``Forecaster`` parameters.
    """

    name: str
    summary: str
    options: dict[str, str] = field(default_factory=dict)
    make: Callable[..., dict[str, Any]] = field(default=lambda **_: {}, repr=False)


def day_ahead_horizon(issue_time: str, freq: Any, days_ahead: int = 1) -> int:
    """Steps from an origin at local ``issue_time`` on D-``days_ahead`` to the last step of day D.

    >>> day_ahead_horizon("10:00", "1h")
    37
    >>> day_ahead_horizon("10:00", "15min")  # 10:00 D-1 to 23:45 D
    151
    """
    f = parse_freq(freq)
    if f.is_calendar or f.seconds >= 86400:
        raise ConfigError(f"day-ahead presets need sub-daily data (freq such as '1h' or '15min'), got {freq!r}")
    issue = issue_seconds(issue_time)
    if issue % f.seconds:
        raise ConfigError(f"issue_time={issue_time!r} does not fall on a {f} step; use a time on the data's grid")
    if not isinstance(days_ahead, int) or days_ahead < 1:
        raise ConfigError(f"days_ahead must be a positive int, got {days_ahead!r}")
    end = days_ahead * 86400 + 86400 - f.seconds  # last step of day D, seconds after midnight of D-days_ahead
    return int((end - issue) // f.seconds)


def _dst_extra(tz: str | None, step: int) -> int:
    """One more step where the zone has daylight saving, so a 25-hour delivery day is covered."""
    if tz is None:
        return 0
    from energyai.timeutil import zone

    z = zone(tz)
    offsets = {z.utcoffset(dt.datetime(2021, m, 15)) for m in (1, 7)}
    return (3600 + step - 1) // step if len(offsets) > 1 else 0


def check_dst_horizon(model: Any, schema: Any) -> str | None:
    """Warn (:class:`~energyai.exceptions.DaylightSavingHorizonWarning`) and return the message
    when a day-ahead preset's horizon ends exactly with a 24-hour delivery day although the
    data's zone has daylight saving (the preset was built without ``tz=``); else None."""
    import warnings

    from energyai.exceptions import DaylightSavingHorizonWarning

    params = model.get_params()
    issue, zone_name = params.get("origin_time"), getattr(schema, "tz", None)
    f = schema.frequency
    if not params.get("preset_name") or issue is None or not zone_name or f.is_calendar or f.seconds >= 86400:
        return None
    last = issue_seconds(issue) + int(model.horizon) * f.seconds  # the last step's start, after the issue day's 0h
    if _dst_extra(zone_name, f.seconds) == 0 or (last + f.seconds) % 86400:
        return None
    message = (f"{params['preset_name']}: the data's zone {zone_name} has daylight saving, but the horizon "
               f"({model.horizon} steps from {issue}) covers a 24-hour delivery day only, so the last hour of the "
               f"25-hour day is never forecast; build the preset with tz={zone_name!r}")
    warnings.warn(message, DaylightSavingHorizonWarning, stacklevel=4)
    return message


def ensemble_members(n: Any, tree: dict[str, Any] | None = None) -> list[dict[str, Any]] | None:
    """The members of a preset's ``ensemble=n``: the preset's network with seeds 0 .. n - 2 and the
    gradient-boosted member (LightGBM on the same inputs, with the preset's ``tree`` options);
    ``n=1``: the network alone.

    >>> ensemble_members(3)
    [{}, {'seed': 1}, {'model': 'lightgbm'}]
    >>> ensemble_members(2, {"max_rounds": 500})
    [{}, {'model': 'lightgbm', 'max_rounds': 500}]
    """
    if isinstance(n, (list, tuple)) or n is None:  # explicit members (or none), as Forecaster(ensemble=...)
        return None if n is None else list(n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"ensemble must be a positive number of members or a list of member parameters, "
                          f"got {n!r}")
    if n == 1:
        return None
    return [{}] + [{"seed": k} for k in range(1, n - 1)] + [{"model": "lightgbm", **(tree or {})}]


def _common(issue_time: str, freq: Any, days_ahead: int, tz: str | None, ensemble: Any = 3,
            tree: dict[str, Any] | None = None) -> dict[str, Any]:
    f = parse_freq(freq)
    horizon = day_ahead_horizon(issue_time, f, days_ahead) + _dst_extra(tz, f.seconds)
    return {"horizon": horizon, "origin_time": issue_time, "ensemble": ensemble_members(ensemble, tree),
            "calibration": "auto",
            "max_steps": "auto", "calendar": True, "steps_per_day": f.steps_per_day}


#: The load preset's tree member: twice LightGBM's default step and a third of its rounds. On
#: GEFCom2014 load the median trees never early-stopped within 1,500 rounds at 0.05, and the
#: member took 124 s of a 241 s fit (1.5 series-years) for a fifth of the combined forecast.
LOAD_TREE = {"tree_learning_rate": 0.1, "max_rounds": 500}


def _day_ahead_load(country: str | None = None, issue_time: str = "10:00", freq: Any = "1h",
                    days_ahead: int = 1, tz: str | None = None, quantiles: Any = DEFAULT_QUANTILES,
                    ensemble: int = 3) -> dict[str, Any]:
    c = _common(issue_time, freq, days_ahead, tz, ensemble, LOAD_TREE)
    per_day = c.pop("steps_per_day")
    return {"model": "tide", "context_length": 7 * per_day, "quantiles": tuple(quantiles), "holidays": country,
            "hidden": 256, "dropout": 0.1, "temporal_width": 8, "learning_rate": 1e-3, "batch_size": 128,
            "fit_choices": ("temporal_width", "val_size"),
            "preset_name": "day-ahead-load", **c}


def _day_ahead_solar(site: Any = None, issue_time: str = "10:00", freq: Any = "1h", days_ahead: int = 1,
                     tz: str | None = None, quantiles: Any = DEFAULT_QUANTILES,
                     daylight_column: str | None = None, ensemble: int = 3) -> dict[str, Any]:
    c = _common(issue_time, freq, days_ahead, tz, ensemble)
    per_day = c.pop("steps_per_day")
    return {"model": "tide", "context_length": 2 * per_day, "quantiles": tuple(quantiles), "solar_site": site,
            "daylight_column": daylight_column,
            "fit_choices": ("cloud_column", "cloud_units", "val_size") if site else ("daylight_column", "val_size"),
            "scaler": "capacity", "context_dropout": 0.3, "hidden": 256, "dropout": 0.1, "temporal_width": 8,
            "temporal_hidden": 128, "learning_rate": 1e-3, "batch_size": 128, "preset_name": "day-ahead-solar", **c}


def _day_ahead_wind(wind_columns: Any = ("u", "v"), power_curve: Any = None, issue_time: str = "10:00",
                    freq: Any = "1h", days_ahead: int = 1, tz: str | None = None,
                    quantiles: Any = DEFAULT_QUANTILES, ensemble: int = 3) -> dict[str, Any]:
    c = _common(issue_time, freq, days_ahead, tz, ensemble)
    per_day = c.pop("steps_per_day")
    return {"model": "tide", "context_length": 2 * per_day, "quantiles": tuple(quantiles),
            "wind_columns": tuple(wind_columns), "power_curve": power_curve, "scaler": "capacity",
            "hidden": 256, "dropout": 0.1, "temporal_width": 8, "temporal_hidden": 128, "learning_rate": 1e-3,
            "batch_size": 128, "preset_name": "day-ahead-wind", "fit_choices": ("val_size",), **c}


ENSEMBLE_HELP = ("members in one model (one file): the network with seeds 0 .. n - 2 and a LightGBM member on the "
                 "same inputs, combined by weights learnt on the validation windows; 1: the network alone")

PRESETS: dict[str, Preset] = {
    "day-ahead-load": Preset(
        "day-ahead-load",
        "Load (building to national) issued on D-1 at a local time for the whole day D: TiDE with calendar "
        "and holiday features in the graph, trained on the issue-time origins",
        {"country": "holiday calendar of the holidays package ('KR', 'DE', 'US-CA'); None: no holidays",
         "issue_time": "local time of issue on D-1, 'HH:MM' (KPX: '10:00')",
         "freq": "step of the data ('1h', '15min')", "days_ahead": "1 for day-ahead",
         "tz": "the data's time zone; where it has daylight saving the horizon gets one more hour so that a "
               "25-hour day D is covered",
         "quantiles": "output quantile levels",
         "ensemble": ENSEMBLE_HELP},
        _day_ahead_load),
    "day-ahead-solar": Preset(
        "day-ahead-solar",
        "PV plant or zone issued on D-1 for day D from weather forecasts (the schema's future covariates): "
        "TiDE on the capacity factor (the schema's capacity), clear sky and night zeros in the graph when the "
        "site is given, trained also with the recent output hidden",
        {"site": "(latitude, longitude[, altitude]) in degrees and metres: clear-sky irradiance, sun elevation "
                 "and exact zeros at night inside the model; None: weather forecasts only",
         "daylight_column": "a weather-forecast column that is positive exactly while the sun is up (NWP "
                            "top-of-atmosphere solar radiation): exact zeros at night when the site is not known",
         "issue_time": "local time of issue on D-1, 'HH:MM' (KPX: '10:00')",
         "freq": "step of the data ('1h', '15min')", "days_ahead": "1 for day-ahead",
         "tz": "the data's time zone (one more step where it has daylight saving)",
         "quantiles": "output quantile levels",
         "ensemble": ENSEMBLE_HELP},
        _day_ahead_solar),
    "day-ahead-wind": Preset(
        "day-ahead-wind",
        "Wind farm issued on D-1 for day D from NWP wind (the schema's future covariates): TiDE on the capacity "
        "factor with wind speed, direction and a power-curve feature computed in the graph; fit(future=Vintages) "
        "trains each window on the run available at its origin",
        {"wind_columns": "future covariates with the forecast wind: (u, v) components or (speed,), m/s",
         "power_curve": "(speeds, capacity factors) of the farm; None: a generic 3/12/25 m/s curve",
         "issue_time": "local time of issue on D-1, 'HH:MM' (KPX: '10:00')",
         "freq": "step of the data ('1h', '15min')", "days_ahead": "1 for day-ahead",
         "tz": "the data's time zone (one more step where it has daylight saving)",
         "quantiles": "output quantile levels",
         "ensemble": ENSEMBLE_HELP},
        _day_ahead_wind),
}


def available_presets() -> list[Preset]:
    """Every preset, by name."""
    return [PRESETS[k] for k in sorted(PRESETS)]


def preset_params(name: str, **overrides: Any) -> dict[str, Any]:
    """The ``Forecaster`` parameters of preset ``name``.

    ``overrides`` holds the preset's options (see :data:`PRESETS`) and any
    ``Forecaster`` parameter, which replaces the preset's choice.

    Raises
    ------
    ConfigError
        For an unknown preset name, listing the names.
    """
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; presets are {sorted(PRESETS)}")
    p = PRESETS[name]
    own = {k: overrides.pop(k) for k in list(overrides) if k in p.options}
    try:
        params = p.make(**own)
    except TypeError as exc:  # pragma: no cover - options are filtered above
        raise ConfigError(f"preset {name!r}: {exc}") from exc
    params.update(overrides)
    if params.get("fit_choices"):  # an option given explicitly is not chosen from the data
        params["fit_choices"] = tuple(c for c in params["fit_choices"] if c not in overrides) or None
    return params


#: Covariate names read as cloud cover, and as irradiance (lower case; a name containing one counts).
CLOUD_NAMES = ("cloud", "tcc", "전운량")
IRRADIANCE_NAMES = ("ghi", "irradiance", "radiation", "ssrd", "swdown", "dswrf", "insolation", "일사")
#: Names read as a top-of-atmosphere radiation column, positive exactly while the sun is up (exact match).
DAYLIGHT_NAMES = ("tsr", "toa", "toa_radiation", "top_of_atmosphere_radiation")
#: Future covariates from which the load preset widens TiDE's per-step projection to 32.
WIDE_WEATHER = 10
#: Years of data from which a preset validates (and calibrates) on the last year of each series.
YEAR_OF_VALIDATION = 4


def choose_at_fit(model: Any, df: Any, schema: Any) -> dict[str, Any]:
    """Set the options ``model.fit_choices`` names from the training data; return what was chosen.

    - ``cloud_column``: with a solar site, a future covariate named like cloud cover (it
      contains "cloud", "tcc" or "전운량") when none is named like irradiance ("ghi",
      "radiation", "ssrd", ...): the graph then turns it into all-sky irradiance. Else None.
    - ``cloud_units``: from the column's largest training value: above 10 percent, above
      8 tenths, above 1 oktas, else a fraction.
    - ``daylight_column``: without a solar site, a future covariate named like the NWP's
      top-of-atmosphere radiation ("tsr", "toa"): nights become exact zeros. On GEFCom2014
      solar it improved the 99-quantile pinball of both tasks (0.0143 to 0.0140, 0.0144 to
      0.0134; docs/presets.md).
    - ``val_size``: the last year of each series when the data span at least
      :data:`YEAR_OF_VALIDATION` years, else the last 10%. The validation windows also
      calibrate the quantiles, and errors are seasonal: on Korean load, calibrating on
      May-December 2019 left the 2020-21 10-90% band at 69% coverage, on all of 2019 at 78%.
    - ``temporal_width``: 32 when there are at least :data:`WIDE_WEATHER` future covariates,
      else 8: on GEFCom2014 load (25 temperature stations) 32 scored 0.0075 against 0.0083,
      on Korean load (none) 2.33% against 2.26% MAPE (docs/presets.md).
    """
    names = tuple(model.fit_choices or ())
    chosen: dict[str, Any] = {}
    if not names:
        return chosen
    covs = [c for c in schema.future_covariates]
    if "cloud_column" in names:
        col = None
        lower = {c: c.lower() for c in covs}
        irradiance = [c for c in covs if any(k in lower[c] for k in IRRADIANCE_NAMES)]
        cloud = [c for c in covs if any(k in lower[c] for k in CLOUD_NAMES)]
        if model.solar_site is not None and cloud and not irradiance:
            col = cloud[0]
        chosen["cloud_column"] = col
        model.set_params(cloud_column=col)
    if "daylight_column" in names:
        col = None
        if model.solar_site is None:
            col = next((c for c in covs if c.lower() in DAYLIGHT_NAMES), None)
        chosen["daylight_column"] = col
        model.set_params(daylight_column=col)
    if "temporal_width" in names:
        width = 32 if len(covs) >= WIDE_WEATHER else 8
        chosen["temporal_width"] = width
        model.set_params(temporal_width=width)
    if "val_size" in names:
        span = _span_days(df, schema)
        freq = schema.frequency
        if span >= 365.25 * YEAR_OF_VALIDATION and freq is not None and not freq.is_calendar:
            value: Any = round(365 * 86400 / freq.seconds)
        else:
            value = 0.1
        chosen["val_size"] = value
        model.set_params(val_size=value)
    if "cloud_units" in names and model.cloud_column is not None:
        top = _column_max(df, model.cloud_column)
        units = "percent" if top > 10 else "tenths" if top > 8 else "oktas" if top > 1 else "fraction"
        chosen["cloud_units"] = units
        model.set_params(cloud_units=units)
    model.set_params(fit_choices=None)  # chosen once: a refit keeps these values
    return chosen


def _span_days(df: Any, schema: Any) -> float:
    """Days from the first to the last timestamp of the training data (0 when unknown)."""
    import polars as pl

    ts = schema.timestamp
    frame = df if isinstance(df, (pl.DataFrame, pl.LazyFrame)) else None
    if frame is None:
        return 0.0
    out = frame.select(pl.col(ts).min().alias("a"), pl.col(ts).max().alias("b"))
    row = (out.collect() if isinstance(out, pl.LazyFrame) else out).row(0)
    if row[0] is None or row[1] is None:
        return 0.0
    return float((row[1] - row[0]).total_seconds() / 86400)


def _column_max(df: Any, column: str) -> float:
    import polars as pl

    frame = df if isinstance(df, pl.LazyFrame) else pl.DataFrame(df) if not isinstance(df, pl.DataFrame) else df
    out = frame.select(pl.col(column).cast(pl.Float64).max())
    value = (out.collect() if isinstance(out, pl.LazyFrame) else out).item()
    return float(value) if value is not None else 0.0
