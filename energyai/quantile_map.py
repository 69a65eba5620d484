"""Isotonic recalibration of quantile forecasts, as a fixed linear map of the quantiles.

A forecast of ``Q`` sorted quantiles at levels ``τ`` defines a quantile function: linear
between the levels on the normal-score axis ``z = Φ⁻¹(τ)``, and linear beyond the outermost
two (so the tails are unbounded, as a Gaussian's are). Its PIT at an actual ``y`` is the
level at which that function reaches ``y``.

On calibration windows the PIT values of a calibrated forecast are uniform. The isotonic
recalibration map (Kuleshov, Fenner and Ermon 2018) sends a nominal level ``u`` to the
share of PIT values at or under it. That share is monotone in ``u``, so it is its own
isotonic regression. The calibrated level-``τ`` quantile is then the raw quantile function
at ``u* = `` the ``τ``-quantile of the PIT values. Since the quantile function is linear
in the raw quantiles, this is a matrix ``M`` (Q, Q) of interpolation weights:
``calibrated = M @ raw``, which the forecast graph applies
(:mod:`energyai.nn.calibration`).

Ties: an actual equal to several quantiles at once (an atom, such as 0 for a PV plant at
dusk) gets a PIT drawn uniformly between the lowest and the highest of their levels (the
randomised PIT), from a seeded generator, so the map is reproducible.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from energyai.exceptions import DataError

__all__ = ["isotonic_map", "level_weights", "normal_pit"]

#: The farthest normal score a recalibrated level may reach (Φ(-3.5) = 2.3e-4): beyond it a
#: few hundred calibration windows say nothing, and the linear tail would run away.
Z_MAX = 3.5


def _scores(levels: np.ndarray) -> np.ndarray:
    n = NormalDist()
    return np.array([n.inv_cdf(float(t)) for t in levels])


def normal_pit(actual: np.ndarray, quant: np.ndarray, levels: tuple[float, ...], seed: int = 0) -> np.ndarray:
    """The PIT of each actual under its forecast's quantile function (module notes).

    Parameters
    ----------
    actual : ndarray, shape (n,)
        Finite observations.
    quant : ndarray, shape (n, Q)
        Their forecast quantiles, sorted along Q; ``Q >= 2``.
    levels : tuple of float
        The Q increasing levels in (0, 1).
    seed : int
        For the randomised PIT of ties.

    Returns
    -------
    ndarray, shape (n,)
        In (0, 1).

    Raises
    ------
    DataError
        Empty or mis-shaped input, or a non-finite actual or quantile.
    """
    z = _scores(np.asarray(levels, np.float64))
    y = np.asarray(actual, np.float64)
    q = np.asarray(quant, np.float64)
    if y.ndim != 1 or q.shape != (y.size, z.size) or y.size == 0 or z.size < 2:
        raise DataError(f"need actuals (n,) and quantiles (n, Q) with n >= 1 and Q = len(levels) >= 2, got "
                        f"{y.shape} and {q.shape} for {z.size} levels")
    if not (np.isfinite(y).all() and np.isfinite(q).all()):
        raise DataError("actuals and quantiles must be finite: leave missing actuals out before computing PIT values")
    lo = (q < y[:, None]).sum(axis=1)  # levels strictly under y
    hi = (q <= y[:, None]).sum(axis=1)  # levels at or under y
    j = np.clip(hi - 1, 0, z.size - 2)  # the pair y falls in (or beyond, at the ends)
    rows = np.arange(y.size)
    q0, q1 = q[rows, j], q[rows, j + 1]
    width = q1 - q0
    with np.errstate(divide="ignore", invalid="ignore"):
        zy = z[j] + (y - q0) / width * (z[j + 1] - z[j])
    zy = np.where(width > 0, zy, np.where(y < q0, -np.inf, np.inf))
    tied = hi > lo
    if tied.any():  # y is one or more of the quantiles: uniform between their levels
        rng = np.random.default_rng(seed)
        a, b = z[lo[tied]], z[hi[tied] - 1]
        pa, pb = (np.array([NormalDist().cdf(v) for v in side]) for side in (a, b))
        u = pa + rng.random(pa.size) * (pb - pa)
        zy[tied] = np.array([NormalDist().inv_cdf(float(v)) for v in u])
    zy = np.clip(zy, -8.0, 8.0)
    return np.array([NormalDist().cdf(float(v)) for v in zy])


def level_weights(levels: tuple[float, ...], targets: np.ndarray) -> np.ndarray:
    """Weights (T, Q) that evaluate the quantile function of ``levels`` at ``targets``.

    Row ``t`` has two non-zero weights: those of the pair of levels around ``targets[t]``
    on the normal-score axis (or the outermost pair, extrapolating, beyond them). Targets
    are limited to ``|Φ⁻¹| <= Z_MAX``.
    """
    z = _scores(np.asarray(levels, np.float64))
    tz = np.clip(_scores(np.clip(np.asarray(targets, np.float64), 1e-12, 1 - 1e-12)), -Z_MAX, Z_MAX)
    j = np.clip(np.searchsorted(z, tz) - 1, 0, z.size - 2)
    t = (tz - z[j]) / (z[j + 1] - z[j])
    w = np.zeros((tz.size, z.size))
    w[np.arange(tz.size), j] = 1.0 - t
    w[np.arange(tz.size), j + 1] += t
    return w


def isotonic_map(actual: np.ndarray, quant: np.ndarray, levels: tuple[float, ...], seed: int = 0) -> np.ndarray:
    """The level map ``M`` (Q, Q) of the isotonic recalibration (module notes).

    Parameters
    ----------
    actual : ndarray, shape (n,)
    quant : ndarray, shape (n, Q)
        Sorted along Q, ``Q >= 2``.
    levels : tuple of float

    Returns
    -------
    ndarray, shape (Q, Q)
        ``calibrated[..., i] = Σ_j M[i, j] raw[..., j]``; the identity when the PIT values
        are already uniform at every level.
    """
    pit = normal_pit(actual, quant, levels, seed)
    targets = np.quantile(pit, np.asarray(levels, np.float64))
    return level_weights(levels, targets)
