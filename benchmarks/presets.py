"""energyai's day-ahead presets against the references, on public tasks.

Each task is issued the way its market or competition requires; beside each preset run
seasonal naive, the gradient-boosting reference (``benchmarks/gbm_reference.py``, same
inputs, tuned on the validation period only) and today's default neural model.

Tasks (``--task``):

- ``gefcom_solar``: GEFCom2014 solar Task 15 (three zones, June 2014) from the NWP, with
  the power of June hidden as in the competition: pinball over 99 quantiles; beside the
  official benchmark (the power one year earlier).
- ``gefcom_wind``: GEFCom2012 wind, seven farms, the 156 official 48-hour windows; every
  model reads the NWP run available at its origin; RMSE beside the official persistence.
- ``kr_load``: Korean national load (``kr_national_load_2013_2021``), issued D-1 10:00 KST
  for D 00-23 h, train 2013-2019 (validation 2019-07..12 for early stopping and the
  reference's tuning), test every day of 2020-2021. MAPE overall, on holidays and bridge
  days, and on Seollal and Chuseok. No weather: the file holds observed weather only, and
  observed weather used as a forecast would be an oracle.

Usage::

    python benchmarks/presets.py --task kr_load [--skip default] [--data-dir ../shared/datasets]

Prints a table and writes ``benchmarks/results/presets_<task>.json`` (and a plot).
Needs the train, baselines and calendar extras and ``pip install lightgbm``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gbm_reference as gbm

import energyai as ea
from energyai.calendar.holidays import holiday_features
from energyai.evaluation.dayahead import DayAheadProtocol

RESULTS = Path(__file__).resolve().parent / "results"


def _utc_seconds(col: pl.Series) -> np.ndarray:
    return col.dt.convert_time_zone("UTC").dt.replace_time_zone(None).dt.epoch("s").to_numpy()


# ------------------------------------------------------------------ kr_load
def kr_load(args: argparse.Namespace) -> dict[str, Any]:
    kst = ZoneInfo("Asia/Seoul")
    ds = ea.datasets.load("kr_national_load_2013_2021", data_dir=args.data_dir)
    frame = ds.frame.select("timestamp", "load_mw")
    schema = ds.schema.with_(future_covariates=())
    proto = DayAheadProtocol.kpx()
    step = 3600
    horizon = proto.horizon(step)  # 37: origin 10:00 D-1 .. 23:00 D
    lead_first = horizon - 23
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(731)]
    train_end = dt.datetime(2019, 12, 31, 23, tzinfo=kst)
    val_start = dt.datetime(2019, 7, 1, tzinfo=kst)
    y = frame["load_mw"].to_numpy().astype(np.float64)
    utc = _utc_seconds(frame["timestamp"])
    local_hour = frame["timestamp"].dt.hour().to_numpy()
    origins = np.flatnonzero(local_hour == proto.issue_time.hour)
    origins = origins[origins >= 24 * 8]
    fc: dict[str, pl.DataFrame] = {}
    seconds: dict[str, float] = {}

    # --- seasonal naive (same hour a week before)
    t0 = time.perf_counter()
    sn = ea.backtest(ea.SeasonalNaive(horizon, season="week"), frame, schema, cutoffs=proto.cutoffs(days[0], days[-1]))
    fc["seasonal_naive_week"] = sn.forecasts.select("cutoff", "timestamp", "lead", "actual", "forecast")
    seconds["seasonal_naive_week"] = time.perf_counter() - t0

    # --- gradient-boosting reference
    if "gbm" not in args.skip:
        t0 = time.perf_counter()
        rows = gbm.day_ahead_rows(y, utc, origins, horizon, step, "Asia/Seoul", country="KR", lead_first=lead_first)
        o_np, vs, end = rows.origin_utc, val_start.timestamp(), train_end.timestamp()
        tr = rows.take(o_np + horizon * step < vs)  # training targets end before validation starts
        va = rows.take((o_np >= vs) & (o_np + horizon * step <= end))
        te = rows.take(o_np >= proto.origin(days[0]).timestamp())
        ref = gbm.fit_reference(tr, va, seed=0)
        pred = ref.predict(te)
        fc["gbm_reference"] = pl.DataFrame({
            "cutoff": te.origin_utc.astype("datetime64[s]").astype("datetime64[us]"),
            "timestamp": te.target_utc.astype("datetime64[s]").astype("datetime64[us]"),
            "lead": te.lead, "actual": te.y * te.level, "forecast": pred,
        }).with_columns(pl.col("cutoff", "timestamp").dt.replace_time_zone("UTC")
                        .dt.convert_time_zone("Asia/Seoul"))
        seconds["gbm_reference"] = time.perf_counter() - t0
        print(f"gbm_reference: params {ref.params}, {ref.rounds} rounds, {seconds['gbm_reference']:.0f} s", flush=True)

    # --- neural: the preset and today's default recipe
    neural = {}
    if "preset" not in args.skip:
        neural["preset_day_ahead_load"] = ea.Forecaster.preset("day-ahead-load", country="KR", issue_time="10:00",
                                                               tz="Asia/Seoul", freq="1h", **args.set)
    if "default" not in args.skip:
        neural["default_tide"] = ea.Forecaster("tide", context_length=336, horizon=horizon, quantiles=(0.1, 0.5, 0.9),
                                               max_steps=args.default_steps)
    train = frame.filter(pl.col("timestamp") <= train_end)
    if args.train_start:
        train = train.filter(pl.col("timestamp") >= dt.datetime.fromisoformat(args.train_start).replace(tzinfo=kst))
    fits: dict[str, Any] = {}
    for name, model in neural.items():
        t0 = time.perf_counter()
        model.fit(train, schema, val_start=None if args.train_start else val_start)
        fit_s = time.perf_counter() - t0
        res = proto.backtest(model, frame, schema, days[0], days[-1], fit=False)
        fc[name] = res.forecasts.select("cutoff", "timestamp", "lead", "actual", "forecast")
        seconds[name] = time.perf_counter() - t0
        fits[name] = {"fit_seconds": round(fit_s, 1), "steps": model.history_["steps"],
                      "train_windows": model.history_["train_windows"], "params": _jsonable(model.get_params())}
        print(f"{name}: fit {fit_s:.0f} s, {model.history_['steps']} steps", flush=True)

    table = {name: _kr_scores(f, lead_first, horizon) for name, f in fc.items()}
    _print_table(table, ["mape", "mape_holiday_bridge", "mape_festival", "mape_other"])
    _plot_kr(fc, RESULTS / "presets_kr_load.png", lead_first, horizon)
    return {"task": "kr_load", "protocol": "KR national load; origins D-1 10:00 KST; scored D 00-23 h (leads "
            f"{lead_first}-{horizon}); train 2013-01..2019-12 (validation 2019-07..12); test 2020-01-01..2021-12-31; "
            "no weather", "metrics": table, "seconds": {k: round(v, 1) for k, v in seconds.items()}, "fits": fits}


def _kr_scores(f: pl.DataFrame, lead_first: int, horizon: int) -> dict[str, float]:
    f = f.filter(pl.col("lead").is_between(lead_first, horizon) & pl.col("actual").is_not_null())
    utc = _utc_seconds(f["timestamp"])
    hol = holiday_features(utc, "Asia/Seoul", "KR")
    ape = (np.abs(f["forecast"].to_numpy() - f["actual"].to_numpy()) / f["actual"].to_numpy()) * 100
    special = (hol["holiday"] + hol["bridge"]) > 0
    return {"mape": float(ape.mean()), "mape_holiday_bridge": float(ape[special].mean()),
            "mape_festival": float(ape[hol["festival"] > 0].mean()), "mape_other": float(ape[~special].mean()),
            "hours": len(ape)}


def _plot_kr(fc: dict[str, pl.DataFrame], path: Path, lead_first: int, horizon: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kst = ZoneInfo("Asia/Seoul")
    lo, hi = dt.datetime(2021, 9, 15, tzinfo=kst), dt.datetime(2021, 9, 27, tzinfo=kst)
    fig, ax = plt.subplots(figsize=(11, 4))
    for i, (name, f) in enumerate(fc.items()):
        f = f.filter(pl.col("lead").is_between(lead_first, horizon) & pl.col("timestamp").is_between(lo, hi))
        f = f.sort("timestamp")
        if i == 0:
            ax.plot(f["timestamp"].to_list(), f["actual"].to_list(), color="black", lw=2, label="actual")
        ax.plot(f["timestamp"].to_list(), f["forecast"].to_list(), lw=1, label=name)
    ax.set_ylabel("national load [MW]")
    ax.set_title("Chuseok 2021 (Sep 20-22), issued D-1 10:00 KST")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------ gefcom_solar
LEVELS_99 = tuple(round(0.01 * k, 2) for k in range(1, 100))
GBM_LEVELS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def pinball_99(q: np.ndarray, y: np.ndarray) -> float:
    """Mean pinball loss over the 99 levels 0.01..0.99 (GEFCom2014 score); ``q`` (n, 99), ``y`` (n,)."""
    tau = np.asarray(LEVELS_99)[None, :]
    d = y[:, None] - q
    return float(np.mean(np.maximum(tau * d, (tau - 1) * d)))


def gefcom_solar(args: argparse.Namespace) -> dict[str, Any]:
    """GEFCom2014 solar Task 15: forecast June 2014 from data up to 2014-05-31 and the NWP of June."""
    ds = ea.datasets.load("gefcom2014_solar", data_dir=args.data_dir)
    nwp = list(ds.schema.future_covariates)
    zones = ("zone1", "zone2", "zone3")  # which zone, as the reference's zone feature: static one-hot columns
    frame = ds.frame.with_columns([(pl.col("zone") == z).cast(pl.Float64).alias(f"is_{z}") for z in zones])
    schema = ds.schema.with_(static_covariates=tuple(f"is_{z}" for z in zones))
    test_start = dt.datetime(2014, 6, 1, tzinfo=dt.UTC)
    val_start = dt.datetime(2014, 3, 1, tzinfo=dt.UTC)
    test = frame.filter(pl.col("timestamp") >= test_start).sort("zone", "timestamp")
    y_test = test["power"].to_numpy()
    quant: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    fits: dict[str, Any] = {}

    # official benchmark: the power of the same hour one year earlier, for every quantile
    t0 = time.perf_counter()
    earlier = frame.select("zone", (pl.col("timestamp") + pl.duration(days=365)).alias("timestamp"), "power")
    bench = test.select("zone", "timestamp").join(earlier, on=["zone", "timestamp"], how="left")["power"].to_numpy()
    quant["benchmark_year_before"] = np.repeat(bench[:, None], 99, axis=1)
    seconds["benchmark_year_before"] = time.perf_counter() - t0

    if "gbm" not in args.skip:
        t0 = time.perf_counter()

        def rows(f: pl.DataFrame) -> gbm.Rows:
            utc = _utc_seconds(f["timestamp"])
            X = np.column_stack([f.select(nwp).to_numpy(), (utc % 86400) / 3600.0,
                                 f["timestamp"].dt.ordinal_day().to_numpy(),
                                 f["zone"].str.slice(4).cast(pl.Int32).to_numpy()])
            n = f.height
            return gbm.Rows(X, f["power"].to_numpy(), np.ones(n), utc, utc, np.ones(n, np.int64),
                            np.zeros(n, np.int64), [*nwp, "hour", "doy", "zone"])

        hist = frame.filter(pl.col("timestamp") < test_start)
        tr = rows(hist.filter(pl.col("timestamp") < val_start))
        va = rows(hist.filter(pl.col("timestamp") >= val_start))
        ref = gbm.fit_reference(tr, va, GBM_LEVELS, seed=0)
        q13 = ref.predict(rows(test))
        quant["gbm_reference"] = np.clip(np.stack([np.interp(LEVELS_99, GBM_LEVELS, r) for r in q13]), 0, 1)
        seconds["gbm_reference"] = time.perf_counter() - t0
        print(f"gbm_reference: params {ref.params}, {ref.rounds} rounds, {seconds['gbm_reference']:.0f} s", flush=True)

    neural: dict[str, Any] = {}
    if "preset" not in args.skip:
        neural["preset_day_ahead_solar"] = ea.Forecaster.preset(
            "day-ahead-solar", issue_time="23:00", freq="1h", tz="UTC", quantiles=LEVELS_99, **args.set)
    if "default" not in args.skip:
        neural["default_tide"] = ea.Forecaster("tide", context_length=336, horizon=24, quantiles=LEVELS_99,
                                               max_steps=args.default_steps)
    train = frame.filter(pl.col("timestamp") < test_start)
    for name, model in neural.items():
        t0 = time.perf_counter()
        model.fit(train, schema, val_start=val_start)
        fit_s = time.perf_counter() - t0
        quant[name] = _task15_forecast(model, frame, nwp, test_start, test)
        seconds[name] = time.perf_counter() - t0
        fits[name] = {"fit_seconds": round(fit_s, 1), "steps": model.history_["steps"],
                      "train_windows": model.history_["train_windows"], "params": _jsonable(model.get_params())}
        print(f"{name}: fit {fit_s:.0f} s, {model.history_['steps']} steps", flush=True)

    table = {name: {"pinball_99": pinball_99(q, y_test),
                    "pinball_99_zone": {z: pinball_99(q[m], y_test[m]) for z in ("zone1", "zone2", "zone3")
                                        for m in [test["zone"].to_numpy() == z]},
                    "mae_median": float(np.mean(np.abs(q[:, 49] - y_test)))}
             for name, q in quant.items()}
    _print_table(table, ["pinball_99", "mae_median"])
    return {"task": "gefcom_solar", "protocol": "GEFCom2014 solar Task 15: train to 2014-05-31 (validation "
            "2014-03..05), forecast every hour of June 2014 for 3 zones from the NWP of June, with no June power "
            "(the neural models get their context hidden, as trained with context_dropout); pinball over the 99 "
            "levels 0.01..0.99 on capacity-normalised power, night included",
            "metrics": table, "seconds": {k: round(v, 1) for k, v in seconds.items()}, "fits": fits,
            "published": {"winner_task15": 0.01243, "top5_task15": [0.01243, 0.01270, 0.01288, 0.01300, 0.01308],
                          "official_benchmark_task15": 0.02849}}


def _task15_forecast(model: Any, frame: pl.DataFrame, nwp: list[str], test_start: dt.datetime,
                     test: pl.DataFrame) -> np.ndarray:
    """Day by day through June from origins at 23:00 UTC, the power context hidden (NaN)."""
    L, H = model.context_length, model.horizon
    out = []
    for zone in ("zone1", "zone2", "zone3"):
        f = frame.filter(pl.col("zone") == zone).sort("timestamp")
        utc = _utc_seconds(f["timestamp"])
        cov = f.select(nwp).to_numpy().astype(np.float32)
        first = int(np.searchsorted(utc, int(test_start.timestamp())))
        origins = np.arange(first - 1, len(utc) - H, H)  # last context step of each day
        idx = origins[:, None] + np.arange(-L + 1, H + 1)[None, :]
        static = np.tile(np.array([[float(zone == z) for z in ("zone1", "zone2", "zone3")]], np.float32),
                         (len(origins), 1))
        pred = model.predict_arrays(past_target=np.full((len(origins), L), np.nan, np.float32),
                                    future_covariates=cov[idx], utc_time=utc[idx], static=static,
                                    capacity=np.ones((len(origins), H), np.float32))
        out.append(pred.reshape(-1, pred.shape[-1]))
    q = np.concatenate(out)
    if q.shape[0] != test.height:
        raise SystemExit(f"task 15: {q.shape[0]} forecasts for {test.height} test hours")
    return q


# ------------------------------------------------------------------ gefcom_wind
WIND_COVARIATES = ("wind_speed", "u", "v")


def _official(root: Path, name: str) -> pl.DataFrame:
    """GEFCom2012 wind ``test.csv`` or ``benchmark.csv`` in long format: farm, timestamp, value."""
    wide = pl.read_csv(root / name).with_columns(
        (pl.col("date").cast(pl.Utf8) + "00").str.to_datetime("%Y%m%d%H%M").dt.replace_time_zone("UTC")
        .alias("timestamp"))
    return wide.unpivot(index="timestamp", on=[f"wp{i}" for i in range(1, 8)], variable_name="farm",
                        value_name="value")


def gefcom_wind(args: argparse.Namespace) -> dict[str, Any]:
    """GEFCom2012 wind: the 156 official 48-h windows, NWP runs as available at each origin."""
    from energyai.data.vintages import Vintages
    from energyai.datasets.loaders import load_gefcom2012_wind_forecasts

    root = Path(args.data_dir) / "gefcom2012_wind"
    d = ea.datasets.load("gefcom2012_wind", data_dir=args.data_dir)
    power = d.frame.select("farm", "timestamp", "power")
    runs = Vintages(load_gefcom2012_wind_forecasts(root), columns=WIND_COVARIATES, series_id="farm")
    hist = runs.as_history(power["timestamp"], power["farm"])  # the freshest run available by each hour
    frame = power.with_columns([hist[c] for c in WIND_COVARIATES])
    train_end = dt.datetime(2010, 12, 31, 23, tzinfo=dt.UTC)
    frame = frame.filter(pl.all_horizontal([pl.col(c).is_not_null() for c in WIND_COVARIATES])
                         | (pl.col("timestamp") > train_end))
    schema = d.schema.with_(future_covariates=WIND_COVARIATES)
    truth = _official(root, "test.csv")
    bench = _official(root, "benchmark.csv")
    starts = truth.filter(pl.col("farm") == "wp1").sort("timestamp")["timestamp"]
    gap = (starts - starts.shift(1)).fill_null(dt.timedelta(hours=99)) != dt.timedelta(hours=1)
    cutoffs = [t - dt.timedelta(hours=1) for t in starts.filter(gap).to_list()]
    if len(cutoffs) != 156:
        raise SystemExit(f"expected the 156 official windows, found {len(cutoffs)}")
    H = 48
    fc: dict[str, pl.DataFrame] = {}
    seconds: dict[str, float] = {}
    fits: dict[str, Any] = {}
    b = bench.join(truth, on=["farm", "timestamp"], suffix="_true")
    fc["persistence_benchmark"] = b.select("farm", "timestamp", pl.col("value").alias("forecast"),
                                           pl.col("value_true").alias("actual"))

    if "gbm" not in args.skip:
        t0 = time.perf_counter()
        fc["gbm_reference"] = _wind_gbm(frame, runs, cutoffs, truth, train_end, H)
        seconds["gbm_reference"] = time.perf_counter() - t0

    neural: dict[str, Any] = {}
    if "preset" not in args.skip:
        neural["preset_day_ahead_wind"] = (ea.Forecaster.preset(
            "day-ahead-wind", wind_columns=("u", "v"), tz="UTC", horizon=H, origin_time=None, **args.set), runs)
    if "default" not in args.skip:
        neural["default_tide"] = (ea.Forecaster("tide", context_length=72, horizon=H, quantiles=(0.1, 0.5, 0.9),
                                                max_steps=args.default_steps), None)
    train = frame.filter(pl.col("timestamp") <= train_end)
    for name, (model, vint) in neural.items():
        t0 = time.perf_counter()
        model.fit(train, schema, future=vint)
        fit_s = time.perf_counter() - t0
        res = ea.backtest(model, frame, schema, cutoffs=cutoffs, future=runs, fit=False)
        fc[name] = res.forecasts.join(truth, on=["farm", "timestamp"], how="inner").select(
            "farm", "timestamp", "forecast", pl.col("value").alias("actual"))
        seconds[name] = time.perf_counter() - t0
        fits[name] = {"fit_seconds": round(fit_s, 1), "steps": model.history_["steps"],
                      "train_windows": model.history_["train_windows"], "params": _jsonable(model.get_params())}
        print(f"{name}: fit {fit_s:.0f} s, {model.history_['steps']} steps", flush=True)
    table = {}
    for name, f in fc.items():
        if f.height != truth.height:
            raise SystemExit(f"{name}: {f.height} forecasts for {truth.height} test values")
        e = (f["forecast"] - f["actual"]).to_numpy()
        table[name] = {"rmse": float(np.sqrt(np.mean(e ** 2))), "mae": float(np.mean(np.abs(e))), "n": len(e)}
    _print_table(table, ["rmse", "mae"])
    return {"task": "gefcom_wind", "protocol": "GEFCom2012 wind, the 156 official 48-h test windows x 7 farms; "
            "train 2009-07-01..2010-12-31; every forecast reads the NWP run available at its origin (Vintages, "
            "leakage-checked); RMSE of normalised power against test.csv",
            "metrics": table, "seconds": {k: round(v, 1) for k, v in seconds.items()}, "fits": fits,
            "published": {"winner_rmse_about": 0.146}}


def _wind_gbm(frame: pl.DataFrame, runs: Any, cutoffs: list[Any], truth: pl.DataFrame, train_end: dt.datetime,
              H: int) -> pl.DataFrame:
    """LightGBM on (origin, lead) rows: the matched run's wind at the target hour, lags at the origin."""
    out = []
    train_parts, val_parts, test_parts = [], [], []
    val_start = dt.datetime(2010, 10, 1, tzinfo=dt.UTC)
    for k, farm in enumerate(sorted(frame["farm"].unique().to_list())):
        f = frame.filter(pl.col("farm") == farm).sort("timestamp")
        y = f["power"].to_numpy().astype(np.float64)
        utc = _utc_seconds(f["timestamp"])
        hour = (utc % 86400) // 3600
        train_o = np.flatnonzero((hour % 12 == 0) & (utc + H * 3600 <= train_end.timestamp()))
        train_o = train_o[train_o >= 24]
        test_o = np.searchsorted(utc, [int(c.timestamp()) for c in cutoffs])
        for origins, bucket in ((train_o, "train"), (test_o, "test")):
            table = runs.for_origins([dt.datetime.fromtimestamp(int(utc[o]), dt.UTC) for o in origins], H,
                                     dt.timedelta(hours=1), series=[farm])
            cov = table.select(WIND_COVARIATES).to_numpy().reshape(len(origins), H, len(WIND_COVARIATES))
            rows = gbm.day_ahead_rows(y, utc, origins, H, 3600, "UTC", covariates=cov,
                                      cov_names=WIND_COVARIATES, normalise="none", series=k)
            if bucket == "test":
                test_parts.append((farm, rows))
            else:
                is_val = rows.origin_utc >= val_start.timestamp()
                train_parts.append(rows.take(~is_val))
                val_parts.append(rows.take(is_val))
    ref = gbm.fit_reference(gbm.Rows.concat(train_parts), gbm.Rows.concat(val_parts), seed=0)
    print(f"gbm_reference: params {ref.params}, {ref.rounds} rounds", flush=True)
    for farm, rows in test_parts:
        pred = np.clip(ref.predict(rows), 0, 1)
        out.append(pl.DataFrame({"farm": farm, "timestamp": rows.target_utc.astype("datetime64[s]")
                                 .astype("datetime64[us]"), "forecast": pred})
                   .with_columns(pl.col("timestamp").dt.replace_time_zone("UTC")))
    return pl.concat(out).join(truth, on=["farm", "timestamp"], how="inner").select(
        "farm", "timestamp", "forecast", pl.col("value").alias("actual"))


