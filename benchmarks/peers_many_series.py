"""Many-series training throughput, memory and accuracy: energyai vs neuralforecast vs darts.

Case: GEFCom2012 load, all 20 zones, hourly, the longest stretch without missing load
(2006-11-29 00:00 to 2008-06-29 23:00 UTC). Train on the first 365 days (8,760 h per
zone, 171,380 training windows in all); test on daily origins at 00:00 UTC over the
remaining 214 days (214 origins x 20 zones, horizon 24 h). Every zone is z-scored with
its own train mean and population std, outside the libraries (no library scaler), and
errors are MSE/MAE on that scale.

The model and recipe are protocol v1's (../shared/PEER_PROTOCOL.md) at L=168, H=24:
N-HiTS with 3 stacks x 1 block, 2x512 ReLU MLP, max-pool kernels (2, 2, 1), downsampling
(4, 2, 1), no dropout, MSE loss, Adam lr 1e-3 constant, 256 windows per step, a fixed
number of steps (default 1000), no validation, seed 42, one thread, in-process loading.

Figures per run (each library in its own fresh process, runs interleaved):
- ``fit_s``: wall time of the library's fit call (dataset setup included);
- ``windows_per_s``: steps x 256 / fit_s;
- ``peak_rss_mb``: ``ru_maxrss`` after fit and test evaluation (imports included);
- ``eval_s``, ``mse``, ``mae`` on the 4,280 test windows through the library's public API.

Peers run in a separate virtual environment (they pin other versions of lightning):

    python -m venv /tmp/peers && /tmp/peers/bin/pip install torch==2.13.0 \\
        neuralforecast==3.3.0 darts==0.48.1
    python benchmarks/peers_many_series.py --peer-python /tmp/peers/bin/python --repeats 2

Writes ``benchmarks/results/peers_many_series_h<hidden>_<norm>.json`` (``--out`` to change).
Zone 10 shifts its level far outside its training range in the test period, so the
default uses reversible instance norm (each library's own) in every library.
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
OPTS = {"hidden": 512, "instance_norm": "revin"}
START, TRAIN_HOURS, END = "2006-11-29T00:00", 365 * 24, "2008-06-29T23:00"


# ----------------------------------------------------------------- data (driver only)
def prepare(data_dir: Path, path: Path) -> dict[str, int]:
    """Write the z-scored panel to ``path`` (npz: ids, hours since epoch, z)."""
    import polars as pl

    import energyai as ea

    d = ea.datasets.load("gefcom2012_load", data_dir=data_dir)
    start = np.datetime64(START)
    end = np.datetime64(END)
    f = (d.frame.select("zone_id", "timestamp", "load")
         .with_columns(pl.col("timestamp").dt.replace_time_zone(None))
         .filter((pl.col("timestamp") >= start) & (pl.col("timestamp") <= end))
         .sort("zone_id", "timestamp"))
    n = int((end - start) / np.timedelta64(1, "h")) + 1
    ids, hours, z = [], [], []
    for (zone,), g in f.group_by(["zone_id"], maintain_order=True):
        y = g["load"].to_numpy().astype(np.float64)
        if len(y) != n or np.isnan(y).any():
            raise SystemExit(f"zone {zone}: expected {n} complete hours in the benchmark period")
        tr = y[:TRAIN_HOURS]
        ids.append(np.full(n, int(zone)))
        hours.append(g["timestamp"].dt.epoch("s").to_numpy() // 3600)
        z.append(((y - tr.mean()) / tr.std()).astype(np.float32))
    np.savez(path, ids=np.concatenate(ids), hours=np.concatenate(hours), z=np.concatenate(z))
    return {"zones": len(ids), "hours_per_zone": n}


def load_panel(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.load(path)
    return a["ids"], a["hours"], a["z"]


def test_origins(n: int) -> np.ndarray:
    """Positions (0-based, per zone) of the daily 00:00 origins in the test period."""
    return np.arange(TRAIN_HOURS, n - H + 1, 24)


def score(pred: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    err = pred.astype(np.float64) - truth.astype(np.float64)
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err))), "windows": int(pred.shape[0])}


def truth_windows(ids, z) -> tuple[np.ndarray, list[int]]:
    zones = list(dict.fromkeys(ids.tolist()))
    out = []
    for zone in zones:
        y = z[ids == zone]
        out.extend(y[o:o + H] for o in test_origins(len(y)))
    return np.stack(out), zones


# ------------------------------------------------------------------ library runners
def run_energyai(path: str, steps: int) -> dict:
    import lightning  # noqa: F401  (imported before the clock starts, as the peers import it with themselves)
    import polars as pl

    import energyai as ea
    from energyai.forecaster import Forecaster

    ids, hours, z = load_panel(path)
    frame = pl.DataFrame({"zone": ids, "ts": (hours * 3600 * 1_000_000).astype("datetime64[us]"), "z": z}).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC"))
    schema = ea.Schema(series_id="zone", timestamp="ts", target="z", freq="1h", tz="UTC", nonnegative=False)
    n = int((ids == ids[0]).sum())
    train = frame.filter(pl.int_range(pl.len()).over("zone") < TRAIN_HOURS)
    f = Forecaster("nhits", context_length=L, horizon=H, quantiles=(), loss="mse", max_steps=steps,
                   batch_size=BATCH, learning_rate=LR, weight_decay=0.0, schedule="constant", warmup_fraction=0.0,
                   scaler=OPTS["instance_norm"], affine=OPTS["instance_norm"] == "revin", calendar=False, val_size=0,
                   seed=SEED, gradient_clip=0.0, hidden=OPTS["hidden"], n_layers=2, pool_kernels=(2, 2, 1), downsample=(4, 2, 1), dropout=0.0)
    t0, c0 = time.perf_counter(), _cpu()
    f.fit(train, schema)
    fit_s, cpu_s = time.perf_counter() - t0, _cpu() - c0
    t1 = time.perf_counter()
    t0_hours = hours[ids == ids[0]][0]
    cutoffs = [np.datetime64(int((t0_hours + o - 1) * 3600), "s") for o in test_origins(n)]
    fc = f.forecast_origins(frame, cutoffs)
    eval_s = time.perf_counter() - t1
    fc = fc.sort("zone", "cutoff", "ts")
    pred = fc["forecast"].to_numpy().reshape(-1, H)
    truth, _ = truth_windows(ids, z)
    return {"fit_s": fit_s, "train_cpu_s": cpu_s, "steps": f.history_["steps"], "eval_s": eval_s,
            **score(pred, truth)}


def run_neuralforecast(path: str, steps: int) -> dict:
    import pandas as pd
    from neuralforecast import NeuralForecast
    from neuralforecast.losses.pytorch import MSE
    from neuralforecast.models import NHITS

    ids, hours, z = load_panel(path)
    ds = pd.to_datetime(hours * 3600, unit="s")
    df = pd.DataFrame({"unique_id": ids.astype(str), "ds": ds, "y": z})
    n = int((ids == ids[0]).sum())
    train = df.groupby("unique_id", sort=False).head(TRAIN_HOURS).reset_index(drop=True)
    model = NHITS(h=H, input_size=L, stack_types=3 * ["identity"], n_blocks=[1, 1, 1], mlp_units=3 * [[OPTS["hidden"]] * 2],
                  n_pool_kernel_size=[2, 2, 1], pooling_mode="MaxPool1d", n_freq_downsample=[4, 2, 1],
                  interpolation_mode="linear", dropout_prob_theta=0.0, loss=MSE(), learning_rate=LR,
                  num_lr_decays=-1, max_steps=steps, batch_size=32, windows_batch_size=BATCH,
                  scaler_type="revin" if OPTS["instance_norm"] == "revin" else "identity", random_seed=SEED, early_stop_patience_steps=-1,
                  val_check_steps=steps + 1, enable_progress_bar=False, logger=False, enable_checkpointing=False,
                  accelerator="cpu", training_data_availability_threshold=[0.0, 1.0])
    nf = NeuralForecast(models=[model], freq="h")
    t0, c0 = time.perf_counter(), _cpu()
    nf.fit(df=train, val_size=0)
    fit_s, cpu_s = time.perf_counter() - t0, _cpu() - c0
    # each test window as its own series, as PEER_PROTOCOL.md §5
    parts, order = [], []
    for zone in dict.fromkeys(ids.tolist()):
        g = df[df["unique_id"] == str(zone)]
        for o in test_origins(n):
            w = g.iloc[o - L:o].copy()
            key = f"{zone}_{o}"
            w["unique_id"] = key
            parts.append(w)
            order.append(key)
    windows = pd.concat(parts, ignore_index=True)
    t1 = time.perf_counter()
    out = nf.predict(df=windows)
    eval_s = time.perf_counter() - t1
    out = out.reset_index() if "unique_id" not in out.columns else out
    out = out.set_index("unique_id").loc[order]
    pred = out["NHITS"].to_numpy().reshape(-1, H)
    truth, _ = truth_windows(ids, z)
    return {"fit_s": fit_s, "train_cpu_s": cpu_s, "steps": steps, "eval_s": eval_s, **score(pred, truth)}


def run_darts(path: str, steps: int) -> dict:
    import pandas as pd
    from darts import TimeSeries
    from darts.models import NHiTSModel
    from pytorch_lightning.callbacks import Callback
    from torch.nn import MSELoss

    class Count(Callback):
        steps = 0

        def on_train_batch_end(self, *args, **kwargs):
            Count.steps += 1

    ids, hours, z = load_panel(path)
    zones = list(dict.fromkeys(ids.tolist()))
    index = pd.to_datetime(hours[ids == zones[0]] * 3600, unit="s")
    full = [TimeSeries.from_times_and_values(index, z[ids == zone].astype(np.float32)) for zone in zones]
    train = [s[:TRAIN_HOURS] for s in full]
    n_windows = len(zones) * (TRAIN_HOURS - L - H + 1)
    epochs = math.ceil(steps / math.ceil(n_windows / BATCH))
    model = NHiTSModel(input_chunk_length=L, output_chunk_length=H, num_stacks=3, num_blocks=1, num_layers=2,
                       layer_widths=OPTS["hidden"], use_reversible_instance_norm=OPTS["instance_norm"] == "revin", pooling_kernel_sizes=((2,), (2,), (1,)), n_freq_downsample=((4,), (2,), (1,)),
                       dropout=0.0, MaxPool1d=True, activation="ReLU", loss_fn=MSELoss(),
                       optimizer_kwargs={"lr": LR}, batch_size=BATCH, n_epochs=epochs, random_state=SEED,
                       pl_trainer_kwargs={"accelerator": "cpu", "max_steps": steps, "enable_progress_bar": False,
                                          "logger": False, "enable_checkpointing": False,
                                          "callbacks": [Count()]})
    t0, c0 = time.perf_counter(), _cpu()
    model.fit(series=train, verbose=False)
    fit_s, cpu_s = time.perf_counter() - t0, _cpu() - c0
    t1 = time.perf_counter()
    n = len(index)
    first = index[TRAIN_HOURS]
    hf = model.historical_forecasts(series=full, start=first, forecast_horizon=H, stride=24, retrain=False,
                                    last_points_only=False, overlap_end=False, verbose=False)
    eval_s = time.perf_counter() - t1
    pred = np.stack([w.values()[:, 0] for per_zone in hf for w in per_zone])
    expect = len(zones) * len(test_origins(n))
    if pred.shape[0] != expect:
        raise SystemExit(f"darts gave {pred.shape[0]} test windows, expected {expect}")
    truth, _ = truth_windows(ids, z)
    return {"fit_s": fit_s, "train_cpu_s": cpu_s, "steps": Count.steps, "eval_s": eval_s,
            **score(pred, truth)}


RUNNERS = {"energyai": run_energyai, "neuralforecast": run_neuralforecast, "darts": run_darts}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(lib: str, path: str, steps: int, threads: int) -> None:
    import random

    import torch

    torch.set_num_threads(threads)
    random.seed(SEED)
    np.random.seed(SEED)  # noqa: NPY002  (the global seed, as the protocol sets it)
    torch.manual_seed(SEED)
    t0 = time.perf_counter()
    result = RUNNERS[lib](path, steps)
    result["total_s"] = time.perf_counter() - t0
    result["windows_per_s"] = result["steps"] * BATCH / result["fit_s"]
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    versions = {"torch": torch.__version__}
    for mod in ("energyai", "neuralforecast", "darts", "lightning", "pytorch_lightning"):
        if mod in sys.modules:
            versions[mod] = getattr(sys.modules[mod], "__version__", "?")
    result["versions"] = versions
    print("RESULT " + json.dumps(result))


# ------------------------------------------------------------------------- driver
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", choices=sorted(RUNNERS))
    ap.add_argument("--panel")
    ap.add_argument("--libs", default="energyai,neuralforecast,darts")
    ap.add_argument("--peer-python", default=None, help="python of the venv with neuralforecast and darts")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=512, help="MLP width (protocol v1: 512)")
    ap.add_argument("--instance-norm", choices=["revin", "none"], default="revin",
                    help="revin: learnable reversible instance norm in every library (zone 10 shifts level in test)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--data", default=os.environ.get("ENERGYAI_DATA", str(HERE.parent.parent / "shared" / "datasets")))
    ap.add_argument("--out", default=None, help="default: results/peers_many_series_h<hidden>_<norm>.json")
    args = ap.parse_args()
    OPTS.update(hidden=args.hidden, instance_norm=args.instance_norm)
    if args.child:
        child(args.child, args.panel, args.steps, args.threads)
        return

    libs = args.libs.split(",")
    runs: dict[str, list[dict]] = {lib: [] for lib in libs}
    with tempfile.TemporaryDirectory() as tmp:
        panel = str(Path(tmp) / "gefcom2012_z.npz")
        info = prepare(Path(args.data), Path(panel))
        load_start = os.getloadavg()
        for rep in range(args.repeats):
            for lib in libs:  # interleaved, each in a fresh process
                py = sys.executable if lib == "energyai" else (args.peer_python or sys.executable)
                cmd = [py, __file__, "--child", lib, "--panel", panel, "--steps", str(args.steps),
                       "--threads", str(args.threads), "--hidden", str(args.hidden),
                       "--instance-norm", args.instance_norm]
                env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONWARNINGS": "ignore"}
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
                if proc.returncode or not lines:
                    print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(f"{lib} run {rep} failed (exit {proc.returncode})")
                r = json.loads(lines[-1][7:])
                runs[lib].append(r)
                print(f"{lib:15s} rep {rep}: fit {r['fit_s']:.1f} s, {r['windows_per_s']:.0f} windows/s, "
                      f"RSS {r['peak_rss_mb']:.0f} MB, test MSE {r['mse']:.4f} MAE {r['mae']:.4f}, "
                      f"eval {r['eval_s']:.1f} s", flush=True)
    summary = {}
    for lib, rs in runs.items():
        summary[lib] = {k: statistics.median(r[k] for r in rs)
                        for k in ("fit_s", "windows_per_s", "peak_rss_mb", "eval_s", "mse", "mae", "train_cpu_s")}
        summary[lib]["versions"] = rs[0]["versions"]
    if "energyai" in summary:
        peers = [lib for lib in summary if lib != "energyai"]
        if peers:
            fastest = max(peers, key=lambda lib: summary[lib]["windows_per_s"])
            summary["ratios_vs_fastest_peer"] = {
                "peer": fastest,
                "windows_per_s": summary["energyai"]["windows_per_s"] / summary[fastest]["windows_per_s"],
                "peak_rss": summary["energyai"]["peak_rss_mb"] / summary[fastest]["peak_rss_mb"],
                "mse": summary["energyai"]["mse"] / summary[fastest]["mse"],
            }
    result = {
        "case": "GEFCom2012 load, 20 zones, z-scored per zone; train 365 d, test 214 daily origins, L=168, H=24",
        "recipe": f"protocol v1 N-HiTS (3x1 blocks, 2x{args.hidden}, pool 2/2/1, down 4/2/1), MSE, Adam 1e-3 "
                  f"constant, batch {BATCH}, {args.steps} steps, seed {SEED}, {args.threads} thread(s), "
                  f"instance norm {args.instance_norm}",
        "data": info, "repeats": args.repeats, "summary": summary, "runs": runs,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "loadavg_start": load_start, "loadavg_end": os.getloadavg()},
        "command": "python benchmarks/peers_many_series.py " + " ".join(sys.argv[1:]),
    }
    print(json.dumps(summary, indent=2))
    out = Path(args.out or HERE / "results" / f"peers_many_series_h{args.hidden}_{args.instance_norm}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
