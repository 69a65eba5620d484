"""Fitting with calibration built in: hold out the most recent origins, fit on the rest, calibrate.

``Forecaster.fit(..., calibrate="auto")`` (the presets' default, ``TrainConfig.calibrate``)
reserves the last weeks of the training data, fits on what comes before (early stopping
and the ensemble's weights use the validation windows inside that part, never the held-out
origins), then calibrates the quantiles conformally on the held-out origins
(:func:`energyai.calibration.calibrate`, by lead). The shifts live in the network, so every
forecast, the saved folder and the exported file carry them. With too little data for a
holdout the model is fitted on everything, left uncalibrated, flagged in
``manifest_["calibration"]`` and a :class:`~energyai.exceptions.CalibrationSkippedWarning`
is issued.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from typing import Any

from energyai.config import CALIBRATION_DEFAULTS, calibration_options
from energyai.exceptions import CalibrationSkippedWarning, ConfigError

__all__ = ["CALIBRATION_DEFAULTS", "calibration_options", "fit_calibrated", "fit_model", "holdout"]

def fit_model(model: Any, df: Any, schema: Any, **fit_args: Any) -> None:
    """:meth:`energyai.Forecaster.fit`'s work: check the options, make the choices a preset takes
    from the data, fit (on all but a holdout when the calibration asks for one), calibrate."""
    from energyai.presets import check_dst_horizon, choose_at_fit
    from energyai.training.fit import fit_forecaster

    model._resolved()  # every option checked before the data is read
    short = check_dst_horizon(model, schema)
    chosen = choose_at_fit(model, df, schema)
    resolved = model._resolved()

    def fit_on(frame: Any) -> None:
        fit_forecaster(model, frame, schema, resolved, **fit_args)

    options = calibration_options(model.calibration)
    resolved["calibration"] = options
    if options is None or options["origins"] == "validation":
        fit_on(df)
    else:
        fit_calibrated(model, df, schema, fit_on, options, future=fit_args.get("future"),
                       val_start=fit_args.get("val_start"))
    if short:
        model.history_["dst_horizon"] = short
        model.manifest_.setdefault("history", {})["dst_horizon"] = short
    if chosen:
        model.history_["chosen_at_fit"] = chosen
        model.manifest_.setdefault("history", {})["chosen_at_fit"] = chosen


def holdout(model: Any, df: Any, schema: Any, options: dict[str, Any]) -> tuple[Any, list[Any], dict[str, Any]] | str:
    """Split ``df`` into the training part and the held-out calibration origins.

    Returns
    -------
    (training frame, cutoffs, info) or str
        The string says why no holdout is possible (too little data).
    """
    import polars as pl

    frame = df.collect() if isinstance(df, pl.LazyFrame) else df
    ts = schema.timestamp
    step = schema.frequency.seconds
    t0, t1 = frame[ts].min(), frame[ts].max()
    if t0 is None or t1 is None:
        return "the training data have no rows"
    span_days = (t1 - t0).total_seconds() / 86400
    horizon = dt.timedelta(seconds=step * model.horizon)
    if options["weeks"] == "auto":
        weeks = min(13.0, math.floor(span_days / 7 / 5))  # at most a fifth of the history
        if weeks < 4:
            return (f"{span_days:.0f} days of data: a calibration holdout of at least 4 weeks would leave less than "
                    "four fifths for training")
    else:
        weeks = float(options["weeks"])
    start = t1 - dt.timedelta(weeks=weeks) - horizon
    if start <= t0:
        return f"{span_days:.0f} days of data are fewer than the {weeks:g}-week calibration holdout"
    cutoffs = _cutoffs(model, start, t1 - horizon, step, schema.tz)
    n_series = frame[schema.series_id].n_unique() if schema.series_id else 1
    if len(cutoffs) * n_series < options["min_windows"]:
        return (f"the {weeks:g}-week holdout gives {len(cutoffs) * n_series} calibration windows per lead, fewer "
                f"than min_windows={options['min_windows']}")
    train = df.filter(pl.col(ts) < cutoffs[0] + dt.timedelta(seconds=step))
    return train, cutoffs, {"weeks": weeks, "first_cutoff": str(cutoffs[0]), "last_cutoff": str(cutoffs[-1]),
                            "cutoffs": len(cutoffs)}


def _utc(value: Any) -> float:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise ConfigError(f"val_start {value} has no time zone; give an aware datetime")
    return float(value.timestamp()) if isinstance(value, dt.datetime) else float("nan")


def _cutoffs(model: Any, start: Any, end: Any, step: int, tz: str | None) -> list[Any]:
    """Origins in [start, end]: each day at ``origin_time`` (local) when set, else evenly spaced steps
    (at most 400)."""
    from zoneinfo import ZoneInfo

    from energyai.config import issue_seconds

    origin = model.train_config.origin_time
    if origin is not None:
        zone = ZoneInfo(tz or "UTC")
        sec = issue_seconds(origin)
        local = start.astimezone(zone)
        day = local.date()
        out = []
        while True:
            c = dt.datetime.combine(day, dt.time(sec // 3600, sec % 3600 // 60, sec % 60), zone)
            if c > end:
                break
            if c >= start:
                out.append(c)
            day += dt.timedelta(days=1)
        return out
    n = int((end - start).total_seconds() // step) + 1
    stride = max(1, math.ceil(n / 400))
    first = start + dt.timedelta(seconds=(-int(start.timestamp())) % step)  # on the data's grid
    return [first + dt.timedelta(seconds=k * step * stride) for k in range(0, max(n // stride, 1))]


def fit_calibrated(model: Any, df: Any, schema: Any, fit: Any, options: dict[str, Any], future: Any = None,
                   val_start: Any = None) -> None:
    """Fit ``model`` (``fit(frame)`` trains it) on all but the held-out origins, then calibrate it there.

    ``options`` from :func:`calibration_options`. The model's network gets the calibration;
    ``manifest_["calibration"]`` and ``history_["calibration"]`` record what was done (or why not).
    """
    split = holdout(model, df, schema, options)
    if isinstance(split, str):
        warnings.warn(f"calibration skipped: {split}; the model is fitted on all the data and its quantiles are "
                      "uncalibrated (manifest_['calibration']['skipped'])", CalibrationSkippedWarning, stacklevel=3)
        fit(df)
        record = {"skipped": split, "calibrated": False}
        model.manifest_["calibration"] = record
        model.history_["calibration"] = record
        return
    train, cutoffs, info = split
    if val_start is not None and _utc(val_start) >= _utc(cutoffs[0]):
        raise ConfigError(f"val_start {val_start} falls in the calibration holdout (from {cutoffs[0]}); early stopping "
                          "and calibration must not share origins. Give an earlier val_start, fewer calibrate weeks, "
                          "or calibrate=None")
    fit(train)
    calibrated = model.calibrate(df, cutoffs, method=options["method"], by=options["by"], future=future,
                                 min_windows=options["min_windows"])
    record = {**calibrated.manifest_["calibration"], **info, "calibrated": True, "refit_all": False}
    shift, mix = calibrated.network_.calibration, calibrated.network_.calibration_mix
    if options["refit_all"]:
        fit(df)  # everything, then the calibration learnt on the held-out origins
        record["refit_all"] = True
    model.network_.set_calibration(shift.clone(), None if mix is None else mix.clone())
    model.manifest_["calibration"] = record
    model.history_["calibration"] = record


def validation_shifts(network: Any, model: Any, data: Any, levels: tuple[float, ...],
                      options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Conformal shifts by lead (H, Q) from ``network``'s forecasts on ``data``'s validation windows.

    ``network`` must not have trained on those windows (early stopping only). Returns the
    shifts as a tensor (None when there are too few windows) and the record for the manifest.
    """
    import numpy as np
    import torch

    from energyai.runtime.conformal import lead_shifts
    from energyai.training.data import WindowBatches

    if data.val_index is None or len(data.val_index) < options["min_windows"]:
        n = 0 if data.val_index is None else len(data.val_index)
        return None, {"calibrated": False, "skipped": f"{n} validation windows, fewer than min_windows="
                      f"{options['min_windows']}: the quantiles are uncalibrated"}
    reads = tuple(network.reads(capacity=data.schema.capacity is not None))
    batches = WindowBatches(data.panel, data.val_index, model.context_length, model.horizon, 512, shuffle=False,
                            names=reads)
    quants, actual, scales = [], [], []
    saved = (network.calibration, network.calibration_mix)
    network.set_calibration(None)
    with torch.no_grad():
        for i in range(len(batches)):
            b = batches[i]
            x = {k: v for k, v in b.inputs().items() if v is not None}
            quants.append(network(dict(x)).numpy())
            scales.append(network.window_scale(dict(x)).numpy())
            actual.append(np.where(b.future_observed.numpy() > 0, b.future_target.numpy(), np.nan))
    if saved[0] is not None:
        network.set_calibration(*saved)
    q, y, s = np.concatenate(quants), np.concatenate(actual), np.concatenate(scales)[:, 0]
    H, Q = q.shape[1], q.shape[2]
    shift = np.zeros((H, Q))
    before, counts = [], []
    for h in range(H):
        qh, yh = q[:, h].astype(np.float64), y[:, h].astype(np.float64)
        # steps the graph forces to one value (PV nights) say nothing about the spread
        rows = np.isfinite(yh) & ~((qh == qh[:, :1]).all(axis=1) & (yh == qh[:, 0]))
        counts.append(int(rows.sum()))
        if rows.sum() >= options["min_windows"]:
            shift[h] = lead_shifts(yh[rows], qh[rows], s[rows], levels)
            before.append((yh[rows], qh[rows]))
    if max(counts) < options["min_windows"]:
        return None, {"calibrated": False, "skipped": f"at most {max(counts)} informative validation windows per "
                      f"lead, fewer than min_windows={options['min_windows']}"}
    record = {"calibrated": True, "method": "conformal", "by": "lead", "origins": "validation",
              "windows_per_lead": [min(counts), max(counts)], "coverage_before": _coverage(before, levels)}
    return torch.from_numpy(shift.astype(np.float32)), record


