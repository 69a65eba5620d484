"""The picture of a backtest: forecast against actual with its quantile band, error by lead
and by hour of day, and the reliability diagram (matplotlib, the ``plot`` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from energyai._optional import import_optional
from energyai.exceptions import ConfigError

__all__ = ["plot_backtest"]


def _band(quantiles: tuple[float, ...]) -> tuple[str, str, str] | None:
    """The widest central interval's columns and label, or None without one."""
    from energyai.base import quantile_column

    pairs = [(q, 1 - q) for q in sorted(quantiles) if q < 0.5 and any(abs(1 - q - v) < 1e-9 for v in quantiles)]
    if not pairs:
        return None
    lo, hi = pairs[0]
    return quantile_column(lo), quantile_column(hi), f"{100 * lo:g}-{100 * hi:g} % interval"


def plot_backtest(result: Any, path: str | Path, *, series: Any = None, windows: int = 7) -> Path:
    """Write a four-panel PNG of a :class:`~energyai.evaluation.BacktestResult`.

    Parameters
    ----------
    result : BacktestResult
    path : str or Path
        The PNG to write.
    series : optional
        Which series the top panel shows (default: the first); the other panels pool all.
    windows : int
        How many of the last forecast windows the top panel shows.

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        An unknown series, or ``windows < 1``.
    """
    figure = import_optional("matplotlib.figure", "BacktestResult.plot (pip install 'energyai[plot]')")
    if not isinstance(windows, int) or windows < 1:
        raise ConfigError(f"windows must be a positive int, got {windows!r}")
    fc = result.forecasts
    # the timestamp column: the schema's, or the one datetime column besides the cutoff
    tcol = result.schema.timestamp if result.schema is not None else next(
        c for c, t in fc.schema.items() if isinstance(t, pl.Datetime) and c != "cutoff")
    sid = result.schema.series_id if result.schema is not None else next(
        (c for c in fc.columns if c not in (tcol, "cutoff", "lead", "actual", "forecast") and not c.startswith("q")
         and fc.schema[c] in (pl.String, pl.Categorical, pl.Int64, pl.Int32)), None)
    units = (result.schema.units if result.schema is not None else None) or "target units"
    if sid is not None and sid in fc.columns:
        ids = fc[sid].unique(maintain_order=True).to_list()
        pick = ids[0] if series is None else series
        if pick not in ids:
            raise ConfigError(f"series {series!r} is not in the backtest; it has {ids[:10]}")
        fc = fc.filter(pl.col(sid) == pick)
    last = sorted(fc["cutoff"].unique().to_list())[-windows:]
    top = fc.filter(pl.col("cutoff").is_in(last)).sort(tcol)
    fig = figure.Figure(figsize=(12, 8))
    grid = fig.add_gridspec(2, 3)
    ax = fig.add_subplot(grid[0, :])
    ts = top[tcol].to_list()
    band = _band(result.quantiles)
    if band is not None:
        ax.fill_between(ts, top[band[0]].to_numpy(), top[band[1]].to_numpy(), color="tab:blue", alpha=0.2,
                        label=band[2])
    ax.plot(ts, top["actual"].to_numpy(), color="black", lw=1.2, label="actual")
    ax.plot(ts, top["forecast"].to_numpy(), color="tab:blue", lw=1.2, label=f"{result.model} median")
    ax.set_ylabel(units)
    ax.set_title(f"{result.model}: the last {len(last)} forecast windows" + ("" if sid is None else f", {pick}"))
    ax.legend(loc="upper left", fontsize=8)
    _error_panel(fig.add_subplot(grid[1, 0]), result.by_lead, "lead", "lead (steps after the origin)", units)
    _error_panel(fig.add_subplot(grid[1, 1]), result.by_hour, "hour", "local hour of the target", units)
    _reliability_panel(fig.add_subplot(grid[1, 2]), result)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    return out


def _error_panel(ax: Any, table: pl.DataFrame, key: str, label: str, units: str) -> None:
    x = table[key].to_numpy()
    ax.plot(x, table["mae"].to_numpy(), "o-", ms=3, label="MAE")
    if "rmse" in table.columns:
        ax.plot(x, table["rmse"].to_numpy(), "s--", ms=3, label="RMSE")
    ax.set_xlabel(label)
    ax.set_ylabel(units)
    ax.set_title(f"error by {key}")
    ax.legend(fontsize=8)


def _reliability_panel(ax: Any, result: Any) -> None:
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="calibrated")
    if len(result.quantiles) >= 2:
        table = result.reliability().filter(pl.col("kind") == "level")
        ax.plot(table["nominal"].to_numpy(), table["observed"].to_numpy(), "o-", label="forecast")
    else:
        ax.text(0.5, 0.5, "point forecast:\nno quantiles", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("nominal level")
    ax.set_ylabel("share of actuals at or under")
    ax.set_title("reliability")
    ax.legend(fontsize=8)
