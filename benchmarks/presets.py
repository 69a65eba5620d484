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
- ``gefcom_solar_rolling``: the same three zones, every day from 2013-07 to 2014-06 forecast
  from that day's 00 UTC NWP run with the power observed up to the origin, scored the KPX way
  (error in % of capacity over hours at or above 10 % of capacity, share within 6 and 8 %,
  incentive per MW).
- ``gefcom_load``: GEFCom2014 load with 25 temperature stations, issued D-1 10:00 for D
  00-23 h, test 2013-07..12; pinball over 99 quantiles. The temperatures are observed values
  used as the forecast by every model alike (ex-post).
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
        cached = _load_reference(args, "kr_load")
        if cached is not None:
            fc["gbm_reference"] = cached
        else:
            cands = {}
            for norm in ("level", "none"):
                rows = gbm.day_ahead_rows(y, utc, origins, horizon, step, "Asia/Seoul", country="KR",
                                          lead_first=lead_first, normalise=norm)
                o_np, vs, end = rows.origin_utc, val_start.timestamp(), train_end.timestamp()
                tr = rows.take(o_np + horizon * step < vs)  # training targets end before validation starts
                va = rows.take((o_np >= vs) & (o_np + horizon * step <= end))
                cands[norm] = (gbm.fit_reference(tr, va, seed=0), rows.take(o_np >= proto.origin(days[0]).timestamp()))
            norm, ref, te = gbm.pick(cands)
            pred = ref.predict(te)
            fc["gbm_reference"] = pl.DataFrame({
                "cutoff": te.origin_utc.astype("datetime64[s]").astype("datetime64[us]"),
                "timestamp": te.target_utc.astype("datetime64[s]").astype("datetime64[us]"),
                "lead": te.lead, "actual": te.y * te.level, "forecast": pred,
            }).with_columns(pl.col("cutoff", "timestamp").dt.replace_time_zone("UTC")
                            .dt.convert_time_zone("Asia/Seoul"))
            _save_reference(args, "kr_load", fc["gbm_reference"])
            print(f"gbm_reference: normalise {norm}, params {ref.params}, {ref.rounds} rounds", flush=True)
        seconds["gbm_reference"] = time.perf_counter() - t0

    # --- neural: the preset and today's default recipe
    neural = {}
    if "preset" not in args.skip:
        neural[_key("preset_day_ahead_load", args)] = ea.Forecaster.preset("day-ahead-load", country="KR", issue_time="10:00",
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
        _fit(name, model, fits, train, schema, val_start=None if args.train_start else val_start)
        for row, m in _variants(name, model).items():
            res = proto.backtest(m, frame, schema, days[0], days[-1], fit=False)
            fc[row] = res.forecasts.select("cutoff", "timestamp", "lead", "actual", "forecast", *_qcols(res.forecasts))
        seconds[name] = time.perf_counter() - t0

    table = {name: _kr_scores(f, lead_first, horizon) for name, f in fc.items()}
    _dump(args, "kr_load", fc)
    _print_table(table, ["mape", "mape_holiday_bridge", "mape_festival", "mape_other", "coverage_80", "coverage_90"])
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
            "hours": len(ape), **_frame_coverage(f)}


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
    frame, schema, nwp = _solar_data(args)
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
        cached = _load_reference(args, "gefcom_solar")
        if cached is not None:
            quant["gbm_reference"] = cached
        else:

            hist = frame.filter(pl.col("timestamp") < test_start)
            quant["gbm_reference"] = _solar_reference(*(_solar_rows(f, nwp) for f in (
                hist.filter(pl.col("timestamp") < val_start), hist.filter(pl.col("timestamp") >= val_start), test)))
            _save_reference(args, "gefcom_solar", quant["gbm_reference"])
        seconds["gbm_reference"] = time.perf_counter() - t0

    neural = _solar_models(args)
    train = frame.filter(pl.col("timestamp") < test_start)
    for name, model in neural.items():
        t0 = time.perf_counter()
        _fit(name, model, fits, train, schema, val_start=val_start)
        for row, m in _variants(name, model).items():
            quant[row] = _task15_forecast(m, frame, nwp, test_start, test)
        seconds[name] = time.perf_counter() - t0

    table = {name: {"pinball_99": pinball_99(q, y_test),
                    "pinball_99_zone": {z: pinball_99(q[m], y_test[m]) for z in ("zone1", "zone2", "zone3")
                                        for m in [test["zone"].to_numpy() == z]},
                    "mae_median": float(np.mean(np.abs(q[:, 49] - y_test))), **_q99_coverage(q, y_test, True)}
             for name, q in quant.items()}
    _dump(args, "gefcom_solar", {**quant, "actual": y_test})
    _print_table(table, ["pinball_99", "mae_median", "coverage_80", "coverage_90"])
    z1 = test["zone"].to_numpy() == "zone1"
    _plot_quantiles({n: (test.filter(pl.col("zone") == "zone1")["timestamp"], y_test[z1], q[z1])
                     for n, q in quant.items()}, RESULTS / "presets_gefcom_solar.png",
                    (dt.datetime(2014, 6, 10, tzinfo=dt.UTC), dt.datetime(2014, 6, 17, tzinfo=dt.UTC)),
                    "GEFCom2014 solar Task 15, zone 1", "power / capacity")
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


