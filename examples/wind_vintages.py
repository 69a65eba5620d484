"""Seven wind farms with NWP forecast vintages: GEFCom2012 wind, the official test windows.

Data: ``gefcom2012_wind`` (normalised power of 7 farms, hourly, 2009-07 to 2012-06) and
its NWP wind forecasts (u, v, speed at 10 m), issued every 12 h with leads 1-48 h.

Protocol: the competition's 156 test windows of 48 hours (2011-01 to 2012-06). Each
window's origin is the hour before it (00:00 or 12:00 UTC), where the NWP run issued at
that origin is available. The model is trained once on 2009-07-01 to 2010-12-31 and
never sees the test period; at each origin it reads the observations before it and the
covariates of the latest run available at the origin (``Vintages``), with the leakage
guard on. The covariate history in the training frame and in each context is also
honest: for every hour, the freshest run available by then.

Reported: RMSE over all 7 x 156 x 48 test values against ``test.csv`` (the solution),
for energyai and for the competition's persistence benchmark (``benchmark.csv``).

Run:  python examples/wind_vintages.py [--steps 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import polars as pl

import energyai as ea
from energyai.data.vintages import Vintages
from energyai.datasets.loaders import load_gefcom2012_wind_forecasts
from energyai.evaluation import backtest

COVARIATES = ("wind_speed", "u", "v")


def _ymdh(col: str) -> pl.Expr:
    return (pl.col(col).cast(pl.Utf8) + "00").str.to_datetime("%Y%m%d%H%M").dt.replace_time_zone("UTC")


def official(root: Path, name: str) -> pl.DataFrame:
    """test.csv or benchmark.csv in long format: farm, timestamp, value."""
    wide = pl.read_csv(root / name).with_columns(_ymdh("date").alias("timestamp"))
    return wide.unpivot(index="timestamp", on=[f"wp{i}" for i in range(1, 8)], variable_name="farm",
                        value_name="value")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--data", default=os.environ.get("ENERGYAI_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "datasets")))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "output" / "wind_vintages"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = Path(args.data) / "gefcom2012_wind"

    d = ea.datasets.load("gefcom2012_wind", data_dir=args.data)
    power = d.frame.select("farm", "timestamp", "power")
    runs = Vintages(load_gefcom2012_wind_forecasts(root), columns=COVARIATES, series_id="farm")
    hist = runs.as_history(power["timestamp"], power["farm"])  # freshest run available by each hour
    frame = power.with_columns([hist[c] for c in COVARIATES])
    frame = frame.filter(pl.all_horizontal([pl.col(c).is_not_null() for c in COVARIATES]) |
                         (pl.col("timestamp") > pl.datetime(2010, 12, 31, 23, time_zone="UTC")))
    schema = d.schema.with_(future_covariates=COVARIATES)

    truth = official(root, "test.csv")
    bench = official(root, "benchmark.csv")
    starts = truth.filter(pl.col("farm") == "wp1").sort("timestamp")["timestamp"]
    gap = (starts - starts.shift(1)).fill_null(dt.timedelta(hours=99)) != dt.timedelta(hours=1)
    cutoffs = [t - dt.timedelta(hours=1) for t in starts.filter(gap).to_list()]
    assert len(cutoffs) == 156

    train = frame.filter(pl.col("timestamp") <= pl.datetime(2010, 12, 31, 23, time_zone="UTC"))
    model = ea.Forecaster("tide", context_length=72, horizon=48, quantiles=(0.1, 0.5, 0.9), max_steps=args.steps,
                          seed=0)
    model.fit(train, schema)
    res = backtest(model, frame, schema, cutoffs=cutoffs, future=runs, fit=False)
    assert res.future_source == "vintages"
    fc = res.forecasts.join(truth, on=["farm", "timestamp"], how="inner")
    assert fc.height == truth.height, (fc.height, truth.height)
    ours = float(np.sqrt(((fc["forecast"] - fc["value"]) ** 2).mean()))
    b = bench.join(truth, on=["farm", "timestamp"], suffix="_true")
    persistence = float(np.sqrt(((b["value"] - b["value_true"]) ** 2).mean()))
    by_farm = fc.group_by("farm").agg(((pl.col("forecast") - pl.col("value")) ** 2).mean().sqrt().alias("rmse"))
    by_lead = fc.group_by("lead").agg(((pl.col("forecast") - pl.col("value")) ** 2).mean().sqrt().alias("rmse"))
    print(f"GEFCom2012 wind: 156 official 48-h windows x 7 farms = {truth.height} test values")
    print(f"  energyai TiDE + NWP vintages  RMSE {ours:.4f}")
    print(f"  persistence benchmark         RMSE {persistence:.4f}")
    print(f"  skill {1 - ours / persistence:+.3f}")
    report = {"protocol": "GEFCom2012 wind official test windows; train 2009-07-01..2010-12-31; NWP run issued at "
                          "each origin (Vintages, leakage-checked)",
              "rmse_energyai": ours, "rmse_persistence_benchmark": persistence, "skill": 1 - ours / persistence,
              "rmse_by_farm": dict(zip(*by_farm.sort("farm").to_dict(as_series=False).values(), strict=True)),
              "rmse_by_lead_first_last": [float(by_lead.sort("lead")["rmse"][0]), float(by_lead.sort("lead")["rmse"][-1])],
              "steps": model.history_["steps"], "command": f"python examples/wind_vintages.py --steps {args.steps}"}
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    _plot(fc, out / "window.png")
    print(f"wrote {out / 'metrics.json'} and {out / 'window.png'}")


def _plot(fc: pl.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = fc.filter(pl.col("farm") == "wp1").sort("timestamp").head(48 * 4)
    fig, ax = plt.subplots(figsize=(11, 4))
    ax.plot(first["timestamp"].to_list(), first["value"].to_list(), color="black", lw=2, label="actual (test.csv)")
    ax.plot(first["timestamp"].to_list(), first["forecast"].to_list(), label="TiDE + NWP vintages")
    ax.fill_between(first["timestamp"].to_list(), first["q0.1"].to_list(), first["q0.9"].to_list(), alpha=0.2,
                    label="10-90%")
    ax.set_ylabel("normalised power")
    ax.set_title("GEFCom2012 wind farm 1: the first four official test windows")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
