"""Baselines: hand-worked forecasts, outside references (statsmodels) and the estimator contract."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from numpy.testing import assert_allclose

from energyai import ETS, SARIMAX, Climatology, Persistence, PersistenceEnsemble, Schema, SeasonalNaive, VanillaMLR
from energyai.exceptions import ConfigError, DataError, NotFittedError
from tests.conftest import synthetic_hourly

SCHEMA = Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"])
ONE = Schema(timestamp="ts", target="load")


def _last(df, hours):
    return df.filter(pl.col("ts") <= df["ts"].min() + dt.timedelta(hours=hours - 1))


def test_estimator_contract():
    m = SeasonalNaive(24, season="week")
    assert m.get_params() == {"horizon": 24, "season": "week", "quantiles": (0.1, 0.5, 0.9), "max_lookback": 4}
    with pytest.raises(NotFittedError, match="call fit"):
        m.predict(synthetic_hourly())
    with pytest.raises(ConfigError, match="has no parameter 'seasonn'"):
        m.set_params(seasonn="day")
    assert m.set_params(season="day").season == "day"
    assert m.fit(synthetic_hourly(), SCHEMA) is m
    assert not hasattr(SeasonalNaive(24), "season_")  # __init__ only stores


def test_persistence_and_seasonal_naive_hand_worked():
    df = synthetic_hourly(n_days=14).drop("site", "temp")
    y = df["load"].to_numpy()
    out = Persistence(5).fit(df, ONE).predict(df)
    assert_allclose(out["forecast"].to_numpy(), np.full(5, y[-1]))
    assert out["ts"][0] == df["ts"][-1] + dt.timedelta(hours=1)
    out = SeasonalNaive(30, season="day").fit(df, ONE).predict(df)
    # lead h repeats y[n - 24 + (h-1) mod 24]
    expected = np.array([y[len(y) - 24 + (h % 24)] for h in range(30)])
    assert_allclose(out["forecast"].to_numpy(), expected)
    q = out.select("q0.1", "q0.5", "q0.9").to_numpy()
    assert np.all(np.diff(q, axis=1) >= 0)


def test_seasonal_naive_skips_a_missing_value_to_the_season_before():
    df = synthetic_hourly(n_days=14).drop("site", "temp")
    y = df["load"].to_numpy()
    holed = df.with_columns(pl.when(pl.int_range(pl.len()) == len(y) - 24).then(None).otherwise(pl.col("load")).alias("load"))
    out = SeasonalNaive(1, season="day").fit(holed, ONE).predict(holed)
    assert out["forecast"][0] == y[len(y) - 48]


def test_persistence_ensemble_is_mean_of_last_seven_days():
    df = synthetic_hourly(n_days=14).drop("site", "temp")
    y = df["load"].to_numpy()
    out = PersistenceEnsemble(24).fit(df, ONE).predict(df)
    expected = np.array([np.mean([y[len(y) - 24 * k + h] for k in range(1, 8)]) for h in range(24)])
    assert_allclose(out["forecast"].to_numpy(), expected, rtol=1e-12)


def test_climatology_median_by_hour():
    df = synthetic_hourly(n_days=14).drop("site", "temp")
    y = df["load"].to_numpy().reshape(14, 24)
    out = Climatology(24).fit(df, ONE).predict(df)
    assert_allclose(out["forecast"].to_numpy(), np.median(y, axis=0), rtol=1e-12)


def test_ets_matches_statsmodels_directly():
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    df = synthetic_hourly(n_days=28).drop("site", "temp")
    y = df["load"].to_numpy()
    out = ETS(24, season="day", window=500).fit(df, ONE).predict(df)
    ref = ETSModel(y[-500:], error="add", seasonal="add", seasonal_periods=24, initialization_method="heuristic").fit(disp=False)
    # same model, same data, same optimiser: the forecasts agree to optimiser tolerance
    assert_allclose(out["forecast"].to_numpy(), ref.forecast(24), rtol=1e-6)


def test_sarimax_with_regressor_matches_statsmodels():
    from statsmodels.tsa.statespace.sarimax import SARIMAX as SM

    df = synthetic_hourly(n_days=20).drop("site")
    schema = ONE.with_(future_covariates=("temp",))
    hist = df.head(df.height - 24)
    fut = df.tail(24).select("ts", "temp")
    model = SARIMAX(24, order=(1, 0, 0), window=400).fit(hist, schema)
    out = model.predict(hist, fut)
    y, x = hist["load"].to_numpy()[-400:], hist["temp"].to_numpy()[-400:, None]
    res = SM(y, exog=x, order=(1, 0, 0), trend="c", enforce_stationarity=False, enforce_invertibility=False).fit(disp=False, maxiter=200)
    ref = res.get_forecast(24, exog=fut["temp"].to_numpy()[:, None]).predicted_mean
    assert_allclose(out["forecast"].to_numpy(), ref, rtol=1e-6)
    with pytest.raises(DataError, match="pass future="):
        model.predict(hist)


def test_vanilla_mlr_recovers_a_model_in_its_class():
    # a target built exactly from Hong's terms is fitted without error (least squares, exact)
    df = synthetic_hourly(n_days=60, n_series=2)
    t = df["temp"].to_numpy()
    hour = df["ts"].dt.hour().to_numpy()
    y = 500 + 3 * t + 0.2 * t**2 + 10 * np.sin(hour / 3) + 0.01 * hour * t
    df = df.with_columns(pl.Series("load", y))
    hist = df.filter(pl.int_range(pl.len()).over("site") < 1400)
    fut = df.filter(pl.int_range(pl.len()).over("site") >= 1400).filter(pl.int_range(pl.len()).over("site") < 24)
    out = VanillaMLR(24).fit(hist, SCHEMA).predict(hist, fut.select("site", "ts", "temp"))
    truth = fut.sort("site", "ts")["load"].to_numpy()
    assert_allclose(out.sort("site", "ts")["forecast"].to_numpy(), truth, rtol=1e-6)


def test_mlr_needs_temperature_in_future_covariates():
    with pytest.raises(ConfigError, match="temperature"):
        VanillaMLR(24).fit(synthetic_hourly().drop("temp"), Schema(series_id="site", timestamp="ts", target="load"))


def test_future_frame_must_cover_the_horizon():
    df = synthetic_hourly(n_days=20)
    hist = df.filter(pl.int_range(pl.len()).over("site") < 400)
    fut = df.filter(pl.int_range(pl.len()).over("site").is_between(400, 410)).select("site", "ts", "temp")
    model = VanillaMLR(24).fit(hist, SCHEMA)
    with pytest.raises(DataError, match="missing for 13 of the 24 horizon steps"):
        model.predict(hist, fut)


def test_outputs_are_clipped_to_capacity_and_zero():
    df = synthetic_hourly(n_days=14).drop("site", "temp")
    out = Persistence(3).fit(df, ONE.with_(capacity=200.0)).predict(df)
    q = out.select("q0.1", "q0.5", "q0.9").to_numpy()
    assert q.min() >= 0 and q.max() <= 200
