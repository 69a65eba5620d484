"""Value checks of a validated frame: finiteness, magnitudes, signs, capacities, statics, gaps."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.data.report import Problem
from energyai.data.scan import MAX_EXAMPLES, chunked_sums, step_expr, where_rows
from energyai.exceptions import (
    CapacityExceededError,
    ColumnTypeError,
    DataError,
    NegativeValueError,
    NonFiniteValueError,
    OutOfRangeError,
)
from energyai.limits import MAX_ABS
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "data validation")

__all__ = ["check_values", "gap_places", "numeric_column"]


def check_values(df: pl.DataFrame, schema: Schema, problems: list[Problem]) -> None:
    """Append a :class:`Problem` for each non-finite, huge, negative or over-capacity value
    column (in that order, column by column), counting every check in one pass over ``df``."""
    target = schema.target
    numeric = [target, *list(schema.past_covariates), *list(schema.future_covariates)]
    numeric += [c for c in schema.static_covariates if df.schema[c].is_numeric()]
    checks: list[tuple[pl.Expr, Any]] = []  # (row is bad, problem of n bad rows)
    for col in numeric:
        if df.schema[col].is_float():
            checks.append((~pl.col(col).is_finite() & pl.col(col).is_not_null(), partial(_non_finite, col)))
            huge = ((pl.col(col).abs() > MAX_ABS) & pl.col(col).is_finite()).fill_null(False)
            checks.append((huge, partial(_huge, col)))
    if schema.nonnegative:
        checks.append((pl.col(target) < 0, _negative))
    if schema.capacity is not None:
        if isinstance(schema.capacity, str):
            cap = pl.col(schema.capacity)
            checks.append((cap.is_null() | (cap <= 0) | ~cap.is_finite(), _bad_capacity))
        else:
            cap = pl.lit(schema.capacity)
        checks.append(((pl.col(target) > cap * (1.0 + schema.capacity_tolerance)).fill_null(False), _over_capacity))
    counts = chunked_sums(df, [bad.cast(pl.UInt32) for bad, _ in checks]) if checks else []
    for (bad, problem), n in zip(checks, counts, strict=True):
        if n:
            problems.append(problem(df, schema, bad, int(n)))
    if schema.series_id:
        for col in schema.static_covariates:
            varying = df.group_by(schema.series_id).agg(pl.col(col).n_unique().alias("n")).filter(pl.col("n") > 1)
            if varying.height:
                ids = varying[schema.series_id].head(MAX_EXAMPLES).to_list()
                problems.append(Problem(
                    DataError, col,
                    f"static covariate {col!r} changes within series {ids}; static covariates "
                    "must be constant per series (use a past or future covariate otherwise)",
                ))
    elif schema.static_covariates:
        for col in schema.static_covariates:
            if df[col].n_unique() > 1:
                problems.append(Problem(
                    DataError, col, f"static covariate {col!r} is not constant over the series",
                ))


def _non_finite(col: str, df: pl.DataFrame, schema: Schema, bad: pl.Expr, n: int) -> Problem:
    return Problem(
        NonFiniteValueError, col,
        f"column {col!r} has {n} NaN or infinite values, at {where_rows(df, bad, schema)}. "
        "Mark missing values as null (polars: pl.col(c).fill_nan(None)); energyai "
        "masks nulls instead of filling them",
    )


def _huge(col: str, df: pl.DataFrame, schema: Schema, bad: pl.Expr, n: int) -> Problem:
    top = df.filter(bad)[col].head(1).item()
    return Problem(
        OutOfRangeError, col,
        f"column {col!r} has {n} values beyond energyai's limit of {MAX_ABS:.0e} in magnitude (first "
        f"{top:.6g}), at {where_rows(df, bad, schema)}; float32 graphs overflow near 3.4e38. "
        "Check the units, or set bad readings to null",
    )


def _negative(df: pl.DataFrame, schema: Schema, bad: pl.Expr, n: int) -> Problem:
    target = schema.target
    return Problem(
        NegativeValueError, target,
        f"target {target!r} has {n} negative values (minimum {df[target].min()!s}), at "
        f"{where_rows(df, bad, schema)}. If negatives are real (net load, inverter tare) "
        "pass Schema(..., nonnegative=False); if they are errors, set them to null",
    )


def _bad_capacity(df: pl.DataFrame, schema: Schema, bad: pl.Expr, n: int) -> Problem:
    return Problem(
        DataError, str(schema.capacity),
        f"capacity column {schema.capacity!r} has {n} null, zero, negative or "
        f"non-finite values, at {where_rows(df, bad, schema)}; capacity must be positive",
    )


def _over_capacity(df: pl.DataFrame, schema: Schema, bad: pl.Expr, n: int) -> Problem:
    target = schema.target
    return Problem(
        CapacityExceededError, target,
        f"target {target!r} exceeds capacity in {n} rows (largest {df.filter(bad)[target].max()!s}), at "
        f"{where_rows(df, bad, schema)}. Check the capacity and units, or raise "
        "Schema.capacity_tolerance if the meter over-reads slightly",
    )


def numeric_column(df: pl.DataFrame, col: str, problems: list[Problem]) -> pl.DataFrame:
    """Cast a boolean, integer or all-null value column to Float64; report any other non-float."""
    dtype = df.schema[col]
    if dtype == pl.Boolean or dtype.is_integer() or dtype == pl.Null:
        return df.with_columns(pl.col(col).cast(pl.Float64))
    if not dtype.is_float():
        problems.append(Problem(
            ColumnTypeError, col,
            f"column {col!r} has dtype {dtype}, expected numbers; convert it, for example "
            f"pl.col({col!r}).cast(pl.Float64, strict=False) after checking the bad entries",
        ))
    return df


def gap_places(df: pl.DataFrame, schema: Schema) -> list[str]:
    """The first :data:`MAX_EXAMPLES` missing grid steps, as 'series X: N steps missing from T'."""

    freq = schema.frequency
    assert freq is not None
    step = step_expr(schema, freq.seconds)
    missing = ((step // freq.seconds) - 1).fill_null(0)
    ts = pl.col(schema.timestamp)
    rows = df.select(*([pl.col(schema.series_id)] if schema.series_id else []),
                     ts.shift(1).alias("_before"), missing.alias("_n")).filter(pl.col("_n") > 0).head(MAX_EXAMPLES)
    out = []
    for row in rows.iter_rows(named=True):
        who = f"{schema.series_id}={row[schema.series_id]!r}: " if schema.series_id else ""
        if freq.seconds < 86400:
            out.append(f"{who}{row['_n']} step(s) missing from {row['_before'] + timedelta(seconds=freq.seconds)}")
        else:
            out.append(f"{who}{row['_n']} step(s) missing after {row['_before']}")
    return out
