"""Scanning large polars frames in slices, and quoting offending rows in messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "data validation")

__all__ = ["CHUNK_ROWS", "MAX_EXAMPLES", "chunked_sum", "chunked_sums", "fmt_times", "step_expr", "where_rows"]

#: How many offending rows a message quotes.
MAX_EXAMPLES = 5


def fmt_times(values: Any, n: int = MAX_EXAMPLES) -> str:
    items = [str(v) for v in list(values)[:n]]
    return ", ".join(items)


def where_rows(df: pl.DataFrame, mask: pl.Series | pl.Expr, schema: Schema) -> str:
    """Describe the first offending rows as 'series X at t1, t2' strings."""
    bad = df.filter(mask).head(MAX_EXAMPLES)
    parts = []
    for row in bad.iter_rows(named=True):
        ts = row[schema.timestamp]
        prefix = f"{schema.series_id}={row[schema.series_id]!r} " if schema.series_id else ""
        parts.append(f"{prefix}{ts}")
    return "; ".join(parts)


#: Rows per slice when an expression is evaluated over a large frame.
CHUNK_ROWS = 1 << 20


def chunked_sums(df: pl.DataFrame, exprs: list[pl.Expr], lookback: int = 0) -> list[int | float]:
    """``expr.sum()`` of every expression over ``df``, evaluated on slices of :data:`CHUNK_ROWS` rows.

    The temporaries of a slice are a few megabytes, where the whole frame would allocate
    (and polars' allocator keep) several full-length columns. ``lookback`` rows before
    each slice are included so that ``shift``/``diff`` see the row above; their results
    are dropped (the first row of the frame keeps its null, as in one evaluation).
    """
    totals: list[int | float] = [0] * len(exprs)
    for lo in range(0, df.height, CHUNK_ROWS):
        start = max(lo - lookback, 0)
        part = df.slice(start, lo + CHUNK_ROWS - start).select(
            e.alias(f"_v{i}") for i, e in enumerate(exprs)).slice(lo - start)
        for i in range(len(exprs)):
            totals[i] += float(part[f"_v{i}"].sum() or 0)
    return totals


def chunked_sum(df: pl.DataFrame, expr: pl.Expr, lookback: int = 0) -> int | float:
    """:func:`chunked_sums` of one expression."""
    return chunked_sums(df, [expr], lookback)[0]


def step_expr(schema: Schema, freq_seconds: int | None = None) -> pl.Expr:
    """Difference between consecutive timestamps of a series, in seconds (UTC) or local days.

    The frame must be sorted by (series, timestamp): the step is null on each series'
    first row, found by comparing the id with the row above (a plain shift, much cheaper
    than a window over groups on millions of rows).
    """
    ts = pl.col(schema.timestamp)
    if freq_seconds is not None and freq_seconds % 86400 == 0:
        local = ts.dt.replace_time_zone(None)  # wall-clock time in the frame's zone
        diff = (local.dt.date().cast(pl.Int64).diff() * 86400)
    else:
        diff = ts.diff().dt.total_seconds()
    if schema.series_id:
        sid = pl.col(schema.series_id)
        diff = pl.when(sid == sid.shift(1)).then(diff)
    return diff
