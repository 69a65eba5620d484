"""Quantiles of a portfolio's total from per-plant quantile forecasts.

An aggregator (a small-scale power brokerage, 소규모 전력중개) submits the sum over many
plants. The quantiles of a sum are not the sums of the quantiles unless the plants move in
perfect lockstep; how they co-vary decides the width of the total's band. Three
assumptions, each stated:

- ``"comonotonic"``: plants move in lockstep (the same rank every hour). The total's
  quantile is the sum of the plants' quantiles: the widest band, right for plants under
  one cloud, too wide otherwise.
- ``"independent"``: plants' errors are independent. Points drawn from each plant's
  distribution (:func:`~energyai.evaluation.submission.predictive_samples`) are paired at
  random and summed: the narrowest band, too narrow for neighbours.
- ``"empirical"``: the plants' rank dependence of the past (a Schaake shuffle; Clark et al.
  2004): each hour's points are reordered so that their ranks across plants follow a
  template of past PIT vectors (one row per past hour, one column per plant), then summed.
  Assumes the dependence of the template period holds now.

The median of the total is reconciled in the same way (it is the total distribution's
median, not the sum of medians, except under ``"comonotonic"``). numpy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from energyai.evaluation.submission import predictive_samples
from energyai.exceptions import ConfigError, DataError

__all__ = ["METHODS", "portfolio_quantiles"]

METHODS = ("comonotonic", "independent", "empirical")


def portfolio_quantiles(quantiles: Any, levels: Any, *, method: str = "empirical", template: Any = None,
                        n_samples: int = 200, upper: Any = None, seed: int = 0) -> np.ndarray:
    """Quantiles of the sum over plants, shape (N, Q).

    Parameters
    ----------
    quantiles : array-like, shape (P, N, Q)
        Each plant's sorted quantiles for the same N hours.
    levels : array-like, shape (Q,)
        Increasing levels in (0, 1).
    method : {"comonotonic", "independent", "empirical"}
        The dependence assumed between plants (module notes).
    template : array-like, shape (M, P), optional
        Past PIT values of the P plants at M hours (for ``"empirical"``, required); any
        numbers whose ranks carry the dependence will do.
    n_samples : int
        Points per plant and hour.
    upper : float or array-like, shape (P,), optional
        Each plant's capacity (points are clipped to it).
    seed : int
        For ``"independent"`` and the draw of template rows.
    """
    q = np.asarray(quantiles, np.float64)
    tau = np.asarray(levels, np.float64)
    if q.ndim != 3 or q.shape[2] != tau.size:
        raise DataError(f"quantiles must be (plants, hours, levels) with {tau.size} levels, got {q.shape}")
    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    if not np.isfinite(q).all():
        raise DataError(f"quantiles hold {int((~np.isfinite(q)).sum())} NaN or infinite values; a total of them "
                        "would be NaN or infinite too")
    P, N, _ = q.shape
    if method == "comonotonic":
        return q.sum(axis=0)  # type: ignore[no-any-return]
    caps = np.broadcast_to(np.asarray(np.inf if upper is None else upper, np.float64), (P,))
    pts = np.stack([predictive_samples(q[p], tau, n_samples, 0.0, None if not np.isfinite(caps[p]) else caps[p])
                    for p in range(P)])  # (P, N, n), sorted along n
    rng = np.random.default_rng(seed)
    if method == "independent":
        for p in range(1, P):
            pts[p] = np.take_along_axis(pts[p], rng.permuted(np.tile(np.arange(n_samples), (N, 1)), axis=1), axis=1)
    else:
        if template is None:
            raise ConfigError("method='empirical' needs template: past PIT values, one row per hour, one column "
                              "per plant")
        t = np.asarray(template, np.float64)
        if t.ndim != 2 or t.shape[1] != P or t.shape[0] < n_samples or not np.isfinite(t).all():
            raise DataError(f"template must be finite with shape (M >= n_samples={n_samples}, {P} plants), got "
                            f"{t.shape}")
        for i in range(N):
            rows = t[rng.choice(t.shape[0], n_samples, replace=False)]
            ranks = np.argsort(np.argsort(rows, axis=0), axis=0)  # (n, P): rank of each row per plant
            for p in range(P):
                pts[p, i] = pts[p, i][ranks[:, p]]
    total = pts.sum(axis=0)  # (N, n)
    return np.quantile(total, tau, axis=1).T  # type: ignore[no-any-return]
