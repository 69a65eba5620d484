"""Local-time frames across daylight-saving changes: repair on request, with a report.

A naive local clock in a zone with daylight saving writes the fall-back hour twice and may
write times of the spring-forward gap that never existed. :func:`energyai.validate` refuses
both by default (``dst="raise"``), naming the rows. :func:`repair_dst` does what a user would
otherwise do by hand, and says what it did:

- ``"shift"``: a repeated local time is read in row order, the first row as the earlier
  instant (summer time) and the second as the later (standard time); a time inside the
  spring-forward gap is moved forward by the gap (02:30 becomes 03:30). A shift that would
  land on a timestamp the series already has is refused, never merged.
- ``"drop"``: rows at repeated or non-existent local times are removed (their steps then
  stay missing; nothing is interpolated).

Values are never changed; only timestamps are placed or rows removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from energyai._optional import import_optional
from energyai.exceptions import ConfigError, DuplicateTimestampError

pl = import_optional("polars", "daylight-saving repair")

__all__ = ["DST_MODES", "DSTReport", "repair_dst"]

DST_MODES = ("raise", "shift", "drop")


@dataclass
class DSTReport:
    """What :func:`repair_dst` changed: counts and the first rows of each kind (local times as written)."""

    mode: str
    repeated_rows: int = 0
    nonexistent_rows: int = 0
    dropped_rows: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.repeated_rows or self.nonexistent_rows)

    def __str__(self) -> str:
        what = "read in row order" if self.mode == "shift" else "dropped"
        return (f"dst={self.mode!r}: {self.repeated_rows} rows at repeated (fall-back) local times and "
                f"{self.nonexistent_rows} at non-existent (spring-forward) local times {what}"
                + (f", {self.dropped_rows} rows removed" if self.dropped_rows else "")
                + (f"; first: {', '.join(self.examples[:5])}" if self.examples else ""))


def repair_dst(df: Any, timestamp: str, tz: str, mode: str = "shift", series_id: str | None = None) -> tuple[Any, DSTReport]:
    """Attach ``tz`` to the naive local timestamps of ``df`` across daylight-saving changes.

    Parameters
    ----------
    df : polars.DataFrame
        Rows in time order within each series (as a logger writes them).
    timestamp : str
        The naive local timestamp column.
    tz : str
        IANA zone of the clock.
    mode : {"shift", "drop"}
    series_id : str, optional

    Returns
    -------
    (polars.DataFrame, DSTReport)
        The frame with zone-aware timestamps (rows in the input order), and what changed.

    Raises
    ------
    ConfigError
        An unknown mode, or a column that is not naive.
    DuplicateTimestampError
        A shift that lands on a timestamp the series already has, or a local time written
        more than twice.
    """
    if mode not in ("shift", "drop"):
        raise ConfigError(f"dst must be one of {list(DST_MODES)}, got {mode!r}")
    col = pl.col(timestamp)
    if df.schema[timestamp].time_zone is not None:  # type: ignore[union-attr]
        raise ConfigError(f"column {timestamp!r} already has a time zone; dst repair is for naive local clocks")
    keys = [series_id] if series_id else []
    earliest = col.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    latest = col.dt.replace_time_zone(tz, ambiguous="latest", non_existent="null")
    occurrence = pl.int_range(pl.len()).over([*keys, timestamp])
    work = df.with_columns(earliest.alias("__early"), latest.alias("__late"), occurrence.alias("__n"))
    repeated = (pl.col("__early") != pl.col("__late"))
    missing = pl.col("__early").is_null()
    report = DSTReport(mode, repeated_rows=int(work.select(repeated.sum()).item() or 0),
                       nonexistent_rows=int(work.select(missing.sum()).item() or 0))
    report.examples = [str(v) for v in work.filter(repeated | missing)[timestamp].head(10).to_list()]
    if int(work["__n"].max() or 0) > 1:
        bad = work.filter(pl.col("__n") > 1)[timestamp].head(3).to_list()
        raise DuplicateTimestampError(f"local times in column {timestamp!r} are written more than twice ({bad}); "
                                      "that is not a daylight-saving repeat: remove the duplicates first")
    if mode == "drop":
        out = work.filter(~(repeated | missing))
        report.dropped_rows = df.height - out.height
        stamped = pl.col("__early")
    else:
        out = work
        gap = col.dt.offset_by("1h").dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
        stamped = (pl.when(missing).then(gap)
                   .when(repeated & (pl.col("__n") == 1)).then(pl.col("__late"))
                   .otherwise(pl.col("__early")))
    out = out.with_columns(stamped.alias(timestamp)).drop("__early", "__late", "__n")
    if out[timestamp].null_count():
        raise DuplicateTimestampError(f"column {timestamp!r}: a spring-forward time could not be shifted by an "
                                      "hour (a gap longer than an hour?); use dst='drop'")
    dup = out.select(pl.struct([*keys, timestamp]).is_duplicated().any()).item()
    if dup:
        raise DuplicateTimestampError(f"dst={mode!r} would give two rows the same instant in column {timestamp!r} "
                                      f"(first changed rows {report.examples[:3]}); use dst='drop' or fix the rows")
    return out, report