# ------------------------------------------------------------------ common
def _jsonable(v: Any) -> Any:
    from energyai.persist import jsonable

    return jsonable(v)


def _print_table(table: dict[str, dict[str, float]], cols: list[str]) -> None:
    print(f"\n{'model':26s}" + "".join(f"{c:>22s}" for c in cols))
    for name, r in table.items():
        print(f"{name:26s}" + "".join(f"{r[c]:22.4f}" for c in cols))


TASKS = {"kr_load": kr_load, "gefcom_solar": gefcom_solar, "gefcom_wind": gefcom_wind}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    ap.add_argument("--skip", nargs="*", default=[], choices=["gbm", "preset", "default"])
    ap.add_argument("--default-steps", type=int, default=None, help="steps of today's default model (3,000)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--train-start", default=None, help="first training day of the neural models (ISO date)")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="override a preset choice (JSON values), e.g. --set context_length=336 issue_time=null")
    args = ap.parse_args()
    args.set = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    RESULTS.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    report = TASKS[args.task](args)
    report["command"] = "python benchmarks/presets.py " + " ".join(sys.argv[1:])
    report["machine"] = f"{platform.machine()}, {platform.python_version()}, torch threads " \
                        f"{__import__('torch').get_num_threads()}"
    report["total_seconds"] = round(time.perf_counter() - t0, 1)
    out = Path(args.out) if args.out else RESULTS / f"presets_{args.task}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
