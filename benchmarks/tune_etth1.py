"""Does tuning help? ``energyai tune`` (8 trials) against the untuned N-HiTS recipe on ETTh1.

1. ``tune`` searches ``models/etth1-nhits/config.yaml`` (train rows [0, 8640), early
   stopping and pruning on validation rows [8640, 11520)) with the "cpu" preset.
2. ``energyai fit -c`` fits the untuned recipe and the tuned ``best.yaml`` unchanged.
3. Both are scored on the P1 test windows (origins 11520 .. 14400 - 96, stride 1, input
   96, horizon 96) with MSE and MAE on the z scale (train mean and population std), as
   ``benchmarks/ett_p1.py``.

Run:  python benchmarks/tune_etth1.py [--n-trials 8]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRAIN, TEST = 8640, 14400


def score(model, raw: pl.DataFrame, mu: float, sd: float) -> dict[str, float]:
    ts = raw["timestamp"]
    cutoffs = [ts[i - 1] for i in range(11520, TEST - 96 + 1)]
    fc = model.forecast_origins(raw.head(TEST), cutoffs)
    err = ((fc["forecast"] - fc["actual"]) / sd).to_numpy()
    return {"mse": float(np.mean(err ** 2)), "mae": float(np.mean(np.abs(err))), "windows": len(cutoffs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-trials", type=int, default=8)
    ap.add_argument("--work", default="runs/tune-etth1")
    ap.add_argument("--score-only", action="store_true", help="reuse the tuned and fitted runs in --work")
    args = ap.parse_args()
    os.environ.setdefault("ENERGYAI_DATA", str(ROOT.parent / "shared" / "datasets"))
    import energyai as ea
    from energyai.cli.main import main as cli
    from energyai.forecaster import Forecaster

    work = Path(args.work)
    cfg_path = ROOT / "models" / "etth1-nhits" / "config.yaml"
    t0 = time.perf_counter()
    if not args.score_only:
        rc = cli(["tune", "-c", str(cfg_path), "--n-trials", str(args.n_trials), "--out", str(work / "tune")])
        assert rc == 0
    tune_s = time.perf_counter() - t0
    if not args.score_only:
        assert cli(["fit", "-c", str(cfg_path), "--out", str(work / "default"),
                    "--set", "trainer.progress_bar=false"]) == 0
        assert cli(["fit", "-c", str(work / "tune" / "best.yaml"), "--out", str(work / "tuned"),
                    "--set", "trainer.progress_bar=false"]) == 0
    d = ea.datasets.load("ett_small")
    raw = d.frame.filter(pl.col("series") == "ETTh1").select("series", "timestamp", "ot").sort("timestamp")
    train = raw["ot"].head(TRAIN).to_numpy()
    mu, sd = float(train.mean()), float(train.std())
    rows = {}
    for name in ("default", "tuned"):
        m = Forecaster.load(work / name / "model")
        rows[name] = {**score(m, raw, mu, sd), "steps": m.history_.get("steps"),
                      "best_val_loss": m.history_.get("best_val_loss")}
        print(f"{name:8s} test MSE {rows[name]['mse']:.4f}  MAE {rows[name]['mae']:.4f}  ({rows[name]['steps']} steps)")
    best = (work / "tune" / "best.yaml").read_text()
    result = {"protocol": "ETTh1 OT P1 test windows (stride 1, L=96, H=96), z-scale", "n_trials": args.n_trials,
              "tune_seconds": round(tune_s, 1), "results": rows, "best_yaml": best,
              "command": "python benchmarks/tune_etth1.py " + " ".join(sys.argv[1:])}
    (HERE / "results" / "tune_etth1.json").write_text(json.dumps(result, indent=2) + "\n")
    print(best)


if __name__ == "__main__":
    main()
