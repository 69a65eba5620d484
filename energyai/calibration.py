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
from energyai.quantile_map import isotonic_map
from energyai.runtime.conformal import conformal_shift, lead_shifts

__all__ = ["METHODS", "calibrate", "conformal_shift", "lead_shifts"]

METHODS = ("conformal", "isotonic")
GROUPINGS = ("lead", "lead_hour")


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


def _check_request(model: Any, cutoffs: Any, method: str, by: str, min_windows: Any) -> None:
    """Typed errors for an unknown method or grouping, missing, non-datetime or repeated
    cutoffs, a ``min_windows`` below 1, an unfitted model, or isotonic with one level."""
    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    if by not in GROUPINGS:
        raise ConfigError(f"by must be one of {GROUPINGS}, got {by!r}")
    if isinstance(cutoffs, (str, bytes)) or not hasattr(cutoffs, "__len__") or len(cutoffs) == 0:
        raise ConfigError("calibrate needs cutoffs: a list of the calibration origins, after the training data")
    if not isinstance(min_windows, (int, np.integer)) or isinstance(min_windows, bool) or min_windows < 1:
        raise ConfigError(f"min_windows must be an int >= 1, got {min_windows!r}")
    from energyai.inference import utc64

    instants = [utc64(c) for c in cutoffs]
    if len(set(instants)) != len(instants):
        first = next(c for k, c in enumerate(cutoffs) if instants[k] in instants[:k])
        raise ConfigError(f"cutoffs repeat an origin ({first}; {len(instants) - len(set(instants))} repeats): a "
                          "repeated window would count as many and pass min_windows; give each origin once")
    model._check_fitted()
    if method == "isotonic" and len(model.levels_) < 2:
        raise ConfigError("isotonic calibration maps levels onto each other and needs at least two quantiles; "
                          "fit the model with quantiles=(0.1, 0.5, 0.9) or more")


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
    method : {"conformal", "isotonic"}
        ``"conformal"``: split-conformal shifts per level (module notes). ``"isotonic"``:
        each level is moved to the raw quantile function's value at the level the
        calibration actuals say it should be (:mod:`energyai.quantile_map`); no shifts.
    by : {"lead", "lead_hour"}
        One correction per lead, or per lead and local hour of the window's first forecast
        step (for models issued at several times of day: the same lead means another hour
        of the day). Hours with no calibration window use their lead's pooled correction.
    future : polars.DataFrame or energyai.data.vintages.Vintages, optional
        Known-future covariates per origin, as for :meth:`Forecaster.forecast_origins`; a
        ``Vintages`` table of weather runs gives each origin the run available at it.
    min_windows : int
        Fewest scored windows per lead (per lead and hour with ``by="lead_hour"``): a
        conformal quantile of 5 residuals is noise.

    Returns
    -------
    Forecaster
        A deep copy whose network carries the correction; ``manifest_["calibration"]`` records
        the method, the origins and the coverage of each central interval before and after, on the
        calibration origins themselves.

    Raises
    ------
    ConfigError
        An unknown method or grouping, no cutoffs, or cutoffs inside the training data.
    InsufficientDataError
        Fewer than ``min_windows`` observed windows at some lead (or lead and hour).
    """
    import copy

    import torch

    if isinstance(cutoffs, np.ndarray):  # an array of instants: one origin per element
        cutoffs = cutoffs.reshape(-1).tolist()
    _check_request(model, cutoffs, method, by, min_windows)
    _check_after_training(model, cutoffs)
    from energyai.inference import forecast_origins

    base = copy.deepcopy(model)
    base.network_.set_calibration(None)  # residuals of the raw network, not of an earlier calibration
    future = _future_table(model, df, future, cutoffs)
    fc = forecast_origins(base, df, cutoffs, future, scale=True)
    cols = _columns(model)
    hours = _window_hours(fc[model.schema_.timestamp], fc["lead"].to_numpy(), model.horizon) \
        if by == "lead_hour" else None
    shift, mix, counts, informative = _maps(fc, cols, model.levels_, model.horizon, min_windows, method, hours)
    out = copy.deepcopy(model)
    out.network_.set_calibration(torch.from_numpy(shift.astype(np.float32)),
                                 None if mix is None else torch.from_numpy(mix.astype(np.float32)))
    after = out.forecast_origins(df, cutoffs, future)
    covered = _coverage(after, cols, model.levels_, informative)
    short = _shortfall(covered)
    out.manifest_ = {**getattr(model, "manifest_", {}), "calibration": {
        "method": method, "by": by, "cutoffs": len(cutoffs), "first_cutoff": str(cutoffs[0]),
        "last_cutoff": str(cutoffs[-1]), "windows_per_lead": [min(counts), max(counts)],
        "coverage_before": _coverage(fc, cols, model.levels_, informative),
        "coverage_after": covered, "shortfall": short}}
    _warn_shortfall(short, method)
    return out


def _warn_shortfall(short: dict[str, Any], method: str) -> None:
    """A :class:`~energyai.exceptions.CalibrationShortfallWarning` when ``short`` is not empty."""
    if short:
        import warnings

        from energyai.exceptions import CalibrationShortfallWarning

        warnings.warn(CalibrationShortfallWarning(
            f"after {method} calibration the intervals still miss their nominal coverage on the calibration origins "
            f"themselves: {short}; the quantiles are not trustworthy (try method='conformal', more origins, or a "
            "model whose spread is closer to the data's)"), stacklevel=3)


def _shortfall(covered: dict[str, float], tolerance: float = 0.15) -> dict[str, dict[str, float]]:
    """Central intervals (``"0.1-0.9"``) whose coverage is more than ``tolerance`` from nominal."""
    out = {}
    for key, share in covered.items():
        if "-" not in key:
            continue
        lo, hi = (float(v) for v in key.split("-"))
        nominal = hi - lo
        if abs(share - nominal) > tolerance:
            out[key] = {"nominal": round(nominal, 4), "covered": round(share, 4)}
    return out


def _future_table(model: Any, df: Any, future: Any, cutoffs: list[Any]) -> Any:
    """``future`` as a per-origin table: a Vintages table gives each origin the runs
    available at it (leakage-checked, as in a backtest)."""
    from energyai.data.vintages import Vintages
    from energyai.evaluation.backtest import origin_table

    if not isinstance(future, Vintages):
        return future
    schema = model.schema_
    cols = tuple(c for c in schema.future_covariates if c in future.columns)
    return origin_table(df, schema, future, cols, cutoffs, model.horizon)


def _maps(fc: Any, cols: dict[float, str], levels: tuple[float, ...], horizon: int, min_windows: int,
          method: str, hour: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, list[int], np.ndarray]:
    """Shifts (H, Q), or (24, H, Q) given each row's ``hour``; the level map of the same
    leading shape plus (Q,), or None; the windows per lead; the rows used. From a forecast
    table with ``scale``."""
    lead = fc["lead"].to_numpy()
    actual = fc["actual"].to_numpy().astype(np.float64)
    scale = fc["scale"].to_numpy()
    quant = np.column_stack([fc[cols[q]].to_numpy() for q in levels])
    # steps the graph forces to one value (night zeros of a PV model, with a zero actual) say
    # nothing about the spread and would pull every shift to 0
    informative = np.isfinite(actual) & ~((quant == quant[:, :1]).all(axis=1) & (actual == quant[:, 0]))
    Q = len(levels)

    def one(rows: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
        if rows.sum() < min_windows:
            raise InsufficientDataError(f"{where} has {int(rows.sum())} observed calibration windows, fewer than "
                                        f"min_windows={min_windows}; give more cutoffs" +
                                        (" or calibrate by='lead'" if hour is not None else ""))
        if method == "isotonic":
            return np.zeros(Q), isotonic_map(actual[rows], quant[rows], levels)
        return lead_shifts(actual[rows], quant[rows], scale[rows], levels), np.eye(Q)

    if not informative.any():
        raise InsufficientDataError("no calibration window has an observed actual after its cutoff (the data end "
                                    "at the cutoffs, or every actual is missing): nothing to calibrate on")
    shift, mix, counts = np.zeros((horizon, Q)), np.tile(np.eye(Q), (horizon, 1, 1)), []
    for h in range(1, horizon + 1):
        rows = informative & (lead == h)
        counts.append(int(rows.sum()))
        if rows.any():  # a lead the graph always fixes needs no shift
            shift[h - 1], mix[h - 1] = one(rows, f"lead {h}")
    if hour is not None:  # by lead and hour; hours never seen keep the pooled row of their lead
        shift, mix = np.repeat(shift[None], 24, 0), np.repeat(mix[None], 24, 0)
        for g in np.unique(hour[informative]):
            for h in range(1, horizon + 1):
                rows = informative & (lead == h) & (hour == g)
                if rows.any():
                    shift[g, h - 1], mix[g, h - 1] = one(rows, f"lead {h} of windows starting at {g:02d}:00")
    return shift, (mix if method == "isotonic" else None), counts, informative


def _window_hours(timestamps: Any, lead: np.ndarray, horizon: int) -> np.ndarray:
    """Each row's group for ``by="lead_hour"``: the local hour of its window's first step
    (a forecast table holds windows of ``horizon`` consecutive leads), as the graph reads it."""
    if len(lead) % horizon or (lead.reshape(-1, horizon) != np.arange(1, horizon + 1)).any():
        raise ValueError(f"the forecast table is not whole windows of leads 1..{horizon} in order")  # a bug, not input
    first = timestamps.dt.hour().to_numpy()[::horizon]
    return np.repeat(first, horizon).astype(np.int64)


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
