"""A portfolio's total from per-plant quantiles: the three GEFCom2014 solar zones summed.

The day-ahead-solar preset on 99 levels is trained on 2012-04 .. 2013-03 (validation
2013-01 .. 03) and forecasts each zone every UTC day at 00 UTC from that day's ECMWF run.
The zones' rank dependence is read from their PIT values over 2013-04 .. 06 (daylight hours:
every zone's median at least 5 % of capacity). On every day of 2013-07 .. 2014-06 the total
of the three zones (capacity 3) gets quantiles by :func:`energyai.market.portfolio.
portfolio_quantiles` with each dependence assumption, scored against the summed actuals:
coverage of the 10-90 % and 5-95 % bands over hours whose summed zone medians reach 5 % of
the total capacity (the same hours for every method), CRPS (twice the mean pinball over the 99 levels) and the KPX error of
the median at portfolio level. A fourth row calibrates each zone on the template quarter
first (:meth:`energyai.Forecaster.calibrate`) and then aggregates with the empirical template.

Run:  python benchmarks/portfolio.py --out benchmarks/results/portfolio_gefcom_solar.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
from common import add_data_dir

import energyai as ea
from energyai.base import quantile_column
from energyai.evaluation.probabilistic import pit_values
from energyai.market.kpx import kpx_settlement
from energyai.market.portfolio import METHODS, portfolio_quantiles
from energyai.metrics import crps_quantiles

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kpx_submission import LEVELS_99, fit_solar_preset

HERE = Path(__file__).resolve().parent
ZONES = ("zone1", "zone2", "zone3")
UTC = dt.timezone.utc


def _per_zone(model: ea.Forecaster, frame: pl.DataFrame, first: dt.datetime, days: int) -> pl.DataFrame:
    cutoffs = [first + dt.timedelta(days=d) for d in range(days)]
    return model.forecast_origins(frame, cutoffs).sort("zone", "timestamp")


def _template(model: ea.Forecaster, frame: pl.DataFrame, first: dt.datetime) -> np.ndarray:
    """PIT of each zone's actual over the 91 days from ``first``, daylight hours (every zone's
    median at least 5 % of capacity): the dependence template, (hours, zones)."""
    past = _per_zone(model, frame, first, 91)
    pit = np.stack([pit_values(past.filter(pl.col("zone") == z), LEVELS_99) for z in ZONES], axis=1)
    med = np.stack([past.filter(pl.col("zone") == z)["forecast"].to_numpy() for z in ZONES], axis=1)
    return pit[(med >= 0.05).all(axis=1)]  # type: ignore[no-any-return]


def _score(q: np.ndarray, actual: np.ndarray, keep: np.ndarray, method: str, template: np.ndarray) -> dict:
    """Coverage, width, CRPS and portfolio KPX error of the total's quantiles by ``method``."""
    t0 = time.perf_counter()
    total = portfolio_quantiles(q, LEVELS_99, method=method, template=template if method == "empirical" else None,
                                lower=0.0, upper=1.0)
    seconds = time.perf_counter() - t0
    a, t = actual[keep], total[keep]
    s = kpx_settlement(actual, total[:, 49], 3.0, units="MW")
    return {"coverage_10_90": float(np.mean((a >= t[:, 9]) & (a <= t[:, 89]))),
            "coverage_5_95": float(np.mean((a >= t[:, 4]) & (a <= t[:, 94]))),
            "width_10_90": float(np.mean(t[:, 89] - t[:, 9])), "crps": float(crps_quantiles(a, t, LEVELS_99)),
            "kpx_error": s.mean_error, "hours_scored": int(keep.sum()), "seconds": round(seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_dir(ap)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    model, frame, _, fit_s = fit_solar_preset(args.data_dir, dt.datetime(2013, 4, 1, tzinfo=UTC),
                                              dt.datetime(2013, 1, 1, tzinfo=UTC))
    qcols = [quantile_column(v) for v in LEVELS_99]
    first_cal, first_test = dt.datetime(2013, 3, 31, 23, tzinfo=UTC), dt.datetime(2013, 6, 30, 23, tzinfo=UTC)
    template = _template(model, frame, first_cal)
    test = _per_zone(model, frame, first_test, 365)
    q = np.stack([test.filter(pl.col("zone") == z).select(qcols).to_numpy() for z in ZONES])  # (3, N, 99)
    actual = np.sum([test.filter(pl.col("zone") == z)["actual"].to_numpy() for z in ZONES], axis=0)
    # the same hours for every method: the sum of the zones' medians at least 5 % of the total capacity
    keep = q[:, :, 49].sum(axis=0) >= 0.15
    table = {m: _score(q, actual, keep, m, template) for m in METHODS}
    # each zone calibrated on the template quarter first (Forecaster.calibrate), then aggregated
    cal = model.calibrate(frame, [first_cal + dt.timedelta(days=d) for d in range(91)])
    test_c = _per_zone(cal, frame, first_test, 365)
    q_c = np.stack([test_c.filter(pl.col("zone") == z).select(qcols).to_numpy() for z in ZONES])
    table["empirical_calibrated_zones"] = _score(q_c, actual, keep, "empirical", _template(cal, frame, first_cal))
    zones = {}
    for k, z in enumerate(ZONES):  # each zone's own band, over its hours with a median >= 5 %
        a_z = test.filter(pl.col("zone") == z)["actual"].to_numpy()
        own = q[k][:, 49] >= 0.05
        zones[z] = float(np.mean((a_z[own] >= q[k][own, 9]) & (a_z[own] <= q[k][own, 89])))
    result = {"zone_coverage_10_90": zones, "protocol": (__doc__ or "").split("Run:")[0].strip(),
              "fit_seconds": round(fit_s, 1), "template_hours": int(template.shape[0]), "hours": int(actual.size),
              "metrics": table}
    print(json.dumps({"zones": zones, **table}, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