def _coverage(parts: list[tuple[Any, Any]], levels: tuple[float, ...]) -> dict[str, float]:
    """Share of actuals inside each central interval (``"0.1-0.9"``) over ``(actual, quantiles)`` parts."""
    import numpy as np

    if not parts:
        return {}
    y = np.concatenate([p[0] for p in parts])
    q = np.concatenate([p[1] for p in parts])
    out = {}
    lv = [round(v, 9) for v in levels]
    for j, lo in enumerate(lv):
        if lo < 0.5 and round(1 - lo, 9) in lv:
            k = lv.index(round(1 - lo, 9))
            out[f"{levels[j]:g}-{levels[k]:g}"] = float(np.mean((y >= q[:, j]) & (y <= q[:, k])))
    return out


def apply_validation_calibration(final: Any, unseen: Any, model: Any, data: Any, levels: tuple[float, ...],
                                 options: dict[str, Any] | None) -> dict[str, Any] | None:
    """Calibrate ``final`` with shifts learnt from ``unseen``'s validation forecasts; the record, or None
    when calibration is off or learnt elsewhere (a holdout)."""
    if options is None or options["origins"] != "validation":
        return None
    shift, record = validation_shifts(unseen, model, data, levels, options)
    if shift is None:
        warnings.warn(f"calibration skipped: {record['skipped']}", CalibrationSkippedWarning, stacklevel=4)
        return record
    final.set_calibration(shift)
    if unseen is not final:
        record["applied_to"] = "the networks refitted on training and validation windows"
    return record
