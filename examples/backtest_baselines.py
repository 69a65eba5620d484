"""Backtest every baseline on the shipped England and Wales demand data and print a table.

Run: python examples/backtest_baselines.py
"""

from energyai import ETS, SARIMAX, Climatology, PersistenceEnsemble, SeasonalNaive, datasets
from energyai.evaluation import backtest, skill_table

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
print(skill_table(results, reference="seasonal_naive_week").select("model", "mae", "rmse", "mape", "pinball", "coverage", "skill_mae"))
