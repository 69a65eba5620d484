"""Quantiles of a portfolio's total from per-plant quantile forecasts.

An aggregator (a small-scale power brokerage, 소규모 전력중개) submits the sum over many
plants. The quantiles of a sum are not the sums of the quantiles unless the plants move in
perfect lockstep; how they co-vary decides the width of the total's band. Three
assumptions, each stated:

- ``"comonotonic"``: plants move in lockstep (the same rank every hour). The total's
  quantile is the sum of the plants' quantiles: the widest band, right for plants under
  one cloud, too wide otherwise.
- ``"independent"``: plants' errors are independent. Points drawn from each plant's
  distribution (:func:`~energyai.market.submission.predictive_samples`) are paired at
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

from energyai.exceptions import ConfigError, DataError
from energyai.market.submission import predictive_samples

__all__ = ["METHODS", "portfolio_quantiles"]

METHODS = ("comonotonic", "independent", "empirical")


def portfolio_quantiles(quantiles: Any, levels: Any, *, method: str = "empirical", template: Any = None,
                        n_samples: int = 200, lower: Any = None, upper: Any = None, seed: int = 0) -> np.ndarray:
    """Quantiles of the sum over plants, shape (N, Q).

    Parameters
    ----------
    quantiles : array-like, shape (P, N, Q)
        Each plant's quantiles for the same N hours, non-decreasing along Q (crossing
        quantiles are refused: sort or calibrate them first).
    levels : array-like, shape (Q,)
        Strictly increasing levels in (0, 1), at least two.
    method : {"comonotonic", "independent", "empirical"}
        The dependence assumed between plants (module notes).
    template : array-like, shape (M, P), optional
        Past PIT values of the P plants at M hours (for ``"empirical"``, required); any
        numbers whose ranks carry the dependence will do.
    n_samples : int
        Points per plant and hour (at least 2).
    lower, upper : float or array-like, shape (P,), optional
        Each plant's floor and capacity, in the quantiles' units: every method clips each
        plant's quantiles (and sampled points) to them. No floor by default, so a plant that
        can be negative (net load, a battery) keeps its sign; pass ``lower=0`` for
        generation.
    seed : int
        For ``"independent"`` and the draw of template rows.

    Raises
    ------
    DataError
        Quantiles of the wrong shape, not numeric, non-finite or crossing (the plant, hour
        and levels are named); a template or bounds of the wrong shape.
    ConfigError
        Levels outside (0, 1) or not increasing; an unknown method; a bad ``n_samples``.
    """
    q, tau = _checked(quantiles, levels, method, n_samples)
    P, N, _ = q.shape
    lo = _bound(lower, P, "lower", -np.inf)
    hi = _bound(upper, P, "upper", np.inf)
    if (lo > hi).any():
        p = int(np.argmax(lo > hi))
        raise DataError(f"plant {p}: lower={lo[p]} is above upper={hi[p]}")
    q = np.clip(q, lo[:, None, None], hi[:, None, None])
    if method == "comonotonic":
        with np.errstate(over="ignore"):
            return _finite_total(q.sum(axis=0))
    pts = np.stack([predictive_samples(q[p], tau, n_samples, lo[p], None if not np.isfinite(hi[p]) else hi[p])
                    for p in range(P)])  # (P, N, n), sorted along n
    rng = np.random.default_rng(seed)
    if method == "independent":
        for p in range(1, P):
            pts[p] = np.take_along_axis(pts[p], rng.permuted(np.tile(np.arange(n_samples), (N, 1)), axis=1), axis=1)
    else:
        t = _template(template, P, n_samples)
        for i in range(N):
            rows = t[rng.choice(t.shape[0], n_samples, replace=False)]
            ranks = np.argsort(np.argsort(rows, axis=0), axis=0)  # (n, P): rank of each row per plant
            for p in range(P):
                pts[p, i] = pts[p, i][ranks[:, p]]
    with np.errstate(over="ignore", invalid="ignore"):
        total = pts.sum(axis=0)  # (N, n)
        return _finite_total(np.quantile(total, tau, axis=1).T)


def _checked(quantiles: Any, levels: Any, method: str, n_samples: Any) -> tuple[np.ndarray, np.ndarray]:
    """The quantiles (P, N, Q) and levels (Q,) as float64, or a typed error naming the fault."""
    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or not 2 <= n_samples <= 100_000:
        raise ConfigError(f"n_samples must be an int in [2, 100000], got {n_samples!r}")
    try:
        tau = np.asarray(levels, np.float64)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"levels must be numbers, got {levels!r}") from exc
    if tau.ndim != 1 or tau.size < 2 or not np.isfinite(tau).all() or not ((tau > 0) & (tau < 1)).all() \
            or (np.diff(tau) <= 0).any():
        raise ConfigError(f"levels must be at least two strictly increasing numbers in (0, 1), got {tau.tolist()}")
    try:
        q = np.asarray(quantiles, np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"quantiles must be a numeric (plants, hours, levels) array: {exc}") from exc
    if q.ndim != 3 or q.shape[2] != tau.size or q.shape[0] < 1:
        raise DataError(f"quantiles must be (plants, hours, levels) with {tau.size} levels, got {q.shape}")
    if not np.isfinite(q).all():
        raise DataError(f"quantiles hold {int((~np.isfinite(q)).sum())} NaN or infinite values; a total of them "
                        "would be NaN or infinite too")
    crossing = np.diff(q, axis=2) < 0
    if crossing.any():
        p, i, j = (int(v) for v in np.argwhere(crossing)[0])
        raise DataError(f"quantiles cross: plant {p}, hour {i}: level {tau[j]:g} is {q[p, i, j]:g}, above level "
                        f"{tau[j + 1]:g} at {q[p, i, j + 1]:g} ({int(crossing.sum())} crossings in all); sort each "
                        "row or calibrate the forecasts first")
    return q, tau


def _bound(value: Any, plants: int, name: str, default: float) -> np.ndarray:
    """``lower`` or ``upper`` as (P,) float64 (``default`` where None)."""
    if value is None:
        return np.full(plants, default)
    try:
        b = np.asarray(value, np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be a number or one number per plant, got {value!r}") from exc
    if b.ndim > 1 or (b.ndim == 1 and b.size != plants) or np.isnan(b).any():
        raise DataError(f"{name} must be a number or {plants} numbers (one per plant), got shape {b.shape}")
    return np.broadcast_to(b, (plants,)).copy()


def _template(template: Any, plants: int, n_samples: int) -> np.ndarray:
    if template is None:
        raise ConfigError("method='empirical' needs template: past PIT values, one row per hour, one column "
                          "per plant")
    try:
        t = np.asarray(template, np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"template must be numeric (hours, plants): {exc}") from exc
    if t.ndim != 2 or t.shape[1] != plants or t.shape[0] < n_samples or not np.isfinite(t).all():
        raise DataError(f"template must be finite with shape (M >= n_samples={n_samples}, {plants} plants), got "
                        f"{t.shape}")
    return t


def _finite_total(total: np.ndarray) -> np.ndarray:
    """The output check: a total too large for float64 is an error, never inf."""
    if not np.isfinite(total).all():
        raise DataError("the portfolio total overflows float64; the plants' quantiles are too large to add")
    return total
