"""Korean national load, day-ahead at D-1 10:00 KST, with and without holiday features.

Data: ``kr_national_load_2013_2021`` (hourly national demand, MW; see its card: the
uploader interpolated gaps, so part of the target is reconstructed). Forecasts are issued
every day at 10:00 KST from the history up to that hour, for D 00:00-23:00 (leads 14-37
hours). Weather is left out on purpose: the file holds observed weather, and feeding
observed weather as a "forecast" would be an oracle.

Models (same TiDE recipe, one week of context, seed 0):
- ``tide_calendar``: calendar features (hour, weekday, season) computed in the graph;
- ``tide_holidays``: the same plus Korean holiday features (public holidays from the
  ``holidays`` package with Seollal, Chuseok and substitute days, bridge days, festival
  flag, length of the run of days off) as known-future covariates;
- ``seasonal_naive_week``: the same hour a week before.

Train 2013-2019 (the second half of 2019 validates for early stopping), test every day of
2020-2021. MAPE is reported on holidays and bridge days, and on other days.

Run:  python examples/korean_load_holidays.py [--steps 1500] [--out examples/output/korean_load_holidays]
Needs ENERGYAI_DATA=../shared/datasets (or the default ../shared/datasets) and the train,
baselines and calendar extras.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

import energyai as ea
from energyai.calendar import add_holiday_features
from energyai.evaluation import backtest

KST = ZoneInfo("Asia/Seoul")
ISSUE_HOUR, LEAD_FIRST, HORIZON = 10, 14, 37  # origin 10:00 D-1; D 00:00 is 14 steps later


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--data", default=os.environ.get("ENERGYAI_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "datasets")))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "output" / "korean_load_holidays"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    d = ea.datasets.load("kr_national_load_2013_2021", data_dir=args.data)
    base_schema = d.schema.with_(future_covariates=())
    frame = d.frame.select("timestamp", "load_mw")
    hol_frame, hol_schema = add_holiday_features(frame, base_schema, country="KR")

    first_day = dt.date(2020, 1, 1)
    days = [first_day + dt.timedelta(days=i) for i in range(731)]  # 2020-01-01 .. 2021-12-31
    cutoffs = [dt.datetime.combine(day - dt.timedelta(days=1), dt.time(ISSUE_HOUR), KST) for day in days]
    train_end = dt.datetime(2019, 12, 31, 23, tzinfo=KST)

    def tide() -> ea.Forecaster:
        return ea.Forecaster("tide", context_length=168, horizon=HORIZON, quantiles=(0.1, 0.5, 0.9),
                             max_steps=args.steps, seed=0)

    results = {}
    runs = {
        "tide_calendar": (tide(), frame, base_schema),
        "tide_holidays": (tide(), hol_frame, hol_schema),
    }
    for name, (model, df, schema) in runs.items():
        t0 = time.perf_counter()
        model.fit(df.filter(pl.col("timestamp") <= train_end), schema,
                  val_start=dt.datetime(2019, 7, 1, tzinfo=KST))
        # holidays are known years ahead: the backtest may read them at their valid times
        res = backtest(model, df, schema, cutoffs=cutoffs, fit=False, known_future=schema.future_covariates)
        results[name] = res.forecasts
        print(f"{name}: {model.history_['steps']} steps, fit {time.perf_counter() - t0:.0f} s incl. backtest", flush=True)
    snaive = ea.SeasonalNaive(HORIZON, season="week")
    results["seasonal_naive_week"] = backtest(snaive, frame, base_schema, cutoffs=cutoffs).forecasts

    feats = hol_frame.select("timestamp", "hol_holiday", "hol_bridge", "hol_festival")
    rows = {}
    for name, fc in results.items():
        f = fc.filter(pl.col("lead").is_between(LEAD_FIRST + 1, HORIZON)).join(feats, on="timestamp")
        f = f.with_columns(((pl.col("forecast") - pl.col("actual")).abs() / pl.col("actual")).alias("ape"),
                           ((pl.col("hol_holiday") + pl.col("hol_bridge")) > 0).alias("special"))
        rows[name] = {
            "mape_all": 100 * f["ape"].mean(),
            "mape_holiday_or_bridge": 100 * f.filter(pl.col("special"))["ape"].mean(),
            "mape_festival": 100 * f.filter(pl.col("hol_festival") > 0)["ape"].mean(),
            "mape_other_days": 100 * f.filter(~pl.col("special"))["ape"].mean(),
            "hours": f.height, "holiday_or_bridge_hours": int(f["special"].sum()),
        }
    print(f"\nday-ahead (issued D-1 10:00 KST) MAPE %, {len(days)} days of 2020-2021")
    print(f"{'model':22s} {'all':>7s} {'holiday/bridge':>15s} {'Seollal/Chuseok':>16s} {'other days':>11s}")
    for name, r in rows.items():
        print(f"{name:22s} {r['mape_all']:7.2f} {r['mape_holiday_or_bridge']:15.2f} {r['mape_festival']:16.2f} "
              f"{r['mape_other_days']:11.2f}")
    report = {"protocol": "KR national load, origins D-1 10:00 KST, D 00-23 h, test 2020-01-01..2021-12-31, "
                          "train to 2019-12-31 (val from 2019-07-01), TiDE L=168, no weather",
              "steps": args.steps, "results": rows,
              "command": "python examples/korean_load_holidays.py --steps " + str(args.steps)}
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    _plot(results, feats, out / "chuseok_2021.png")
    print(f"wrote {out / 'metrics.json'} and {out / 'chuseok_2021.png'}")


def _plot(results: dict[str, pl.DataFrame], feats: pl.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo = dt.datetime(2021, 9, 15, tzinfo=KST)
    hi = dt.datetime(2021, 9, 27, tzinfo=KST)
    fig, ax = plt.subplots(figsize=(11, 4))
    first = True
    for name, fc in results.items():
        f = fc.filter(pl.col("lead").is_between(LEAD_FIRST + 1, HORIZON) & pl.col("timestamp").is_between(lo, hi))
        f = f.sort("timestamp")
        if first:
            ax.plot(f["timestamp"].to_list(), f["actual"].to_list(), color="black", lw=2, label="actual")
            first = False
        ax.plot(f["timestamp"].to_list(), f["forecast"].to_list(), lw=1, label=name)
    ax.set_ylabel("national load [MW]")
    ax.set_title("Chuseok 2021 (Sep 20-22): day-ahead forecasts issued D-1 10:00 KST")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
