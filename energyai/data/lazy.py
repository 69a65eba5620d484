"""Training panels from a polars LazyFrame, one column at a time.

``Forecaster.fit(pl.scan_parquet(path), schema)`` would otherwise collect the whole table
and then copy it into the panel's float32 arrays, holding both at once. Here only the key,
target, capacity and static columns are collected and validated together (by
:func:`~energyai.data.validate.check`, the same checks as for a frame); each covariate
column is then collected alone, checked, cast and written into its place in the panel,
so the peak is the panel plus one column.

Safety: every covariate column is collected together with the keys, and the keys must
equal the first collection row for row; a plan whose row order is not stable (an
unordered group-by, say) falls back to one collection of everything. Rows that are not
already in (series, timestamp) order also take that fallback, where the frame path
sorts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from energyai._optional import import_optional
from energyai.data.panel import OBSERVED, Panel, build_panel, panel_from_regular
from energyai.data.validate import Problem, Report, resolve, strictly_sorted
from energyai.data.values import check_values, numeric_column
from energyai.exceptions import MissingColumnError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "lazy panel building")

__all__ = ["panel_from_lazy"]

_ROW = "__row__"


def panel_from_lazy(lf: pl.LazyFrame, schema: Schema, weights: Any = None) -> tuple[Panel, Schema, int]:
    """Validate a LazyFrame and build its :class:`~energyai.data.panel.Panel` column by column.

    Parameters
    ----------
    lf : polars.LazyFrame
        Long format, one row per (series, timestamp), as for a DataFrame.
    schema : Schema
    weights : dict or None
        Loss weight per series id, as :func:`~energyai.data.panel.build_panel`.

    Returns
    -------
    panel : Panel
    schema : Schema
        With ``freq`` and ``tz`` resolved.
    rows : int
        Rows of the input.

    Raises
    ------
    SchemaError, DataError
        The same errors, naming the same columns and timestamps, as for a DataFrame.
    """
    names = lf.collect_schema().names()
    missing = [c for c in schema.required_columns if c not in names]
    if missing:
        raise MissingColumnError(
            f"missing column(s) {missing}; the schema requires {list(schema.required_columns)} "
            f"and the frame has {names}"
        )
    moving = (*schema.past_covariates, *schema.future_covariates)
    core_schema = schema.with_(past_covariates=(), future_covariates=())
    core = lf.select(*core_schema.required_columns).collect()
    if not moving or not _keys_sorted(core, core_schema):
        return _collect_all(lf, schema, weights)
    frame, resolved = resolve(core, core_schema)
    keys = [c for c in (schema.series_id, schema.timestamp) if c]
    reg = _regular_with_rows(frame, resolved)
    gaps = reg[_ROW].null_count() > 0
    grid_pos = np.flatnonzero(reg[_ROW].is_not_null().to_numpy()) if gaps else None
    problems: list[Problem] = []
    blocks: dict[str, np.ndarray] = {}
    for role, cols in (("past", schema.past_covariates), ("future", schema.future_covariates)):
        out = np.full((reg.height, len(cols)), np.nan, np.float32) if gaps else np.empty((reg.height, len(cols)), np.float32)
        for j, col in enumerate(cols):
            part = lf.select(*keys, col).collect()
            if not part.select(keys).equals(core.select(keys)):
                del out, part  # unstable row order: drop what was built, collect everything once instead
                blocks.clear()
                return _collect_all(lf, schema, weights)
            values = _checked_column(frame.select(keys).with_columns(part[col]), resolved, col, problems)
            if values is None:
                continue
            if gaps:
                out[grid_pos, j] = values
            else:
                out[:, j] = values
            del part, values
        blocks[role] = out
    Report(None, resolved, problems).raise_if_problems()
    final = resolved.with_(past_covariates=schema.past_covariates, future_covariates=schema.future_covariates)
    n_rows = frame.height
    reg = reg.drop(_ROW)  # the row numbers are no longer needed: free them before the panel's arrays
    del frame, core, grid_pos
    return panel_from_regular(reg, final, weights, blocks), final, n_rows


def _keys_sorted(core: pl.DataFrame, schema: Schema) -> bool:
    ts = core.schema[schema.timestamp]
    # only datetimes that need no local-time resolution keep their order for sure
    return isinstance(ts, pl.Datetime) and ts.time_zone is not None and strictly_sorted(core, schema)


def _regular_with_rows(frame: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """The regular grid of ``frame`` with ``__row__``, each grid row's input row (null in gaps)."""
    from energyai.data.regularize import regularize

    return regularize(frame.with_row_index(_ROW), schema, observed=OBSERVED)


def _checked_column(frame: pl.DataFrame, schema: Schema, col: str, problems: list[Problem]) -> np.ndarray | None:
    """One covariate column, checked as :func:`~energyai.data.validate.check` does, as float32."""
    n_before = len(problems)
    frame = numeric_column(frame, col, problems)
    if len(problems) > n_before:
        return None
    found: list[Problem] = []
    check_values(frame, schema.with_(target=col, past_covariates=(), future_covariates=(), static_covariates=(),
                                      capacity=None, nonnegative=False), found)
    problems.extend(found)
    return frame[col].cast(pl.Float32).fill_null(float("nan")).to_numpy()


def _collect_all(lf: pl.LazyFrame, schema: Schema, weights: Any) -> tuple[Panel, Schema, int]:
    frame, resolved = resolve(lf.select(*schema.required_columns).collect(), schema)  # only the columns used
    return build_panel(frame, resolved, weights), resolved, frame.height
