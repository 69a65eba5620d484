"""Probabilistic scores of quantile forecasts: reliability, intervals, PIT and CRPS.

From a forecasts table with ``actual`` and quantile columns (a backtest's, or
``forecast_origins``'):

- :func:`reliability_table`: per nominal level, the share of actuals at or under the
  quantile (a calibrated level ``q`` gives about ``q``) and the pinball loss; per central
  interval (levels ``q`` and ``1 - q``), its coverage and mean width; optionally per lead.
- :func:`pit_values`: the probability integral transform of each actual under the forecast
  distribution, linear between the forecast's levels; actuals beyond the outermost
  quantiles get that level (0.05 or 0.95, say), so the histogram's outer bins also count
  "outside the forecast's range"; an actual equal to several quantiles (an atom, such as a
  PV night's 0) gets the middle of their levels.
- :func:`plot_reliability`: the reliability diagram and the PIT histogram in one PNG.

CRPS is approximated as twice the mean pinball loss over the levels
(:func:`energyai.metrics.crps_quantiles`), in target units; it is in
:func:`reliability_table`'s ``summary`` and in every backtest's metrics as ``crps``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from energyai._optional import import_optional
from energyai.base import quantile_column
from energyai.exceptions import ConfigError, DataError

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "probabilistic scoring")

__all__ = ["pit_values", "plot_reliability", "reliability_table"]


def _arrays(forecasts: pl.DataFrame, quantiles: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    levels = np.array(sorted(quantiles), dtype=np.float64)
    if levels.size < 2:
        raise ConfigError(f"probabilistic scores need at least two quantile levels, got {list(quantiles)}")
    missing = [quantile_column(q) for q in levels if quantile_column(q) not in forecasts.columns]
    if missing:
        raise ConfigError(f"the forecasts have no column {missing}; score the levels the model forecast")
    obs = forecasts.filter(pl.col("actual").is_not_null())
    q = obs.select([quantile_column(v) for v in levels]).to_numpy().astype(np.float64)
    a = obs["actual"].to_numpy().astype(np.float64)
    bad = ~np.isfinite(q).all(axis=1) | ~np.isfinite(a)
    if bad.any():
        raise DataError(f"{int(bad.sum())} forecast rows hold a NaN or infinite quantile or actual; a score over "
                        "them would be meaningless (null actuals are left out; NaN is not null)")
    if a.size == 0:
        raise DataError("no forecast row has an observed actual; there is nothing to score")
    return levels, q, a


def reliability_table(forecasts: pl.DataFrame, quantiles: Sequence[float], by_lead: bool = False) -> pl.DataFrame:
    """Reliability and interval scores (module notes).

    Returns
    -------
    polars.DataFrame
        Columns ``kind`` ("level" or "interval"), ``nominal`` (the level, or the interval's
        nominal coverage), ``observed`` (share at or under, or coverage), ``pinball`` (levels)
        or ``width`` (intervals, target units), ``n``; and ``lead`` with ``by_lead``.
    """
    if by_lead:
        parts = [reliability_table(g, quantiles).with_columns(pl.lit(int(lead)).alias("lead"))
                 for (lead,), g in forecasts.partition_by("lead", as_dict=True, maintain_order=True).items()]
        return pl.concat(parts).sort("lead", "kind", "nominal")
    levels, q, a = _arrays(forecasts, quantiles)
    rows: list[dict[str, Any]] = []
    for j, v in enumerate(levels):
        d = a - q[:, j]
        rows.append({"kind": "level", "nominal": float(v), "observed": float(np.mean(a <= q[:, j])),
                     "pinball": float(np.mean(np.maximum(v * d, (v - 1.0) * d))), "width": None, "n": a.size})
    for j, v in enumerate(levels):
        k = np.flatnonzero(np.isclose(levels, 1.0 - v))
        if v < 0.5 and k.size:
            lo, hi = q[:, j], q[:, int(k[0])]
            rows.append({"kind": "interval", "nominal": float(1.0 - 2.0 * v),
                         "observed": float(np.mean((a >= lo) & (a <= hi))), "pinball": None,
                         "width": float(np.mean(hi - lo)), "n": a.size})
    return pl.DataFrame(rows, schema={"kind": pl.String, "nominal": pl.Float64, "observed": pl.Float64,
                                      "pinball": pl.Float64, "width": pl.Float64, "n": pl.Int64})


def pit_values(forecasts: pl.DataFrame, quantiles: Sequence[float]) -> np.ndarray:
    """The PIT of each observed actual, linear between the forecast's levels (module notes)."""
    levels, q, a = _arrays(forecasts, quantiles)
    out = np.empty(a.size)
    for i in range(a.size):
        qi = q[i]
        lo = int(np.searchsorted(qi, a[i], side="left"))
        hi = int(np.searchsorted(qi, a[i], side="right"))
        if hi > lo:  # the actual equals one or more quantiles (an atom, such as a PV night's 0): their middle
            out[i] = float(levels[lo:hi].mean())
        elif lo == 0:
            out[i] = levels[0]
        elif lo == qi.size:
            out[i] = levels[-1]
        else:
            w = (a[i] - qi[lo - 1]) / (qi[lo] - qi[lo - 1])
            out[i] = levels[lo - 1] + w * (levels[lo] - levels[lo - 1])
    return out


def plot_reliability(forecasts: pl.DataFrame, quantiles: Sequence[float], path: str | Path,
                     title: str = "") -> Path:
    """Write the reliability diagram (nominal against observed share at or under each level)
    and the PIT histogram to ``path`` (PNG); needs matplotlib (the ``plot`` extra)."""
    figure = import_optional("matplotlib.figure", "plot_reliability (pip install 'energyai[plot]')")
    table = reliability_table(forecasts, quantiles).filter(pl.col("kind") == "level")
    pit = pit_values(forecasts, quantiles)
    fig = figure.Figure(figsize=(10, 4))
    a, b = fig.subplots(1, 2)
    a.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="calibrated")
    a.plot(table["nominal"], table["observed"], "o-", label="forecast")
    a.set_xlabel("nominal level")
    a.set_ylabel("share of actuals at or under the quantile")
    a.set_title("reliability")
    a.legend(fontsize=8)
    b.hist(pit, bins=np.linspace(0, 1, 21), density=True, color="tab:blue", alpha=0.7)
    b.axhline(1.0, color="grey", lw=0.8, ls="--")
    b.set_xlabel("PIT (outer bins: beyond the outermost quantiles)")
    b.set_title("PIT histogram (flat when calibrated)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    return out
