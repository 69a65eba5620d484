"""Wall time of each preset's default fit on one series of one year of hourly data.

The brief's budget: a default fit of one series-year finishes in minutes on 2 CPU cores;
the presets issue asks for at most 2 minutes. Each preset is fitted with its defaults
(``max_steps="auto"``) on a real series-year:

- ``day-ahead-load``: Korean national load, 2019 (``kr_national_load_2013_2021``), KR holidays;
- ``day-ahead-solar``: GEFCom2014 solar zone 1, 2013-06-01..2014-05-31, with its NWP;
- ``day-ahead-wind``: GEFCom2012 wind farm 1, 2010, with NWP runs matched to each origin.

Usage: python benchmarks/preset_fit_time.py [--data-dir ../shared/datasets] [--threads 2]
Prints one line per preset and writes ``benchmarks/results/preset_fit_time.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path

import polars as pl
import torch

import energyai as ea

RESULTS = Path(__file__).resolve().parent / "results"


def _one_year(frame: pl.DataFrame, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    ts = pl.col("timestamp").dt.convert_time_zone("UTC")
    return frame.filter(ts.is_between(start.astimezone(dt.UTC), end.astimezone(dt.UTC), closed="left"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = {}

    kst = dt.timezone(dt.timedelta(hours=9))
    d = ea.datasets.load("kr_national_load_2013_2021", data_dir=args.data_dir)
    load = _one_year(d.frame.select("timestamp", "load_mw"), dt.datetime(2019, 1, 1, tzinfo=kst),
                     dt.datetime(2020, 1, 1, tzinfo=kst))
    jobs = [("day-ahead-load", ea.Forecaster.preset("day-ahead-load", country="KR", tz="Asia/Seoul"),
             load, d.schema.with_(future_covariates=()), None)]

    s = ea.datasets.load("gefcom2014_solar", data_dir=args.data_dir)
    solar = _one_year(s.frame.filter(pl.col("zone") == "zone1"), dt.datetime(2013, 6, 1, tzinfo=dt.UTC),
                      dt.datetime(2014, 6, 1, tzinfo=dt.UTC))
    jobs.append(("day-ahead-solar", ea.Forecaster.preset("day-ahead-solar", issue_time="23:00", tz="UTC"),
                 solar, s.schema, None))

    from energyai.data.vintages import Vintages
    from energyai.datasets.loaders import load_gefcom2012_wind_forecasts

    w = ea.datasets.load("gefcom2012_wind", data_dir=args.data_dir)
    power = w.frame.filter(pl.col("farm") == "wp1").select("farm", "timestamp", "power")
    runs = Vintages(load_gefcom2012_wind_forecasts(Path(args.data_dir) / "gefcom2012_wind")
                    .filter(pl.col("farm") == "wp1"), columns=("wind_speed", "u", "v"), series_id="farm")
    hist = runs.as_history(power["timestamp"], power["farm"])
    wind = power.with_columns([hist[c] for c in ("wind_speed", "u", "v")])
    wind = _one_year(wind, dt.datetime(2010, 1, 1, tzinfo=dt.UTC), dt.datetime(2011, 1, 1, tzinfo=dt.UTC))
    jobs.append(("day-ahead-wind", ea.Forecaster.preset("day-ahead-wind", issue_time="00:00", tz="UTC"),
                 wind, w.schema.with_(future_covariates=("wind_speed", "u", "v")), runs))

    for name, model, frame, schema, future in jobs:
        t0 = time.perf_counter()
        model.fit(frame, schema, future=future)
        seconds = time.perf_counter() - t0
        h = model.history_
        rows[name] = {"fit_seconds": round(seconds, 1), "steps": h["steps"], "train_windows": h["train_windows"],
                      "stopped_by": h["stopped_by"], "rows": frame.height}
        print(f"{name:16s} {seconds:6.1f} s  {h['steps']} steps  {h['train_windows']} windows  "
              f"stopped by {h['stopped_by']}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    report = {"command": "python benchmarks/preset_fit_time.py", "threads": args.threads,
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, python {platform.python_version()}",
              "results": rows}
    (RESULTS / "preset_fit_time.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS / 'preset_fit_time.json'}")


if __name__ == "__main__":
    main()
