"""Timestamps on devices: UTC epoch seconds, local wall-clock seconds, the forecast grid.

numpy and the standard library only (``zoneinfo``; on systems without a time-zone
database, ``pip install tzdata``). Conventions:

- ``numpy.datetime64`` values without a zone are UTC (numpy's own convention);
- strings with a UTC offset (``2024-05-01T09:00+09:00``, ``...Z``) are exact;
- strings without an offset are local wall-clock times in the model's time zone, the way
  plant loggers write them; a local time that does not exist or occurs twice (daylight
  saving) is an error, not a guess.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from energyai.exceptions import IrregularTimestampError, TimestampError

__all__ = ["check_grid", "future_seconds", "local_seconds", "to_utc_seconds", "zone"]

_UTC_NAMES = {"UTC", "Etc/UTC", "GMT", "Z"}
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def zone(name: str) -> _dt.tzinfo:
    """The tzinfo of an IANA name, with a clear error when the database is missing."""
    if name in _UTC_NAMES:
        return _dt.timezone.utc
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception as exc:  # ZoneInfoNotFoundError, or no tz database at all
        raise TimestampError(
            f"time zone {name!r} is not available on this system; install the tz database "
            "(pip install tzdata) or the OS package tzdata"
        ) from exc


def _parse_one(text: str, tz: _dt.tzinfo) -> int:
    s = text.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        t = _dt.datetime.fromisoformat(s)
    except ValueError as exc:
        raise TimestampError(f"cannot read timestamp {text!r}; use ISO 8601, e.g. 2024-05-01T09:00:00+09:00") from exc
    if t.tzinfo is None:
        early = t.replace(tzinfo=tz, fold=0)
        late = t.replace(tzinfo=tz, fold=1)
        if early.utcoffset() != late.utcoffset():
            raise TimestampError(
                f"local time {text!r} is ambiguous or does not exist in {tz} (daylight saving); "
                "give timestamps with UTC offsets"
            )
        back = early.astimezone(_dt.timezone.utc).astimezone(tz).replace(tzinfo=None)
        if back != t:
            raise TimestampError(f"local time {text!r} does not exist in {tz} (daylight saving gap)")
        t = early
    return int((t - _EPOCH).total_seconds())


def to_utc_seconds(values: Any, tz: str = "UTC") -> np.ndarray:
    """Timestamps as int64 UTC seconds since 1970-01-01.

    Parameters
    ----------
    values : array-like
        ``datetime64`` (naive = UTC), ISO strings, ``datetime`` objects, or integer epoch
        seconds. Any shape.
    tz : str
        Zone of naive strings and naive ``datetime`` objects (the model's zone).

    Returns
    -------
    ndarray of int64, same shape
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        if np.isnat(arr).any():
            raise TimestampError("timestamps contain NaT (missing); every row needs a timestamp")
        return arr.astype("datetime64[s]").astype(np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind in "OUS":
        z = zone(tz)
        flat = arr.reshape(-1)
        out = np.empty(flat.shape[0], np.int64)
        for i, v in enumerate(flat):
            if isinstance(v, _dt.datetime):
                t = v if v.tzinfo is not None else v.replace(tzinfo=z)
                out[i] = int((t - _EPOCH).total_seconds())
            elif isinstance(v, np.datetime64):
                out[i] = int(v.astype("datetime64[s]").astype(np.int64))
            elif v is None:
                raise TimestampError("timestamps contain an empty value; every row needs a timestamp")
            else:
                out[i] = _parse_one(v.decode() if isinstance(v, bytes) else str(v), z)
        return out.reshape(arr.shape)
    raise TimestampError(f"timestamps of dtype {arr.dtype} are not understood; pass datetime64 or ISO strings")


def _offsets(utc: np.ndarray, z: _dt.tzinfo) -> np.ndarray:
    flat = utc.reshape(-1)
    out = np.empty(flat.shape[0], np.int64)
    for i, s in enumerate(flat.tolist()):
        off = _dt.datetime.fromtimestamp(s, z).utcoffset()
        out[i] = int(off.total_seconds()) if off is not None else 0
    return out.reshape(utc.shape)


def local_seconds(utc: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 (the exported graph's ``local_time``).

    Offsets are looked up at the two ends of every row; rows whose ends share an offset
    and span less than 60 days (so no daylight-saving change can fall in between) use it
    for every element, others are converted element by element.

    Parameters
    ----------
    utc : ndarray of int64, shape (B, T)
    tz : str
    """
    z = zone(tz)
    if z is _dt.timezone.utc:
        return utc.astype(np.int64)
    utc = np.asarray(utc, np.int64)
    ends = _offsets(utc[:, [0, -1]], z)
    same = (ends[:, 0] == ends[:, 1]) & (utc[:, -1] - utc[:, 0] < 60 * 86400)
    out = utc + ends[:, :1]
    if not same.all():
        rows = np.flatnonzero(~same)
        out[rows] = utc[rows] + _offsets(utc[rows], z)
    return out


def future_seconds(last_utc: np.ndarray, step: int, horizon: int, tz: str) -> np.ndarray:
    """UTC seconds of the ``horizon`` steps after each series' last timestamp.

    Sub-daily steps are fixed durations; whole-day steps follow the local calendar of
    ``tz`` (a day across a daylight-saving change lasts 23 or 25 hours).

    Parameters
    ----------
    last_utc : ndarray of int64, shape (B,)
    step : int
        Seconds per step.
    horizon : int
    """
    k = np.arange(1, horizon + 1, dtype=np.int64)
    last = np.asarray(last_utc, np.int64)
    if step % 86400 or zone(tz) is _dt.timezone.utc:
        return last[:, None] + step * k[None, :]
    z = zone(tz)
    out = np.empty((last.shape[0], horizon), np.int64)
    days = step // 86400
    for b, s in enumerate(last.tolist()):
        local = _dt.datetime.fromtimestamp(s, z).replace(tzinfo=None)
        for j in range(horizon):
            wall = local + _dt.timedelta(days=days * (j + 1))
            out[b, j] = int((wall.replace(tzinfo=z) - _EPOCH).total_seconds())
    return out


def check_grid(utc: np.ndarray, step: int, tz: str, what: str = "timestamps") -> None:
    """Raise :class:`IrregularTimestampError` unless every row advances by exactly one step."""
    if utc.shape[-1] < 2:
        return
    if step % 86400 == 0 and zone(tz) is not _dt.timezone.utc:
        local = local_seconds(utc, tz)
        diff = np.diff(local, axis=-1)
        # a local day lasts exactly 86400 wall-clock seconds; allow the DST hour in UTC terms
        bad = diff != step
    else:
        bad = np.diff(utc, axis=-1) != step
    if bad.any():
        b, i = (int(v) for v in np.argwhere(bad)[0])
        t0 = np.datetime64(int(utc[b, i]), "s")
        t1 = np.datetime64(int(utc[b, i + 1]), "s")
        raise IrregularTimestampError(
            f"{what} of series {b} are off the {step} s grid between {t0} and {t1} UTC (step "
            f"{int(utc[b, i + 1] - utc[b, i])} s); give consecutive steps, with NaN targets for missing "
            "values (energyai does not interpolate)"
        )
