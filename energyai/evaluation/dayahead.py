"""Day-ahead market protocols: forecasts issued on D-1 at a local time, for day D.

>>> p = DayAheadProtocol.kpx()                       # issued D-1 10:00 KST for D 00-23 h
>>> p.horizon(3600)                                  # steps from the origin to D 23:00
37
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from energyai._optional import import_optional
from energyai.exceptions import ConfigError

__all__ = ["DayAheadProtocol"]


@dataclass(frozen=True)
class DayAheadProtocol:
    """When day-ahead forecasts are issued and which hours they are scored on.

    Times are local wall-clock times in ``tz``; the delivery period is counted in hours.

    Parameters
    ----------
    issue_time : datetime.time
        Local time on D - ``days_ahead`` at which the forecast is due; the origin
        (the last observation the model may use, and the deadline for weather runs).
    tz : str
        Market time zone.
    delivery_start : datetime.time
        First delivery step of day D (local).
    delivery_hours : int
        Length of the delivery period in hours (24: the whole day D).
    days_ahead : int
        1 for day-ahead.
    name : str
    """

    issue_time: dt.time = dt.time(10, 0)
    tz: str = "Asia/Seoul"
    delivery_start: dt.time = dt.time(0, 0)
    delivery_hours: int = 24
    days_ahead: int = 1
    name: str = "day-ahead"

    def __post_init__(self) -> None:
        if self.days_ahead < 1 or self.delivery_hours < 1:
            raise ConfigError("days_ahead and delivery_hours must be at least 1")
        ZoneInfo(self.tz)

    @classmethod
    def kpx(cls) -> DayAheadProtocol:
        """KPX renewable forecasts: due D-1 10:00 KST for D 00:00-23:00."""
        return cls(dt.time(10, 0), "Asia/Seoul", dt.time(0, 0), 24, 1, "KPX day-ahead")

    def with_(self, **changes: Any) -> DayAheadProtocol:
        return replace(self, **changes)

    def origin(self, day: dt.date) -> dt.datetime:
        """The origin (issue time) of the forecast for delivery day ``day``."""
        return dt.datetime.combine(day - dt.timedelta(days=self.days_ahead), self.issue_time, ZoneInfo(self.tz))

    def delivery(self, day: dt.date, step_seconds: int) -> list[dt.datetime]:
        """The delivery timestamps of day ``day`` (local, tz-aware).

        The period spans ``delivery_hours`` of wall-clock time, so a whole day has 23 or
        25 hourly steps on daylight-saving change days.
        """
        z = ZoneInfo(self.tz)
        start = dt.datetime.combine(day, self.delivery_start, z)
        end_wall = dt.datetime.combine(day, self.delivery_start) + dt.timedelta(hours=self.delivery_hours)
        end = end_wall.replace(tzinfo=z)
        s0, s1 = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
        n = int((s1 - s0).total_seconds() // step_seconds)
        return [(s0 + dt.timedelta(seconds=k * step_seconds)).astimezone(z) for k in range(n)]

    def horizon(self, step_seconds: int, day: dt.date | None = None) -> int:
        """Steps from the origin to the end of delivery (the model's horizon)."""
        day = day or dt.date(2021, 6, 15)  # any non-DST-change day
        end = self.delivery(day, step_seconds)[-1]
        return int((end - self.origin(day)).total_seconds() // step_seconds)

    def cutoffs(self, first_day: dt.date, last_day: dt.date) -> list[dt.datetime]:
        """Origins for every delivery day from ``first_day`` to ``last_day`` inclusive."""
        n = (last_day - first_day).days + 1
        return [self.origin(first_day + dt.timedelta(days=i)) for i in range(n)]

    def backtest(self, model: Any, df: Any, schema: Any, first_day: dt.date, last_day: dt.date,
                 **kwargs: Any) -> Any:
        """Run :func:`energyai.backtest` at this protocol's origins and score delivery hours only.

        The model's horizon must reach the end of delivery. ``kwargs`` go to the backtest
        (``future=`` vintages, ``oracle=``, ``known_future=``, ``fit=``); weather runs are
        picked as available at the origin, which is the market deadline.

        Returns
        -------
        BacktestResult
            Forecasts restricted to the delivery steps (``lead`` kept), metrics recomputed.
        """
        pl = import_optional("polars", "backtests")
        from energyai.evaluation.backtest import BacktestResult, backtest
        from energyai.evaluation.scoring import score_frame

        step = schema.frequency.seconds if schema.frequency else None
        if step is None:
            raise ConfigError("the schema needs freq for a day-ahead protocol")
        need = self.horizon(step)
        if int(model.horizon) < need:
            raise ConfigError(f"{self.name}: the model's horizon is {model.horizon} steps but delivery ends "
                              f"{need} steps after the origin; use horizon={need}")
        cutoffs = self.cutoffs(first_day, last_day)
        res = backtest(model, df, schema, cutoffs=cutoffs, **kwargs)
        ts = schema.timestamp
        local = pl.col(ts).dt.convert_time_zone(self.tz)
        day_of_cutoff = pl.col("cutoff").dt.convert_time_zone(self.tz).dt.date() + pl.duration(days=self.days_ahead)
        start_h = self.delivery_start.hour + self.delivery_start.minute / 60
        hours = (local.dt.hour() + local.dt.minute() / 60 - start_h) % 24
        keep = (local.dt.date() == day_of_cutoff) & (hours < self.delivery_hours) if self.delivery_hours < 24 \
            else (local.dt.date() == day_of_cutoff)
        fc = res.forecasts.filter(keep)
        q = res.quantiles
        sid = schema.series_id
        hourly = fc.with_columns(pl.col(ts).dt.hour().alias("hour"))
        return BacktestResult(
            forecasts=fc, metrics=score_frame(fc, quantiles=q),
            by_series=score_frame(fc, [sid], q) if sid else score_frame(fc, quantiles=q),
            by_lead=score_frame(fc, ["lead"], q), by_hour=score_frame(hourly, ["hour"], q),
            cutoffs=res.cutoffs, model=res.model, quantiles=q, fit_seconds=res.fit_seconds,
            predict_seconds=res.predict_seconds, schema=res.schema, future_source=res.future_source,
        )
