"""Batch-1 latency of an exported ensemble against one member, in onnxruntime (one thread).

Fits the ``day-ahead-load`` preset on the shipped England and Wales demand (Taylor 2003)
twice with a small budget (latency does not depend on the weights): the default ensemble
(two TiDE seeds and a LightGBM member sharing the in-graph calendar and holidays) and a
single TiDE network (``ensemble=1``). Both are exported to one ONNX file each and timed
through the torch-free runtime, ``OnnxForecaster.predict`` on the same 14-day context
(median of 30 calls after 3 warm-ups, one intra-op thread), with the file sizes.

Run:  python benchmarks/ensemble_latency.py [--out benchmarks/results/ensemble_latency.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

import energyai as ea
from energyai._timing import median_ms
from energyai.runtime import OnnxForecaster

HERE = Path(__file__).resolve().parent


def _fit(ensemble: int) -> ea.Forecaster:
    ds = ea.datasets.load("taylor_uk_demand_2000")
    london = ZoneInfo("Europe/London")
    train = ds.frame.filter(pl.col("timestamp") < dt.datetime(2000, 8, 14, tzinfo=london))
    model = ea.Forecaster.preset("day-ahead-load", country="GB", issue_time="10:00", freq="30min", tz="Europe/London",
                                 val_size=0.3, ensemble=ensemble, max_steps=60, progress_bar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a 60-step budget: the early-stopping notes are expected
        return model.fit(train, ds.schema, calibrate=None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE / "results" / "ensemble_latency.json"))
    args = ap.parse_args()
    ds = ea.datasets.load("taylor_uk_demand_2000")
    london = ZoneInfo("Europe/London")
    recent = ds.frame.filter(pl.col("timestamp") <= dt.datetime(2000, 8, 20, 10, tzinfo=london)).tail(14 * 48)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, n in (("one_tide_member", 1), ("ensemble_2_tide_plus_lightgbm", 3)):
            path = Path(tmp) / f"{name}.onnx"
            _fit(n).export(path)
            device = OnnxForecaster(path, threads=1)
            ms = median_ms(lambda d=device: d.predict(recent), 30, 3)
            rows[name] = {"predict_ms": round(ms, 3), "file_bytes": path.stat().st_size}
    rows["ratio"] = round(rows["ensemble_2_tide_plus_lightgbm"]["predict_ms"] / rows["one_tide_member"]["predict_ms"], 2)
    result = {"rows": rows, "threads": 1, "calls": "median of 30 after 3 warm-ups",
              "loadavg": os.getloadavg(), "command": "python benchmarks/ensemble_latency.py"}
    print(json.dumps(result, indent=2))
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
