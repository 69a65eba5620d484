"""Fine-tuning against training from scratch on a held-out Gwangju building (protocol P2 data).

1. Train a base model on five CNU buildings (2021-01-01 .. 2022-01-31).
2. For the held-out building, take only ``--site-weeks`` weeks of data before the test
   period and (a) train the same recipe from scratch on it, (b) fine-tune the base model
   on it (weights only, fresh optimiser; optionally a frozen backbone), (c) apply the base
   model zero-shot.
3. Score all three, plus the persistence ensemble (BuildingsBench) and seasonal naive
   (last week), on day-ahead forecasts (context 168 h, origins at 23:00 local every day)
   over the test period; CV(RMSE) and MAE.

Run:  python benchmarks/finetune_buildings.py --holdout C14_engineering_bldg7_HV02
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import polars as pl
import torch

import energyai as ea
from energyai.baselines import PersistenceEnsemble, SeasonalNaive
from energyai.forecaster import Forecaster

HERE = Path(__file__).resolve().parent
BUILDINGS = ["A06_agri_bldg3_HV02", "A08_agri_bldg4_HV01", "B06_jinri_hall_CS02", "C14_engineering_bldg7_HV02",
             "C15_engineering_bldg3_HV01", "D18_university_hq_HV02"]
TZ = "Asia/Seoul"


def recipe(**kw):
    base = dict(context_length=168, horizon=24, quantiles=(0.1, 0.5, 0.9), hidden=128, dropout=0.2, seed=0)
    return Forecaster("tide", **{**base, **kw})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--holdout", default="C14_engineering_bldg7_HV02", choices=BUILDINGS)
    ap.add_argument("--site-weeks", type=int, default=4)
    ap.add_argument("--test-start", default="2022-02-01")
    ap.add_argument("--test-days", type=int, default=56)
    ap.add_argument("--base-steps", type=int, default=1500)
    ap.add_argument("--site-steps", type=int, default=300)
    ap.add_argument("--freeze", default=None, choices=[None, "backbone"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default=os.environ.get("ENERGYAI_DATA", str(HERE.parent.parent / "shared" / "datasets")))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ds = ea.datasets.load("kr_cnu_gwangju_buildings", data_dir=args.data_dir, mask_anomalies=True)
    schema = ds.schema
    frame = ds.frame.drop("masked")
    test_start = dt.datetime.fromisoformat(args.test_start).replace(tzinfo=__import__("zoneinfo").ZoneInfo(TZ))
    base_df = frame.filter(pl.col("building") != args.holdout, pl.col("timestamp") < test_start)
    site_all = frame.filter(pl.col("building") == args.holdout)
    site_train = site_all.filter(pl.col("timestamp") < test_start,
                                 pl.col("timestamp") >= test_start - dt.timedelta(weeks=args.site_weeks))
    cutoffs = [test_start - dt.timedelta(hours=1) + dt.timedelta(days=d) for d in range(args.test_days)]
    # the test frame: the site's data from its training window to the end of the test period
    site_eval = site_all.filter(pl.col("timestamp") >= test_start - dt.timedelta(weeks=args.site_weeks),
                                pl.col("timestamp") < test_start + dt.timedelta(days=args.test_days))

    rows = {}
    t0 = time.perf_counter()
    base = recipe(max_steps=args.base_steps).fit(base_df, schema)
    print(f"base: 5 buildings, {base.history_['train_windows']} windows, {base.history_['steps']} steps, "
          f"{time.perf_counter() - t0:.0f} s", flush=True)

    def score(name, model, fit=False):
        # measured weather as the horizon's covariates: an oracle experiment, labelled so
        res = ea.backtest(model, site_eval, schema, cutoffs=cutoffs, fit=fit, oracle=True)
        m = res.metrics
        rows[name] = {"cv_rmse": float(m["cv_rmse"][0]), "mae": float(m["mae"][0]),
                      "pinball": float(m["pinball"][0]) if "pinball" in m.columns else None}
        print(f"{name:28s} CV(RMSE) {rows[name]['cv_rmse']:6.2f} %  MAE {rows[name]['mae']:8.2f} kWh", flush=True)

    score("base_zero_shot", base)
    scratch = recipe(max_steps=args.site_steps).fit(site_train, schema)
    score("scratch_site_only", scratch)
    tuned = recipe(max_steps=args.site_steps, learning_rate=3e-4).fit(site_train, schema, init_from=base,
                                                                       freeze=args.freeze)
    score(f"finetuned{'_frozen' if args.freeze else ''}", tuned)
    score("persistence_ensemble", PersistenceEnsemble(24), fit=True)
    score("seasonal_naive_week", SeasonalNaive(24, season="week"), fit=True)
    result = {"protocol": "P2-style day-ahead on a held-out CNU building; base on the other five", "args": vars(args),
              "rows": rows, "torch": torch.__version__, "energyai": ea.__version__}
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2, default=str))
        print("wrote", args.out)


if __name__ == "__main__":
    main()
