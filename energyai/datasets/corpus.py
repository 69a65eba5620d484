"""The load corpus of the ``load-base`` pretrained model: many load series on one footing.

Every series becomes rows of ``series`` (str), ``timestamp``, ``load`` (the source's
units; each window is scaled by the network) and ``temperature`` (degrees Celsius,
null where the source has none), hourly. Each series also gets its holiday country.

**Local wall-clock time.** The calendar and holiday features of a model are functions of
local time, and the sources lie in several zones. The corpus therefore gives every series
its *local wall-clock* time labelled as UTC ("floating" time), so one model learns "09:00
on a Monday" across zones. The US sources are already published in anonymised local time
(their loaders label them UTC); Korean series are converted from Asia/Seoul (no daylight
saving since 1988, so nothing is lost). A model trained this way is pointed at a real
site with :meth:`energyai.Forecaster.localize` (zero-shot) or by fine-tuning on the site's
data with its own schema.

**Units.** Temperatures published in degrees Fahrenheit (GEFCom2012, GEFCom2014, BigDEAL)
are converted to Celsius; where a source gives several stations their mean is used
(the mean of the stations, not a weighting chosen by us).

Nothing is interpolated: missing loads stay null (masked in training), missing
temperatures stay null (the model's optional-covariate path).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.exceptions import ConfigError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "the load corpus")

__all__ = ["CORPUS_SCHEMA", "SOURCES", "LoadCorpus", "load_corpus"]

#: The schema of every corpus frame (floating local time, labelled UTC).
CORPUS_SCHEMA = Schema(timestamp="timestamp", target="load", series_id="series", future_covariates=("temperature",),
                       freq="1h", tz="UTC", nonnegative=True)


@dataclass
class LoadCorpus:
    """Load series on one footing.

    Attributes
    ----------
    frame : polars.DataFrame
        ``series``, ``timestamp`` (local wall-clock labelled UTC), ``load``, ``temperature`` (°C).
    schema : Schema
        :data:`CORPUS_SCHEMA`.
    countries : dict of str to str
        Holiday country of each series (``holidays`` package codes).
    zones : dict of str to str
        The clock of each series' source: an IANA zone where known, else a description
        ("US local (anonymised)": the zone was not published, the local time is kept as given).
    sources : dict of str to str
        The dataset each series comes from.
    """

    frame: Any
    schema: Schema = CORPUS_SCHEMA
    countries: dict[str, str] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def series(self) -> list[str]:
        """The series names, sorted."""
        return sorted(self.countries)

    def select(self, series: list[str]) -> LoadCorpus:
        """The corpus restricted to ``series`` (a ConfigError names unknown ones)."""
        return restrict(self, series, self.countries)


def restrict(corpus: Any, series: list[str], known: dict[str, Any]) -> Any:
    """A copy of a corpus dataclass whose frame and per-series dicts keep ``series`` only.

    Raises
    ------
    ConfigError
        Names the series that are not among ``known``.
    """
    import dataclasses

    unknown = sorted(set(series) - set(known))
    if unknown:
        raise ConfigError(f"series {unknown} are not in the corpus; it has {sorted(known)}")
    keep = set(series)
    per_series = {f.name: {k: v for k, v in getattr(corpus, f.name).items() if k in keep}
                  for f in dataclasses.fields(corpus) if isinstance(getattr(corpus, f.name), dict)}
    return dataclasses.replace(corpus, frame=corpus.frame.filter(pl.col("series").is_in(sorted(keep))), **per_series)


def _f_to_c(cols: list[str]) -> pl.Expr:
    """The mean of Fahrenheit station columns, in Celsius (of the stations that report at that
    hour; null when none does)."""
    return ((pl.mean_horizontal([pl.col(c) for c in cols]) - 32.0) * (5.0 / 9.0)).alias("temperature")


def _floating(col: str, zone: str) -> pl.Expr:
    """Local wall-clock time of a zone-aware column, labelled UTC."""
    return pl.col(col).dt.convert_time_zone(zone).dt.replace_time_zone(None).dt.replace_time_zone("UTC")


def _frame(df: pl.DataFrame, series: str) -> pl.DataFrame:
    return df.select(pl.lit(series).alias("series"), pl.col("timestamp").cast(pl.Datetime("us", "UTC")),
                     pl.col("load").cast(pl.Float64), pl.col("temperature").cast(pl.Float64))


def _gefcom2012(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, str]]:
    from energyai import datasets

    ds = datasets.load("gefcom2012_load", data_dir=data_dir)
    stations = list(ds.schema.future_covariates)
    df = ds.frame.with_columns(_f_to_c(stations))
    return [(f"gefcom2012_zone{z:02d}", _frame(g, f"gefcom2012_zone{z:02d}"), "US", "US local (anonymised)")
            for (z,), g in df.partition_by("zone_id", as_dict=True, maintain_order=True).items()]


def _gefcom2014(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, str]]:
    from energyai import datasets

    ds = datasets.load("gefcom2014_load", data_dir=data_dir)
    df = ds.frame.with_columns(_f_to_c(list(ds.schema.future_covariates)))
    return [("gefcom2014_load", _frame(df, "gefcom2014_load"), "US", "US local (anonymised)")]


def _bigdeal(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, str]]:
    from energyai import datasets

    q = datasets.load("bigdeal2022_load", data_dir=data_dir)
    out = [("bigdeal_qualifying", _frame(q.frame.with_columns(_f_to_c(list(q.schema.future_covariates))),
                                         "bigdeal_qualifying"), "US", "US local (anonymised)")]
    f = datasets.load("bigdeal2022_load", data_dir=data_dir, table="final")
    # measured station temperatures (t1..t6), not the forecasts (t*_forecast, 2018 only)
    fr = f.frame.with_columns(_f_to_c([f"t{i}" for i in range(1, 7)]))
    for (s,), g in fr.partition_by("series", as_dict=True, maintain_order=True).items():
        name = f"bigdeal_final_{str(s).lower()}"
        out.append((name, _frame(g, name), "US", "US local (anonymised)"))
    return out


def _taylor(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, str]]:
    """England and Wales demand, half-hourly MW averaged to hours of local wall-clock time.

    June to August 2000 (British Summer Time throughout), so the local clock has no
    repeated or skipped hour; there is no temperature (null).
    """
    from energyai import datasets

    ds = datasets.load("taylor_uk_halfhourly_2000", data_dir=data_dir)
    df = ds.frame.with_columns(_floating("timestamp", "Europe/London")).group_by_dynamic("timestamp", every="1h").agg(
        pl.col(ds.schema.target).mean().alias("load"), pl.len().alias("n"))
    bad = df.filter(pl.col("n") != 2)
    if bad.height:
        raise ConfigError(f"taylor_uk_halfhourly_2000: {bad.height} hours lack one of their two half-hours, first "
                          f"{bad['timestamp'][0]}; the corpus averages complete hours only")
    df = df.with_columns(pl.lit(None, pl.Float64).alias("temperature"))
    return [("taylor_england_wales", _frame(df, "taylor_england_wales"), "GB-ENG", "Europe/London")]


def _kr_national(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, str]]:
    from energyai import datasets

    ds = datasets.load("kr_national_load_2013_2021", data_dir=data_dir)
    df = ds.frame.select(_floating("timestamp", "Asia/Seoul"), pl.col("load_mw").alias("load"),
                         pl.col("temp_air").alias("temperature"))
    return [("kr_national", _frame(df, "kr_national"), "KR", "Asia/Seoul")]


def _cnu(data_dir: Any) -> list[tuple[str, pl.DataFrame, str, str]]:
    from energyai import datasets

    ds = datasets.load("kr_cnu_gwangju_buildings", data_dir=data_dir, mask_anomalies=True)
    df = ds.frame.select("building", _floating("timestamp", "Asia/Seoul"), pl.col("energy_kwh").alias("load"),
                         pl.col("temp_air").alias("temperature"))
    return [(f"cnu_{b}", _frame(g, f"cnu_{b}"), "KR", "Asia/Seoul")
            for (b,), g in df.partition_by("building", as_dict=True, maintain_order=True).items()]


#: Corpus sources: name -> (reader, licence note for model cards).
SOURCES: dict[str, tuple[Any, str]] = {
    "gefcom2012_load": (_gefcom2012, "GEFCom2012 (Hong, Pinson & Fan 2014): released publicly for research, "
                                     "no licence stated"),
    "gefcom2014_load": (_gefcom2014, "GEFCom2014 (Hong et al. 2016): released publicly for research, no "
                                     "licence stated"),
    "bigdeal2022_load": (_bigdeal, "BigDEAL Challenge 2022: released publicly for the challenge, no licence "
                                   "stated"),
    "taylor_uk_halfhourly_2000": (_taylor, "J.W. Taylor (2003), as shipped in pmdarima (MIT)"),
    "kr_national_load_2013_2021": (_kr_national, "no licence in the source repository: not redistributed"),
    "kr_cnu_gwangju_buildings": (_cnu, "no licence in the source repository: not redistributed"),
}


def load_corpus(sources: list[str] | tuple[str, ...] = tuple(SOURCES), data_dir: Any = None,
                start: dt.datetime | None = None, end: dt.datetime | None = None) -> LoadCorpus:
    """Read ``sources`` (names of :data:`SOURCES`) into one :class:`LoadCorpus`.

    Parameters
    ----------
    sources : sequence of str
    data_dir : path, optional
        The shared datasets folder (default ``$ENERGYAI_DATA``).
    start, end : datetime, optional
        Keep local wall-clock times in ``[start, end)`` (naive datetimes).

    Raises
    ------
    ConfigError
        An unknown source name (the known ones are listed).
    DatasetError
        A source folder that is missing or unreadable.
    """
    if not sources:
        raise ConfigError(f"load_corpus needs at least one source; sources are {list(SOURCES)}")
    for name, when in (("start", start), ("end", end)):
        if when is not None and (not isinstance(when, dt.datetime) or when.tzinfo is not None):
            raise ConfigError(f"{name} must be a naive datetime of local wall-clock time (the corpus clock), got "
                              f"{when!r}; drop the zone with .replace(tzinfo=None)")
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ConfigError(f"unknown corpus sources {unknown}; sources are {list(SOURCES)}")
    frames, countries, zones, origin = [], {}, {}, {}
    for name in sources:
        for series, df, country, zone in SOURCES[name][0](data_dir):
            frames.append(df)
            countries[series], zones[series], origin[series] = country, zone, name
    frame = pl.concat(frames)
    if start is not None:
        frame = frame.filter(pl.col("timestamp") >= start.replace(tzinfo=dt.timezone.utc))
    if end is not None:
        frame = frame.filter(pl.col("timestamp") < end.replace(tzinfo=dt.timezone.utc))
    return LoadCorpus(frame.sort("series", "timestamp"), CORPUS_SCHEMA, countries, zones, origin)
