"""Forecast accuracy metrics on numpy arrays.

Conventions, for every function:

* ``y_true`` and ``y_pred`` broadcast together; NaN in ``y_true`` marks a missing
  observation and that position is left out. NaN in a forecast raises: a model that
  cannot forecast a point must say so rather than be silently scored on fewer points.
* An optional boolean ``mask`` keeps only the positions where it is True (for example
  hours without curtailment).
* Percent metrics return percent (0-100 scale), others return target units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from energyai.exceptions import ConfigError, DataError

__all__ = [
    "METRICS",
    "coverage",
    "crps_quantiles",
    "cv_rmse",
    "mae",
    "mape",
    "mase",
    "nmae",
    "pinball",
    "rmse",
    "skill_score",
    "smape",
]


def _pair(y_true: ArrayLike, y_pred: ArrayLike, mask: ArrayLike | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    yt = np.asarray(y_true, dtype=np.float64)
    yp = np.asarray(y_pred, dtype=np.float64)
    try:
        yt, yp = np.broadcast_arrays(yt, yp)
    except ValueError as exc:
        raise ConfigError(f"y_true of shape {yt.shape} and y_pred of shape {yp.shape} do not broadcast") from exc
    keep = np.isfinite(yt)
    if mask is not None:
        m = np.broadcast_to(np.asarray(mask, dtype=bool), yt.shape)
        keep &= m
    if not np.all(np.isfinite(yp[keep])):
        raise DataError("y_pred has NaN or infinite values where y_true is observed")
    return yt[keep], yp[keep]


def _nonempty(x: NDArray[np.float64], name: str) -> None:
    if x.size == 0:
        raise DataError(f"{name}: no observed values to score (all NaN or masked)")


def mae(y_true: ArrayLike, y_pred: ArrayLike, mask: ArrayLike | None = None) -> float:
    """Mean absolute error. [target units]

    >>> mae([1.0, 2.0, 4.0], [2.0, 2.0, 2.0])
    1.0
    """
    yt, yp = _pair(y_true, y_pred, mask)
    _nonempty(yt, "mae")
    return float(np.mean(np.abs(yp - yt)))


def rmse(y_true: ArrayLike, y_pred: ArrayLike, mask: ArrayLike | None = None) -> float:
    """Root mean squared error. [target units]"""
    yt, yp = _pair(y_true, y_pred, mask)
    _nonempty(yt, "rmse")
    return float(np.sqrt(np.mean((yp - yt) ** 2)))


def mape(y_true: ArrayLike, y_pred: ArrayLike, mask: ArrayLike | None = None) -> float:
    """Mean absolute percentage error, ``100 * mean(|e| / |y|)``. [%]

    Raises
    ------
    DataError
        If an observed actual is zero; use :func:`nmae` or :func:`smape` for such data.
    """
    yt, yp = _pair(y_true, y_pred, mask)
    _nonempty(yt, "mape")
    if np.any(yt == 0):
        raise DataError("mape is undefined where the actual is 0; use nmae, smape or mask those points")
    return float(100.0 * np.mean(np.abs(yp - yt) / np.abs(yt)))


def smape(y_true: ArrayLike, y_pred: ArrayLike, mask: ArrayLike | None = None) -> float:
    """Symmetric MAPE, ``100 * mean(2|e| / (|y| + |ŷ|))``, with 0/0 counted as 0. [%]"""
    yt, yp = _pair(y_true, y_pred, mask)
    _nonempty(yt, "smape")
    denom = np.abs(yt) + np.abs(yp)
    ratio = np.divide(2.0 * np.abs(yp - yt), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(100.0 * np.mean(ratio))


def mase(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    y_train: ArrayLike,
    season: int = 1,
    mask: ArrayLike | None = None,
) -> float:
    """Mean absolute scaled error (Hyndman & Koehler 2006). [-]

    The scale is the in-sample MAE of the seasonal naive forecast on ``y_train``:
    ``mean |y_t - y_{t-season}|`` over pairs where both values are observed.
    """
    if season < 1:
        raise ConfigError(f"season must be >= 1, got {season}")
    train = np.asarray(y_train, dtype=np.float64).ravel()
    if train.size <= season:
        raise DataError(f"mase needs more than season={season} training values, got {train.size}")
    diffs = np.abs(train[season:] - train[:-season])
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size == 0 or np.mean(diffs) == 0:
        raise DataError("mase scale is zero or undefined: the training series is constant or empty")
    yt, yp = _pair(y_true, y_pred, mask)
    _nonempty(yt, "mase")
    return float(np.mean(np.abs(yp - yt)) / np.mean(diffs))


def cv_rmse(y_true: ArrayLike, y_pred: ArrayLike, mask: ArrayLike | None = None) -> float:
    """Coefficient of variation of the RMSE, ``100 * RMSE / mean(y)`` (ASHRAE Guideline 14). [%]"""
    yt, yp = _pair(y_true, y_pred, mask)
    _nonempty(yt, "cv_rmse")
    mean = np.mean(yt)
    if mean == 0:
        raise DataError("cv_rmse is undefined when the mean actual is 0")
    return float(100.0 * np.sqrt(np.mean((yp - yt) ** 2)) / mean)


def nmae(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    capacity: ArrayLike,
    threshold: float = 0.1,
    mask: ArrayLike | None = None,
) -> float:
    """Capacity-normalised MAE over hours with enough generation. [%]

    ``100 * mean(|ŷ - y| / capacity)`` over points whose actual is at least
    ``threshold * capacity``, as in the KPX renewable forecast settlement and DACON
    contests (threshold 10 %). ``threshold=0`` scores every point.

    Parameters
    ----------
    capacity : float or array
        Installed capacity in target units, scalar or per point.
    threshold : float
        Fraction of capacity the actual must reach to count. [-]
    """
    if not 0 <= threshold < 1:
        raise ConfigError(f"threshold must be in [0, 1), got {threshold}")
    yt_all = np.asarray(y_true, dtype=np.float64)
    cap = np.broadcast_to(np.asarray(capacity, dtype=np.float64), yt_all.shape)
    if np.any(~(cap > 0)):
        raise DataError("capacity must be positive everywhere")
    eligible = np.isfinite(yt_all) & (yt_all >= threshold * cap)
    if mask is not None:
        eligible &= np.broadcast_to(np.asarray(mask, dtype=bool), yt_all.shape)
    yt, yp = _pair(y_true, y_pred, eligible)
    _nonempty(yt, "nmae")
    c = cap[np.broadcast_to(eligible, yt_all.shape) & np.isfinite(yt_all)]
    return float(100.0 * np.mean(np.abs(yp - yt) / c))


def _levels(quantiles: Sequence[float]) -> NDArray[np.float64]:
    q = np.asarray(quantiles, dtype=np.float64)
    if q.ndim != 1 or q.size == 0 or np.any((q <= 0) | (q >= 1)):
        raise ConfigError(f"quantiles must be levels strictly between 0 and 1, got {list(quantiles)}")
    return q


def pinball(
    y_true: ArrayLike,
    q_pred: ArrayLike,
    quantiles: Sequence[float],
    mask: ArrayLike | None = None,
) -> float:
    """Pinball (quantile) loss averaged over points and levels. [target units]

    Parameters
    ----------
    y_true : array, shape (N,)
    q_pred : array, shape (N, Q)
        Quantile forecasts, one column per level.
    quantiles : sequence of float, length Q
        Levels in (0, 1).
    """
    q = _levels(quantiles)
    yt = np.asarray(y_true, dtype=np.float64)
    qp = np.asarray(q_pred, dtype=np.float64)
    if qp.shape != (*yt.shape, q.size):
        raise ConfigError(f"q_pred must have shape {(*yt.shape, q.size)}, got {qp.shape}")
    keep = np.isfinite(yt)
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    yt, qp = yt[keep][..., None], qp[keep]
    _nonempty(yt, "pinball")
    if not np.all(np.isfinite(qp)):
        raise DataError("q_pred has NaN or infinite values where y_true is observed")
    diff = yt - qp
    loss = np.maximum(q * diff, (q - 1.0) * diff)
    return float(np.mean(loss))


def crps_quantiles(
    y_true: ArrayLike,
    q_pred: ArrayLike,
    quantiles: Sequence[float],
    mask: ArrayLike | None = None,
) -> float:
    """CRPS approximated from quantile forecasts. [target units]

    Uses ``CRPS = 2 * ∫ pinball_τ dτ`` (Gneiting & Raftery 2007, eq. 21), with the
    integral taken as the mean over the given levels. The approximation converges to the
    exact CRPS as equally spaced levels become dense (tested against the closed form for
    a Gaussian).
    """
    return 2.0 * pinball(y_true, q_pred, quantiles, mask)


def coverage(
    y_true: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    mask: ArrayLike | None = None,
) -> float:
    """Share of observed actuals inside ``[lower, upper]``. [0-1]"""
    yt = np.asarray(y_true, dtype=np.float64)
    lo, hi = np.broadcast_arrays(np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64))
    keep = np.isfinite(yt)
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    if not keep.any():
        raise DataError("coverage: no observed values to score")
    inside = (yt >= lo) & (yt <= hi)
    return float(np.mean(inside[keep]))


def skill_score(score: float, reference: float, perfect: float = 0.0) -> float:
    """Skill against a reference forecast, ``(ref - score) / (ref - perfect)``. [-]

    Positive means better than the reference; 1 is perfect. For error metrics whose
    perfect value is 0, this is ``1 - score / reference``.
    """
    if reference == perfect:
        raise DataError("skill is undefined: the reference already scores perfectly")
    return float((reference - score) / (reference - perfect))


#: Point metrics by name, as used by backtest reports.
METRICS: dict[str, Any] = {
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
    "cv_rmse": cv_rmse,
}
