import datetime as dt
import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energyai import Schema, SeasonalNaive, VanillaMLR, backtest
from energyai.base import BaseForecaster
from energyai.data import rolling_origin_cutoffs
from tests.conftest import synthetic_hourly

SCHEMA = Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"])


class Spy(BaseForecaster):
    """Records the latest target timestamp it ever sees and fails if it sees a planted value."""

    def __init__(self, horizon=24, quantiles=(0.5,)):
        self.horizon = horizon
        self.quantiles = quantiles
        self.seen = []

    def _fit_all(self, series):
        self.seen.append(("fit", max(s.times[~pl.Series(s.y).is_nan().to_numpy()].max() for s in series)))

    def _predict_series(self, s):
        import numpy as np

        assert not np.any(s.y > 1e8), "a planted future value reached the model"
        self.seen.append(("predict", s.times.max()))
        return np.full(self.horizon, s.y[-1]), np.full((self.horizon, 1), s.y[-1])


def test_no_value_after_the_cutoff_reaches_the_model():
    df = synthetic_hourly(n_days=30, n_series=2)
    spy = Spy()
    res = backtest(spy, df, SCHEMA, n_folds=5, refit=2, oracle=True)
    # plant huge values after the last cutoff: a leak would trip the assertion in the spy
    last = res.cutoffs[-1]
    planted = df.with_columns(pl.when(pl.col("ts") > last).then(1e9).otherwise(pl.col("load")).alias("load"))
    spy2 = Spy()
    backtest(spy2, planted, SCHEMA, cutoffs=res.cutoffs, oracle=True)
    for kind, seen in spy.seen:
        assert seen.astype("datetime64[us]") <= last.astimezone(dt.timezone.utc).replace(tzinfo=None), kind
    assert res.forecasts.height == 5 * 2 * 24
    assert res.forecasts["lead"].min() == 1 and res.forecasts["lead"].max() == 24
    assert (res.forecasts["ts"] > res.forecasts["cutoff"]).all()


def test_backtest_reports_by_series_lead_and_hour():
    df = synthetic_hourly(n_days=40, n_series=2)
    res = backtest(VanillaMLR(24), df, SCHEMA, n_folds=7, step=24, oracle=True)
    assert res.by_series.height == 2 and res.by_lead.height == 24 and res.by_hour.height == 24
    ref = backtest(SeasonalNaive(24, season="week"), df, SCHEMA, cutoffs=res.cutoffs, oracle=True)
    assert res.metrics["mae"][0] < ref.metrics["mae"][0]  # temperature-driven synthetic load
    assert set(res.summary()) >= {"model", "folds", "mae", "rmse", "pinball", "coverage"}


@settings(max_examples=30, deadline=None)
@given(horizon=st.integers(1, 48), step=st.integers(1, 48), n_folds=st.one_of(st.none(), st.integers(1, 10)))
def test_cutoffs_leave_a_full_horizon_and_are_spaced(horizon, step, n_folds):
    df = synthetic_hourly(n_days=10)
    cut = rolling_origin_cutoffs(df, SCHEMA, horizon, step=step, n_folds=n_folds, min_history=24)
    last = df["ts"].max()
    assert all(c + dt.timedelta(hours=horizon) <= last for c in cut)
    assert all((b - a) == dt.timedelta(hours=step) for a, b in itertools.pairwise(cut))
    assert cut[0] >= df["ts"].min() + dt.timedelta(hours=23)
    if n_folds:
        assert len(cut) <= n_folds


def test_refit_argument_checked():
    from energyai.exceptions import ConfigError

    with pytest.raises(ConfigError, match="refit"):
        backtest(SeasonalNaive(24), synthetic_hourly(), SCHEMA, refit=-1, oracle=True)
