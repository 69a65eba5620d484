"""Public holidays and bridge days as model features."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from energyai._optional import import_optional
from energyai.exceptions import ConfigError

__all__ = ["FEATURES", "add_holiday_features", "holiday_calendar", "holiday_features", "holiday_table"]

#: Feature names, in column order.
FEATURES = ("holiday", "bridge", "festival", "off_run")
# Korean multi-day lunar festivals, when traffic and load drop most (names as in `holidays`)
_FESTIVAL_WORDS = ("Korean New Year", "Chuseok", "설날", "추석")


def holiday_calendar(years: Any, country: str = "KR", subdiv: str | None = None) -> dict[dt.date, str]:
    """Public holidays of ``country`` (ISO code) in ``years``: date -> name.

    For Korea this includes Seollal and Chuseok (three days each, from the lunar
    calendar), substitute holidays, and election and temporary holidays as decreed.
    A code with a subdivision (``"GB-ENG"``, ``"US-CA"``) is split when ``subdiv`` is None.
    """
    if subdiv is None and "-" in str(country):
        country, subdiv = str(country).split("-", 1)
    hol = import_optional("holidays", "holiday calendars")
    try:
        table = hol.country_holidays(country, subdiv=subdiv, years=sorted({int(y) for y in years}))
    except NotImplementedError as exc:
        raise ConfigError(f"no holiday calendar for country {country!r} (subdivision {subdiv!r})") from exc
    return dict(table.items())


def holiday_features(times: Any, tz: str = "Asia/Seoul", country: str = "KR",
                     subdiv: str | None = None) -> dict[str, np.ndarray]:
    """Holiday features of each instant's local date.

    Parameters
    ----------
    times : array-like
        UTC instants (datetime64, tz-aware datetimes, ISO strings or epoch seconds).
    tz : str
        Zone whose calendar dates count.
    country, subdiv : str
        Holiday calendar (ISO country code, optional subdivision).

    Returns
    -------
    dict of float32 ndarray, same shape as ``times``
        ``holiday`` 1 on public holidays; ``bridge`` 1 on a working weekday squeezed
        between two days off (weekend or holiday); ``festival`` 1 during Seollal and
        Chuseok (Korea; 0 elsewhere); ``off_run`` the length in days of the run of
        consecutive days off containing the date (0 on working days), divided by 7.
    """
    from energyai.timeutil import local_seconds, to_utc_seconds

    secs = to_utc_seconds(np.asarray(times), tz, naive="utc")
    flat = secs.reshape(1, -1)
    local_days = (local_seconds(flat, tz)[0] // 86400).astype(np.int64)  # days since 1970-01-01, local
    lo, hi = int(local_days.min()) - 10, int(local_days.max()) + 10
    table = _day_flags(np.arange(lo, hi + 1), country, subdiv)
    idx = local_days - lo
    out = {name: table[idx, k].astype(np.float32) for k, name in enumerate(FEATURES)}
    out["off_run"] = out["off_run"] / 7.0
    return {k: v.reshape(secs.shape) for k, v in out.items()}


def holiday_table(country: str = "KR", years: tuple[int, int] = (1990, 2050),
                  subdiv: str | None = None) -> tuple[int, np.ndarray]:
    """The day table that in-graph holiday features look up (:class:`energyai.nn.holidays.HolidayFeatures`).

    Parameters
    ----------
    country, subdiv : str
        Holiday calendar (ISO country code, optional subdivision).
    years : (int, int)
        First and last calendar year covered, inclusive. The ``holidays`` package knows
        the Korean lunar calendar up to 2050; decreed one-off holidays only as far as its
        release, so later ones need the override input.

    Returns
    -------
    first_day : int
        Local date of row 0, in days since 1970-01-01.
    table : ndarray of uint8, shape (n_days, 4)
        Per local date: ``holiday``, ``bridge``, ``festival`` (0/1) and ``off_run`` (days).
    """
    y0, y1 = int(years[0]), int(years[1])
    if not 1970 <= y0 <= y1 <= 2100:
        raise ConfigError(f"holiday_years must be (first, last) with 1970 <= first <= last <= 2100, got {years!r}")
    first = int(np.datetime64(f"{y0}-01-01", "D").astype(np.int64))
    last = int(np.datetime64(f"{y1}-12-31", "D").astype(np.int64))
    # ten days of margin on each side so that bridges and runs at the ends are right
    flags = _day_flags(np.arange(first - 10, last + 11), country, subdiv)[10:-10]
    return first, np.minimum(flags, 255).astype(np.uint8)


def _day_flags(span: np.ndarray, country: str, subdiv: str | None) -> np.ndarray:
    """``(len(span), 4)`` int64: holiday, bridge, festival, length of the run of days off (days)."""
    dates = span.astype("datetime64[D]").astype(object)
    table = holiday_calendar({d.year for d in dates}, country, subdiv)
    is_hol = np.array([d in table for d in dates])
    festival = np.array([d in table and any(w in table[d] for w in _FESTIVAL_WORDS) for d in dates])
    weekend = ((span + 3) % 7) >= 5  # 1970-01-01 was a Thursday: Monday = 0
    off = is_hol | weekend
    bridge = ~off & np.roll(off, 1) & np.roll(off, -1)
    off_or_bridge = off | bridge
    run = np.zeros(span.shape, np.int64)  # length of each run of consecutive days off
    i = 0
    while i < len(span):
        if off_or_bridge[i]:
            j = i
            while j + 1 < len(span) and off_or_bridge[j + 1]:
                j += 1
            run[i:j + 1] = (j - i + 1) * off[i:j + 1]
            i = j + 1
        else:
            i += 1
    return np.stack([is_hol, bridge, festival, run], axis=1).astype(np.int64)


def add_holiday_features(df: Any, schema: Any, country: str = "KR", subdiv: str | None = None,
                         prefix: str = "hol_") -> tuple[Any, Any]:
    """Append holiday features to a polars frame as known-future covariates.

    Returns the frame with columns ``<prefix>holiday``, ``<prefix>bridge``,
    ``<prefix>festival`` and ``<prefix>off_run``, and the schema with them added to
    ``future_covariates``.
    """
    pl = import_optional("polars", "holiday features on frames")
    ts = schema.timestamp
    col = df[ts]
    if col.dtype.time_zone is None:  # type: ignore[union-attr]
        raise ConfigError(f"timestamp column {ts!r} must be time-zone aware; validate the frame first")
    utc = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy()
    feats = holiday_features(utc, schema.tz or col.dtype.time_zone, country, subdiv)  # type: ignore[union-attr]
    names = [prefix + k for k in FEATURES]
    clash = [n for n in names if n in df.columns]
    if clash:
        raise ConfigError(f"columns {clash} exist already; pass another prefix=")
    out = df.with_columns([pl.Series(prefix + k, feats[k]) for k in FEATURES])
    return out, schema.with_(future_covariates=(*schema.future_covariates, *names))
