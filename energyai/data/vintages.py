"""Weather-forecast vintages: covariates keyed by (issue_time, valid_time).

A numerical weather prediction (NWP) run issued at ``issue_time`` gives values for many
``valid_time``s (leads). At a forecast origin only runs *available* by then may be used:
issued at least ``delay`` before the origin (the time the provider needs to publish a run,
or a market deadline: KPX day-ahead forecasts are due at D-1 10:00 KST, so the origin is
D-1 10:00 and the latest run available then covers D 00-23 h).

:meth:`Vintages.for_origins` picks, for every origin and horizon step, the latest run
available at the origin that has values for that step. :meth:`Vintages.as_history` gives
the covariate's history for training and for model contexts: for every hour, the
freshest run available by that hour. :func:`check_vintage_leakage` raises
:class:`~energyai.exceptions.LeakageError` when any value was issued too late; the
backtest runs it on every table it uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.exceptions import ConfigError, LeakageError, MissingColumnError

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "weather-forecast vintages")

__all__ = ["Vintages", "check_vintage_leakage"]


@dataclass(frozen=True)
class Vintages:
    """NWP covariates, one row per (series, issue_time, valid_time).

    Parameters
    ----------
    frame : polars.DataFrame
        Columns ``issue_time`` and ``valid_time`` (time-zone aware), the covariates, and
        the series id when the runs differ by site.
    columns : tuple of str
        The covariates (the schema's future covariates they feed).
    series_id : str, optional
    issue_time, valid_time : str
        Column names.
    delay : datetime.timedelta
        How long after its issue time a run becomes available.
    """

    frame: Any
    columns: tuple[str, ...]
    series_id: str | None = None
    issue_time: str = "issue_time"
    valid_time: str = "valid_time"
    delay: dt.timedelta = dt.timedelta(0)

    def __post_init__(self) -> None:
        need = [self.issue_time, self.valid_time, *self.columns] + ([self.series_id] if self.series_id else [])
        missing = [c for c in need if c not in self.frame.columns]
        if missing:
            raise MissingColumnError(f"vintage table lacks {missing}; it has {self.frame.columns}")
        for c in (self.issue_time, self.valid_time):
            if getattr(self.frame.schema[c], "time_zone", None) is None:
                raise ConfigError(f"vintage column {c!r} must be time-zone aware (UTC offsets known)")
        if self.delay < dt.timedelta(0):
            raise ConfigError(f"delay must not be negative, got {self.delay}")

    def _usable(self) -> Any:
        """Runs with every covariate present (a run with a missing value is skipped, not filled)."""
        keep = pl.all_horizontal([pl.col(c).is_not_null() & pl.col(c).is_not_nan() for c in self.columns])
        cols = ([self.series_id] if self.series_id else []) + [self.issue_time, self.valid_time, *self.columns]
        return (self.frame.select(cols).filter(keep)
                .with_columns((pl.col(self.issue_time) + self.delay).alias("available_time"))
                .with_columns(pl.col(self.issue_time, self.valid_time, "available_time").dt.convert_time_zone("UTC")))

    def _pick(self, wanted: Any, limit: str) -> Any:
        """For every wanted (series, valid_time) row, the latest run available by ``limit``."""
        by = ([self.series_id] if self.series_id else []) + [self.valid_time]
        runs = self._usable().sort("available_time")
        left = wanted.sort(limit)
        return left.join_asof(runs, left_on=limit, right_on="available_time", by=by, strategy="backward",
                              check_sortedness=False)  # both sides are sorted above

    def for_origins(self, cutoffs: list[Any], horizon: int, step: dt.timedelta, series: list[Any] | None = None,
                    tz: str = "UTC", timestamp: str = "timestamp") -> Any:
        """The covariates each origin may use for its ``horizon`` steps.

        Returns
        -------
        polars.DataFrame
            ``[series], cutoff, <timestamp>, <covariates>, issue_time, lead_hours``; a
            step with no available run has null covariates (reported by the caller).
        """
        rows = []
        for c in cutoffs:
            for k in range(1, horizon + 1):
                rows.append((c, c + k * step))
        wanted = pl.DataFrame({"cutoff": [r[0] for r in rows], self.valid_time: [r[1] for r in rows]})
        wanted = wanted.with_columns(pl.col("cutoff", self.valid_time).dt.convert_time_zone("UTC"))
        if self.series_id:
            ids = series if series is not None else self.frame[self.series_id].unique(maintain_order=True).to_list()
            wanted = pl.DataFrame({self.series_id: ids}).join(wanted, how="cross")
            wanted = wanted.with_columns(pl.col(self.series_id).cast(self.frame.schema[self.series_id]))
        picked = self._pick(wanted, "cutoff")
        out = picked.select(
            *([self.series_id] if self.series_id else []),
            pl.col("cutoff").dt.convert_time_zone(tz),
            pl.col(self.valid_time).dt.convert_time_zone(tz).alias(timestamp),
            *self.columns,
            pl.col(self.issue_time).dt.convert_time_zone(tz).alias("issue_time"),
            ((pl.col(self.valid_time) - pl.col(self.issue_time)).dt.total_hours()).alias("lead_hours"),
        )
        return out.sort([*([self.series_id] if self.series_id else []), "cutoff", timestamp])

    def as_history(self, times: Any, series: Any = None, tz: str = "UTC", timestamp: str = "timestamp") -> Any:
        """For each time, the freshest run available by that time (the covariate's honest history).

        ``times`` is a polars Series of instants; with a series id, ``series`` gives the
        series of each row (same length).
        """
        wanted = pl.DataFrame({self.valid_time: times}).with_columns(
            pl.col(self.valid_time).dt.convert_time_zone("UTC"))
        if self.series_id:
            wanted = wanted.with_columns(pl.Series(self.series_id, series).cast(self.frame.schema[self.series_id]))
        wanted = wanted.with_row_index("_row").with_columns(pl.col(self.valid_time).alias("_limit"))
        picked = self._pick(wanted, "_limit").sort("_row")
        return picked.select(
            *([self.series_id] if self.series_id else []),
            pl.col(self.valid_time).dt.convert_time_zone(tz).alias(timestamp), *self.columns,
            pl.col(self.issue_time).dt.convert_time_zone(tz).alias("issue_time"),
        )


def check_vintage_leakage(table: Any, delay: dt.timedelta = dt.timedelta(0), cutoff: str = "cutoff",
                          issue_time: str = "issue_time", timestamp: str = "timestamp") -> None:
    """Raise :class:`LeakageError` if a covariate used at an origin was not available then.

    ``table`` has one row per (origin, step) with the run's ``issue_time``; a row
    without an issue time (a covariate of unknown vintage) is also an error.
    """
    if issue_time not in table.columns:
        raise LeakageError(
            f"the future covariates carry no {issue_time!r} column, so their vintage cannot be checked; "
            "build them with Vintages.for_origins, or pass oracle=True to label the run an oracle experiment"
        )
    unknown = table.filter(pl.col(issue_time).is_null() & pl.all_horizontal(
        [pl.col(c).is_not_null() for c in table.columns if c not in (cutoff, issue_time, timestamp)]))
    if unknown.height:
        row = unknown.row(0, named=True)
        raise LeakageError(f"a covariate for {row[timestamp]} at origin {row[cutoff]} has no issue time")
    late = table.filter(pl.col(issue_time) + delay > pl.col(cutoff))
    if late.height:
        row = late.row(0, named=True)
        raise LeakageError(
            f"weather run issued at {row[issue_time]} (available {row[issue_time] + delay}) feeds the forecast "
            f"for {row[timestamp]} made at origin {row[cutoff]}: it was not available yet ({late.height} such rows)"
        )
