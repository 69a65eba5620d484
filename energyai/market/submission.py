"""Choosing the value to submit under the KPX incentive rule, from a predictive distribution.

A plant's day-ahead bid is one number per hour, paid by a tiered, asymmetric rule
(:class:`~energyai.market.kpx.KPXRules`): an hour pays ``price(error) × actual`` only when
the actual is at least 10 % of capacity and the error is within a tier. Submitting the
median maximises the chance of a small error, not the expected payment: the payment grows
with the actual, and hours under 10 % pay nothing whatever was submitted. The expected
payment of submitting ``s`` is

    E[pay(s)] = E[ price(|s - Y| / C) × Y × 1{Y >= m C} ]

over the forecast distribution of ``Y``. :func:`best_submission` represents that
distribution by its quantile function, linear between the forecast's levels and extended
linearly beyond the outermost two (clipped to ``[0, C]``), evaluates ``E[pay]`` on a grid
of candidate submissions and returns the best one per hour with its expected payment and
that of the median. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from energyai.exceptions import ConfigError, DataError
from energyai.market.kpx_rules import TO_KW, KPXRules

__all__ = ["Submission", "best_submission", "expected_incentive", "predictive_samples", "sample_weights"]


@dataclass(frozen=True)
class Submission:
    """The chosen value per hour and what it is expected to earn.

    Attributes
    ----------
    value : ndarray, shape (N,)
        Submission in the forecast's units.
    expected_krw : ndarray, shape (N,)
        Expected incentive of ``value`` under the forecast distribution.
    expected_krw_median : ndarray, shape (N,)
        Expected incentive of submitting the median instead.
    """

    value: np.ndarray
    expected_krw: np.ndarray
    expected_krw_median: np.ndarray


def sample_weights(levels: Any, n: int) -> np.ndarray:
    """Weights (n, Q): row ``k`` evaluates the quantile function of ``levels`` at
    ``(k + 0.5) / n``, linear between the levels and extended linearly beyond the outermost
    two. Used here and inside the graph (:mod:`energyai.nn.submission`)."""
    tau = np.asarray(levels, np.float64)
    u = (np.arange(n) + 0.5) / n
    j = np.clip(np.searchsorted(tau, u) - 1, 0, tau.size - 2)  # the pair each u interpolates or extends
    t = (u - tau[j]) / (tau[j + 1] - tau[j])
    w = np.zeros((n, tau.size))
    w[np.arange(n), j] = 1.0 - t
    w[np.arange(n), j + 1] += t
    return w


def predictive_samples(quantiles: Any, levels: Any, n: int = 200, lower: float = 0.0,
                       upper: Any = None) -> np.ndarray:
    """Equally weighted points of each row's forecast distribution, shape (N, n).

    The quantile function at ``(k - 0.5) / n``: linear between the given levels, linear
    beyond the outermost two (the slope of the nearest pair), clipped to ``[lower, upper]``.

    Parameters
    ----------
    quantiles : array-like, shape (N, Q)
        Sorted along Q.
    levels : array-like, shape (Q,)
        Increasing levels in (0, 1), at least two.
    upper : float or array-like, shape (N,), optional
        For example the capacity.
    """
    q = np.asarray(quantiles, np.float64)
    tau = np.asarray(levels, np.float64)
    if q.ndim != 2 or q.shape[1] != tau.size or tau.size < 2:
        raise DataError(f"quantiles must be (N, Q) with Q = len(levels) >= 2, got {q.shape} and {tau.size} levels")
    if not ((tau > 0) & (tau < 1)).all() or (np.diff(tau) <= 0).any():
        raise ConfigError(f"levels must increase within (0, 1), got {tau.tolist()}")
    if not np.isfinite(q).all():
        raise DataError("quantiles must be finite")
    out = q @ sample_weights(tau, n).T
    hi = np.inf if upper is None else np.broadcast_to(np.asarray(upper, np.float64), (q.shape[0],))[:, None]
    return np.sort(np.clip(out, lower, hi), axis=1)


def expected_incentive(candidates: np.ndarray, samples: np.ndarray, capacity: np.ndarray, rules: KPXRules,
                       units: str) -> np.ndarray:
    """``E[pay]`` of each candidate, shape (N, G), for candidates (N, G) and samples (N, n)."""
    cap = capacity[:, None, None]
    y = samples[:, None, :]
    err = np.abs(candidates[:, :, None] - y) * 100.0 / cap
    price = np.zeros(err.shape)
    paid = np.zeros(err.shape, bool)
    for limit, krw in rules.tiers:
        hit = ~paid & (err <= limit)
        price[hit] = krw
        paid |= hit
    pay = price * np.where(y >= rules.min_output_share * cap, y, 0.0) * TO_KW[units]
    return pay.mean(axis=2)  # type: ignore[no-any-return]


_MAX_CHUNK_FLOATS = 2**28  # 2 GiB of float64 per chunk: larger requests are refused before allocating


def _check_sizes(grid: Any, n_samples: Any, chunk: Any) -> None:
    """Refuse non-integer, non-positive or unaffordable ``grid``, ``n_samples`` and ``chunk``."""
    def whole(v: Any) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    if not (whole(grid) and grid >= 2 and whole(n_samples) and n_samples >= 10):
        raise ConfigError(f"grid must be an int >= 2 and n_samples an int >= 10, got {grid!r} and {n_samples!r}")
    if not (whole(chunk) and chunk >= 1):
        raise ConfigError(f"chunk must be an int >= 1 (hours evaluated at once), got {chunk!r}")
    if int(chunk) * (int(grid) + 1) * int(n_samples) > _MAX_CHUNK_FLOATS:
        raise ConfigError(f"chunk x grid x n_samples = {int(chunk) * (int(grid) + 1) * int(n_samples):,} floats per "
                          f"chunk exceeds {_MAX_CHUNK_FLOATS:,} (2 GiB); lower grid, n_samples or chunk")


def _numbers(value: Any, name: str, error: type[Exception]) -> np.ndarray:
    """``value`` as a float64 array, or ``error`` naming ``name`` (strings, objects, ragged lists)."""
    try:
        return np.asarray(value, np.float64)
    except (TypeError, ValueError) as exc:
        raise error(f"{name} must be numbers, got {str(value)[:60]!r} ({exc})") from exc


def best_submission(quantiles: Any, levels: Any, capacity: Any, *, rules: KPXRules | None = None,
                    units: str = "kW", grid: int = 101, n_samples: int = 200, chunk: int = 256) -> Submission:
    """The submission per hour that maximises the expected KPX incentive.

    Parameters
    ----------
    quantiles : array-like, shape (N, Q)
        Forecast quantiles of each hour (sorted), in ``units``; must include 0.5.
    levels : array-like, shape (Q,)
    capacity : float or array-like, shape (N,)
        Installed capacity in ``units``.
    rules : KPXRules, optional
        Tiers, prices and the eligibility share (the defaults are KPX's).
    units : {"W", "kW", "MW", "GW"}
        The incentive is paid per kWh.
    grid : int
        Candidate submissions per hour, evenly spaced over ``[0, capacity]`` (the median is
        always a candidate).
    n_samples : int
        Points of the forecast distribution (:func:`predictive_samples`).
    chunk : int
        Hours evaluated at once (memory ``chunk × grid × n_samples`` floats).

    Returns
    -------
    Submission
        Ties go to the candidate closest to the median.
    """
    rules = rules or KPXRules()
    if units not in TO_KW:
        raise ConfigError(f"units must be one of {sorted(TO_KW)}, got {units!r}")
    _check_sizes(grid, n_samples, chunk)
    tau = _numbers(levels, "levels", ConfigError)
    if tau.ndim != 1 or not np.isclose(tau, 0.5).any():
        raise ConfigError("levels (a 1-D sequence) must include 0.5 (the median is the submission compared against)")
    q = _numbers(quantiles, "quantiles", DataError)
    if q.ndim != 2 or q.shape[1] != tau.size or not np.isfinite(q).all():
        raise DataError(f"quantiles must be a finite array of shape (hours, {tau.size}) matching levels, got shape "
                        f"{q.shape}" + ("" if q.ndim != 2 or q.shape[1] != tau.size else " with non-finite values"))
    cap = _numbers(capacity, "capacity", DataError)
    if cap.ndim > 1 or (cap.ndim == 1 and cap.size != q.shape[0]):
        raise DataError(f"capacity must be one number or one per hour ({q.shape[0]}), got shape {cap.shape}")
    cap = np.broadcast_to(cap, (q.shape[0],)).copy()
    if not (np.isfinite(cap) & (cap > 0)).all():
        raise DataError("capacity must be positive and finite for every hour")
    samples = predictive_samples(q, tau, n_samples, 0.0, cap)
    median = np.clip(q[:, int(np.argmin(np.abs(tau - 0.5)))], 0.0, cap)
    value, best, at_median = (np.empty(q.shape[0]) for _ in range(3))
    steps = np.linspace(0.0, 1.0, grid)
    for i in range(0, q.shape[0], chunk):
        sl = slice(i, i + chunk)
        cand = np.concatenate([median[sl, None], steps[None, :] * cap[sl, None]], axis=1)
        e = expected_incentive(cand, samples[sl], cap[sl], rules, units)
        top = e.max(axis=1, keepdims=True)
        # among the best (within float noise), the one closest to the median
        dist = np.where(e >= top - 1e-9 * np.maximum(top, 1.0), np.abs(cand - median[sl, None]), np.inf)
        k = np.argmin(dist, axis=1)
        rows = np.arange(cand.shape[0])
        value[sl], best[sl], at_median[sl] = cand[rows, k], e[rows, k], e[:, 0]
    return Submission(value, best, at_median)
