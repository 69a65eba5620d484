"""Backtest every baseline on the shipped England and Wales demand data, print a table and draw the best.

Each baseline forecasts the next day (48 half-hours) from 14 rolling origins over the last
two weeks of the data; the table ranks them by MAE with skill against seasonal naive (same
half-hour last week), and the figure shows the best one's forecasts, quantile band, error
by lead and by hour, and reliability (``BacktestResult.plot``).

Run: python examples/backtest_baselines.py [--out examples/output/backtest_baselines]
"""

import argparse
from pathlib import Path

from energyai import ETS, SARIMAX, Climatology, PersistenceEnsemble, SeasonalNaive, datasets
from energyai.evaluation import backtest, skill_table

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "output" / "backtest_baselines"))
out = Path(ap.parse_args().out)
out.mkdir(parents=True, exist_ok=True)

ds = datasets.load("taylor_uk_demand_2000")
h = 48  # one day of half-hours
models = {
    "seasonal_naive_week": SeasonalNaive(h, season="week"),
    "seasonal_naive_day": SeasonalNaive(h, season="day"),
    "persistence_ensemble": PersistenceEnsemble(h),
    "climatology_weekday": Climatology(h, by_weekday=True),
    "ets_daily": ETS(h, season="day"),
    "sarimax_weekly_diff": SARIMAX(h, order=(2, 0, 1), season_diff="week"),
}
results = {name: backtest(m, ds.frame, ds.schema, n_folds=14, step=h) for name, m in models.items()}
table = skill_table(results, reference="seasonal_naive_week").sort("mae")
print(table.select("model", "mae", "rmse", "mape", "pinball", "coverage", "skill_mae"))
best = table["model"][0]
print(f"wrote {results[best].plot(out / 'best_baseline.png', windows=3)} ({best})")