def gefcom_solar_rolling(args: argparse.Namespace) -> dict[str, Any]:
    """GEFCom2014 solar, a year of daily forecasts from each day's 00 UTC NWP run, scored the KPX way."""
    from energyai.market.kpx import kpx_settlement

    frame, schema, nwp = _solar_data(args)
    first, last = dt.date(2013, 7, 1), dt.date(2014, 6, 30)
    test_start = dt.datetime.combine(first, dt.time(0), dt.UTC)
    test_end = dt.datetime.combine(last, dt.time(23), dt.UTC)
    val_start = dt.datetime(2013, 4, 1, tzinfo=dt.UTC)
    # the forecast for UTC day D is made at D 00:00 UTC, when the day's ECMWF run arrives; the
    # last observed hour (the origin, hour-start labels) is D-1 23:00
    cutoffs = [test_start - dt.timedelta(hours=1) + dt.timedelta(days=k) for k in range((last - first).days + 1)]
    test = frame.filter(pl.col("timestamp").is_between(test_start, test_end)).sort("zone", "timestamp")
    point: dict[str, np.ndarray] = {}
    quant: dict[str, np.ndarray] = {}
    seconds: dict[str, float] = {}
    fits: dict[str, Any] = {}

    yesterday = frame.select("zone", (pl.col("timestamp") + pl.duration(days=1)).alias("timestamp"),
                             pl.col("power").alias("lag_1d"))
    point["persistence_yesterday"] = test.join(yesterday, on=["zone", "timestamp"], how="left")["lag_1d"].to_numpy()

    if "gbm" not in args.skip:
        t0 = time.perf_counter()
        cached = _load_reference(args, "gefcom_solar_rolling")
        if cached is not None:
            quant["gbm_reference"] = cached
        else:
            lagged = frame.join(yesterday, on=["zone", "timestamp"], how="left").sort("zone", "timestamp")

            quant["gbm_reference"] = _solar_reference(*(_solar_rows(f, [*nwp, "lag_1d"]) for f in (
                lagged.filter(pl.col("timestamp") < val_start),
                lagged.filter(pl.col("timestamp").is_between(val_start, test_start, closed="left")),
                lagged.filter(pl.col("timestamp").is_between(test_start, test_end)))))
            _save_reference(args, "gefcom_solar_rolling", quant["gbm_reference"])
        seconds["gbm_reference"] = time.perf_counter() - t0

    neural = _solar_models(args)
    train = frame.filter(pl.col("timestamp") < test_start)
    for name, model in neural.items():
        t0 = time.perf_counter()
        _fit(name, model, fits, train, schema, val_start=val_start)
        from energyai.base import quantile_column

        for row, m in _variants(name, model).items():
            # the frame's NWP for day D is the run issued at D 00 UTC, which the forecaster has at issue
            res = ea.backtest(m, frame, schema, cutoffs=cutoffs, fit=False, known_future=tuple(nwp))
            f = res.forecasts.sort("zone", "timestamp")
            if f.height != test.height or (f["timestamp"] != test["timestamp"]).any():
                raise SystemExit(f"{row}: forecasts do not line up with the {test.height} test hours")
            quant[row] = f.select([quantile_column(q) for q in model.quantiles]).to_numpy()
        seconds[name] = time.perf_counter() - t0
    for name, q in quant.items():
        point[name] = q[:, 49]
    y = test["power"].to_numpy()
    ts = test["timestamp"].dt.replace_time_zone(None).to_numpy()
    table: dict[str, dict[str, Any]] = {}
    for name, p in point.items():
        s = kpx_settlement(y, p, 1.0, units="MW", timestamps=ts, tz="UTC")
        e = s.error[s.eligible]
        table[name] = {"kpx_error": s.mean_error, "share_le_6": float(np.mean(e <= 6)),
                       "share_le_8": float(np.mean(e <= 8)), "krw_per_mw_year": s.krw_per_mw / 3,
                       "months_passing_10pct": sum(bool(m["passes"]) for m in s.monthly.values()),
                       "eligible_hours": s.eligible_hours,
                       "pinball_99": pinball_99(quant[name], y) if name in quant else None,
                       **(_q99_coverage(quant[name], y, True) if name in quant else {}),
                       "monthly_error": {k: m["mean_error_pct"] for k, m in s.monthly.items()}}
    _dump(args, "gefcom_solar_rolling", {**{f"q:{k}": v for k, v in quant.items()}, **point, "actual": y})
    _print_table(table, ["kpx_error", "share_le_8", "krw_per_mw_year", "pinball_99", "coverage_80", "coverage_90"])
    _plot_quantiles({n: (test.filter(pl.col("zone") == "zone1")["timestamp"], y[:len(y) // 3], q[: len(y) // 3])
                     for n, q in quant.items()}, RESULTS / "presets_gefcom_solar_rolling.png",
                    (dt.datetime(2014, 1, 10, tzinfo=dt.UTC), dt.datetime(2014, 1, 17, tzinfo=dt.UTC)),
                    "GEFCom2014 solar zone 1, Jan 2014, from each day's 00 UTC NWP run", "power / capacity")
    return {"task": "gefcom_solar_rolling", "protocol": "GEFCom2014 solar, 3 zones; train 2012-04..2013-06 "
            "(validation 2013-04..06); every UTC day of 2013-07-01..2014-06-30 forecast at 00 UTC from that day's "
            "ECMWF run (the only run the data hold; a true KPX D-1 10:00 issue would need a 2-day run), power "
            "observed up to the origin; KPX error = |median - actual| / capacity x 100 over hours with actual >= 10% "
            "of capacity, its share at or under 6 and 8 %, and the incentive per MW of capacity per year (the three "
            "zones summed, divided by 3), on capacity-normalised power",
            "metrics": table, "seconds": {k: round(v, 1) for k, v in seconds.items()}, "fits": fits}


def _plot_quantiles(series: dict[str, tuple[Any, np.ndarray, np.ndarray]], path: Path, window: tuple[Any, Any],
                    title: str, ylabel: str) -> None:
    """Median and 10-90 % band of each model over ``window``; ``series[name] = (timestamps, actual, q99)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4))
    banded = any(bool(np.any(q[:, 89] > q[:, 9])) for _, _, q in series.values())
    for i, (name, (t, a, q)) in enumerate(series.items()):
        t = np.asarray(t.dt.replace_time_zone(None).to_numpy() if hasattr(t, "dt") else t)
        lo, hi = (np.datetime64(w.replace(tzinfo=None)) for w in window)
        m = (t >= lo) & (t < hi)
        if i == 0:
            ax.plot(t[m], a[m], color="black", lw=2, label="actual")
        (line,) = ax.plot(t[m], q[m, 49], lw=1, label=f"{name} (median)")
        ax.fill_between(t[m], q[m, 9], q[m, 89], color=line.get_color(), alpha=0.15)
    ax.set_ylabel(ylabel)
    ax.set_title(title + (" (bands: 10-90 %)" if banded else ""))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------ gefcom_wind
WIND_COVARIATES = ("wind_speed", "u", "v")
#: With --nwp-mean: each run's wind at an hour averaged with the older runs that also cover it
#: (issued 12, 24 and 36 h before; all known at the run's issue time), as GEFCom2012's leaders did.
WIND_RUN_MEANS = ("wind_speed_runs", "u_runs", "v_runs")


def _with_run_means(forecasts: pl.DataFrame) -> pl.DataFrame:
    """``forecasts`` (farm, issue_time, valid_time, u, v, wind_speed, ...) with the columns of
    :data:`WIND_RUN_MEANS`: the mean over this run and the runs issued 12, 24 and 36 h before it
    that forecast the same hour (this run alone where none does)."""
    keys = ["farm", "issue_time", "valid_time"]
    out = forecasts
    for back in (12, 24, 36):
        older = forecasts.select("farm", "valid_time", (pl.col("issue_time") + pl.duration(hours=back))
                                 .alias("issue_time"), *[pl.col(c).alias(f"{c}_{back}") for c in WIND_COVARIATES])
        out = out.join(older, on=keys, how="left")
    return out.with_columns(
        pl.mean_horizontal(c, *[f"{c}_{b}" for b in (12, 24, 36)]).alias(m)
        for c, m in zip(WIND_COVARIATES, WIND_RUN_MEANS, strict=True)
    ).drop([f"{c}_{b}" for c in WIND_COVARIATES for b in (12, 24, 36)])


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
    forecasts = load_gefcom2012_wind_forecasts(root)
    columns = WIND_COVARIATES
    if args.nwp_mean:  # every model alike also reads the mean of the runs that cover each hour
        forecasts, columns = _with_run_means(forecasts), (*WIND_COVARIATES, *WIND_RUN_MEANS)
    runs = Vintages(forecasts, columns=columns, series_id="farm")
    hist = runs.as_history(power["timestamp"], power["farm"])  # the freshest run available by each hour
    frame = power.with_columns([hist[c] for c in columns])
    train_end = dt.datetime(2010, 12, 31, 23, tzinfo=dt.UTC)
    frame = frame.filter(pl.all_horizontal([pl.col(c).is_not_null() for c in columns])
                         | (pl.col("timestamp") > train_end))
    schema = d.schema.with_(future_covariates=columns)
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
        cached = _load_reference(args, "gefcom_wind")
        if cached is not None:
            fc["gbm_reference"] = cached
        else:
            fc["gbm_reference"] = _wind_gbm(frame, runs, cutoffs, truth, train_end, H, columns)
            _save_reference(args, "gefcom_wind", fc["gbm_reference"])
        seconds["gbm_reference"] = time.perf_counter() - t0

    neural: dict[str, Any] = {}
    if "preset" not in args.skip:
        neural[_key("preset_day_ahead_wind", args)] = (ea.Forecaster.preset(
            "day-ahead-wind", wind_columns=("u", "v"), tz="UTC", horizon=H, origin_time=None, **args.set), runs)
    if "default" not in args.skip:
        neural["default_tide"] = (ea.Forecaster("tide", context_length=72, horizon=H, quantiles=(0.1, 0.5, 0.9),
                                                max_steps=args.default_steps), None)
    train = frame.filter(pl.col("timestamp") <= train_end)
    for name, (model, vint) in neural.items():
        t0 = time.perf_counter()
        _fit(name, model, fits, train, schema, future=vint)
        for row, m in _variants(name, model).items():
            res = ea.backtest(m, frame, schema, cutoffs=cutoffs, future=runs, fit=False)
            fc[row] = res.forecasts.join(truth, on=["farm", "timestamp"], how="inner").select(
                "farm", "timestamp", "forecast", *_qcols(res.forecasts), pl.col("value").alias("actual"))
        seconds[name] = time.perf_counter() - t0
    table = {}
    for name, f in fc.items():
        if f.height != truth.height:
            raise SystemExit(f"{name}: {f.height} forecasts for {truth.height} test values")
        e = (f["forecast"] - f["actual"]).to_numpy()
        table[name] = {"rmse": float(np.sqrt(np.mean(e ** 2))), "mae": float(np.mean(np.abs(e))), "n": len(e),
                       **_frame_coverage(f, cap=1.0)}
    _dump(args, "gefcom_wind", fc)
    _print_table(table, ["rmse", "mae", "coverage_80", "coverage_90"])
    series = {}
    for name, f in fc.items():
        f = f.filter(pl.col("farm") == "wp1").sort("timestamp")
        series[name] = (f["timestamp"], f["actual"].to_numpy(), np.repeat(f["forecast"].to_numpy()[:, None], 99, 1))
    _plot_quantiles(series, RESULTS / "presets_gefcom_wind.png", (cutoffs[0], cutoffs[0] + dt.timedelta(hours=49)),
                    "GEFCom2012 wind farm 1, first official 48-h window", "power / capacity")
    return {"task": "gefcom_wind", "protocol": "GEFCom2012 wind, the 156 official 48-h test windows x 7 farms; "
            "train 2009-07-01..2010-12-31; every forecast reads the NWP run available at its origin (Vintages, "
            "leakage-checked); RMSE of normalised power against test.csv",
            "metrics": table, "seconds": {k: round(v, 1) for k, v in seconds.items()}, "fits": fits,
            "published": {"winner_rmse_about": 0.146}}


def _wind_gbm(frame: pl.DataFrame, runs: Any, cutoffs: list[Any], truth: pl.DataFrame, train_end: dt.datetime,
              H: int, columns: tuple[str, ...] = WIND_COVARIATES) -> pl.DataFrame:
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
            cov = table.select(columns).to_numpy().reshape(len(origins), H, len(columns))
            rows = gbm.day_ahead_rows(y, utc, origins, H, 3600, "UTC", covariates=cov,
                                      cov_names=columns, normalise="none", series=k)
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


# ------------------------------------------------------------------ gefcom_load
def gefcom_load(args: argparse.Namespace) -> dict[str, Any]:
    """GEFCom2014 load (normalised), day-ahead with the temperatures of 25 stations, probabilistic."""
    ds = ea.datasets.load("gefcom2014_load", data_dir=args.data_dir)
    frame, schema = ds.frame, ds.schema
    temps = list(schema.future_covariates)
    proto = DayAheadProtocol(dt.time(10, 0), "UTC", name="day-ahead, D-1 10:00")
    step = 3600
    horizon = proto.horizon(step)
    lead_first = horizon - 23
    first_day, last_day = dt.date(2013, 7, 1), dt.date(2013, 12, 31)
    train_end = dt.datetime(2013, 6, 30, 23, tzinfo=dt.UTC)
    val_start = dt.datetime(2013, 4, 1, tzinfo=dt.UTC)
    y = frame["load"].to_numpy().astype(np.float64)
    utc = _utc_seconds(frame["timestamp"])
    origins = np.flatnonzero((utc % 86400) // 3600 == proto.issue_time.hour)
    origins = origins[origins >= 24 * 8]
    quant: dict[str, pl.DataFrame] = {}
    seconds: dict[str, float] = {}
    fits: dict[str, Any] = {}
    cutoffs = proto.cutoffs(first_day, last_day)

    t0 = time.perf_counter()
    sn = ea.backtest(ea.SeasonalNaive(horizon, season="week"), frame, schema.with_(future_covariates=()),
                     cutoffs=cutoffs)
    quant["seasonal_naive_week"] = _wide_quantiles(sn.forecasts, None)
    seconds["seasonal_naive_week"] = time.perf_counter() - t0

    if "gbm" not in args.skip:
        t0 = time.perf_counter()
        cached = _load_reference(args, "gefcom_load")
        if cached is not None:
            quant["gbm_reference"] = cached
        else:
            cov_all = frame.select(temps).to_numpy().astype(np.float64)
            cov_all = np.column_stack([cov_all, cov_all.mean(axis=1)])
            idx = np.clip(origins[:, None] + np.arange(1, horizon + 1)[None, :], 0, len(y) - 1)
            cands = {}
            for norm in ("level", "none"):
                rows = gbm.day_ahead_rows(y, utc, origins, horizon, step, "UTC", country="US", covariates=cov_all[idx],
                                          cov_names=(*temps, "t_mean"), lead_first=lead_first, normalise=norm)
                o_np, vs, end = rows.origin_utc, val_start.timestamp(), train_end.timestamp()
                tr = rows.take(o_np + horizon * step < vs)
                va = rows.take((o_np >= vs) & (o_np + horizon * step <= end))
                cands[norm] = (gbm.fit_reference(tr, va, GBM_LEVELS, seed=0), rows.take(o_np >= cutoffs[0].timestamp()))
            norm, ref, te = gbm.pick(cands)
            q13 = ref.predict(te)
            q99 = np.stack([np.interp(LEVELS_99, GBM_LEVELS, r) for r in q13])
            quant["gbm_reference"] = pl.DataFrame({
                "timestamp": te.target_utc.astype("datetime64[s]").astype("datetime64[us]"), "lead": te.lead,
                "actual": te.y * te.level, "q": q99}).with_columns(pl.col("timestamp").dt.replace_time_zone("UTC"))
            _save_reference(args, "gefcom_load", quant["gbm_reference"])
            print(f"gbm_reference: normalise {norm}, params {ref.params}, {ref.rounds} rounds", flush=True)
        seconds["gbm_reference"] = time.perf_counter() - t0

    neural: dict[str, Any] = {}
    if "preset" not in args.skip:
        neural[_key("preset_day_ahead_load", args)] = ea.Forecaster.preset(
            "day-ahead-load", country="US", issue_time="10:00", tz="UTC", freq="1h", quantiles=LEVELS_99, **args.set)
    if "default" not in args.skip:
        neural["default_tide"] = ea.Forecaster("tide", context_length=336, horizon=horizon, quantiles=LEVELS_99,
                                               max_steps=args.default_steps)
    train = frame.filter(pl.col("timestamp") <= train_end)
    for name, model in neural.items():
        t0 = time.perf_counter()
        _fit(name, model, fits, train, schema, val_start=val_start)
        for row, m in _variants(name, model).items():
            # the temperatures are observed values used as if forecast (ex-post), for every model alike
            res = proto.backtest(m, frame, schema, first_day, last_day, fit=False, oracle=True)
            quant[row] = _wide_quantiles(res.forecasts, model.quantiles)
        seconds[name] = time.perf_counter() - t0

    table = {}
    for name, f in quant.items():
        f = f.filter(pl.col("lead").is_between(lead_first, horizon)).sort("timestamp")
        if f.height != 24 * len(cutoffs):
            raise SystemExit(f"{name}: {f.height} forecasts for {24 * len(cutoffs)} delivery hours")
        q, a = np.stack(f["q"].to_numpy()), f["actual"].to_numpy()
        table[name] = {"pinball_99": pinball_99(q, a), "mape_median": float(np.mean(np.abs(q[:, 49] - a) / a) * 100),
                       **_q99_coverage(q, a, False), "hours": f.height}
    _dump(args, "gefcom_load", quant)
    _print_table(table, ["pinball_99", "mape_median", "coverage_80", "coverage_90"])
    _plot_load(quant, RESULTS / "presets_gefcom_load.png", lead_first, horizon)
    return {"task": "gefcom_load", "protocol": "GEFCom2014 load (load / its maximum), origins D-1 10:00, scored D "
            f"00-23 h (leads {lead_first}-{horizon}); train 2012-01-02..2013-06-30 (validation 2013-04..06); test "
            "every day of 2013-07..12; the 25 stations' observed temperatures serve as the temperature forecast for "
            "every model alike (ex-post, oracle=True); US holidays; pinball over the 99 levels 0.01..0.99",
            "metrics": table, "seconds": {k: round(v, 1) for k, v in seconds.items()}, "fits": fits}


def _wide_quantiles(forecasts: pl.DataFrame, quantiles: tuple[float, ...] | None) -> pl.DataFrame:
    """timestamp, lead, actual and ``q`` (99 levels) from a backtest frame; points repeat at every level."""
    f = forecasts.sort("cutoff", "timestamp")
    if quantiles is None:
        q = np.repeat(f["forecast"].to_numpy()[:, None], 99, axis=1)
    else:
        from energyai.base import quantile_column

        raw = f.select([quantile_column(x) for x in quantiles]).to_numpy()
        q = raw if tuple(quantiles) == LEVELS_99 else np.stack([np.interp(LEVELS_99, quantiles, r) for r in raw])
    return f.select("timestamp", "lead", "actual").with_columns(pl.Series("q", q))


def _plot_load(quant: dict[str, pl.DataFrame], path: Path, lead_first: int, horizon: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo, hi = dt.datetime(2013, 7, 14, tzinfo=dt.UTC), dt.datetime(2013, 7, 24, tzinfo=dt.UTC)
    fig, ax = plt.subplots(figsize=(11, 4))
    for i, (name, f) in enumerate(quant.items()):
        f = f.filter(pl.col("lead").is_between(lead_first, horizon) & pl.col("timestamp").is_between(lo, hi))
        f = f.sort("timestamp")
        t = f["timestamp"].to_list()
        if i == 0:
            ax.plot(t, f["actual"].to_list(), color="black", lw=2, label="actual")
        q = np.stack(f["q"].to_numpy())
        (line,) = ax.plot(t, q[:, 49], lw=1, label=f"{name} (median)")
        if "preset" in name:
            ax.fill_between(t, q[:, 9], q[:, 89], color=line.get_color(), alpha=0.2, label=f"{name} 10-90%")
    ax.set_ylabel("load / maximum")
    ax.set_title("GEFCom2014 load, July 2013 heat wave, issued D-1 10:00")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ------------------------------------------------------------------ ulsan_pv
def ulsan_pv(args: argparse.Namespace) -> dict[str, Any]:
    """Ulsan 500 kW PV (DACON 2021), issued D-1 10:00 KST for D 00-23 h, weather OBSERVED (ex post)."""
    from energyai.datasets.loaders import ULSAN_SITE
    from energyai.market.kpx import kpx_settlement

    ds = ea.datasets.load("kr_dacon2021_solar_ulsan", data_dir=args.data_dir)
    frame, schema = ds.frame, ds.schema
    cap = float(schema.capacity)
    weather = list(schema.future_covariates)
    proto = DayAheadProtocol.kpx()
    step = 3600
    horizon = proto.horizon(step)
    lead_first = horizon - 23
    first_day, last_day = dt.date(2020, 1, 2), dt.date(2021, 1, 31)
    kst = ZoneInfo("Asia/Seoul")
    train_end = dt.datetime(2019, 12, 31, 23, tzinfo=kst)
    val_start = dt.datetime(2019, 7, 1, tzinfo=kst)
    cutoffs = proto.cutoffs(first_day, last_day)
    y = frame["energy_kwh"].to_numpy().astype(np.float64)
    utc = _utc_seconds(frame["timestamp"])
    fc: dict[str, pl.DataFrame] = {}
    seconds: dict[str, float] = {}
    fits: dict[str, Any] = {}
    test = frame.filter(pl.col("timestamp").dt.date().is_between(first_day, last_day)).select("timestamp", "energy_kwh")
    day_before = frame.select((pl.col("timestamp") + pl.duration(days=1)).alias("timestamp"),
                              pl.col("energy_kwh").alias("forecast"))
    fc["persistence_day_before"] = test.join(day_before, on="timestamp", how="left").rename({"energy_kwh": "actual"})
    # climatology: the mean of the same hour over the 14 days before the origin (D-15 .. D-2)
    lagged = [frame.select((pl.col("timestamp") + pl.duration(days=d)).alias("timestamp"),
                           pl.col("energy_kwh").alias(f"d{d}")) for d in range(2, 16)]
    clim = test
    for part in lagged:
        clim = clim.join(part, on="timestamp", how="left")
    fc["climatology_14d"] = clim.select("timestamp", pl.col("energy_kwh").alias("actual"),
                                        pl.mean_horizontal([f"d{d}" for d in range(2, 16)]).alias("forecast"))
    if "gbm" not in args.skip:
        t0 = time.perf_counter()
        cached = _load_reference(args, "ulsan_pv")
        if cached is not None:
            fc["gbm_reference"] = cached
        else:
            fc["gbm_reference"] = _ulsan_gbm(frame, weather, y / cap, utc, proto, horizon, lead_first, val_start,
                                             train_end, cutoffs, cap)
            _save_reference(args, "ulsan_pv", fc["gbm_reference"])
        seconds["gbm_reference"] = time.perf_counter() - t0
    neural: dict[str, Any] = {}
    if "preset" not in args.skip:
        neural[_key("preset_day_ahead_solar", args)] = ea.Forecaster.preset(
            "day-ahead-solar", site=ULSAN_SITE, issue_time="10:00", tz="Asia/Seoul", freq="1h",
            optional_covariates=("temp_air", "cloud_cover"), **args.set)  # the two columns with gaps (CARD.md)
    train = frame.filter(pl.col("timestamp") <= train_end)
    sch = schema
    for name, model in neural.items():
        t0 = time.perf_counter()
        _fit(name, model, fits, train, sch, val_start=val_start)
        for row, m in _variants(name, model).items():
            res = proto.backtest(m, frame, sch, first_day, last_day, fit=False, oracle=True)
            fc[row] = res.forecasts.select("timestamp", "actual", "forecast", *_qcols(res.forecasts))
        seconds[name] = time.perf_counter() - t0
    table = {}
    for name, f in fc.items():
        f = f.filter(pl.col("timestamp").dt.date().is_between(first_day, last_day)).sort("timestamp")
        f = f.filter(pl.col("actual").is_not_null() & pl.col("forecast").is_not_null())
        ts = f["timestamp"].dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy()
        s = kpx_settlement(f["actual"].to_numpy(), f["forecast"].to_numpy(), cap, units="kW", timestamps=ts)
        e = s.error[s.eligible]
        table[name] = {"kpx_error": s.mean_error, "share_le_6": float(np.mean(e <= 6)),
                       "share_le_8": float(np.mean(e <= 8)), "eligible_hours": s.eligible_hours,
                       "krw_per_mw_year": s.krw_per_mw * 365 / ((last_day - first_day).days + 1),
                       **_frame_coverage(f, cap=cap)}
    _dump(args, "ulsan_pv", fc)
    _print_table(table, ["kpx_error", "share_le_8", "eligible_hours", "coverage_80", "coverage_90"])
    return {"task": "ulsan_pv", "protocol": "Ulsan 500 kW rooftop PV (DACON 2021), origins D-1 10:00 KST, scored D "
            f"00-23 h (leads {lead_first}-{horizon}); train 2018-03..2019-12 (validation 2019-07..12); test every day "
            "of 2020-01-02..2021-01-31; weather = KMA station OBSERVATIONS (temperature, wind, humidity, cloud "
            "cover in tenths; no irradiance) used as if forecast by every model alike: EX POST, an oracle for the "
            "weather forecast; KPX error = |forecast - actual| / 500 kW over hours with actual >= 50 kWh",
            "metrics": table, "seconds": {k: round(v, 1) for k, v in seconds.items()}, "fits": fits}


def _ulsan_gbm(frame: pl.DataFrame, weather: list[str], cf: np.ndarray, utc: np.ndarray, proto: Any, horizon: int,
               lead_first: int, val_start: dt.datetime, train_end: dt.datetime, cutoffs: list[Any],
               cap: float) -> pl.DataFrame:
    """The reference on Ulsan: capacity factor, the observed weather of the target hour, calendar, lags."""
    origins = np.flatnonzero(frame["timestamp"].dt.hour().to_numpy() == proto.issue_time.hour)
    origins = origins[origins >= 24 * 8]
    cov = frame.select(weather).to_numpy().astype(np.float64)
    idx = np.clip(origins[:, None] + np.arange(1, horizon + 1)[None, :], 0, len(cf) - 1)
    rows = gbm.day_ahead_rows(cf, utc, origins, horizon, 3600, "Asia/Seoul", covariates=cov[idx],
                              cov_names=tuple(weather), lead_first=lead_first, normalise="none")
    o = rows.origin_utc
    tr = rows.take(o + horizon * 3600 < val_start.timestamp())
    va = rows.take((o >= val_start.timestamp()) & (o + horizon * 3600 <= train_end.timestamp()))
    te = rows.take(np.isin(o, [int(c.timestamp()) for c in cutoffs]))
    ref = gbm.fit_reference(tr, va, seed=0)
    print(f"gbm_reference: params {ref.params}, {ref.rounds} rounds", flush=True)
    pred = np.clip(ref.predict(te), 0, 1) * cap
    return pl.DataFrame({"timestamp": te.target_utc.astype("datetime64[s]").astype("datetime64[us]"),
                         "actual": te.y * cap, "forecast": pred}).with_columns(
        pl.col("timestamp").dt.replace_time_zone("UTC").dt.convert_time_zone("Asia/Seoul"))


# ------------------------------------------------------------------ common
def _variants(name: str, model: Any) -> dict[str, Any]:
    """The fitted preset, the same model without its calibration, and, for an ensemble, the same
    members combined otherwise (no refit): the boosted member alone, the neural members alone
    (their mean) and each neural member, all with the ensemble's calibration."""
    import copy

    import torch

    out = {name: model}
    net = model.network_
    if net.calibration is not None:  # the same model without its calibration, to show what it changes
        raw = copy.copy(model)
        raw.__dict__ = dict(model.__dict__)
        raw.network_ = copy.deepcopy(net)
        raw.network_.set_calibration(None)
        out[name + ":uncalibrated"] = raw
    if getattr(net, "n_members", 1) < 2:
        return out

    M = net.n_members
    neural = len(net.members)

    def with_weights(w: np.ndarray) -> Any:
        m = copy.copy(model)
        m.__dict__ = dict(model.__dict__)
        m.network_ = copy.deepcopy(net)
        m.network_.weights.copy_(torch.from_numpy(np.broadcast_to(w[:, None, None], net.weights.shape).copy()
                                                  .astype(np.float32)))
        return m

    if net.boosted is not None:
        out[name + ":boosted_member"] = with_weights(np.eye(M)[M - 1])
        if neural:
            out[name + ":neural_mean"] = with_weights(np.r_[np.full(neural, 1.0 / neural), 0.0])
    for k in range(neural if neural > 1 else 0):
        out[name + f":neural_member{k}"] = with_weights(np.eye(M)[k])
    return out


# ------------------------------------------------------------------ common
def _reference_path(args: argparse.Namespace, task: str) -> Path | None:
    return None if not args.reference_cache else Path(args.reference_cache) / f"gbm_reference_{task}"


def _load_reference(args: argparse.Namespace, task: str) -> Any:
    """The reference's forecasts saved by an earlier run (``--reference-cache``; for experiments
    only: a committed result computes the reference in the same run), or None."""
    path = _reference_path(args, task)
    if path is None:
        return None
    if path.with_suffix(".parquet").exists():
        args.reference_cached = True
        return pl.read_parquet(path.with_suffix(".parquet"))
    if path.with_suffix(".npy").exists():
        args.reference_cached = True
        return np.load(path.with_suffix(".npy"))
    return None


def _save_reference(args: argparse.Namespace, task: str, value: Any) -> None:
    path = _reference_path(args, task)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(value, pl.DataFrame):
        value.write_parquet(path.with_suffix(".parquet"))
    else:
        np.save(path.with_suffix(".npy"), np.asarray(value))


def _key(name: str, args: argparse.Namespace) -> str:
    """The preset's row name, with the ``--set`` overrides when there are any."""
    return name + ("[" + ",".join(f"{k}={v}" for k, v in args.set.items()) + "]" if args.set else "")


def _fit(name: str, model: Any, fits: dict[str, Any], *args: Any, **kwargs: Any) -> float:
    """``model.fit(*args, **kwargs)``; records the fit in ``fits`` and returns its seconds.

    A preset is fitted as a user would: ``fit(train, schema)``, with its own validation (the
    last ``val_size`` of each series) for early stopping, the ensemble's weights and the
    calibration; the task's validation period (``val_start``) is for the reference's tuning
    and today's default model."""
    if name.startswith("preset"):
        kwargs.pop("val_start", None)
    t0 = time.perf_counter()
    model.fit(*args, **kwargs)
    fit_s = time.perf_counter() - t0
    fits[name] = {"fit_seconds": round(fit_s, 1), "steps": model.history_["steps"],
                  "train_windows": model.history_["train_windows"], "params": _jsonable(model.get_params())}
    if "members" in model.history_:  # an ensemble: each member's fit and the combination
        fits[name]["combine"] = _jsonable(model.history_["combine"])
        fits[name]["members"] = [_jsonable({k: v for k, v in h.items() if k in (
            "model", "seed", "context_length", "steps", "fit_seconds", "rounds", "train_rows", "fitted_levels",
            "best_val_loss", "stopped_by", "refit", "searched")}) for h in model.history_["members"]]
    if "calibration" in model.history_:
        fits[name]["calibration"] = _jsonable(model.history_["calibration"])
        print(f"  combine: {model.history_['combine']}", flush=True)
    print(f"{name}: fit {fit_s:.0f} s, {model.history_['steps']} steps", flush=True)
    return fit_s


def _solar_data(args: argparse.Namespace) -> tuple[pl.DataFrame, Any, list[str]]:
    """GEFCom2014 solar with which zone as static one-hot columns (the reference's zone feature)."""
    ds = ea.datasets.load("gefcom2014_solar", data_dir=args.data_dir)
    zones = ("zone1", "zone2", "zone3")
    frame = ds.frame.with_columns([(pl.col("zone") == z).cast(pl.Float64).alias(f"is_{z}") for z in zones])
    return frame, ds.schema.with_(static_covariates=tuple(f"is_{z}" for z in zones)), list(ds.schema.future_covariates)


def _solar_models(args: argparse.Namespace) -> dict[str, Any]:
    """The solar preset and today's default model, both on the 99 levels, issued at 23:00 UTC."""
    neural: dict[str, Any] = {}
    if "preset" not in args.skip:
        neural[_key("preset_day_ahead_solar", args)] = ea.Forecaster.preset(
            "day-ahead-solar", issue_time="23:00", freq="1h", tz="UTC", quantiles=LEVELS_99, **args.set)
    if "default" not in args.skip:
        neural["default_tide"] = ea.Forecaster("tide", context_length=336, horizon=24, quantiles=LEVELS_99,
                                               max_steps=args.default_steps)
    return neural


def _solar_reference(train: gbm.Rows, val: gbm.Rows, test: gbm.Rows) -> np.ndarray:
    """Quantile reference on the 13 ``GBM_LEVELS``, interpolated to the 99 levels, clipped to [0, 1]."""
    ref = gbm.fit_reference(train, val, GBM_LEVELS, seed=0)
    print(f"gbm_reference: params {ref.params}, {ref.rounds} rounds", flush=True)
    q13 = ref.predict(test)
    return np.clip(np.stack([np.interp(LEVELS_99, GBM_LEVELS, r) for r in q13]), 0, 1)


def _solar_rows(f: pl.DataFrame, columns: list[str]) -> gbm.Rows:
    """Reference rows of the solar tasks: ``columns`` at the target hour, hour, day of year, zone."""
    utc = _utc_seconds(f["timestamp"])
    X = np.column_stack([f.select(columns).to_numpy(), (utc % 86400) / 3600.0,
                         f["timestamp"].dt.ordinal_day().to_numpy(), f["zone"].str.slice(4).cast(pl.Int32).to_numpy()])
    n = f.height
    return gbm.Rows(X, f["power"].to_numpy(), np.ones(n), utc, utc, np.ones(n, np.int64), np.zeros(n, np.int64),
                    [*columns, "hour", "doy", "zone"])

def _jsonable(v: Any) -> Any:
    from energyai.persist import jsonable

    return jsonable(v)


def _coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Share of ``actual`` inside ``[lo, hi]`` (where ``mask``)."""
    inside = (actual >= lo) & (actual <= hi)
    return float(np.mean(inside if mask is None else inside[mask]))


def _frame_coverage(f: pl.DataFrame, cap: float | None = None) -> dict[str, float]:
    """10-90 and 5-95 coverage from the quantile columns of a forecast frame (when it has them); for
    generation (``cap``), on hours whose median is at least 5% of capacity, as benchmarks/calibration.py."""
    a = f["actual"].to_numpy().astype(np.float64)
    mask = None if cap is None else f["forecast"].to_numpy() >= 0.05 * cap
    out = {}
    for key, lo, hi in (("coverage_80", "q0.1", "q0.9"), ("coverage_90", "q0.05", "q0.95")):
        if lo in f.columns and hi in f.columns:
            out[key] = _coverage(a, f[lo].to_numpy(), f[hi].to_numpy(), mask)
    return out


def _q99_coverage(q: np.ndarray, actual: np.ndarray, generation: bool) -> dict[str, float]:
    """10-90 and 5-95 coverage from 99-level quantiles (generation: hours with median >= 5% of capacity)."""
    mask = q[:, 49] >= 0.05 if generation else None
    return {"coverage_80": _coverage(actual, q[:, 9], q[:, 89], mask),
            "coverage_90": _coverage(actual, q[:, 4], q[:, 94], mask)}


def _qcols(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("q0.")]


def _dump(args: argparse.Namespace, task: str, rows: dict[str, Any]) -> None:
    """Every row's test forecasts into ``--dump``/<task>/ (parquet frames, npy arrays), for analysis."""
    if not args.dump:
        return
    folder = Path(args.dump) / task
    folder.mkdir(parents=True, exist_ok=True)
    for name, value in rows.items():
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120]
        if isinstance(value, pl.DataFrame):
            value.write_parquet(folder / f"{safe}.parquet")
        else:
            np.save(folder / f"{safe}.npy", np.asarray(value))


def _print_table(table: dict[str, dict[str, float]], cols: list[str]) -> None:
    print(f"\n{'model':26s}" + "".join(f"{c:>14s}" for c in cols))
    for name, r in table.items():
        cells = "".join(f"{r[c]:14.4f}" if isinstance(r.get(c), (int, float)) else f"{'-':>14s}" for c in cols)
        print(f"{name:26s}" + cells)


TASKS = {"kr_load": kr_load, "gefcom_load": gefcom_load, "gefcom_solar_rolling": gefcom_solar_rolling,
         "gefcom_solar": gefcom_solar, "gefcom_wind": gefcom_wind, "ulsan_pv": ulsan_pv}


def _fit_seconds_by_row(report: dict[str, Any]) -> None:
    """Each ensemble-derived row's own fit seconds: the members it uses (their training and refit
    time; the whole preset's for the blend, data preparation included)."""
    for name, fit in report.get("fits", {}).items():
        members = fit.get("members")
        if name in report["metrics"]:
            report["metrics"][name]["fit_seconds"] = fit["fit_seconds"]
        if not members:
            continue

        def seconds(h: dict[str, Any]) -> float:
            return float(h.get("fit_seconds", 0.0)) + float((h.get("refit") or {}).get("seconds", 0.0))

        neural = [h for h in members if h.get("model") != "lightgbm"]
        rows = {":boosted_member": [h for h in members if h.get("model") == "lightgbm"], ":neural_mean": neural,
                **{f":neural_member{k}": [h] for k, h in enumerate(neural)}}
        for suffix, used in rows.items():
            if name + suffix in report["metrics"]:
                report["metrics"][name + suffix]["fit_seconds"] = round(sum(seconds(h) for h in used), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    ap.add_argument("--skip", nargs="*", default=[], choices=["gbm", "preset", "default"])
    ap.add_argument("--default-steps", type=int, default=None, help="steps of today's default model (3,000)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--dump", default=None, help="folder to write every row's test forecasts to (parquet)")
    ap.add_argument("--reference-cache", default=None,
                    help="folder to save the reference's forecasts in and reuse them from (experiments only)")
    ap.add_argument("--train-start", default=None, help="first training day of the neural models (ISO date)")
    ap.add_argument("--nwp-mean", action="store_true",
                    help="gefcom_wind: every model also reads the mean of the NWP runs covering each hour")
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="override a preset choice (JSON values), e.g. --set context_length=336 issue_time=null")
    args = ap.parse_args()
    args.set = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    RESULTS.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    report = TASKS[args.task](args)
    _fit_seconds_by_row(report)
    report["command"] = "python benchmarks/presets.py " + " ".join(sys.argv[1:])
    report["machine"] = f"{platform.machine()}, {platform.python_version()}, torch threads " \
                        f"{__import__('torch').get_num_threads()}"
    report["total_seconds"] = round(time.perf_counter() - t0, 1)
    if getattr(args, "reference_cached", False):
        report["reference_from_cache"] = True  # not a same-run comparison: do not commit as one
    out = Path(args.out) if args.out else RESULTS / f"presets_{args.task}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
