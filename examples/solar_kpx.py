"""A PV plant's day-ahead forecast, scored the KPX way, against smart persistence.

Data: ``pvanalytics_pv_power`` (NREL PV Fleets system 50, a small inverter in Colorado,
15-minute AC power 2011-04 to 2013-12; MIT via pvanalytics), averaged to hours (an hour
with any missing quarter stays missing). The site is not published; matching the timing
of the NSRDB clear-sky irradiance in the same files with energyai's clear-sky model puts
it at about 38.5 N, 105.0 W, which this example uses. Capacity: the largest hourly output
of the training period (the source gives none).

Protocol: KPX day-ahead rules applied in the plant's local standard time (UTC-7):
forecasts issued D-1 10:00 for D 00:00-23:00, scored with ``kpx_settlement`` (hourly
error as % of capacity; hours under 10% of capacity excluded; 4 KRW/kWh at <= 6%,
3 KRW/kWh at <= 8%). Training: 2011-04-15 to 2012-12-31; test: every day of 2013.
No weather input: the files hold satellite *observations*, which would be an oracle.

Models:
- ``nhits_solar``: N-HiTS with solar features computed in the graph (clear-sky GHI and
  solar zenith from UTC time), night forced to 0, quantiles 0.1/0.5/0.9;
- ``smart_persistence``: the clear-sky index of the last 24 hours before the origin
  (energy ratio of actual to clear-sky), times tomorrow's clear-sky profile.

Run:  python examples/solar_kpx.py [--steps 1500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

import energyai as ea
from energyai.evaluation import DayAheadProtocol, kpx_settlement
from energyai.physics import clearsky

SITE = (38.5, -105.0, 1700.0)
TZ = "Etc/GMT+7"
LOCAL = ZoneInfo(TZ)


def hourly_power(data_dir: str) -> pl.DataFrame:
    d = ea.datasets.load("pvanalytics_pv_power", data_dir=data_dir)
    f = d.frame.select("timestamp", "ac_power").sort("timestamp")
    h = f.group_by_dynamic("timestamp", every="1h").agg(pl.col("ac_power").mean().alias("power_w"),
                                                         pl.col("ac_power").count().alias("n"))
    h = h.with_columns(pl.when(pl.col("n") == 4).then(pl.col("power_w")).otherwise(None).alias("power_w"))
    full = pl.DataFrame({"timestamp": pl.datetime_range(h["timestamp"].min(), h["timestamp"].max(), "1h",
                                                        eager=True, time_zone=TZ)})
    out = full.join(h.select("timestamp", "power_w"), on="timestamp", how="left")
    return out.with_columns(pl.col("power_w").clip(lower_bound=0.0))


def smart_persistence(df: pl.DataFrame, cutoffs: list[dt.datetime], horizon: int) -> pl.DataFrame:
    """Clear-sky-index persistence (no training)."""
    utc = df["timestamp"].dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy()
    cs = clearsky(utc, *SITE).ghi
    y = df["power_w"].to_numpy()
    t = df["timestamp"].to_list()
    where = {ti: i for i, ti in enumerate(t)}
    rows = []
    k = 1.0
    for c in cutoffs:
        i = where[c]
        past = slice(i - 23, i + 1)
        ok = np.isfinite(y[past]) & (cs[past] > 0)
        if ok.any() and cs[past][ok].sum() > 0:  # otherwise keep the previous day's index
            k = y[past][ok].sum() / cs[past][ok].sum()
        for lead in range(1, horizon + 1):
            j = i + lead
            rows.append((c, t[j], lead, y[j], k * cs[j]))
    return pl.DataFrame(rows, schema=["cutoff", "timestamp", "lead", "actual", "forecast"], orient="row")


def kpx_scores(fc: pl.DataFrame, capacity: float) -> dict:
    f = fc.filter(pl.col("forecast").is_not_null())
    s = kpx_settlement(f["actual"].to_numpy(), np.clip(f["forecast"].to_numpy(), 0, capacity), capacity,
                       units="W", timestamps=f["timestamp"].dt.convert_time_zone("UTC").dt.replace_time_zone(None)
                       .to_numpy(), tz=TZ)
    a, p = f["actual"].to_numpy(), np.clip(f["forecast"].to_numpy(), 0, capacity)
    ok = np.isfinite(a)
    return {"kpx_mean_error_pct": s.mean_error, "eligible_hours": s.eligible_hours, "krw_total": s.total_krw,
            "krw_per_mw": s.krw_per_mw, "months_passing_registration": sum(bool(m["passes"]) for m in s.monthly.values()),
            "months": len(s.monthly), "mae_w": float(np.abs(a - p)[ok].mean()),
            "rmse_w": float(np.sqrt(((a - p)[ok] ** 2).mean()))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--data", default=os.environ.get("ENERGYAI_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "datasets")))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "output" / "solar_kpx"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    df = hourly_power(args.data)
    train_end = dt.datetime(2012, 12, 31, 23, tzinfo=LOCAL)
    capacity = float(df.filter(pl.col("timestamp") <= train_end)["power_w"].max())
    schema = ea.Schema(timestamp="timestamp", target="power_w", freq="1h", tz=TZ, units="W", capacity=capacity,
                       capacity_tolerance=0.01)
    protocol = DayAheadProtocol.kpx().with_(tz=TZ, name="KPX rules, plant local time")
    horizon = protocol.horizon(3600)
    first, last = dt.date(2013, 1, 2), dt.date(2013, 12, 31)

    model = ea.Forecaster("nhits", context_length=168, horizon=horizon, quantiles=(0.1, 0.5, 0.9),
                          max_steps=args.steps, hidden=256, solar_site=SITE, seed=0)
    model.fit(df.filter(pl.col("timestamp") <= train_end), schema)
    res = protocol.backtest(model, df, schema, first, last, fit=False)
    nhits = res.forecasts.select("cutoff", "timestamp", "lead", "actual", "forecast")

    cutoffs = [c.astimezone(LOCAL) for c in protocol.cutoffs(first, last)]
    sp = smart_persistence(df, cutoffs, horizon)
    keep = set(nhits.select("cutoff", "lead").iter_rows())
    sp = sp.filter(pl.struct("cutoff", "lead").map_elements(lambda r: (r["cutoff"], r["lead"]) in keep,
                                                            return_dtype=pl.Boolean))
    results = {"nhits_solar": kpx_scores(nhits, capacity), "smart_persistence": kpx_scores(sp, capacity)}
    print(f"KPX-style day-ahead scoring, {len(cutoffs)} days of 2013, capacity {capacity:.0f} W")
    print(f"{'model':20s} {'error %':>8s} {'eligible h':>10s} {'KRW/MW':>10s} {'months ok':>9s} {'MAE W':>8s}")
    for name, r in results.items():
        print(f"{name:20s} {r['kpx_mean_error_pct']:8.2f} {r['eligible_hours']:10d} {r['krw_per_mw']:10.0f} "
              f"{r['months_passing_registration']:>4d}/{r['months']:<4d} {r['mae_w']:8.1f}")
    report = {"protocol": "pvanalytics PV Fleets system 50, hourly; KPX day-ahead rules in local time (UTC-7); "
                          "train 2011-04-15..2012-12-31, test 2013-01-02..2013-12-31; no weather input",
              "site": SITE, "capacity_w": capacity, "steps": args.steps, "results": results,
              "command": f"python examples/solar_kpx.py --steps {args.steps}"}
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    _plot(nhits, sp, out / "week.png")
    print(f"wrote {out / 'metrics.json'} and {out / 'week.png'}")


def _plot(a: pl.DataFrame, b: pl.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo = dt.datetime(2013, 6, 10, tzinfo=LOCAL)
    hi = lo + dt.timedelta(days=7)
    fig, ax = plt.subplots(figsize=(11, 4))
    sel = a.filter(pl.col("timestamp").is_between(lo, hi)).sort("timestamp")
    ax.plot(sel["timestamp"].to_list(), sel["actual"].to_list(), color="black", lw=2, label="actual")
    ax.plot(sel["timestamp"].to_list(), sel["forecast"].to_list(), label="nhits_solar (day-ahead)")
    s2 = b.filter(pl.col("timestamp").is_between(lo, hi)).sort("timestamp")
    ax.plot(s2["timestamp"].to_list(), s2["forecast"].to_list(), label="smart persistence")
    ax.set_ylabel("AC power [W]")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
