"""The PV corpus of the ``solar-base`` pretrained model: PV plants on one footing.

Every series becomes hourly rows of ``series`` (str), ``timestamp`` (UTC, the start of
the hour), ``cf`` (capacity factor: AC power / capacity, 0..1), ``ghi`` (global
horizontal irradiance of the hour, W/m²), ``temperature`` (air, °C) and ``cloud_cover``
(total cloud cover, 0..1). A covariate a source does not have is null; the model reads all
three as *optional* covariates.

**Where the irradiance comes from.** It is not the same kind of number everywhere, and a
model card must say so:

- GEFCom2014 zones: the ECMWF day-ahead forecast (00 UTC run, leads 1-24 h): a true
  forecast, as a plant would have it.
- PV Fleets system 50 and NREL SERF East: NSRDB PSM3, irradiance *estimated from
  satellite images of that hour*: an observation, so a forecast test on them is an
  oracle (ex-post) test, kinder than a plant's day-ahead reality.

**Sites.** Solar geometry in the graph needs each plant's coordinates, and none of these
sources publish them. They are estimated from the data (:data:`SITES` gives the method
and the fit of each): for the NSRDB sites, the latitude and longitude whose Ineichen
clear sky best matches the file's own NSRDB clear-sky GHI; for the GEFCom2014 zones, the
site whose top-of-atmosphere irradiance best matches the NWP's top net solar radiation.
They are good to about a degree, which moves the clear-sky curve by minutes.

**Capacity.** The nameplate is published for none of the plants. GEFCom2014 power is
already normalised by the zone's capacity. For the two NSRDB plants the capacity is the
largest hourly mean AC power in the file (``PVCorpus.capacities``), so ``cf`` reaches 1 once;
the KPX error of those plants is therefore relative to their largest observed hour.

Nothing is interpolated: an hour needs all four quarter-hours of power (and both
half-hours of PSM3 weather) or it stays null. The only values changed are NREL SERF
East's night-time readings, which are negative (down to -6.4 W: the inverter's own
draw); they are counted as 0 output, and :func:`load_pv_corpus` reports how many.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.exceptions import ConfigError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "the PV corpus")

__all__ = ["PV_CORPUS_SCHEMA", "PV_SOURCES", "SITES", "PVCorpus", "load_pv_corpus"]

COVARIATES = ("ghi", "temperature", "cloud_cover")

#: The schema of every corpus frame: capacity factor, UTC, optional weather.
PV_CORPUS_SCHEMA = Schema(timestamp="timestamp", target="cf", series_id="series", future_covariates=COVARIATES,
                          freq="1h", tz="UTC", capacity=1.0, capacity_tolerance=0.005, nonnegative=True,
                          units="capacity factor (0-1)")

#: (latitude, longitude, altitude) of each plant, degrees and metres, with how it was found.
SITES: dict[str, tuple[tuple[float, float, float], str]] = {
    "gefcom2014_zone1": ((-37.0, 150.0, 100.0), "fit of the top-of-atmosphere irradiance to the NWP top net solar "
                         "radiation on a 1-degree grid (correlation 0.957); altitude not known, 100 m assumed"),
    "gefcom2014_zone2": ((-37.0, 150.0, 100.0), "as zone 1 (correlation 0.956): the three zones are neighbours"),
    "gefcom2014_zone3": ((-37.0, 150.0, 100.0), "as zone 1 (correlation 0.954)"),
    "pvfleets_system50": ((37.48, -104.96, 1700.0), "least-squares fit of the Ineichen clear sky to the file's NSRDB "
                          "clear-sky GHI (RMS 19.7 W/m2); altitude not known, 1700 m assumed (Colorado plains)"),
    "nrel_serf_east": ((40.75, -104.88, 1700.0), "as system 50 (RMS 20.8 W/m2); the NREL campus in Golden, CO lies "
                       "about a degree south of the fit, whose latitude trades off against the turbidity"),
}

@dataclass
class PVCorpus:
    """PV plants on one footing.

    Attributes
    ----------
    frame : polars.DataFrame
        ``series``, ``timestamp`` (UTC), ``cf``, ``ghi`` (W/m²), ``temperature`` (°C),
        ``cloud_cover`` (0..1).
    schema : Schema
        :data:`PV_CORPUS_SCHEMA`.
    sites : dict of str to (float, float, float)
        Latitude, longitude (degrees) and altitude (m) of each plant (:data:`SITES`).
    capacities : dict of str to float
        Capacity of each plant in its source's units (1.0: already normalised).
    sources : dict of str to str
        The dataset each series comes from.
    irradiance : dict of str to str
        ``"forecast"`` (NWP) or ``"satellite"`` (estimated for that hour: an oracle).
    clipped : dict of str to int
        Hours whose mean power was negative and is counted as 0, per series.
    """

    frame: Any
    schema: Schema = PV_CORPUS_SCHEMA
    sites: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    capacities: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    irradiance: dict[str, str] = field(default_factory=dict)
    clipped: dict[str, int] = field(default_factory=dict)

    @property
    def series(self) -> list[str]:
        """The series names, sorted."""
        return sorted(self.sites)

    def select(self, series: list[str]) -> PVCorpus:
        """The corpus restricted to ``series`` (a ConfigError names unknown ones)."""
        from energyai.datasets.corpus import restrict

        return restrict(self, series, self.sites)  # type: ignore[no-any-return]


def _frame(df: pl.DataFrame, series: str) -> pl.DataFrame:
    return df.select(pl.lit(series).alias("series"), pl.col("timestamp").cast(pl.Datetime("us", "UTC")),
                     *[pl.col(c).cast(pl.Float64) for c in ("cf", *COVARIATES)])


def _gefcom2014(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, int, float]]:
    from energyai import datasets

    ds = datasets.load("gefcom2014_solar", data_dir=data_dir)
    df = ds.frame.select("zone", "timestamp", pl.col("power").alias("cf"), pl.col("ssrd").alias("ghi"),
                         pl.col("t2m").alias("temperature"), pl.col("tcc").alias("cloud_cover"))
    return [(f"gefcom2014_{z}", _frame(g, f"gefcom2014_{z}"), "forecast", 0, 1.0)
            for (z,), g in df.partition_by("zone", as_dict=True, maintain_order=True).items()]


def _hourly(power: pl.DataFrame, weather: pl.DataFrame, per_hour: tuple[int, int]) -> pl.DataFrame:
    """Hourly means of complete hours: ``per_hour`` = (power readings, weather readings) an hour needs."""
    p = power.group_by(pl.col("timestamp").dt.truncate("1h")).agg(
        pl.when(pl.col("power").count() == per_hour[0]).then(pl.col("power").mean()).alias("power"))
    w = weather.group_by(pl.col("timestamp").dt.truncate("1h")).agg(
        [pl.when(pl.col(c).count() == per_hour[1]).then(pl.col(c).mean()).alias(c) for c in ("ghi", "temperature")])
    return p.join(w, on="timestamp", how="left").sort("timestamp")


def _nsrdb_plant(name: str, power_file: Path, power_col: str, weather_file: Path, weather_col: str,
                 per_hour: tuple[int, int]) -> tuple[str, pl.DataFrame, str, int, float]:
    def utc(col: str) -> pl.Expr:
        return pl.col(col).str.to_datetime(time_zone="UTC").alias("timestamp")

    from energyai.datasets.loaders import read_source_csv

    power = read_source_csv(power_file).select(utc("measured_on"), pl.col(power_col).cast(pl.Float64).alias("power"))
    undated = power.filter(pl.col("timestamp").is_null())
    if undated["power"].is_not_null().any():
        from energyai.exceptions import DatasetError

        raise DatasetError(f"{power_file.name}: {undated['power'].is_not_null().sum()} power readings have no "
                           "timestamp; the file is damaged (compare its sha256 with CARD.md)")
    power = power.filter(pl.col("timestamp").is_not_null())  # blank lines at the end of the file
    weather = read_source_csv(weather_file).select(utc(weather_col), pl.col("ghi").cast(pl.Float64),
                                        pl.col("temp_air").cast(pl.Float64).alias("temperature"))
    df = _hourly(power, weather, per_hour)
    negative = int(df.filter(pl.col("power") < 0).height)
    df = df.with_columns(pl.col("power").clip(lower_bound=0.0))
    cap = float(df["power"].max())  # type: ignore[arg-type]
    df = df.with_columns((pl.col("power") / cap).alias("cf"), pl.lit(None, pl.Float64).alias("cloud_cover"))
    return name, _frame(df, name), "satellite", negative, cap


def _pvfleets(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, int, float]]:
    from energyai.datasets import data_root

    root = data_root("pvanalytics_pv_power", data_dir)
    return [_nsrdb_plant("pvfleets_system50", root / "pvfleets_system50_ac_power_15min_2011_2014.csv", "ac_power_2",
                         root / "pvfleets_system50_psm3_weather_30min_2011_2013.csv", "timestamp", (4, 2)),
            _nsrdb_plant("nrel_serf_east", root / "nrel_serf_east_ac_power_15min_2016.csv", "ac_power",
                         root / "nrel_serf_east_psm3_weather_15min_2016.csv", "measured_on", (4, 4))]


#: Corpus sources: name -> (reader, licence note for model cards).
PV_SOURCES: dict[str, tuple[Any, str]] = {
    "gefcom2014_solar": (_gefcom2014, "GEFCom2014 (Hong et al. 2016): released publicly for research, no licence "
                                      "stated; NWP from the enflow (MIT) pivot of predictors15.csv"),
    "pvanalytics_pv_power": (_pvfleets, "NREL PV Fleets / SERF data shipped in pvanalytics (MIT); NSRDB PSM3 "
                                        "(US government, public)"),
}


def load_pv_corpus(sources: list[str] | tuple[str, ...] = tuple(PV_SOURCES), data_dir: Any = None,
                   start: dt.datetime | None = None, end: dt.datetime | None = None) -> PVCorpus:
    """Read ``sources`` (names of :data:`PV_SOURCES`) into one :class:`PVCorpus`.

    Parameters
    ----------
    sources : sequence of str
    data_dir : path, optional
        The shared datasets folder (default ``$ENERGYAI_DATA``).
    start, end : datetime, optional
        Keep UTC times in ``[start, end)`` (timezone-aware).

    Raises
    ------
    ConfigError
        No source, an unknown source name (the known ones are listed), or a naive
        ``start``/``end``.
    DatasetError
        A source folder that is missing or unreadable.
    """
    if not sources:
        raise ConfigError(f"load_pv_corpus needs at least one source; sources are {list(PV_SOURCES)}")
    for name, when in (("start", start), ("end", end)):
        if when is not None and (not isinstance(when, dt.datetime) or when.tzinfo is None):
            raise ConfigError(f"{name} must be a timezone-aware datetime (the corpus is in UTC), got {when!r}")
    unknown = [s for s in sources if s not in PV_SOURCES]
    if unknown:
        raise ConfigError(f"unknown PV corpus sources {unknown}; sources are {list(PV_SOURCES)}")
    frames, out = [], PVCorpus(None)
    for source in sources:
        for series, df, kind, negative, capacity in PV_SOURCES[source][0](data_dir):
            frames.append(df)
            out.sites[series] = SITES[series][0]
            out.capacities[series] = capacity
            out.sources[series], out.irradiance[series], out.clipped[series] = source, kind, negative
    frame = pl.concat(frames)
    if start is not None:
        frame = frame.filter(pl.col("timestamp") >= start)
    if end is not None:
        frame = frame.filter(pl.col("timestamp") < end)
    out.frame = frame.sort("series", "timestamp")
    return out
