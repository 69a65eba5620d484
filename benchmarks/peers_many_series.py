"""Many-series training throughput, memory and accuracy: energyai vs neuralforecast vs darts.

Two cases (``--case``):

- ``gefcom2012``: GEFCom2012 load, all 20 zones, hourly, over the longest stretch without
  missing load (2006-11-29 00:00 to 2008-06-29 23:00 UTC), with the 11 temperature
  stations as past covariates (``--no-covariates`` drops them). Train on the first 365
  days (171,380 windows); test on the 214 daily 00:00 origins of the rest (4,280 windows).
- ``synthetic``: the synthetic scale panel of :mod:`synthetic_panel` (2,000 series x 8,760
  hours x 8 weather-like covariates, 17.5 M rows; ``--series`` to change). Train on the
  first 351 days (16.5 M windows); test on the 14 daily origins of the last 14 days
  (28,000 windows).

Targets (per series) and covariates are z-scored on the training hours outside the
libraries, and errors are MSE/MAE on that scale. Covariates are *past* covariates in
every library (darts' N-HiTS accepts no other kind).

The model and recipe are protocol v1's (../shared/PEER_PROTOCOL.md) at L=168, H=24:
N-HiTS with 3 stacks x 1 block, 2 x ``--hidden`` ReLU MLP (protocol: 512), max-pool
kernels (2, 2, 1), downsampling (4, 2, 1), no dropout, MSE loss, Adam lr 1e-3 constant,
256 windows per step, a fixed number of steps, no validation, seed 42, one thread,
in-process loading, each library's own reversible instance norm (``--instance-norm``).

Each library reads the same parquet file the way its users would: energyai with
``polars.scan_parquet`` (training rows filtered in the scan; ``Forecaster.fit`` takes the
LazyFrame and reads it column by column, so its reading time is inside ``fit_s``), darts with
``pandas.read_parquet`` and ``TimeSeries.from_group_dataframe`` (its documented route from
a long table), neuralforecast with ``pandas.read_parquet``. Figures per run (each library
in its own fresh process, runs interleaved):

- ``load_s``: file to the library's input (frame or TimeSeries list);
- ``fit_s``: the library's fit call (validation and dataset setup included);
- ``windows_per_s``: steps x 256 / fit_s; ``e2e_windows_per_s``: steps x 256 / (load_s + fit_s);
- ``rss_loaded_mb``, ``rss_fit_mb``, ``peak_rss_mb``: peak resident memory (VmHWM) after
  loading, after fit, and after the test forecasts (imports included);
- ``eval_s``, ``mse``, ``mae`` over every test window through the library's public API
  (scored by the driver from the parquet file).

Peers run in a separate virtual environment (they pin other versions of lightning):

    python -m venv /tmp/peers && /tmp/peers/bin/pip install torch==2.13.0 \\
        neuralforecast==3.3.0 darts==0.48.1
    python benchmarks/peers_many_series.py --case synthetic --peer-python /tmp/peers/bin/python

Writes ``benchmarks/results/peers_many_series_<case>[_nocov]_h<hidden>_<norm>.json``
(``--out`` to change).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
L, H, BATCH, LR, SEED = 168, 24, 256, 1e-3, 42
OPTS = {"hidden": 512, "instance_norm": "revin", "pool_covariates": False}
GEFCOM_START, GEFCOM_END, GEFCOM_TRAIN = "2006-11-29T00:00", "2008-06-29T23:00", 365 * 24
KEYS = ("series", "ts", "y")


# ----------------------------------------------------------------- data (driver only)
def prepare_gefcom(data_dir: Path, path: Path, covariates: bool) -> dict:
    """Write the z-scored GEFCom2012 panel as parquet: series, ts (UTC), y, t1..t11."""
    import polars as pl

    import energyai as ea

    d = ea.datasets.load("gefcom2012_load", data_dir=data_dir)
    start, end = np.datetime64(GEFCOM_START), np.datetime64(GEFCOM_END)
    temps = [f"t{k}" for k in range(1, 12)] if covariates else []
    f = (d.frame.select("zone_id", "timestamp", "load", *temps)
         .filter(pl.col("timestamp").dt.replace_time_zone(None).is_between(start.item(), end.item()))
         .sort("zone_id", "timestamp"))
    n = int((end - start) / np.timedelta64(1, "h")) + 1
    counts = f.group_by("zone_id").len()
    if counts["len"].min() != n or f.select(pl.any_horizontal(pl.all().is_null()).any()).item():
        raise SystemExit(f"expected {n} complete hours per zone (load and temperatures) in the benchmark period")
    train = pl.int_range(pl.len()).over("zone_id") < GEFCOM_TRAIN
    z = [((pl.col("load") - pl.col("load").filter(train).mean().over("zone_id"))
          / pl.col("load").filter(train).std(ddof=0).over("zone_id")).cast(pl.Float32).alias("y")]
    z += [((pl.col(c) - pl.col(c).filter(train).mean()) / pl.col(c).filter(train).std(ddof=0)).cast(pl.Float32).alias(c)
          for c in temps]
    out = f.select(pl.col("zone_id").cast(pl.Int32).alias("series"), pl.col("timestamp").alias("ts"), *z)
    out.write_parquet(path)
    return {"series": out["series"].n_unique(), "hours": n, "train_hours": GEFCOM_TRAIN, "covariates": len(temps),
            "rows": out.height}


def test_origins(n: int, train_hours: int) -> np.ndarray:
    """Positions (0-based, per series) of the daily origins after the training hours."""
    return np.arange(train_hours, n - H + 1, 24)


def truth_windows(path: str, train_hours: int) -> np.ndarray:
    """Actual z values of every test window, ordered by series then origin: (windows, H)."""
    import polars as pl

    f = pl.read_parquet(path, columns=["series", "ts", "y"]).sort("series", "ts")
    y = f["y"].to_numpy()
    n_series = f["series"].n_unique()
    n = len(y) // n_series
    y = y.reshape(n_series, n)
    origins = test_origins(n, train_hours)
    return np.stack([y[:, o:o + H] for o in origins], axis=1).reshape(-1, H)


def score(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    err = pred.astype(np.float64) - truth.astype(np.float64)
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err))), "windows": int(pred.shape[0])}


def _rss_mb() -> float:
    """Peak resident memory of this process image so far (VmHWM), MB.

    Not ``ru_maxrss``: on Linux that keeps the peak of the parent process across fork
    and exec, so the driver's own memory (the synthetic panel it generated) would be
    reported for every child.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


