"""Split-conformal shifts of quantile forecasts, in numpy (the runtime's and the library's).

:func:`lead_shifts` gives, for one lead, the shift of each level that makes its central
intervals cover their nominal share on exchangeable data (conformalized quantile
regression, Romano, Patterson and Candès 2019) and moves the median to the median
residual; see :mod:`energyai.calibration` for the method and
:class:`energyai.runtime.StreamingForecaster` for refreshing it on a device.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["conformal_shift", "lead_shifts"]


def conformal_shift(residuals: np.ndarray, level: float) -> float:
    """The split-conformal quantile of ``residuals`` (1-D, finite) for ``level``: the
    ``ceil((n + 1) level)``-th smallest above 0.5 (the largest when that exceeds ``n``), the
    ``floor((n + 1) level)``-th below it (the smallest when that is 0), the median at 0.5."""
    r = np.sort(residuals)
    n = r.size
    if level == 0.5:
        return float(np.median(r))
    if level > 0.5:
        k = math.ceil((n + 1) * level)
        return float(r[min(k, n) - 1])
    k = math.floor((n + 1) * level)
    return float(r[max(k, 1) - 1])


def lead_shifts(actual: np.ndarray, quant: np.ndarray, scale: np.ndarray, levels: tuple[float, ...]) -> np.ndarray:
    """Shifts of one lead, shape (Q,), in units of ``scale`` (module notes).

    Parameters
    ----------
    actual : ndarray, shape (n,)
        Observed values of ``n`` forecasts at this lead.
    quant : ndarray, shape (n, Q)
        Their quantiles at ``levels``, sorted.
    scale : ndarray, shape (n,)
        Each window's scale (ones for target units).
    levels : tuple of float
        The Q levels, sorted.

    Returns
    -------
    ndarray, shape (Q,)
        Add ``shift × scale`` to each level (central pairs: ``-e`` and ``+e``).
    """
    res = (actual[:, None] - quant) / scale[:, None]
    out = np.array([conformal_shift(res[:, j], q) for j, q in enumerate(levels)])
    for j, q in enumerate(levels):
        if q >= 0.5 or round(1.0 - q, 9) not in {round(v, 9) for v in levels}:
            continue
        k = [round(v, 9) for v in levels].index(round(1.0 - q, 9))
        spill = np.maximum(quant[:, j] - actual, actual - quant[:, k]) / scale
        e = conformal_shift(spill, 1.0 - 2.0 * q)
        out[j], out[k] = -e, e
    return out
