"""Regularisation to a fixed frequency with an explicit observed mask."""

from __future__ import annotations

from typing import TYPE_CHECKING

from energyai._optional import import_optional
from energyai.exceptions import ConfigError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "regularisation")

__all__ = ["OBSERVED", "regularize"]

#: Name of the boolean column that marks observed targets.
OBSERVED = "observed"


def regularize(df: pl.DataFrame, schema: Schema, *, observed: str = OBSERVED) -> pl.DataFrame:
    """Put every series on a complete grid from its first to its last timestamp.

    Missing grid steps become rows whose target and time-varying covariates are null, and
    the boolean column ``observed`` is True exactly where the target is not null. Nothing
    is interpolated or filled, except static covariates and the series id, which are
    constant per series by contract.

    Parameters
    ----------
    df : polars.DataFrame
        A frame that passed :func:`energyai.data.validate` (sorted, tz-aware).
    schema : Schema
        Must have ``freq`` set (validation resolves it).
    observed : str
        Name of the mask column; it must not exist already.

    Returns
    -------
    polars.DataFrame
        The regular frame, sorted by (series, timestamp).
    """
    if schema.freq is None:
        raise ConfigError("regularize needs schema.freq; validate the frame first to infer it")
    if observed in df.columns:
        raise ConfigError(f"column {observed!r} already exists; pass another name with observed=")
    from energyai.data.scan import chunked_sum, step_expr

    ts = schema.timestamp
    sid = schema.series_id
    group = [sid] if sid else []
    freq = schema.frequency
    assert freq is not None
    step = step_expr(schema, freq.seconds)
    if df.height < 2 or chunked_sum(df, (step != freq.seconds).cast(pl.UInt32), lookback=1) == 0:
        # Already complete (the usual case for clean data): no grid, no join, no copy of
        # the value columns; only the mask is added.
        return df.with_columns(pl.col(schema.target).is_not_null().alias(observed))
    bounds = df.group_by(group or pl.lit(0).alias("_g"), maintain_order=True).agg(
        pl.col(ts).min().alias("_start"), pl.col(ts).max().alias("_end")
    )
    grid = bounds.select(
        *group,
        pl.datetime_ranges(pl.col("_start"), pl.col("_end"), interval=schema.freq).alias(ts),
    ).explode(ts)
    out = grid.join(df, on=[*group, ts], how="left", maintain_order="left")
    if schema.static_covariates:
        fill = [pl.col(c).fill_null(strategy="forward").fill_null(strategy="backward") for c in schema.static_covariates]
        out = out.with_columns([f.over(sid) if sid else f for f in fill])
    out = out.with_columns(pl.col(schema.target).is_not_null().alias(observed))
    return out.sort([*group, ts])
