"""Weather forecasts matched to their lead time in training windows.

At forecast time a window reads, over its horizon, the weather run that was available at
its origin (:meth:`energyai.data.vintages.Vintages.for_origins`); its context reads the
covariate's honest history. Training the same way teaches the model how forecast error
grows with lead. :func:`horizon_vintages` builds, for every usable origin of the panel,
the horizon block of the vintaged covariates from the run available at that origin;
:func:`energyai.training.data.make_batch` then overwrites the horizon part of each
window's known-future covariates with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from energyai.exceptions import ConfigError

__all__ = ["HorizonVintages", "horizon_vintages"]


@dataclass(frozen=True)
class HorizonVintages:
    """Horizon covariates per origin.

    Attributes
    ----------
    positions : ndarray of int64, shape (n,)
        Sorted panel positions of the origins (a window's last context step).
    values : ndarray of float32, shape (n, H, k)
        The vintaged covariates over the horizon of each origin.
    columns : ndarray of int64, shape (k,)
        Their positions among the panel's future covariates.
    """

    positions: np.ndarray
    values: np.ndarray
    columns: np.ndarray

    def complete(self, n: int) -> np.ndarray:
        """Bool (n,) over panel positions: an origin whose whole horizon has a run."""
        ok = np.zeros(n, bool)
        ok[self.positions[np.isfinite(self.values).all(axis=(1, 2))]] = True
        return ok

    def apply(self, future: np.ndarray, origins: np.ndarray, context: int) -> np.ndarray:
        """``future`` (B, L + H, F) with the horizon's vintaged columns replaced (in place)."""
        k = np.searchsorted(self.positions, origins)
        if np.any(k >= len(self.positions)) or np.any(self.positions[np.minimum(k, len(self.positions) - 1)] != origins):
            raise ConfigError("a training window's origin has no weather run matched to it")
        block = self.values[k]  # (B, H, k)
        for j, col in enumerate(self.columns):
            future[:, context:, col] = block[:, :, j]
        return future


def horizon_vintages(panel: Any, schema: Any, vintages: Any, horizon: int, allowed: np.ndarray | None) -> HorizonVintages:
    """For every panel position allowed as an origin, the vintaged covariates over its horizon.

    Parameters
    ----------
    panel : Panel
    schema : Schema
        Its future covariates must include ``vintages.columns``.
    vintages : energyai.data.vintages.Vintages
    horizon : int
    allowed : ndarray of bool, shape (N,), optional
        Origins to prepare (e.g. only the issue times); None: every position.
    """
    import polars as pl

    names = list(schema.future_covariates)
    missing = [c for c in vintages.columns if c not in names]
    if missing:
        raise ConfigError(f"vintage columns {missing} are not future covariates of the schema ({names})")
    if schema.frequency is None:
        raise ConfigError("lead-matched weather needs a regular schema (freq)")
    step = int(schema.frequency.seconds)
    n = len(panel.target)
    pos = np.flatnonzero(allowed) if allowed is not None else np.arange(n)
    series = np.searchsorted(panel.offsets, pos, side="right") - 1
    pos = pos[pos + horizon < panel.offsets[series + 1]]  # the horizon stays inside the series
    series = np.searchsorted(panel.offsets, pos, side="right") - 1
    origin = panel.utc.take(pos).astype("datetime64[us]")
    lead = np.arange(1, horizon + 1)
    valid = (origin[:, None] + (lead * step).astype("timedelta64[s]")[None, :]).reshape(-1)
    wanted = pl.DataFrame({
        "_row": np.arange(len(valid), dtype=np.int64),
        "cutoff": np.repeat(origin, horizon), vintages.valid_time: valid,
    }).with_columns(pl.col("cutoff", vintages.valid_time).dt.replace_time_zone("UTC"))
    if vintages.series_id:
        ids = [panel.series_ids[s] for s in series]
        wanted = wanted.with_columns(pl.Series(vintages.series_id, np.repeat(np.asarray(ids, dtype=object), horizon))
                                     .cast(vintages.frame.schema[vintages.series_id]))
    picked = vintages._pick(wanted, "cutoff").sort("_row")
    values = picked.select([pl.col(c).cast(pl.Float32) for c in vintages.columns]).to_numpy()
    values = values.reshape(len(pos), horizon, len(vintages.columns)).astype(np.float32)
    return HorizonVintages(pos.astype(np.int64), np.where(np.isfinite(values), values, np.nan),
                           np.array([names.index(c) for c in vintages.columns], np.int64))
