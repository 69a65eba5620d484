"""Time on the forecast grid: UTC epoch seconds, local wall-clock seconds, the horizon's steps.

numpy and the standard library only (``zoneinfo``; on systems without a time-zone
database, ``pip install tzdata``), so the device runtime and the data tier share it.
One convention everywhere in energyai (``docs/data-contract.md``):

- a timestamp with a zone or a UTC offset (a tz-aware polars/pandas column, a string
  such as ``2024-05-01T09:00+09:00`` or ``...Z``, an aware ``datetime``) is that instant;
- a **naive** timestamp (a polars/pandas column without a zone, ``numpy.datetime64``, a
  string or ``datetime`` without an offset) is **local wall-clock time in the model's
  zone**, the way plant loggers and the training frames write it. A local time that does
  not exist or occurs twice (daylight saving) is an error, not a guess;
- integers are epoch seconds, which are UTC by definition.
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any

import numpy as np

from energyai.exceptions import IrregularTimestampError, TimestampError

__all__ = ["check_grid", "future_seconds", "local_seconds", "local_to_utc", "to_utc_seconds", "zone"]

_UTC_NAMES = {"UTC", "Etc/UTC", "GMT", "Z"}
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
#: Rows shorter than this share one UTC offset when their two ends do (no zone changes its
#: offset twice within 28 days; Casablanca's Ramadan break lasts about 30).
_SAME_OFFSET_SPAN = 28 * 86400


@functools.lru_cache(maxsize=64)
def zone(name: str) -> _dt.tzinfo:
    """The tzinfo of an IANA name, with a clear error when the database is missing (cached)."""
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


#: Timestamps energyai accepts: 1800-01-01 to 2399-12-31 UTC (in epoch seconds); beyond them
#: calendar conversions overflow (Python's datetime stops at year 9999) and no energy data exists.
MIN_UTC = -5364662400
MAX_UTC = 13569465600


def check_range(secs: np.ndarray, what: str = "timestamps") -> np.ndarray:
    """``secs`` (UTC epoch seconds) when all lie in [1800, 2400); else :class:`TimestampError` naming one."""
    if secs.size and (int(secs.min()) < MIN_UTC or int(secs.max()) >= MAX_UTC):
        bad = secs.reshape(-1)[(secs.reshape(-1) < MIN_UTC) | (secs.reshape(-1) >= MAX_UTC)][0]
        raise TimestampError(f"{what} include {int(bad)} s since 1970 UTC, outside the years 1800 to 2399 that "
                             "energyai reads; check the unit (seconds, not milliseconds) and the source")
    return secs


def to_utc_seconds(values: Any, tz: str = "UTC", *, naive: str = "local") -> np.ndarray:
    """Timestamps as int64 UTC seconds since 1970-01-01.

    Parameters
    ----------
    values : array-like
        ``datetime64``, ISO strings, ``datetime`` objects, or integer epoch seconds (UTC).
        Any shape.
    tz : str
        The model's zone: naive values are local wall-clock times there.
    naive : {"local", "utc"}
        How naive ``datetime64`` values are read. ``"local"`` is the library's convention;
        ``"utc"`` is for internal arrays documented as UTC instants.

    Returns
    -------
    ndarray of int64, same shape

    Raises
    ------
    TimestampError
        Missing values, unreadable strings, or local times that do not exist or are
        ambiguous in ``tz``.
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        if np.isnat(arr).any():
            raise TimestampError("timestamps contain NaT (missing); every row needs a timestamp")
        secs = check_range(arr.astype("datetime64[s]").astype(np.int64))
        return secs if naive == "utc" else local_to_utc(secs, tz)
    if arr.dtype.kind in "iu":
        return check_range(arr if arr.dtype == np.int64 else arr.astype(np.int64))
    if arr.dtype.kind in "OUS":
        z = zone(tz)
        flat = arr.reshape(-1)
        out = np.empty(flat.shape[0], np.int64)
        for i, v in enumerate(flat):
            if isinstance(v, _dt.datetime):
                t = v if v.tzinfo is not None else v.replace(tzinfo=z)
                out[i] = int((t - _EPOCH).total_seconds())
            elif isinstance(v, np.datetime64):
                s = int(v.astype("datetime64[s]").astype(np.int64))
                out[i] = s if naive == "utc" else int(local_to_utc(np.array([s]), tz)[0])
            elif v is None:
                raise TimestampError("timestamps contain an empty value; every row needs a timestamp")
            else:
                out[i] = _parse_one(v.decode() if isinstance(v, bytes) else str(v), z)
        return check_range(out.reshape(arr.shape))
    raise TimestampError(f"timestamps of dtype {arr.dtype} are not understood; pass datetime64 or ISO strings")


