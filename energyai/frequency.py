"""Sampling frequencies: parsing, canonical names and seasonal periods.

A frequency is a fixed number of seconds (``"15m"``, ``"1h"``) or a whole number of
calendar days (``"1d"``). Sub-daily steps are compared in absolute (UTC) time, so an
hourly series in a zone with daylight saving stays regular across the change. Daily steps
are compared on the local calendar, where a day may last 23 or 25 hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from energyai.exceptions import ConfigError

__all__ = ["Frequency", "parse_freq"]

_UNITS = {
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "t": 60,
    "h": 3600,
    "hr": 3600,
    "d": 86400,
    "day": 86400,
    "w": 7 * 86400,
}
_PATTERN = re.compile(r"^\s*(\d*)\s*([a-zA-Z]+)\s*$")


@dataclass(frozen=True)
class Frequency:
    """A regular sampling interval.

    Attributes
    ----------
    seconds : int
        Length of one step. [s]
    """

    seconds: int

    @property
    def is_calendar(self) -> bool:
        """True for whole days, which are compared on the local calendar."""
        return self.seconds % 86400 == 0

    @property
    def days(self) -> int:
        """Whole days per step (0 for sub-daily frequencies)."""
        return self.seconds // 86400

    @property
    def name(self) -> str:
        """Canonical name, also a valid polars duration (``"30m"``, ``"1h"``, ``"1d"``)."""
        if self.seconds % 86400 == 0:
            return f"{self.seconds // 86400}d"
        if self.seconds % 3600 == 0:
            return f"{self.seconds // 3600}h"
        if self.seconds % 60 == 0:
            return f"{self.seconds // 60}m"
        return f"{self.seconds}s"

    @property
    def steps_per_day(self) -> int:
        """Steps in one day; 0 when a step is longer than a day or does not divide it."""
        if self.seconds > 86400 or 86400 % self.seconds:
            return 0
        return 86400 // self.seconds

    def season(self, period: str) -> int:
        """Steps in a ``"day"`` or ``"week"``.

        Raises
        ------
        ConfigError
            If the period is not a whole number of steps.
        """
        lengths = {"day": 86400, "week": 7 * 86400}
        if period not in lengths:
            raise ConfigError(f"period must be 'day' or 'week', got {period!r}")
        total = lengths[period]
        if total % self.seconds:
            raise ConfigError(
                f"a {period} is not a whole number of {self.name} steps; "
                f"choose a seasonal period explicitly"
            )
        return total // self.seconds

    def __str__(self) -> str:
        return self.name


def parse_freq(freq: str | int | Frequency) -> Frequency:
    """Parse a frequency such as ``"1h"``, ``"30min"``, ``"15m"``, ``"1d"`` or seconds.

    Pandas aliases (``"H"``, ``"30T"``, ``"D"``) are accepted. Months and years are not
    fixed-length and are rejected.

    Parameters
    ----------
    freq : str, int or Frequency
        The frequency; an int is a number of seconds.

    Returns
    -------
    Frequency

    Raises
    ------
    ConfigError
        If the string cannot be parsed, or names a variable-length unit.

    Examples
    --------
    >>> parse_freq("30min").name
    '30m'
    >>> parse_freq("H").seconds
    3600
    """
    if isinstance(freq, Frequency):
        return freq
    if isinstance(freq, bool):
        raise ConfigError(f"freq must be a string such as '1h' or a number of seconds, got {freq!r}")
    if isinstance(freq, int):
        if freq <= 0:
            raise ConfigError(f"freq in seconds must be positive, got {freq}")
        return Frequency(freq)
    if not isinstance(freq, str):
        raise ConfigError(f"freq must be a string such as '1h', got {type(freq).__name__}")
    match = _PATTERN.match(freq)
    if match and match.group(2) == "M":
        raise ConfigError(
            f"freq {freq!r} is ambiguous: 'M' is a month in pandas and a minute in polars; "
            "write '1min' for minutes (months are not supported)"
        )
    unit = match.group(2).lower() if match else ""
    if unit in {"mo", "month", "ms", "y", "year", "a", "q"}:
        raise ConfigError(
            f"freq {freq!r} is not a fixed-length interval; energyai supports seconds, "
            "minutes, hours, days and weeks (for example '15m', '1h', '1d')"
        )
    if not match or unit not in _UNITS:
        raise ConfigError(
            f"cannot parse freq {freq!r}; use a number and a unit, for example "
            "'10m', '15min', '30m', '1h' or '1d'"
        )
    count = int(match.group(1)) if match.group(1) else 1
    if count <= 0:
        raise ConfigError(f"freq {freq!r} must be positive")
    return Frequency(count * _UNITS[unit])
