"""ETTh1/ETTh2 under protocol P1 of ../shared/BENCHMARKS.md, with energyai's default recipes.

Split rows [0, 8640) train, [8640, 11520) validation (early stopping only), [11520, 14400)
test; z-score every variable with its train mean and population std; stride-1 test
origins 11520 .. 14400 - H (2881 - H windows, the first contexts reach into validation);
MSE and MAE on the z scale over all windows and steps. Naive-1 and seasonal naive (24 h)
are scored on the same windows.

Run:  python benchmarks/ett_p1.py --dataset ETTh1 --mode univariate --horizons 96
Needs ../shared/datasets (or ENERGYAI_DATA) and the ``train`` extra.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import polars as pl
import torch

import energyai as ea
from energyai.forecaster import Forecaster

TRAIN, VAL, TEST = 8640, 11520, 14400
HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "datasets"

# Paper numbers (MSE/MAE), multivariate input 96, from iTransformer (Liu et al. 2024) Table 10
# and TimeMixer (Wang et al. 2024) Table 2, as quoted in ../shared/BENCHMARKS.md.
PAPER_MULTI_AVG = {
    "ETTh1": {"TimeMixer": (0.447, 0.440), "iTransformer": (0.454, 0.447), "PatchTST": (0.469, 0.454),
              "DLinear": (0.456, 0.452)},
    "ETTh2": {"TimeMixer": (0.364, 0.395), "iTransformer": (0.383, 0.407), "PatchTST": (0.387, 0.407),
              "DLinear": (0.559, 0.515)},
}
RERUN_H96_ETTH1 = {"PatchTST": 0.379, "DLinear": 0.396, "TimeMixer": 0.383}


def load_frame(dataset: str, mode: str, data_dir: Path) -> tuple[pl.DataFrame, ea.Schema]:
    d = ea.datasets.load("ett_small", data_dir=data_dir)
    raw = d.frame.filter(pl.col("series") == dataset).sort("timestamp").head(TEST)
    cols = ["ot"] if mode == "univariate" else ["hufl", "hull", "mufl", "mull", "lufl", "lull", "ot"]
    parts = []
    for c in cols:
        train = raw[c].head(TRAIN).to_numpy()
        mu, sd = train.mean(), train.std()  # population std (ddof=0), as the protocol says
        parts.append(raw.select(pl.lit(c).alias("var"), "timestamp", ((pl.col(c) - mu) / sd).alias("z")))
    frame = pl.concat(parts)
    schema = ea.Schema(series_id="var", timestamp="timestamp", target="z", freq="1h", tz="Asia/Shanghai",
                       nonnegative=False)
    return frame, schema


def baselines(frame: pl.DataFrame, horizon: int) -> dict[str, dict[str, float]]:
    out: dict[str, list[np.ndarray]] = {"naive1": [], "seasonal_naive_24h": []}
    origins = np.arange(VAL, TEST - horizon + 1)
    for _, g in frame.group_by("var", maintain_order=True):
        z = g["z"].to_numpy()
        target = z[origins[:, None] + np.arange(horizon)]
        out["naive1"].append(z[origins - 1][:, None] - target)
        season = z[origins[:, None] - 24 + (np.arange(horizon) % 24)]
        out["seasonal_naive_24h"].append(season - target)
    return {k: {"mse": float(np.mean(np.concatenate(v) ** 2)), "mae": float(np.mean(np.abs(np.concatenate(v))))}
            for k, v in out.items()}


def run_model(name: str, frame: pl.DataFrame, schema: ea.Schema, horizon: int, context: int, **kw) -> dict:
    ts = frame.filter(pl.col("var") == frame["var"][0])["timestamp"]
    train_val = frame.filter(pl.col("timestamp") < ts[VAL])
    model = Forecaster(name, context_length=context, horizon=horizon, **kw)
    t0 = time.perf_counter()
    model.fit(train_val, schema, val_start=ts[TRAIN])
    fit_s = time.perf_counter() - t0
    cutoffs = ts[VAL - 1:TEST - horizon].to_list()
    t0 = time.perf_counter()
    fc = model.forecast_origins(frame, cutoffs)
    eval_s = time.perf_counter() - t0
    n_expected = (TEST - horizon - VAL + 1) * frame["var"].n_unique()
    assert fc["cutoff"].n_unique() * frame["var"].n_unique() == n_expected, "wrong number of test windows"
    err = (fc["forecast"] - fc["actual"]).to_numpy()
    return {
        "model": name, "mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err))),
        "windows": int(n_expected), "fit_s": round(fit_s, 1), "eval_s": round(eval_s, 2),
        "steps": model.history_["steps"], "best_step": model.history_["best_step"],
        "params": sum(p.numel() for p in model.network_.parameters()),
        "options": {k: v for k, v in kw.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="ETTh1", choices=["ETTh1", "ETTh2"])
    ap.add_argument("--mode", default="univariate", choices=["univariate", "multivariate"])
    ap.add_argument("--horizons", default="96")
    ap.add_argument("--models", default="nlinear,dlinear,patchtst,nhits,tide,lstm")
    ap.add_argument("--context", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=os.environ.get("ENERGYAI_DATA", str(DEFAULT_DATA)))
    ap.add_argument("--out", default=None, help="JSON file for the results")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    frame, schema = load_frame(args.dataset, args.mode, Path(args.data_dir))
    rows = []
    for h in [int(x) for x in args.horizons.split(",")]:
        base = baselines(frame, h)
        for k, v in base.items():
            rows.append({"dataset": args.dataset, "mode": args.mode, "horizon": h, "model": k, **v})
            print(f"{args.dataset} {args.mode} H={h:4d} {k:20s} MSE {v['mse']:.4f} MAE {v['mae']:.4f}", flush=True)
        for spec in args.models.split(","):
            # "nhits" or "nhits:hidden=256:dropout=0.2" (options parsed as Python literals)
            name, *opts = spec.split(":")
            kw = {k: ast.literal_eval(v) for k, v in (o.split("=", 1) for o in opts)}
            r = run_model(name, frame, schema, h, args.context, seed=args.seed, **kw)
            rows.append({"dataset": args.dataset, "mode": args.mode, "horizon": h, **r})
            print(f"{args.dataset} {args.mode} H={h:4d} {spec:20s} MSE {r['mse']:.4f} MAE {r['mae']:.4f} "
                  f"(fit {r['fit_s']} s, {r['steps']} steps, best at {r['best_step']}, eval {r['eval_s']} s)",
                  flush=True)
    result = {
        "protocol": "P1 (BENCHMARKS.md): train rows [0,8640), val [8640,11520) for early stopping, test [11520,14400), "
                    "z-score with train stats, stride-1 origins, input 96",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, torch threads {args.threads}",
        "torch": torch.__version__, "energyai": ea.__version__,
        "paper_multivariate_avg_96_720": PAPER_MULTI_AVG.get(args.dataset),
        "paper_rerun_h96_etth1_mse": RERUN_H96_ETTH1,
        "rows": rows,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
        print("wrote", args.out)


if __name__ == "__main__":
    main()
