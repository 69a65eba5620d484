"""Conformal calibration of a fitted model's quantiles, carried inside the network.

A quantile forecast is calibrated when the actual falls under its level-``q`` quantile a
share ``q`` of the time, and a central interval covers its nominal share. Networks
trained on pinball loss are often too narrow (or too wide) out of sample. :func:`calibrate`
measures, on origins *after* the training data, residuals in units of each window's
instance scale (so series of any size share one correction), per lead ``h``:

- **central intervals** (levels ``q`` and ``1 - q`` both present): conformalized quantile
  regression (Romano, Patterson and Candès 2019). With ``E = max(lo - y, y - hi) / scale``,
  the interval becomes ``[lo - e·scale, hi + e·scale]``, ``e`` the
  ``ceil((n + 1)(1 - 2q))``-th smallest ``E``: at least ``1 - 2q`` of exchangeable future
  actuals fall inside. ``e < 0`` narrows a band that was too wide.
- **the median**: shifted by the median residual.
- **a level without its mirror**: one-sided, the ``ceil((n + 1) q)``-th smallest residual
  ``(y - q̂) / scale`` for ``q > 0.5``, the ``floor((n + 1) q)``-th for ``q < 0.5``.

The shifts ``δ[h, level]`` are a buffer of the network
(:meth:`~energyai.nn.network.ForecastNetwork.set_calibration`): every forecast becomes
``forecast + δ × scale`` before the quantiles are sorted and clipped, so ``predict``,
``backtest``, ``export`` and the runtime all apply it with no extra code. The shifts apply
to the sorted levels and the result is sorted again; where shifted levels cross (a model
whose raw quantiles nearly coincide), the sort moves the realised coverage a little, as the
manifest's before and after shares show.

What it assumes: the calibration origins behave like the future (exchangeability). A
calibration fitted on summer origins widens or narrows winter intervals by summer's
measure; refresh it with recent origins (calibrate again) when the season turns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from energyai.exceptions import ConfigError, InsufficientDataError
from energyai.runtime.conformal import conformal_shift, lead_shifts

__all__ = ["METHODS", "calibrate", "conformal_shift", "lead_shifts"]

METHODS = ("conformal",)
GROUPINGS = ("lead",)


def _columns(model: Any) -> dict[float, str]:
    from energyai.base import quantile_column

    cols = {q: quantile_column(q) for q in (model.quantiles or ())}
    cols.setdefault(0.5, "forecast")
    missing = [q for q in model.levels_ if q not in cols]
    if missing:
        raise ConfigError(f"levels {missing} have no output column; calibrate a model whose quantiles include them")
    return cols


def _check_after_training(model: Any, cutoffs: list[Any]) -> None:
    from energyai.inference import utc64

    end = (getattr(model, "history_", {}) or {}).get("data_end")
    if end is None:
        raise ConfigError("this model does not record the end of its training data (it predates energyai's "
                          "calibration); refit it, so that calibration can refuse origins it was trained on")
    last = np.datetime64(str(end).rstrip("Z"), "s")
    inside = [c for c in cutoffs if utc64(c) < last]
    if inside:
        raise ConfigError(f"{len(inside)} calibration cutoffs lie inside the training data (it ends {end}), first "
                          f"{inside[0]}; residuals of windows the model was fitted on are too small. Calibrate on "
                          "origins after the training data")


def calibrate(model: Any, df: Any, cutoffs: list[Any], *, method: str = "conformal", by: str = "lead",
              future: Any = None, min_windows: int = 30) -> Any:
    """A calibrated copy of a fitted :class:`~energyai.Forecaster`.

    Parameters
    ----------
    model : Forecaster
        Fitted; not changed.
    df : polars.DataFrame
        History and actuals covering the calibration origins and their horizons, in the
        model's schema.
    cutoffs : list of datetime
        Calibration origins (the last observed instant of each), all after the training
        data (``history_["data_end"]``).
    method : {"conformal"}
        One-sided split-conformal shifts per level (module notes).
    by : {"lead"}
        One shift per lead and level.
    future : polars.DataFrame, optional
        Known-future covariates per origin, as for :meth:`Forecaster.forecast_origins`.
    min_windows : int
        Fewest scored windows per lead (a conformal quantile of 5 residuals is noise).

    Returns
    -------
    Forecaster
        A deep copy whose network carries the shifts; ``manifest_["calibration"]`` records
        the method, the origins and the coverage of each central interval before and after, on the
        calibration origins themselves.

    Raises
    ------
    ConfigError
        An unknown method or grouping, no cutoffs, or cutoffs inside the training data.
    InsufficientDataError
        Fewer than ``min_windows`` observed windows at some lead.
    """
    import copy

    import torch

    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    if by not in GROUPINGS:
        raise ConfigError(f"by must be one of {GROUPINGS}, got {by!r}")
    if not cutoffs:
        raise ConfigError("calibrate needs cutoffs: the calibration origins, after the training data")
    model._check_fitted()
    _check_after_training(model, cutoffs)
    from energyai.inference import forecast_origins

    base = copy.deepcopy(model)
    base.network_.calibration = None  # residuals of the raw network, not of an earlier calibration
    fc = forecast_origins(base, df, cutoffs, future, scale=True)
    cols = _columns(model)
    shift, counts, informative = _shifts(fc, cols, model.levels_, model.horizon, min_windows)
    out = copy.deepcopy(model)
    out.network_.set_calibration(torch.from_numpy(shift.astype(np.float32)))
    after = out.forecast_origins(df, cutoffs, future)
    out.manifest_ = {**getattr(model, "manifest_", {}), "calibration": {
        "method": method, "by": by, "cutoffs": len(cutoffs), "first_cutoff": str(cutoffs[0]),
        "last_cutoff": str(cutoffs[-1]), "windows_per_lead": [min(counts), max(counts)],
        "coverage_before": _coverage(fc, cols, model.levels_, informative),
        "coverage_after": _coverage(after, cols, model.levels_, informative)}}
    return out


def _shifts(fc: Any, cols: dict[float, str], levels: tuple[float, ...], horizon: int,
            min_windows: int) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Shifts (H, Q) from a forecast table with ``scale``; the windows per lead; the rows used."""
    shift = np.zeros((horizon, len(levels)), dtype=np.float64)
    counts = []
    lead = fc["lead"].to_numpy()
    actual = fc["actual"].to_numpy().astype(np.float64)
    scale = fc["scale"].to_numpy()
    quant = np.column_stack([fc[cols[q]].to_numpy() for q in levels])
    # steps the graph forces to one value (night zeros of a PV model, with a zero actual) say
    # nothing about the spread and would pull every shift to 0
    informative = np.isfinite(actual) & ~((quant == quant[:, :1]).all(axis=1) & (actual == quant[:, 0]))
    for h in range(1, horizon + 1):
        rows = informative & (lead == h)
        counts.append(int(rows.sum()))
        if rows.sum() == 0:
            continue  # a lead the graph always fixes: no shift needed
        if rows.sum() < min_windows:
            raise InsufficientDataError(f"lead {h} has {int(rows.sum())} observed calibration windows, fewer than "
                                        f"min_windows={min_windows}; give more cutoffs")
        shift[h - 1] = lead_shifts(actual[rows], quant[rows], scale[rows], levels)
    return shift, counts, informative


def _coverage(fc: Any, cols: dict[float, str], levels: tuple[float, ...], rows: np.ndarray) -> dict[str, float]:
    """On the calibration origins: the share of actuals inside each central interval
    (``"0.1-0.9"``) and at or under the median (``"0.5"``)."""
    a = fc["actual"].to_numpy().astype(np.float64)[rows]
    out = {}
    for q in levels:
        if q < 0.5 and round(1.0 - q, 9) in {round(v, 9) for v in levels}:
            hi = next(v for v in levels if round(v, 9) == round(1.0 - q, 9))
            lo_v, hi_v = fc[cols[q]].to_numpy()[rows], fc[cols[hi]].to_numpy()[rows]
            out[f"{q}-{hi}"] = float(np.mean((a >= lo_v) & (a <= hi_v)))
    out["0.5"] = float(np.mean(a <= fc[cols[0.5]].to_numpy()[rows]))
    return out
