"""Validation of long-format frames against a :class:`~energyai.Schema`.

:func:`check` collects every problem it finds; :func:`validate` raises the first as a
typed error whose message lists the others too. Neither fills, interpolates or drops
values: rows are only sorted by (series, timestamp) and timestamps given a time zone.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.data.report import Problem, Report
from energyai.data.scan import MAX_EXAMPLES, chunked_sum, chunked_sums, fmt_times, step_expr, where_rows
from energyai.data.values import check_values, gap_places, numeric_column
from energyai.exceptions import (
    ColumnTypeError,
    DataError,
    DuplicateTimestampError,
    InsufficientDataError,
    IrregularTimestampError,
    MissingColumnError,
    NaiveTimestampError,
    SchemaError,
    TimestampError,
)
from energyai.frequency import Frequency, parse_freq
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "data validation")

__all__ = ["Problem", "Report", "check", "infer_freq", "validate"]

#: How to give a time zone, in Python and on the command line.
_TZ_HOW = ("Python: Schema(..., tz='Asia/Seoul'); CLI: --tz Asia/Seoul for validate, backtest and predict, or "
           "data.schema.tz in a run config for fit and tune (--set data.schema.tz=Asia/Seoul)")




def _localize(df: pl.DataFrame, schema: Schema, problems: list[Problem]) -> tuple[pl.DataFrame | None, Schema]:
    col = schema.timestamp
    dtype = df.schema[col]
    if dtype == pl.Date:
        if schema.tz is None:
            problems.append(Problem(
                NaiveTimestampError, col,
                f"column {col!r} holds dates without a time zone; give the zone so days start at local "
                f"midnight, for example Europe/Berlin ({_TZ_HOW})",
            ))
            return None, schema
        df = df.with_columns(pl.col(col).cast(pl.Datetime("us")).dt.replace_time_zone(schema.tz))
        return df, schema
    if not isinstance(dtype, pl.Datetime):
        hint = " (strings: read the file with energyai.read_csv, which parses them)" if dtype == pl.String else ""
        problems.append(Problem(
            ColumnTypeError, col,
            f"timestamp column {col!r} has dtype {dtype}, expected a datetime{hint}",
        ))
        return None, schema
    if df[col].null_count():
        rows = df.with_row_index("_row").filter(pl.col(col).is_null())["_row"].head(MAX_EXAMPLES).to_list()
        problems.append(Problem(
            TimestampError, col,
            f"column {col!r} has {df[col].null_count()} null timestamps (rows {rows}); "
            "drop those rows or fill in their times",
        ))
        return None, schema
    if dtype.time_zone is None:
        if schema.tz is None:
            problems.append(Problem(
                NaiveTimestampError, col,
                f"timestamps in column {col!r} have no time zone (first value "
                f"{df[col][0]}); give the zone the clock was in, for example Asia/Seoul ({_TZ_HOW}), or "
                "give UTC offsets in the data",
            ))
            return None, schema
        local = df[col].dt.replace_time_zone(schema.tz, ambiguous="null", non_existent="null")
        bad = local.is_null()
        if bad.any():
            naive = df.filter(bad)[col]
            dup_naive = df[col].is_duplicated() & bad
            if dup_naive.any():
                problems.append(Problem(
                    DuplicateTimestampError, col,
                    f"local times repeated in column {col!r}: {fmt_times(df.filter(dup_naive)[col].unique().sort())} "
                    f"in {schema.tz}. This is the daylight-saving fall-back hour, which naive "
                    "local clocks write twice; supply UTC timestamps or UTC offsets so the "
                    "two hours can be told apart, or validate(..., dst='shift') to read them in row order "
                    "(dst='drop' removes them)",
                ))
            else:
                problems.append(Problem(
                    TimestampError, col,
                    f"local times in column {col!r} that do not exist or are ambiguous in "
                    f"{schema.tz}: {fmt_times(naive)}; supply UTC timestamps or offsets, or validate(..., "
                    "dst='shift') to move them past the spring-forward gap (dst='drop' removes them)",
                ))
            return None, schema
        return df.with_columns(local.alias(col)), schema
    if schema.tz is None:
        return df, replace(schema, tz=dtype.time_zone)
    if dtype.time_zone != schema.tz:
        df = df.with_columns(pl.col(col).dt.convert_time_zone(schema.tz))
    return df, schema


def _in_range(df: pl.DataFrame, schema: Schema, problems: list[Problem]) -> bool:
    """Timestamps within the years 1800 to 2399 (:data:`energyai.timeutil.MIN_UTC`, ``MAX_UTC``)."""
    from energyai.timeutil import MAX_UTC, MIN_UTC

    secs = pl.col(schema.timestamp).dt.epoch("s")
    lo, hi = df.select(secs.min().alias("lo"), secs.max().alias("hi")).row(0)
    if lo is None or (lo >= MIN_UTC and hi < MAX_UTC):
        return True
    bad = (secs < MIN_UTC) | (secs >= MAX_UTC)
    rows = df.with_row_index("_row").filter(bad)["_row"].head(MAX_EXAMPLES).to_list()
    problems.append(Problem(
        TimestampError, schema.timestamp,
        f"column {schema.timestamp!r} has timestamps outside the years 1800 to 2399 (rows {rows}, epoch seconds "
        f"{lo} to {hi}); check the unit (seconds, not milliseconds) and the source",
    ))
    return False


def strictly_sorted(df: pl.DataFrame, schema: Schema) -> bool:
    """True when rows are already in (series, timestamp) order with no repeated timestamp.

    Reads only the key columns. Ids of other dtypes than numbers and strings (whose
    order polars' sort may define differently) answer False, and the caller sorts.
    """
    if df.height < 2:
        return True
    t = pl.col(schema.timestamp)
    later = t > t.shift(1)
    if schema.series_id:
        dtype = df.schema[schema.series_id]
        if not (dtype.is_numeric() or dtype == pl.String):
            return False
        s = pl.col(schema.series_id)
        ok = (s > s.shift(1)) | ((s == s.shift(1)) & later)
    else:
        ok = later
    return chunked_sum(df, (~ok).cast(pl.UInt32), lookback=1) == 0


def infer_freq(df: pl.DataFrame, schema: Schema) -> Frequency | None:
    """Infer the frequency as the most common positive step across all series.

    Steps of whole days are measured on the local calendar, so daily data in a zone with
    daylight saving is recognised. Returns None when no series has two timestamps.
    """
    if not strictly_sorted(df, schema):
        df = df.sort(([schema.series_id] if schema.series_id else []) + [schema.timestamp])
    return _common_step(df, schema)


def _common_step(df: pl.DataFrame, schema: Schema) -> Frequency | None:
    """:func:`infer_freq` on a frame already sorted by (series, timestamp)."""
    steps = df.select(step_expr(schema).alias("d")).filter(pl.col("d") > 0)["d"]
    if steps.len() == 0:
        return None
    # most common step; ties go to the step seen first, as collections.Counter would
    counts = (steps.to_frame("d").with_row_index("_i")
              .group_by("d").agg(pl.len().alias("n"), pl.col("_i").min().alias("first"))
              .sort(["n", "first"], descending=[True, False]))
    common = counts["d"][0]
    if common % 3600 == 0 and common >= 82800 and common <= 90000:
        return Frequency(86400)
    return parse_freq(int(common))


def check(df: Any, schema: Schema) -> Report:
    """Check a frame against the data contract and collect every problem.

    Parameters
    ----------
    df : polars.DataFrame, polars.LazyFrame or pandas.DataFrame
        Long format: one row per (series, timestamp).
    schema : Schema

    Returns
    -------
    Report
        ``report.ok`` is True when the frame is clean.
    """
    if not isinstance(schema, Schema):
        raise SchemaError(f"schema must be an energyai.Schema, got {type(schema).__name__}")
    if isinstance(df, pl.LazyFrame):
        df = df.collect()
    if not isinstance(df, pl.DataFrame):
        from energyai.data.io import from_pandas

        df = from_pandas(df, schema)
    problems: list[Problem] = []
    missing = [c for c in schema.required_columns if c not in df.columns]
    if missing:
        problems.append(Problem(
            MissingColumnError, missing[0],
            f"missing column(s) {missing}; the schema requires {list(schema.required_columns)} "
            f"and the frame has {df.columns}",
        ))
        return Report(None, schema, problems)

    if df.height == 0:
        problems.append(Problem(InsufficientDataError, schema.timestamp,
                                f"the frame has no rows (columns {df.columns}); give at least one row per series"))
        return Report(None, schema, problems)
    for col in [schema.target, *schema.past_covariates, *schema.future_covariates]:
        df = numeric_column(df, col, problems)
    if schema.capacity_column and not df.schema[schema.capacity_column].is_numeric():
        problems.append(Problem(
            ColumnTypeError, schema.capacity_column,
            f"capacity column {schema.capacity_column!r} has dtype {df.schema[schema.capacity_column]}, expected numbers",
        ))
    if problems:
        return Report(None, schema, problems)

    df, schema = _localize(df, schema, problems)
    if df is None:
        return Report(None, schema, problems)
    if not _in_range(df, schema, problems):
        return Report(None, schema, problems)
    keys = ([schema.series_id] if schema.series_id else []) + [schema.timestamp]
    if schema.series_id and df[schema.series_id].null_count():
        problems.append(Problem(
            DataError, schema.series_id,
            f"series id column {schema.series_id!r} has {df[schema.series_id].null_count()} nulls",
        ))
        return Report(None, schema, problems)
    df, dup = _duplicates(df, schema, keys, problems)
    schema, grid_gaps = _grid(df, schema, bool(dup.any()), problems)
    check_values(df, schema, problems)

    stats: dict[str, Any] = {
        "rows": df.height,
        "series": _n_series(df, schema),
        "freq": schema.freq,
        "tz": schema.tz,
        "start": str(df[schema.timestamp].min()),
        "end": str(df[schema.timestamp].max()),
        "missing_target": int(df[schema.target].null_count()),
    }
    if grid_gaps is not None and not problems:
        stats["grid_gaps"] = int(grid_gaps)
        if grid_gaps:
            stats["gaps_at"] = gap_places(df, schema)
    return Report(df, schema, problems, stats)


def _duplicates(df: pl.DataFrame, schema: Schema, keys: list[str],
                problems: list[Problem]) -> tuple[pl.DataFrame, pl.Series]:
    """Sort by (series, timestamp) unless already strictly ordered; flag repeated timestamps."""
    if strictly_sorted(df, schema):
        dup = pl.Series("dup", [False])  # strictly increasing times: no duplicate possible
    else:
        df = df.sort(keys)
        dup = df.select(pl.struct(keys).is_duplicated()).to_series()
    if dup.any():
        where = where_rows(df, dup, schema)
        problems.append(Problem(
            DuplicateTimestampError, schema.timestamp,
            f"{int(dup.sum())} rows share a timestamp with another row of the same series, at "
            f"{where}. Keep one row per timestamp (aggregate or drop duplicates); if the data "
            "are in local time, the repeated hour may be the daylight-saving fall-back hour",
        ))
    return df, dup


def _grid(df: pl.DataFrame, schema: Schema, duplicated: bool, problems: list[Problem]) -> tuple[Schema, Any]:
    """Infer the frequency when not declared; count off-grid steps and grid gaps in one pass."""
    freq = schema.frequency
    if freq is None:
        freq = _common_step(df, schema)  # df is sorted by now
        if freq is not None:
            schema = replace(schema, freq=freq.name)
    grid_gaps = None
    if freq is not None and not duplicated:
        step = step_expr(schema, freq.seconds)
        bad = (step % freq.seconds != 0) | (step <= 0)
        if freq.seconds % 86400 == 0:
            # daily or coarser: steps are counted in local dates, so also require one clock time per
            # series; a row at 12:00 among midnights, or two rows on one date, is off the grid
            clock = pl.col(schema.timestamp).dt.replace_time_zone(None).dt.time()
            same = pl.col(schema.series_id) == pl.col(schema.series_id).shift(1) if schema.series_id else pl.lit(True)
            bad = bad | (same & (clock != clock.shift(1)))
        bad = bad.fill_null(False)
        gaps = ((step // freq.seconds) - 1).clip(lower_bound=0)
        n, grid_gaps = chunked_sums(df, [bad.cast(pl.UInt32), gaps], lookback=1)  # one pass for both
        if n:
            problems.append(Problem(
                IrregularTimestampError, schema.timestamp,
                f"{int(n)} timestamps are off the {freq.name} grid (the step before them is not a "
                f"whole number of {freq.name}{', or the clock time or date repeats' if freq.seconds % 86400 == 0 else ''}),"
                f" at {where_rows(df, bad, schema)}. Resample or aggregate to one frequency first, or declare the "
                "right freq",
            ))
    return schema, grid_gaps


def _n_series(df: pl.DataFrame, schema: Schema) -> int:
    """Number of series of a frame sorted by (series, timestamp): id changes + 1."""
    if not schema.series_id:
        return 1
    if df.height == 0:
        return 0
    s = pl.col(schema.series_id)
    return int(chunked_sum(df, (s != s.shift(1)).fill_null(True).cast(pl.UInt32), lookback=1))


def validate(df: Any, schema: Schema, dst: str = "raise") -> pl.DataFrame:
    """Validate a frame and return it sorted, with time-zone-aware timestamps.

    Parameters
    ----------
    df : polars.DataFrame or pandas.DataFrame
        Long format: one row per timestamp (and series), in the schema's columns.
    schema : Schema
        Column roles, sampling interval, time zone, capacity and sign rules.
    dst : {"raise", "shift", "drop"}
        Naive local timestamps across daylight-saving changes: refuse repeated and
        non-existent local times (default), read them in row order (``"shift"``), or drop
        those rows (``"drop"``); see :func:`energyai.data.dst.repair_dst`. A repair issues a
        :class:`~energyai.exceptions.TimestampRepairWarning` that says what it changed.

    Returns
    -------
    polars.DataFrame
        The same rows sorted by series and time, timestamps in UTC with the time zone
        attached; nothing is filled, dropped or changed in value.

    Raises
    ------
    SchemaError
        Missing columns (:class:`~energyai.exceptions.MissingColumnError`) or wrong dtypes
        (:class:`~energyai.exceptions.ColumnTypeError`).
    DataError
        Naive or duplicate timestamps, irregular spacing, non-finite values, negative load,
        generation above capacity. The message names the column and the first offending
        timestamps, and lists every other problem found.
    """
    if dst != "raise":
        df = _repair(df, schema, dst)
    report = check(df, schema)
    report.raise_if_problems()
    return report.frame


def _repair(df: Any, schema: Schema, dst: str) -> Any:
    import warnings

    from energyai.data.dst import DST_MODES, repair_dst
    from energyai.exceptions import ConfigError, TimestampRepairWarning

    if dst not in DST_MODES:
        raise ConfigError(f"dst must be one of {list(DST_MODES)}, got {dst!r}")
    if not isinstance(df, pl.DataFrame) and hasattr(df, "to_numpy") and hasattr(df, "columns"):
        from energyai.data.io import from_pandas

        df = from_pandas(df)
    frame = df
    if not isinstance(frame, pl.DataFrame) or schema.tz is None or schema.timestamp not in frame.columns:
        return df
    dtype = frame.schema[schema.timestamp]
    if not isinstance(dtype, pl.Datetime) or dtype.time_zone is not None:
        return df
    out, rep = repair_dst(frame, schema.timestamp, schema.tz, dst, schema.series_id)
    if rep.changed:
        warnings.warn(str(rep), TimestampRepairWarning, stacklevel=3)
    return out


def resolve(df: Any, schema: Schema) -> tuple[pl.DataFrame, Schema]:
    """Validate and also return the schema with frequency and time zone filled in."""
    report = check(df, schema)
    report.raise_if_problems()
    if report.schema.freq is None:
        raise IrregularTimestampError(
            "cannot infer the frequency: every series has a single timestamp; declare freq"
        )
    return report.frame, report.schema
