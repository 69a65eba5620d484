"""What to submit to KPX: the median, the mean or the expected-incentive optimum.

GEFCom2014 solar, three zones, the protocol of ``benchmarks/presets.py --task
gefcom_solar_rolling``: the day-ahead-solar preset on 99 quantile levels, trained on
2012-04 .. 2013-06 (validation 2013-04 .. 06), forecasts every UTC day of 2013-07 .. 2014-06
at 00 UTC from that day's ECMWF run. From each hour's 99 quantiles it submits

* ``median``: the 0.5 quantile;
* ``mean``: the mean of the forecast distribution (:func:`energyai.market.submission.predictive_samples`);
* ``optimised``: :func:`energyai.market.kpx.best_submission` under the default KPX rules
  (4 KRW/kWh within 6 %, 3 within 8 %, hours with output >= 10 % of capacity).

Each is settled with :func:`energyai.market.kpx.kpx_settlement` on the actuals. Power is
normalised by capacity in GEFCom2014, so it is read as MW of a 1 MW plant: the KRW are per
MW of capacity, summed over the three zones' year and divided by 3.

Run:  python benchmarks/kpx_submission.py --out benchmarks/results/kpx_submission_gefcom_solar.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from common import add_data_dir

import energyai as ea
from energyai.base import quantile_column
from energyai.market.kpx import best_submission, kpx_settlement
from energyai.market.submission import predictive_samples

HERE = Path(__file__).resolve().parent
LEVELS_99 = tuple(round(0.01 * k, 2) for k in range(1, 100))
UTC = dt.timezone.utc


def fit_solar_preset(data_dir: str, train_end: dt.datetime, val_start: dt.datetime) -> tuple[Any, Any, Any, float]:
    """The day-ahead-solar preset on 99 levels fitted to GEFCom2014 solar before ``train_end``:
    (model, frame, schema, fit seconds)."""
    ds = ea.datasets.load("gefcom2014_solar", data_dir=data_dir)
    frame, schema = ds.frame, ds.schema
    model = ea.Forecaster.preset("day-ahead-solar", issue_time="23:00", freq="1h", tz="UTC", quantiles=LEVELS_99,
                                 progress_bar=False)
    t0 = time.perf_counter()
    model.fit(frame.filter(pl.col("timestamp") < train_end), schema, val_start=val_start)
    return model, frame, schema, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir(ap)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    model, frame, _, fit_s = fit_solar_preset(args.data_dir, dt.datetime(2013, 7, 1, tzinfo=UTC),
                                              dt.datetime(2013, 4, 1, tzinfo=UTC))
    first = dt.datetime(2013, 6, 30, 23, tzinfo=UTC)
    cutoffs = [first + dt.timedelta(days=d) for d in range(365)]
    fc = model.forecast_origins(frame, cutoffs)
    q = fc.select([quantile_column(v) for v in LEVELS_99]).to_numpy()
    y = fc["actual"].to_numpy().astype(np.float64)
    t0 = time.perf_counter()
    sub = best_submission(q, LEVELS_99, 1.0, units="MW")
    choose_s = time.perf_counter() - t0
    bids = {"median": q[:, LEVELS_99.index(0.5)], "mean": predictive_samples(q, LEVELS_99, 200, 0.0, 1.0).mean(1),
            "optimised": sub.value}
    table = {}
    for name, bid in bids.items():
        s = kpx_settlement(y, bid, 1.0, units="MW")
        e = s.error[s.eligible]
        table[name] = {"krw_per_mw_year": s.total_krw / 3, "kpx_error": s.mean_error,
                       "share_le_6": float(np.mean(e <= 6)), "share_le_8": float(np.mean(e <= 8))}
    table["optimised"]["expected_krw_per_mw_year"] = float(sub.expected_krw.sum() / 3)
    table["median"]["expected_krw_per_mw_year"] = float(sub.expected_krw_median.sum() / 3)
    result = {"protocol": (__doc__ or "").split("Run:")[0].strip(), "fit_seconds": round(fit_s, 1),
              "steps": model.history_["steps"], "choose_seconds": round(choose_s, 1), "hours": len(y),
              "metrics": table,
              "optimised_over_median": table["optimised"]["krw_per_mw_year"] / table["median"]["krw_per_mw_year"] - 1}
    print(json.dumps({k: result[k] for k in ("metrics", "optimised_over_median", "fit_seconds")}, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
