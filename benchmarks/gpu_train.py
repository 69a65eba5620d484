"""Training throughput (windows/s) and accelerator memory of energyai's Forecaster.

Trains each model for a fixed number of steps on a synthetic scale panel (named
synthetic: it is for timing only) of ``--series`` hourly series x ``--days`` days with
``--covariates`` known-future covariates, and prints one row per model: steps, wall
seconds, training windows per second (data loading included), peak accelerator memory
(CUDA) and peak process RSS. ``accelerator="auto"``: on a GPU it uses bf16 mixed
precision; on a CPU-only machine it still runs and says so.

Run:  python benchmarks/gpu_train.py --models nhits,tide,patchtst --steps 300 --out benchmarks/results/gpu_train.json
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl
import torch

import energyai as ea
from energyai.forecaster import Forecaster


def synthetic_panel(n_series: int, days: int, n_cov: int, seed: int = 0) -> tuple[pl.DataFrame, ea.Schema]:
    """A synthetic load panel with daily profile, noise and ``n_cov`` covariates (timing only)."""
    rng = np.random.default_rng(seed)
    n = days * 24
    t = np.arange(n)
    start = np.datetime64("2022-01-01T00:00")
    ts = start + t.astype("timedelta64[h]")
    level = rng.uniform(50, 500, n_series)[:, None]
    daily = np.sin(2 * np.pi * t / 24)[None, :]
    covs = rng.normal(size=(n_cov, n_series, n))
    load = level * (1 + 0.3 * daily + 0.05 * covs[0] + 0.05 * rng.normal(size=(n_series, n)))
    cols = {
        "series": np.repeat(np.arange(n_series), n).astype(str),
        "ts": np.tile(ts, n_series),
        "load": load.reshape(-1).astype(np.float32),
    }
    for k in range(n_cov):
        cols[f"cov{k}"] = covs[k].reshape(-1).astype(np.float32)
    df = pl.DataFrame(cols).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))
    schema = ea.Schema(series_id="series", timestamp="ts", target="load", future_covariates=[f"cov{k}" for k in range(n_cov)],
                       freq="1h", nonnegative=False)
    return df, schema


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="nhits,tide,patchtst,lstm")
    ap.add_argument("--series", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--covariates", type=int, default=8)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--context", type=int, default=168)
    ap.add_argument("--horizon", type=int, default=24)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    df, schema = synthetic_panel(args.series, args.days, args.covariates)
    cuda = torch.cuda.is_available()
    device = torch.cuda.get_device_name(0) if cuda else f"CPU ({platform.processor() or platform.machine()})"
    print(f"device: {device}; panel {args.series} series x {args.days * 24} h x {args.covariates} covariates "
          f"({df.height:,} rows)")
    rows = []
    for name in args.models.split(","):
        uses_cov = name in ("nhits", "tide", "lstm")
        sch = schema if uses_cov else schema.with_(future_covariates=())
        f = Forecaster(name, context_length=args.context, horizon=args.horizon, max_steps=args.steps,
                       batch_size=args.batch_size, batches_per_epoch=args.steps, val_size=0, compile=args.compile)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        f.fit(df, sch)
        wall = time.perf_counter() - t0
        h = f.history_
        row = {
            "model": name, "covariates": len(sch.future_covariates), "steps": h["steps"],
            "batch_size": args.batch_size, "fit_wall_s": round(wall, 2), "train_loop_s": h["fit_seconds"],
            "windows_per_s": round(h["steps"] * args.batch_size / h["fit_seconds"], 1),
            "windows_per_s_incl_setup": round(h["steps"] * args.batch_size / wall, 1),
            "peak_gpu_mem_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "precision": f._precision(f.precision, f.accelerator),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {"device": device, "torch": torch.__version__, "energyai": ea.__version__, "args": vars(args), "rows": rows}
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
        print("wrote", args.out)


if __name__ == "__main__":
    main()