# ------------------------------------------------------------------ library runners
# Each returns (figures, predictions of shape (series x origins, H) ordered by series then origin).
def run_energyai(path: str, steps: int, train_hours: int) -> tuple[dict, np.ndarray]:
    import lightning  # noqa: F401  (imported before the clock starts, as the peers import it with themselves)
    import polars as pl

    import energyai as ea
    from energyai.forecaster import Forecaster

    lf = pl.scan_parquet(path)
    covs = [c for c in lf.collect_schema().names() if c not in KEYS]
    t_first, t_last = lf.select(pl.col("ts").min().alias("a"), pl.col("ts").max().alias("b")).collect().row(0)
    cut = t_first + np.timedelta64(train_hours, "h").item()
    n = int((t_last - t_first).total_seconds() // 3600) + 1
    t0 = time.perf_counter()
    # a LazyFrame: fit reads it one column at a time (the read is inside fit_s)
    train = lf.filter(pl.col("ts") < cut)
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    schema = ea.Schema(series_id="series", timestamp="ts", target="y", past_covariates=covs, freq="1h", tz="UTC",
                       nonnegative=False)
    f = Forecaster("nhits", context_length=L, horizon=H, quantiles=(), loss="mse", max_steps=steps,
                   batch_size=BATCH, learning_rate=LR, weight_decay=0.0, schedule="constant", warmup_fraction=0.0,
                   scaler=OPTS["instance_norm"], affine=OPTS["instance_norm"] == "revin", calendar=False, val_size=0,
                   seed=SEED, gradient_clip=0.0, hidden=OPTS["hidden"], n_layers=2, pool_kernels=(2, 2, 1),
                   downsample=(4, 2, 1), dropout=0.0, pool_covariates=OPTS["pool_covariates"])
    t0, c0 = time.perf_counter(), _cpu()
    f.fit(train, schema)
    fit_s, cpu_s = time.perf_counter() - t0, _cpu() - c0
    rss_fit = _rss_mb()
    del train
    # a backtest needs each series' last L hours before the first origin onwards, no more
    recent = lf.filter(pl.col("ts") >= cut - np.timedelta64(L, "h").item()).collect()
    start = np.datetime64(t_first.replace(tzinfo=None), "s")
    # cutoff = the last observed hour before each origin (numpy datetime64 cutoffs are UTC)
    cutoffs = [start + np.timedelta64(int(o) - 1, "h") for o in test_origins(n, train_hours)]
    t1 = time.perf_counter()
    fc = f.forecast_origins(recent, cutoffs)
    eval_s = time.perf_counter() - t1
    pred = fc.sort("series", "cutoff", "ts")["forecast"].to_numpy().reshape(-1, H)
    return ({"load_s": load_s, "fit_s": fit_s, "train_cpu_s": cpu_s, "steps": f.history_["steps"], "eval_s": eval_s,
             "rss_loaded_mb": rss_loaded, "rss_fit_mb": rss_fit}, pred)


def _nhits_nf(covs: list[str], steps: int):
    from neuralforecast.losses.pytorch import MSE
    from neuralforecast.models import NHITS

    return NHITS(h=H, input_size=L, stack_types=3 * ["identity"], n_blocks=[1, 1, 1], mlp_units=3 * [[OPTS["hidden"]] * 2],
                 n_pool_kernel_size=[2, 2, 1], pooling_mode="MaxPool1d", n_freq_downsample=[4, 2, 1],
                 interpolation_mode="linear", dropout_prob_theta=0.0, loss=MSE(), learning_rate=LR,
                 num_lr_decays=-1, max_steps=steps, batch_size=32, windows_batch_size=BATCH,
                 scaler_type="revin" if OPTS["instance_norm"] == "revin" else "identity", random_seed=SEED,
                 early_stop_patience_steps=-1, val_check_steps=steps + 1, enable_progress_bar=False, logger=False,
                 enable_checkpointing=False, accelerator="cpu", training_data_availability_threshold=[0.0, 1.0],
                 hist_exog_list=covs or None)


def run_neuralforecast(path: str, steps: int, train_hours: int) -> tuple[dict, np.ndarray]:
    import pandas as pd
    from neuralforecast import NeuralForecast

    t0 = time.perf_counter()
    df = pd.read_parquet(path).rename(columns={"series": "unique_id", "ts": "ds"})
    df["ds"] = df["ds"].dt.tz_localize(None)
    covs = [c for c in df.columns if c not in ("unique_id", "ds", "y")]
    cut = df["ds"].min() + pd.Timedelta(hours=train_hours)
    train = df[df["ds"] < cut].reset_index(drop=True)
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    nf = NeuralForecast(models=[_nhits_nf(covs, steps)], freq="h")
    t0, c0 = time.perf_counter(), _cpu()
    nf.fit(df=train, val_size=0)
    fit_s, cpu_s = time.perf_counter() - t0, _cpu() - c0
    rss_fit = _rss_mb()
    del train
    # each test window as its own series, as PEER_PROTOCOL.md section 5 (built with numpy, not a Python loop)
    df = df.sort_values(["unique_id", "ds"], kind="stable")
    ids = df["unique_id"].unique()
    n = len(df) // len(ids)
    origins = test_origins(n, train_hours)
    pos = (np.arange(len(ids))[:, None, None] * n + origins[None, :, None] + np.arange(-L, 0)[None, None, :]).reshape(-1)
    windows = df.iloc[pos].reset_index(drop=True)
    windows["unique_id"] = np.repeat(np.arange(len(ids) * len(origins)), L)
    t1 = time.perf_counter()
    out = nf.predict(df=windows)
    eval_s = time.perf_counter() - t1
    out = out.reset_index() if "unique_id" not in out.columns else out
    pred = out.sort_values(["unique_id", "ds"])["NHITS"].to_numpy().reshape(-1, H)
    return ({"load_s": load_s, "fit_s": fit_s, "train_cpu_s": cpu_s, "steps": steps, "eval_s": eval_s,
             "rss_loaded_mb": rss_loaded, "rss_fit_mb": rss_fit}, pred)


def run_darts(path: str, steps: int, train_hours: int) -> tuple[dict, np.ndarray]:
    import pandas as pd
    from darts import TimeSeries
    from darts.models import NHiTSModel
    from pytorch_lightning.callbacks import Callback
    from torch.nn import MSELoss

    class Count(Callback):
        steps = 0

        def on_train_batch_end(self, *args, **kwargs):
            Count.steps += 1

    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    df["ts"] = df["ts"].dt.tz_localize(None)
    covs = [c for c in df.columns if c not in KEYS]
    ys = TimeSeries.from_group_dataframe(df, group_cols="series", time_col="ts", value_cols="y", freq="h")
    cs = (TimeSeries.from_group_dataframe(df, group_cols="series", time_col="ts", value_cols=covs, freq="h")
          if covs else None)
    del df
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    order = np.argsort([int(s.static_covariates["series"].iloc[0]) for s in ys])
    train = [s[:train_hours] for s in ys]
    n_windows = sum(len(s) - L - H + 1 for s in train)
    model = NHiTSModel(input_chunk_length=L, output_chunk_length=H, num_stacks=3, num_blocks=1, num_layers=2,
                       layer_widths=OPTS["hidden"], use_reversible_instance_norm=OPTS["instance_norm"] == "revin",
                       pooling_kernel_sizes=((2,), (2,), (1,)), n_freq_downsample=((4,), (2,), (1,)),
                       dropout=0.0, MaxPool1d=True, activation="ReLU", loss_fn=MSELoss(),
                       optimizer_kwargs={"lr": LR}, batch_size=BATCH,
                       n_epochs=math.ceil(steps / math.ceil(n_windows / BATCH)), random_state=SEED,
                       pl_trainer_kwargs={"accelerator": "cpu", "max_steps": steps, "enable_progress_bar": False,
                                          "logger": False, "enable_checkpointing": False, "callbacks": [Count()]})
    t0, c0 = time.perf_counter(), _cpu()
    model.fit(series=train, past_covariates=cs, verbose=False)
    fit_s, cpu_s = time.perf_counter() - t0, _cpu() - c0
    rss_fit = _rss_mb()
    t1 = time.perf_counter()
    hf = model.historical_forecasts(series=ys, past_covariates=cs, start=ys[0].time_index[train_hours],
                                    forecast_horizon=H, stride=24, retrain=False, last_points_only=False,
                                    overlap_end=False, verbose=False)
    eval_s = time.perf_counter() - t1
    pred = np.stack([w.values()[:, 0] for i in order for w in hf[i]])
    return ({"load_s": load_s, "fit_s": fit_s, "train_cpu_s": cpu_s, "steps": Count.steps, "eval_s": eval_s,
             "rss_loaded_mb": rss_loaded, "rss_fit_mb": rss_fit}, pred)


RUNNERS = {"energyai": run_energyai, "neuralforecast": run_neuralforecast, "darts": run_darts}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(lib: str, path: str, steps: int, threads: int, train_hours: int, pred_path: str) -> None:
    import random

    import torch

    torch.set_num_threads(threads)
    random.seed(SEED)
    np.random.seed(SEED)  # noqa: NPY002  (the global seed, as the protocol sets it)
    torch.manual_seed(SEED)
    t0 = time.perf_counter()
    result, pred = RUNNERS[lib](path, steps, train_hours)
    result["total_s"] = time.perf_counter() - t0
    result["windows_per_s"] = result["steps"] * BATCH / result["fit_s"]
    result["e2e_windows_per_s"] = result["steps"] * BATCH / (result["load_s"] + result["fit_s"])
    result["peak_rss_mb"] = _rss_mb()
    versions = {"torch": torch.__version__}
    for mod in ("energyai", "neuralforecast", "darts", "lightning", "pytorch_lightning", "polars", "pandas"):
        if mod in sys.modules:
            versions[mod] = getattr(sys.modules[mod], "__version__", "?")
    result["versions"] = versions
    np.save(pred_path, np.asarray(pred, dtype=np.float32))
    print("RESULT " + json.dumps(result))


# ------------------------------------------------------------------------- driver
FIGURES = ("load_s", "fit_s", "windows_per_s", "e2e_windows_per_s", "rss_loaded_mb", "rss_fit_mb", "peak_rss_mb",
           "eval_s", "mse", "mae", "train_cpu_s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=sorted(RUNNERS))
    ap.add_argument("--panel")
    ap.add_argument("--pred")
    ap.add_argument("--train-hours", type=int)
    ap.add_argument("--case", choices=["gefcom2012", "synthetic"], default="gefcom2012")
    ap.add_argument("--no-covariates", action="store_true", help="gefcom2012 without the temperatures")
    ap.add_argument("--series", type=int, default=2000, help="synthetic: number of series")
    ap.add_argument("--libs", default="energyai,neuralforecast,darts")
    ap.add_argument("--peer-python", default=None, help="python of the venv with neuralforecast and darts")
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=512, help="MLP width (protocol v1: 512)")
    ap.add_argument("--instance-norm", choices=["revin", "none"], default="revin",
                    help="revin: learnable reversible instance norm in every library (GEFCom zone 10 shifts level)")
    ap.add_argument("--pool-covariates", action="store_true",
                    help="energyai only: N-HiTS max-pools covariates with each stack's kernel (darts pools its "
                         "flattened input, target and covariates together; neuralforecast does not pool them)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("ENERGYAI_DATA", str(HERE.parent.parent / "shared" / "datasets")))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    OPTS.update(hidden=args.hidden, instance_norm=args.instance_norm, pool_covariates=args.pool_covariates)
    if args.child:
        child(args.child, args.panel, args.steps, args.threads, args.train_hours, args.pred)
        return

    libs = args.libs.split(",")
    runs: dict[str, list[dict]] = {lib: [] for lib in libs}
    with tempfile.TemporaryDirectory() as tmp:
        panel = str(Path(tmp) / "panel.parquet")
        if args.case == "synthetic":
            sys.path.insert(0, str(HERE))
            from synthetic_panel import make_synthetic_panel

            info = make_synthetic_panel(panel, n_series=args.series)
        else:
            info = prepare_gefcom(Path(args.data), Path(panel), covariates=not args.no_covariates)
        truth = truth_windows(panel, info["train_hours"])
        print(f"{args.case}: {info}; {truth.shape[0]} test windows", flush=True)
        load_start = os.getloadavg()
        for rep in range(args.repeats):
            for lib in libs:  # interleaved, each in a fresh process
                py = sys.executable if lib == "energyai" else (args.peer_python or sys.executable)
                pred_path = str(Path(tmp) / f"pred_{lib}.npy")
                cmd = [py, __file__, "--child", lib, "--panel", panel, "--steps", str(args.steps),
                       "--threads", str(args.threads), "--hidden", str(args.hidden),
                       "--instance-norm", args.instance_norm, "--train-hours", str(info["train_hours"]),
                       "--pred", pred_path, *(["--pool-covariates"] if args.pool_covariates else [])]
                env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONWARNINGS": "ignore"}
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
                if proc.returncode or not lines:
                    print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(f"{lib} run {rep} failed (exit {proc.returncode})")
                r = json.loads(lines[-1][7:])
                pred = np.load(pred_path)
                if pred.shape != truth.shape:
                    raise SystemExit(f"{lib} gave forecasts of shape {pred.shape}, expected {truth.shape}")
                r.update(score(pred, truth))
                runs[lib].append(r)
                print(f"{lib:15s} rep {rep}: load {r['load_s']:.1f} s, fit {r['fit_s']:.1f} s, "
                      f"{r['windows_per_s']:.0f} windows/s ({r['e2e_windows_per_s']:.0f} with loading), "
                      f"RSS {r['peak_rss_mb']:.0f} MB (after fit {r['rss_fit_mb']:.0f}), "
                      f"test MSE {r['mse']:.4f} MAE {r['mae']:.4f}, eval {r['eval_s']:.1f} s", flush=True)
    summary = {}
    for lib, rs in runs.items():
        summary[lib] = {k: statistics.median(r[k] for r in rs) for k in FIGURES}
        summary[lib]["versions"] = rs[0]["versions"]
    if "energyai" in summary:
        peers = [lib for lib in summary if lib != "energyai"]
        if peers:
            fastest = max(peers, key=lambda lib: summary[lib]["windows_per_s"])
            e, p = summary["energyai"], summary[fastest]
            summary["ratios_vs_fastest_peer"] = {
                "peer": fastest,
                "windows_per_s": e["windows_per_s"] / p["windows_per_s"],
                "e2e_windows_per_s": e["e2e_windows_per_s"] / p["e2e_windows_per_s"],
                "peak_rss": e["peak_rss_mb"] / p["peak_rss_mb"],
                "rss_fit": e["rss_fit_mb"] / p["rss_fit_mb"],
                "mse": e["mse"] / p["mse"],
            }
    covs = info["covariates"]
    result = {
        "case": f"{args.case}: {info['series']} series x {info['hours']} h, {covs} past covariates, "
                f"train {info['train_hours']} h, {truth.shape[0]} daily test windows, L={L}, H={H}, z scale",
        "recipe": f"protocol v1 N-HiTS (3x1 blocks, 2x{args.hidden}, pool 2/2/1, down 4/2/1), MSE, Adam 1e-3 "
                  f"constant, batch {BATCH}, {args.steps} steps, seed {SEED}, {args.threads} thread(s), "
                  f"instance norm {args.instance_norm}"
                  + (", energyai pools covariates per block" if args.pool_covariates else ""),
        "data": info, "repeats": args.repeats, "summary": summary, "runs": runs,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_start": load_start, "loadavg_end": os.getloadavg()},
        "command": "python benchmarks/peers_many_series.py " + " ".join(sys.argv[1:]),
    }
    print(json.dumps(summary, indent=2))
    tag = args.case + ("_nocov" if args.no_covariates and args.case == "gefcom2012" else "")
    tag += "_poolcov" if args.pool_covariates else ""
    if args.case == "synthetic" and args.series != 2000:
        tag += f"{args.series}"
    out = Path(args.out or HERE / "results" / f"peers_many_series_{tag}_h{args.hidden}_{args.instance_norm}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
