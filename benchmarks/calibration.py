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
* ``kr_load``: Korean national load, issued D-1 10:00 KST for D 00-23 h (leads 14-37);
  train 2013 .. 2018 (validation 2018-07 .. 12), calibrate on the origins of 2019, test
  every day of 2020 .. 2021. No weather.

Metrics on the test period: share of actuals inside the 10-90 % and 5-95 % intervals
(target 80 % and 90 %), and the CRPS approximated from the five quantiles
(:func:`energyai.metrics.crps_quantiles`), in target units.

Run:  python benchmarks/calibration.py --task gefcom_solar [--out benchmarks/results/calibration_gefcom_solar.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

import energyai as ea
from energyai.metrics import crps_quantiles

HERE = Path(__file__).resolve().parent
LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
UTC = dt.timezone.utc


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
         first_lead: int = 1) -> dict[str, Any]:
    t0 = time.perf_counter()
    model.fit(train, schema, val_start=val_start)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    cal = model.calibrate(frame, cal_cut)
    cal_s = time.perf_counter() - t0
    out: dict[str, Any] = {"task": task, "protocol": (__doc__ or "").split("Run:")[0].strip(),
                           "fit_seconds": round(fit_s, 1), "calibrate_seconds": round(cal_s, 1),
                           "steps": model.history_["steps"], "calibration": cal.manifest_["calibration"]}
    raw = model.forecast_origins(frame, test_cut).filter(pl.col("lead") >= first_lead)
    fixed = cal.forecast_origins(frame, test_cut).filter(pl.col("lead") >= first_lead)
    keep = np.ones(raw.height, bool) if min_median is None else raw["forecast"].to_numpy() >= min_median
    out["raw"], out["calibrated"] = scores(raw, keep), scores(fixed, keep)
    out["crps_change"] = out["calibrated"]["crps"] / out["raw"]["crps"] - 1.0
    return out


TASKS = {"gefcom_solar": gefcom_solar, "kr_load": kr_load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    ap.add_argument("--data-dir", default=os.environ.get("ENERGYAI_DATA", str(HERE.parent.parent / "shared" /
                                                                          "datasets")))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    result = TASKS[args.task](args)
    print(json.dumps({k: result[k] for k in ("raw", "calibrated", "crps_change", "fit_seconds")}, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, default=str) + "\n")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
