"""Curtailment, outage and other flags: keep flagged hours out of training and scoring.

A curtailed PV or wind hour shows what the grid allowed, not what the plant could make;
an outage hour shows a broken meter or plant. Both would teach a model the wrong thing
and distort its metrics. :func:`mask_flagged` sets the target to null (missing) where any
flag is set: the loss masks missing targets and every metric skips them. The flag
columns stay in the frame, and the returned counts say what was masked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.exceptions import ColumnTypeError, MissingColumnError

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "flag masking")

__all__ = ["mask_flagged"]


def mask_flagged(df: Any, schema: Any, flags: list[str] | tuple[str, ...]) -> tuple[Any, dict[str, int]]:
    """Null the target where any of the boolean ``flags`` columns is true.

    Parameters
    ----------
    df : polars.DataFrame
    schema : Schema
    flags : list of str
        Boolean (or 0/1) columns, e.g. ``["curtailed", "outage"]``; null counts as not flagged.

    Returns
    -------
    frame : polars.DataFrame
        The same rows and columns, the target null where flagged.
    counts : dict
        Rows flagged by each column, and ``"masked"``: rows whose target was not null
        before and is now.
    """
    missing = [c for c in flags if c not in df.columns]
    if missing:
        raise MissingColumnError(f"flag column(s) {missing} not in the frame; it has {df.columns}")
    for c in flags:
        dtype = df.schema[c]
        if not (dtype == pl.Boolean or dtype.is_integer()):
            raise ColumnTypeError(f"flag column {c!r} has dtype {dtype}; use booleans or 0/1")
    hit = pl.any_horizontal([pl.col(c).cast(pl.Boolean).fill_null(False) for c in flags])
    counts = {c: int(df.select(pl.col(c).cast(pl.Boolean).fill_null(False).sum()).item()) for c in flags}
    counts["masked"] = int(df.select((hit & pl.col(schema.target).is_not_null()).sum()).item())
    out = df.with_columns(pl.when(hit).then(None).otherwise(pl.col(schema.target)).alias(schema.target))
    return out, counts