def local_to_utc(local: np.ndarray, tz: str) -> np.ndarray:
    """UTC seconds of local wall-clock seconds in ``tz``; refuses DST gaps and repeats.

    A row (the last axis) whose two ends are unambiguous, share one UTC offset and lie
    less than 28 days apart holds no offset change, so that offset serves every
    element. Other rows are converted per distinct quarter hour (zone offsets and their
    changes fall on quarter hours), checking both ends of each.

    Parameters
    ----------
    local : ndarray of int64, any shape
        Wall-clock seconds since 1970-01-01 in ``tz``.
    tz : str

    Raises
    ------
    TimestampError
        A local time that does not exist (spring forward) or occurs twice (fall back).
    """
    z = zone(tz)
    local = np.asarray(local, np.int64)
    if z is _dt.timezone.utc or local.size == 0:
        return np.array(local, np.int64)
    rows = local.reshape(-1, local.shape[-1]) if local.ndim else local.reshape(1, 1)
    out = np.empty_like(rows)
    first = [_local_offset(int(s), z, tz) for s in rows[:, 0].tolist()]
    last = [_local_offset(int(s), z, tz) for s in rows[:, -1].tolist()]
    for r in range(rows.shape[0]):
        if first[r] == last[r] and 0 <= rows[r, -1] - rows[r, 0] < _SAME_OFFSET_SPAN:
            out[r] = rows[r] - first[r]
        else:
            out[r] = _blockwise(rows[r], z, tz)
    return out.reshape(local.shape)


def _local_offset(s: int, z: _dt.tzinfo, tz: str) -> int:
    """The UTC offset (seconds) of local wall-clock second ``s``; raises in DST gaps and repeats."""
    wall = _EPOCH_NAIVE + _dt.timedelta(seconds=s)
    early = wall.replace(tzinfo=z, fold=0).utcoffset()
    late = wall.replace(tzinfo=z, fold=1).utcoffset()
    if early is None or early != late:
        raise TimestampError(
            f"local time {np.datetime64(s, 's')} is ambiguous or does not exist in {tz} (daylight saving); "
            "give timestamps with a zone or UTC offset"
        )
    return int(early.total_seconds())


def _blockwise(local: np.ndarray, z: _dt.tzinfo, tz: str) -> np.ndarray:
    blocks, inverse = np.unique(local // 900, return_inverse=True)
    offsets = np.empty(blocks.shape[0], np.int64)
    for i, b in enumerate(blocks.tolist()):
        lo, hi = _local_offset(b * 900, z, tz), _local_offset(b * 900 + 899, z, tz)
        if lo != hi:
            raise TimestampError(f"local time {np.datetime64(b * 900, 's')} straddles a change of UTC offset "
                                 f"in {tz}; give timestamps with a zone or UTC offset")
        offsets[i] = lo
    return local - offsets[inverse.reshape(local.shape)]


def _offset(s: int, z: _dt.tzinfo) -> int:
    """UTC offset (seconds) in zone ``z`` at the instant ``s`` (UTC seconds)."""
    off = _dt.datetime.fromtimestamp(s, z).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def _offsets(utc: np.ndarray, z: _dt.tzinfo) -> np.ndarray:
    flat = utc.reshape(-1)
    out = np.fromiter((_offset(s, z) for s in flat.tolist()), np.int64, flat.shape[0])
    return out.reshape(utc.shape)


def local_seconds(utc: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 (the exported graph's ``local_time``).

    Offsets are looked up at the two ends of every row; rows whose ends share an offset
    and span less than 28 days (so no daylight-saving change can fall in between) use it
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
    if utc.shape[0] == 1:  # one window (devices, online use): two offset look-ups in plain Python
        a, b = int(utc[0, 0]), int(utc[0, -1])
        first = _offset(a, z)
        shifted: np.ndarray = utc + first if first == _offset(b, z) and b - a < _SAME_OFFSET_SPAN \
            else utc + _offsets(utc, z)
        return shifted
    ends = _offsets(utc[:, [0, -1]], z)
    same = (ends[:, 0] == ends[:, 1]) & (utc[:, -1] - utc[:, 0] < _SAME_OFFSET_SPAN)
    out: np.ndarray = utc + ends[:, :1]
    if not same.all():
        rows = np.flatnonzero(~same)
        out[rows] = utc[rows] + _offsets(utc[rows], z)
    return out


@functools.lru_cache(maxsize=32)
def _ahead(step: int, horizon: int) -> np.ndarray:
    """``step * (1 .. horizon)`` as a read-only ``(1, horizon)`` int64 row (cached: the runtime's hot path)."""
    out = step * np.arange(1, horizon + 1, dtype=np.int64)[None, :]
    out.flags.writeable = False
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
    last = np.asarray(last_utc, np.int64)
    if step % 86400 or zone(tz) is _dt.timezone.utc:
        ahead: np.ndarray = last[:, None] + _ahead(step, horizon)
        return ahead
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
    t = utc
    if step % 86400 == 0 and zone(tz) is not _dt.timezone.utc:
        # a local day lasts exactly 86400 wall-clock seconds; allow the DST hour in UTC terms
        t = local_seconds(utc, tz)
    bad = (t[..., 1:] - t[..., :-1]) != step
    if bad.any():
        b, i = (int(v) for v in np.argwhere(bad)[0])
        t0 = np.datetime64(int(utc[b, i]), "s")
        t1 = np.datetime64(int(utc[b, i + 1]), "s")
        raise IrregularTimestampError(
            f"{what} of series {b} are off the {step} s grid between {t0} and {t1} UTC (step "
            f"{int(utc[b, i + 1] - utc[b, i])} s); give consecutive steps, with NaN targets for missing "
            "values (energyai does not interpolate)"
        )
