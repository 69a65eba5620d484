"""Aggregate backtest forecasts into metrics with polars group-bys.

The expressions mirror :mod:`energyai.metrics` (the numpy reference); a test checks that
both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from energyai._optional import import_optional
from energyai.base import quantile_column

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "backtest scoring")

__all__ = ["metric_exprs", "score_frame", "skill_table"]


def metric_exprs(quantiles: Sequence[float]) -> list[pl.Expr]:
    """Polars aggregations over columns ``actual`` and ``forecast`` (and quantile columns)."""
    a, f = pl.col("actual"), pl.col("forecast")
    err = f - a
    exprs = [
        pl.len().alias("n"),
        err.abs().mean().alias("mae"),
        (err**2).mean().sqrt().alias("rmse"),
        (100.0 * (err.abs() / a.abs()).filter(a != 0).mean()).alias("mape"),
        (100.0 * (2 * err.abs() / (a.abs() + f.abs())).fill_nan(0.0).mean()).alias("smape"),
        (100.0 * (err**2).mean().sqrt() / a.mean()).alias("cv_rmse"),
    ]
    if quantiles:
        losses = []
        for q in quantiles:
            d = a - pl.col(quantile_column(q))
            losses.append(pl.max_horizontal(q * d, (q - 1.0) * d))
        exprs.append(pl.mean_horizontal(losses).mean().alias("pinball"))
        # CRPS as twice the mean pinball over the levels (energyai.metrics.crps_quantiles)
        exprs.append((2.0 * pl.mean_horizontal(losses).mean()).alias("crps"))
        lo, hi = pl.col(quantile_column(min(quantiles))), pl.col(quantile_column(max(quantiles)))
        exprs.append(((a >= lo) & (a <= hi)).mean().alias("coverage"))
        rounded = {round(q, 9): q for q in quantiles}
        for q in sorted(quantiles):  # each central interval: coverage_80 for 0.1-0.9, coverage_90 for 0.05-0.95
            mirror = rounded.get(round(1.0 - q, 9))
            if q < 0.5 and mirror is not None:
                name = f"coverage_{round(100 * (mirror - q), 6):g}"
                band = (a >= pl.col(quantile_column(q))) & (a <= pl.col(quantile_column(mirror)))
                exprs.append(band.mean().alias(name))
    return exprs


def score_frame(forecasts: pl.DataFrame, by: Sequence[str] | None = None,
                quantiles: Sequence[float] = ()) -> pl.DataFrame:
    """Metrics of a forecasts frame, overall or grouped by ``by`` columns.

    Rows whose actual is null (not observed) are left out.
    """
    observed = forecasts.filter(pl.col("actual").is_not_null())
    exprs = metric_exprs(quantiles)
    if by:
        return observed.group_by(list(by)).agg(exprs).sort(list(by))
    return observed.select(exprs)


def skill_table(results: dict[str, Any], reference: str, metric: str = "mae") -> pl.DataFrame:
    """One row per model: its overall metrics and skill against ``reference`` on ``metric``.

    Parameters
    ----------
    results : dict of str to BacktestResult
    reference : str
        Key of the reference model (for example seasonal naive).
    """
    ref = results[reference].metrics[metric][0]
    rows = []
    for name, res in results.items():
        row: dict[str, Any] = {"model": name}
        row.update({k: v[0] for k, v in res.metrics.to_dict(as_series=False).items()})
        row[f"skill_{metric}"] = 1.0 - row[metric] / ref
        rows.append(row)
    return pl.DataFrame(rows)
