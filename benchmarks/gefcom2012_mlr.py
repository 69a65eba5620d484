"""Tao Hong's vanilla MLR on the GEFCom2012 load track, scored beside the official benchmark.

For each of the 20 zones, fit energyai.VanillaMLR on the load history (temperature = mean
of the 11 stations) and forecast the hours of Load_solution.csv: the 8 backcast weeks
(temperature known from the history) and the forecast week 2008-07-01..07 (temperature
from temperature_solution.csv, i.e. ex post). Zone 21 is the sum of zones 1-20. The
competition's own benchmark forecasts (Load_benchmark.csv) are scored on the same rows.

Usage: python benchmarks/gefcom2012_mlr.py [--data-dir ../shared/datasets]
Prints RMSE, MAPE and the competition's weighted RMSE (WRMSE, with Load_solution weights).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import polars as pl

from energyai import VanillaMLR, datasets
from energyai.datasets.loaders import load_gefcom2012_solution, load_gefcom2012_temperature_solution


def score(pred: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    j = truth.join(pred, on=["zone_id", "timestamp"], how="left", suffix="_pred")
    if j["load_pred"].null_count():
        raise SystemExit(f"{j['load_pred'].null_count()} solution hours have no forecast")
    e = (j["load_pred"] - j["load"]).to_numpy()
    w = j["weight"].to_numpy()
    return {
        "rmse": float(np.sqrt(np.mean(e**2))),
        "mape": float(100 * np.mean(np.abs(e) / j["load"].to_numpy())),
        "wrmse": float(np.sqrt(np.sum(w * e**2) / np.sum(w))),
        "hours": j.height,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "gefcom2012_mlr.json"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    ds = datasets.load("gefcom2012_load", args.data_dir)
    root = Path(args.data_dir) / "gefcom2012_load"
    tcols = [f"t{i}" for i in range(1, 12)]
    frame = ds.frame.with_columns(pl.mean_horizontal(tcols).alias("temp_mean"))
    temp_week = load_gefcom2012_temperature_solution(root).with_columns(pl.mean_horizontal(tcols).alias("temp_mean"))
    # fill the forecast-week temperature (absent from the history) with the actual values: ex post
    hist_temp = frame.select("timestamp", "temp_mean").unique("timestamp")
    temps = pl.concat([hist_temp.filter(pl.col("temp_mean").is_not_null()),
                       temp_week.select("timestamp", "temp_mean").join(hist_temp.filter(pl.col("temp_mean").is_not_null()), on="timestamp", how="anti")])
    schema = ds.schema.with_(future_covariates=("temp_mean",))
    train = frame.select("zone_id", "timestamp", "load").join(temps, on="timestamp", how="left")
    train = train.filter(pl.col("load").is_not_null())
    model = VanillaMLR(horizon=1, temperature="temp_mean").fit(train, schema)

    truth = load_gefcom2012_solution(root, "solution")
    bench = load_gefcom2012_solution(root, "benchmark").select("zone_id", "timestamp", pl.col("load").alias("load"))
    rows = truth.filter(pl.col("zone_id") <= 20).select("zone_id", "timestamp").join(temps, on="timestamp", how="left")
    if rows["temp_mean"].null_count():
        raise SystemExit("temperature missing for some solution hours")
    # predict every solution hour with the fitted coefficients (regression: no history needed)
    preds = []
    for (zone,), g in rows.partition_by("zone_id", as_dict=True).items():
        s = model._series_data(g.with_columns(pl.lit(0.0).alias("load")), None, 0)[0]
        s.series = zone
        rows_here = np.flatnonzero(~np.isnan(s.y))  # the solution hours (the grid between weeks is empty)
        x = model._design_rows(s, rows_here)
        ts = pl.Series("timestamp", s.times[rows_here]).dt.replace_time_zone("UTC")
        preds.append(pl.DataFrame({"zone_id": [zone] * len(ts), "timestamp": ts, "load": x @ model.coef_[zone]}))
    pred = pl.concat(preds)
    pred = pl.concat([pred, pred.group_by("timestamp").agg(pl.col("load").sum()).with_columns(pl.lit(21, dtype=pl.Int64).alias("zone_id")).select("zone_id", "timestamp", "load")])
    truth = truth.with_columns(pl.col("zone_id").cast(pl.Int64))
    bench = bench.with_columns(pl.col("zone_id").cast(pl.Int64))
    forecast_week = pl.col("timestamp") >= pl.datetime(2008, 7, 1, time_zone="UTC")
    result = {}
    for label, filt in [("all", pl.lit(True)), ("backcast_weeks", ~forecast_week), ("forecast_week_ex_post", forecast_week)]:
        t = truth.filter(filt)
        result[label] = {"energyai_vanilla_mlr": score(pred, t), "official_benchmark": score(bench, t)}
    result["seconds"] = round(time.perf_counter() - t0, 1)
    print(f"{'period':24s} {'model':22s} {'RMSE':>10s} {'MAPE %':>7s} {'WRMSE':>10s} {'hours':>6s}")
    for label in ("all", "backcast_weeks", "forecast_week_ex_post"):
        for name, m in result[label].items():
            print(f"{label:24s} {name:22s} {m['rmse']:10.0f} {m['mape']:7.2f} {m['wrmse']:10.0f} {m['hours']:6d}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out} in {result['seconds']} s")


if __name__ == "__main__":
    main()
