"""Conformal calibration on the day-ahead preset tasks: coverage and CRPS before and after.

Each task trains its preset, calibrates it on origins after the training data
(:meth:`energyai.Forecaster.calibrate`, one conformal shift per lead and level, carried in
the network), and scores both on a later test period it has never seen:

* ``gefcom_solar``: GEFCom2014 solar, 3 zones, issued 23:00 UTC with each day's 00 UTC
  ECMWF run; train 2012-04 .. 2013-03 (validation 2013-01 .. 03), calibrate on the origins
  of 2013-04 .. 06, test every day of 2013-07 .. 2014-06. Scored over the steps whose raw
  median forecast is at least 5 % of capacity (the same steps for both models): at night,
  dawn and dusk the output has an atom at 0 that any band starting at 0 covers, so those
  steps would say nothing about the band. Chosen on the forecast, not the outcome.
* ``gefcom_wind``: GEFCom2012 wind, 7 farms, 48 h ahead from 00 and 12 UTC, every forecast
  reading the NWP run available at its origin (:class:`~energyai.data.vintages.Vintages`);
  train 2009-07 .. 2010-12, calibrate on every 00 and 12 UTC origin of 2011-01 .. 06, test
  on the official 48-h windows whose origin is 2011-07 or later (104 of the 156, to 2012-06).
  Scored, as solar, over the steps whose raw median is at least 5 % of capacity: calm hours
  have an atom at 0 output that a band starting at 0 covers whatever the calibration does
  (``all_steps`` scores every step too).
* ``kr_load``: Korean national load, issued D-1 10:00 KST for D 00-23 h (leads 14-37);
  train 2013 .. 2018 (validation 2018-07 .. 12), calibrate on the origins of 2019, test
  every day of 2020 .. 2021. No weather.

The default (conformal, by lead) is ``calibrated``; ``variants`` scores the isotonic method
and the by-lead-and-hour grouping on the same fit (by hour only where origins are issued at
more than one hour).

Metrics on the test period: share of actuals inside the 10-90 % and 5-95 % intervals
(target 80 % and 90 %), and the CRPS approximated from the five quantiles
(:func:`energyai.metrics.crps_quantiles`), in target units.

Run:  python benchmarks/calibration.py --task gefcom_solar [--out benchmarks/results/calibration_gefcom_solar.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from common import add_data_dir

import energyai as ea
from energyai.metrics import crps_quantiles

HERE = Path(__file__).resolve().parent
LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
UTC = dt.timezone.utc
ARGS = argparse.Namespace(model_dir=None)


def _days(first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    return [first + dt.timedelta(days=d) for d in range((last - first).days + 1)]


def scores(fc: pl.DataFrame, keep: np.ndarray) -> dict[str, float]:
    """Interval coverage and quantile CRPS of a forecast table with q0.05 .. q0.95, over ``keep``."""
    cols = ["q0.05", "q0.1", "forecast", "q0.9", "q0.95"]
    q = fc.select(cols).to_numpy()
    a = fc["actual"].to_numpy().astype(np.float64)
    keep = keep & np.isfinite(a)
    q, a = q[keep], a[keep]
    return {"steps": int(keep.sum()),
            "coverage_10_90": float(np.mean((a >= q[:, 1]) & (a <= q[:, 3]))),
            "coverage_5_95": float(np.mean((a >= q[:, 0]) & (a <= q[:, 4]))),
            "width_10_90": float(np.mean(q[:, 3] - q[:, 1])),
            "crps": float(crps_quantiles(a, q, LEVELS))}


def gefcom_solar(args: argparse.Namespace) -> dict[str, Any]:
    ds = ea.datasets.load("gefcom2014_solar", data_dir=args.data_dir)
    frame, schema = ds.frame, ds.schema
    model = ea.Forecaster.preset("day-ahead-solar", issue_time="23:00", freq="1h", tz="UTC", quantiles=LEVELS,
                                 progress_bar=False)
    train = frame.filter(pl.col("timestamp") < dt.datetime(2013, 4, 1, tzinfo=UTC))
    cal_cut = _days(dt.datetime(2013, 3, 31, 23, tzinfo=UTC), dt.datetime(2013, 6, 29, 23, tzinfo=UTC))
    test_cut = _days(dt.datetime(2013, 6, 30, 23, tzinfo=UTC), dt.datetime(2014, 6, 29, 23, tzinfo=UTC))
    return _run("gefcom_solar", model, frame, schema, train, dt.datetime(2013, 1, 1, tzinfo=UTC), cal_cut, test_cut,
                min_median=0.05)


def gefcom_wind(args: argparse.Namespace) -> dict[str, Any]:
    from presets import WIND_COVARIATES, _official  # the presets issue's wind task, unchanged

    from energyai.data.vintages import Vintages
    from energyai.datasets.loaders import load_gefcom2012_wind_forecasts

    root = Path(args.data_dir) / "gefcom2012_wind"
    d = ea.datasets.load("gefcom2012_wind", data_dir=args.data_dir)
    power = d.frame.select("farm", "timestamp", "power")
    runs = Vintages(load_gefcom2012_wind_forecasts(root), columns=WIND_COVARIATES, series_id="farm")
    hist = runs.as_history(power["timestamp"], power["farm"])
    frame = power.with_columns([hist[c] for c in WIND_COVARIATES])
    train_end = dt.datetime(2010, 12, 31, 23, tzinfo=UTC)
    frame = frame.filter(pl.all_horizontal([pl.col(c).is_not_null() for c in WIND_COVARIATES])
                         | (pl.col("timestamp") > train_end))
    schema = d.schema.with_(future_covariates=WIND_COVARIATES)
    starts = _official(root, "test.csv").filter(pl.col("farm") == "wp1").sort("timestamp")["timestamp"]
    gap = (starts - starts.shift(1)).fill_null(dt.timedelta(hours=99)) != dt.timedelta(hours=1)
    official = [t - dt.timedelta(hours=1) for t in starts.filter(gap).to_list()]
    test_cut = [c for c in official if c >= dt.datetime(2011, 7, 1, tzinfo=UTC)]
    first = dt.datetime(2011, 1, 1, tzinfo=UTC)
    cal_cut = [first + dt.timedelta(hours=12 * k) for k in range(2 * 179)]  # to 2011-06-28 12:00: horizons end by 07-01
    model = ea.Forecaster.preset("day-ahead-wind", wind_columns=("u", "v"), tz="UTC", horizon=48, origin_time=None,
                                 quantiles=LEVELS, progress_bar=False, **_overrides(args))
    train = frame.filter(pl.col("timestamp") <= train_end)
    step = dt.timedelta(hours=1)
    return _run("gefcom_wind", model, frame, schema, train, None, cal_cut, test_cut, min_median=0.05,
                vintages=(runs, runs.for_origins(cal_cut, 48, step), runs.for_origins(test_cut, 48, step)))


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {"max_steps": args.max_steps} if args.max_steps else {}


def kr_load(args: argparse.Namespace) -> dict[str, Any]:
    kst = ZoneInfo("Asia/Seoul")
    ds = ea.datasets.load("kr_national_load_2013_2021", data_dir=args.data_dir)
    frame = ds.frame.select("timestamp", "load_mw")
    schema = ds.schema.with_(future_covariates=())
    model = ea.Forecaster.preset("day-ahead-load", country="KR", issue_time="10:00", tz="Asia/Seoul", freq="1h",
                                 quantiles=LEVELS, progress_bar=False)
    train = frame.filter(pl.col("timestamp") < dt.datetime(2019, 1, 1, tzinfo=kst))
    # an origin is the last observed hour: 09:00 for the 10:00 issue (the DayAheadProtocol's cutoff)
    cal_cut = _days(dt.datetime(2019, 1, 1, 9, tzinfo=kst), dt.datetime(2019, 12, 30, 9, tzinfo=kst))
    test_cut = _days(dt.datetime(2019, 12, 31, 9, tzinfo=kst), dt.datetime(2021, 12, 30, 9, tzinfo=kst))
    return _run("kr_load", model, frame, schema, train, dt.datetime(2018, 7, 1, tzinfo=kst), cal_cut, test_cut,
                min_median=None, first_lead=14)


def _run(task: str, model: Any, frame: pl.DataFrame, schema: Any, train: pl.DataFrame, val_start: dt.datetime,
         cal_cut: list[dt.datetime], test_cut: list[dt.datetime], min_median: float | None,
         first_lead: int = 1, vintages: tuple[Any, Any, Any] | None = None) -> dict[str, Any]:
    """Fit, calibrate and score; ``vintages`` = (runs for fit, future table of the calibration
    origins, future table of the test origins) for a task whose covariates are forecasts."""
    runs, cal_future, test_future = vintages if vintages is not None else (None, None, None)
    t0 = time.perf_counter()
    cache = Path(ARGS.model_dir) / task if ARGS.model_dir else None
    if cache is not None and (cache / "config.json").exists():
        model = ea.Forecaster.load(cache)  # the same fit, for scoring other calibrations of it
        print("loaded the fitted model from", cache, flush=True)
    else:
        model.fit(train, schema, val_start=val_start, future=runs)
        if cache is not None:
            model.save(cache)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cal = model.calibrate(frame, cal_cut, future=cal_future)
    cal_s = time.perf_counter() - t0
    out: dict[str, Any] = {"task": task, "protocol": (__doc__ or "").split("Run:")[0].strip(),
                           "fit_seconds": round(fit_s, 1), "calibrate_seconds": round(cal_s, 1),
                           "steps": model.history_["steps"], "calibration": cal.manifest_["calibration"]}
    def order(fc: pl.DataFrame) -> pl.DataFrame:  # one row order for every table (keep is positional)
        return fc.filter(pl.col("lead") >= first_lead).sort([*([schema.series_id] if schema.series_id else []),
                                                             "cutoff", "lead"])

    raw = order(model.forecast_origins(frame, test_cut, test_future))
    fixed = order(cal.forecast_origins(frame, test_cut, test_future))
    keep = np.ones(raw.height, bool) if min_median is None else raw["forecast"].to_numpy() >= min_median
    out["raw"], out["calibrated"] = scores(raw, keep), scores(fixed, keep)
    out["crps_change"] = out["calibrated"]["crps"] / out["raw"]["crps"] - 1.0
    if min_median is not None:  # the same forecasts over every step, the atom at 0 included
        every = np.ones(raw.height, bool)
        out["all_steps"] = {"raw": scores(raw, every), "calibrated": scores(fixed, every)}
    # the other methods and groupings on the same fit, calibration and test origins
    hours = {c.hour for c in cal_cut}
    out["variants"] = {}
    for method, by in (("conformal", "lead_hour"), ("isotonic", "lead"), ("isotonic", "lead_hour")):
        if by == "lead_hour" and len(hours) == 1:
            continue  # one issue hour: the same as by lead
        other = model.calibrate(frame, cal_cut, future=cal_future, method=method, by=by)
        fc = order(other.forecast_origins(frame, test_cut, test_future))
        got = scores(fc, keep)
        got["crps_change"] = got["crps"] / out["raw"]["crps"] - 1.0
        out["variants"][f"{method}/{by}"] = got
    fc = order(_monthly(model, frame, cal_cut, test_cut, test_future, vintages))
    got = scores(fc, keep)
    got["crps_change"] = got["crps"] / out["raw"]["crps"] - 1.0
    out["variants"]["conformal/lead, refreshed monthly"] = got
    return out


def _monthly(model: Any, frame: pl.DataFrame, cal_cut: list[dt.datetime], test_cut: list[dt.datetime],
             test_future: Any, vintages: tuple[Any, Any, Any] | None) -> pl.DataFrame:
    """Test forecasts with the calibration refreshed at the start of each test month, on
    every origin of the same issue times from the first calibration origin up to that
    month (at most the trailing 365 days), whose horizon ended before the month began:
    what an operator refreshing it monthly from recent forecasts and actuals would have."""
    step = model.horizon * (model.schema_.frequency.seconds)
    spacing = cal_cut[1] - cal_cut[0]
    parts = []
    months = sorted({(c.year, c.month) for c in test_cut})
    for y, m in months:
        start = test_cut[0].replace(year=y, month=m, day=1, hour=0, minute=0)
        cuts, c = [], cal_cut[0]
        while c + dt.timedelta(seconds=step) <= start:
            if start - c <= dt.timedelta(days=365):
                cuts.append(c)
            c += spacing
        cal = model.calibrate(frame, cuts, future=vintages[0] if vintages else None)
        month = [c for c in test_cut if (c.year, c.month) == (y, m)]
        fut = None if test_future is None else test_future.filter(pl.col("cutoff").is_in(month))
        parts.append(cal.forecast_origins(frame, month, fut))
    return pl.concat(parts)


TASKS = {"gefcom_solar": gefcom_solar, "gefcom_wind": gefcom_wind, "kr_load": kr_load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    add_data_dir(ap)
    ap.add_argument("--out", default=None)
    ap.add_argument("--max-steps", type=int, default=None, help="override the preset's training steps (smoke runs)")
    ap.add_argument("--model-dir", default=None, help="keep each task's fitted model here and reuse it on the next run")
    args = ap.parse_args()
    global ARGS
    ARGS = args
    result = TASKS[args.task](args)
    print(json.dumps({k: result[k] for k in ("raw", "calibrated", "crps_change", "variants", "fit_seconds")},
                     indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
