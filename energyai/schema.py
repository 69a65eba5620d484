"""The column roles of a long-format energy frame.

A frame holds one row per (series, timestamp). :class:`Schema` names the columns and
their roles; it stores no data and imports nothing beyond the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from energyai.exceptions import ConfigError
from energyai.frequency import Frequency, parse_freq

__all__ = ["Schema"]


def _names(value: Iterable[str] | str | None, param: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    out = tuple(value)
    for name in out:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{param} must be a list of column names, got {value!r}")
    if len(set(out)) != len(out):
        raise ConfigError(f"{param} names a column more than once: {list(out)}")
    return out


@dataclass(frozen=True)
class Schema:
    """Roles of the columns in a long-format frame.

    Parameters
    ----------
    timestamp : str
        Column with the start of each interval. Must be time-zone aware, or ``tz`` given.
    target : str
        Column to forecast, in raw units (for example kW or MW).
    series_id : str, optional
        Column identifying the series (building, zone, plant). None for a single series.
    past_covariates : list of str
        Observed only up to the forecast origin (for example measured temperature).
    future_covariates : list of str
        Known over the horizon (weather forecasts, calendar, planned outages).
    static_covariates : list of str
        Constant within a series (latitude, longitude, category codes).
    freq : str, optional
        Sampling interval such as ``"15m"``, ``"1h"`` or ``"1d"``; inferred when None.
    tz : str, optional
        IANA time zone (``"Asia/Seoul"``). Naive timestamps are read as local time in it;
        it is also the zone of calendar features. Naive timestamps without ``tz`` are rejected.
    capacity : str or float, optional
        Installed capacity in target units: a column name (capacity may change over time)
        or a constant. Generation above it is rejected.
    capacity_tolerance : float
        Relative slack above capacity tolerated by validation (0.01 = 1 %). [-]
    nonnegative : bool
        Reject negative targets. True for load and generation; set False for data such as
        net load or raw inverter power with night-time tare.
    units : str, optional
        Units of the target, for reports (``"kW"``, ``"MW"``).

    Examples
    --------
    >>> Schema(timestamp="ts", target="load_mw", tz="Asia/Seoul", freq="1h").freq
    '1h'
    """

    timestamp: str = "timestamp"
    target: str = "target"
    series_id: str | None = None
    past_covariates: tuple[str, ...] = field(default=())
    future_covariates: tuple[str, ...] = field(default=())
    static_covariates: tuple[str, ...] = field(default=())
    freq: str | None = None
    tz: str | None = None
    capacity: str | float | None = None
    capacity_tolerance: float = 0.0
    nonnegative: bool = True
    units: str | None = None

    def __post_init__(self) -> None:
        for param in ("timestamp", "target"):
            value = getattr(self, param)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"Schema.{param} must be a column name, got {value!r}")
        if self.series_id is not None and (not isinstance(self.series_id, str) or not self.series_id):
            raise ConfigError(f"Schema.series_id must be a column name or None, got {self.series_id!r}")
        for param in ("past_covariates", "future_covariates", "static_covariates"):
            object.__setattr__(self, param, _names(getattr(self, param), f"Schema.{param}"))
        if self.freq is not None:
            object.__setattr__(self, "freq", parse_freq(self.freq).name)
        if self.tz is not None:
            try:
                ZoneInfo(self.tz)
            except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
                raise ConfigError(
                    f"Schema.tz {self.tz!r} is not an IANA time zone; use a name such as "
                    "'Asia/Seoul', 'Europe/London' or 'UTC'"
                ) from exc
        cap = self.capacity
        if cap is not None and not isinstance(cap, str):
            if isinstance(cap, bool) or not isinstance(cap, (int, float)) or not math.isfinite(cap) or cap <= 0:
                raise ConfigError(f"Schema.capacity must be a column name or a positive number, got {cap!r}")
            object.__setattr__(self, "capacity", float(cap))
        tol = self.capacity_tolerance
        if not isinstance(tol, (int, float)) or not 0 <= tol < 1:
            raise ConfigError(f"Schema.capacity_tolerance must be in [0, 1), got {tol!r}")
        self._check_roles()

    def _check_roles(self) -> None:
        keys = [self.timestamp, self.target] + ([self.series_id] if self.series_id else [])
        if len(set(keys)) != len(keys):
            raise ConfigError(f"timestamp, target and series_id must be different columns, got {keys}")
        seen: dict[str, str] = {k: "key" for k in keys}
        if isinstance(self.capacity, str):
            if self.capacity in seen:
                raise ConfigError(f"capacity column {self.capacity!r} is also the {seen[self.capacity]} column")
            seen[self.capacity] = "capacity"
        for role in ("past_covariates", "future_covariates", "static_covariates"):
            for name in getattr(self, role):
                if name in seen:
                    raise ConfigError(
                        f"column {name!r} is listed in {role} and also as {seen[name]}; "
                        "give each column one role"
                    )
                seen[name] = role

    @property
    def frequency(self) -> Frequency | None:
        """The parsed frequency, or None when it is to be inferred."""
        return parse_freq(self.freq) if self.freq else None

    @property
    def covariates(self) -> tuple[str, ...]:
        """All covariate columns: past, then future, then static."""
        return self.past_covariates + self.future_covariates + self.static_covariates

    @property
    def capacity_column(self) -> str | None:
        """The capacity column name, when capacity is given per row."""
        return self.capacity if isinstance(self.capacity, str) else None

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Every column the frame must contain."""
        cols = [self.timestamp, self.target]
        if self.series_id:
            cols.insert(0, self.series_id)
        cols += list(self.covariates)
        if self.capacity_column:
            cols.append(self.capacity_column)
        return tuple(cols)

    def with_(self, **changes: Any) -> Schema:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (lists for the covariate tuples)."""
        out = asdict(self)
        for key in ("past_covariates", "future_covariates", "static_covariates"):
            out[key] = list(out[key])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        """Inverse of :meth:`to_dict`; unknown keys are rejected."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown Schema keys {unknown}; allowed: {sorted(known)}")
        return cls(**data)
