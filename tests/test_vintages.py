"""Weather-forecast vintages: picking the run available at each origin, and leakage guards."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from energyai import Schema
from energyai.baselines import VanillaMLR
from energyai.data.vintages import Vintages, check_vintage_leakage
from energyai.evaluation import backtest
from energyai.exceptions import LeakageError
from tests.conftest import synthetic_hourly

UTC = dt.timezone.utc
SCHEMA = Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"], freq="1h", tz="UTC")


def synthetic_runs(df: pl.DataFrame, every_h: int = 12, leads: int = 48, delay_bias: float = 0.0) -> pl.DataFrame:
    """Synthetic NWP runs (for unit tests only): every ``every_h`` hours, leads 1..48, the
    observed temperature plus an error that grows with the lead; each run's values carry
    its issue hour so tests can tell runs apart."""
    t0 = df["ts"].min()
    t1 = df["ts"].max()
    temps = dict(zip(df.filter(pl.col("site") == "synthetic_0")["ts"].to_list(),
                     df.filter(pl.col("site") == "synthetic_0")["temp"].to_list(), strict=True))
    rows = []
    issue = t0
    while issue <= t1:
        for lead in range(1, leads + 1):
            valid = issue + dt.timedelta(hours=lead)
            if valid in temps:
                rows.append((issue, valid, temps[valid] + 0.05 * lead + delay_bias, issue.hour))
        issue += dt.timedelta(hours=every_h)
    return pl.DataFrame(rows, schema=["issue_time", "valid_time", "temp", "run_hour"], orient="row")


def test_for_origins_picks_the_latest_available_run():
    df = synthetic_hourly(6, 1)
    runs = synthetic_runs(df)
    v = Vintages(runs, columns=("temp",), delay=dt.timedelta(hours=5))
    cutoff = dt.datetime(2021, 3, 3, 10, tzinfo=UTC)
    table = v.for_origins([cutoff], 24, dt.timedelta(hours=1))
    # runs at 00:00 and 12:00; with a 5 h delay the 00:00 run is the latest available at 10:00
    assert table["issue_time"].unique().to_list() == [dt.datetime(2021, 3, 3, 0, tzinfo=UTC)]
    assert table.height == 24 and table["lead_hours"].to_list() == list(range(11, 35))
    check_vintage_leakage(table, v.delay, timestamp="timestamp")
    # at 17:00 the 12:00 run has become available
    later = v.for_origins([cutoff + dt.timedelta(hours=7)], 3, dt.timedelta(hours=1))
    assert later["issue_time"].unique().to_list() == [dt.datetime(2021, 3, 3, 12, tzinfo=UTC)]


def test_a_run_with_missing_values_is_skipped_not_filled():
    df = synthetic_hourly(6, 1)
    runs = synthetic_runs(df)
    bad = runs.with_columns(pl.when(pl.col("issue_time") == dt.datetime(2021, 3, 3, 0, tzinfo=UTC))
                            .then(None).otherwise(pl.col("temp")).alias("temp"))
    v = Vintages(bad, columns=("temp",))
    table = v.for_origins([dt.datetime(2021, 3, 3, 10, tzinfo=UTC)], 6, dt.timedelta(hours=1))
    assert table["issue_time"].unique().to_list() == [dt.datetime(2021, 3, 2, 12, tzinfo=UTC)]


def test_backtest_with_vintages_runs_and_a_planted_leak_is_caught():
    df = synthetic_hourly(20, 2)
    runs = synthetic_runs(df)
    per_site = pl.concat([runs.with_columns(pl.lit(s).alias("site")) for s in ("synthetic_0", "synthetic_1")])
    v = Vintages(per_site, columns=("temp",), series_id="site", delay=dt.timedelta(hours=4))
    cutoffs = [dt.datetime(2021, 3, d, 10, tzinfo=UTC) for d in range(15, 20)]
    res = backtest(VanillaMLR(24), df, SCHEMA, cutoffs=cutoffs, future=v)
    assert res.future_source == "vintages" and not res.oracle
    assert res.forecasts.height == 5 * 2 * 24
    oracle = backtest(VanillaMLR(24), df, SCHEMA, cutoffs=cutoffs, oracle=True)
    assert oracle.oracle and oracle.summary()["future_covariates"] == "oracle"
    # measured weather is the oracle: the vintage error must not make forecasts identical
    assert not np.allclose(res.forecasts["forecast"].to_numpy(), oracle.forecasts["forecast"].to_numpy())

    # plant a leak: a table claiming the 12:00 run, issued after the 10:00 cutoff
    table = v.for_origins(cutoffs, 24, dt.timedelta(hours=1), timestamp="ts")
    leaked = table.with_columns(pl.when(pl.col("cutoff") == cutoffs[2])
                                .then(pl.col("cutoff") + pl.duration(hours=2)).otherwise(pl.col("issue_time"))
                                .alias("issue_time"))
    with pytest.raises(LeakageError, match="not available yet"):
        backtest(VanillaMLR(24), df, SCHEMA, cutoffs=cutoffs, future=leaked)
    # the unplanted table runs
    assert backtest(VanillaMLR(24), df, SCHEMA, cutoffs=cutoffs, future=table).future_source == "table"


def test_observed_weather_is_refused_without_oracle():
    df = synthetic_hourly(20, 1)
    with pytest.raises(LeakageError, match="oracle=True"):
        backtest(VanillaMLR(24), df, SCHEMA, n_folds=2)
    # a covariate known in advance may be read from the data
    res = backtest(VanillaMLR(24), df, SCHEMA, n_folds=2, known_future=["temp"])
    assert res.future_source == "known in advance"
    with pytest.raises(LeakageError, match="issue_time"):
        backtest(VanillaMLR(24), df, SCHEMA, n_folds=2,
                 future=df.select("site", "ts", "temp").with_columns(pl.lit(None).alias("cutoff")))


def test_neural_batched_backtest_uses_the_vintages():
    pytest.importorskip("lightning")
    from energyai.forecaster import Forecaster

    df = synthetic_hourly(20, 2)
    runs = synthetic_runs(df)
    per_site = pl.concat([runs.with_columns(pl.lit(s).alias("site")) for s in ("synthetic_0", "synthetic_1")])
    v = Vintages(per_site, columns=("temp",), series_id="site", delay=dt.timedelta(hours=4))
    cutoffs = [dt.datetime(2021, 3, d, 10, tzinfo=UTC) for d in range(15, 18)]
    f = Forecaster("tide", context_length=24, horizon=12, hidden=16, max_steps=8, batches_per_epoch=4,
                   batch_size=32, max_val_windows=32)
    batched = backtest(f, df, SCHEMA, cutoffs=cutoffs, future=v).forecasts.sort("site", "cutoff", "ts")
    # the same forecasts one origin at a time, with the picked runs as `future`
    table = v.for_origins(cutoffs, 12, dt.timedelta(hours=1), timestamp="ts")
    c = cutoffs[1]
    one = f.predict(df.filter(pl.col("ts") <= c),
                    table.filter(pl.col("cutoff") == c).select("site", "ts", "temp")).sort("site", "ts")
    got = batched.filter(pl.col("cutoff") == c)
    # tolerance: float32 round-off between batch sizes
    np.testing.assert_allclose(got["forecast"].to_numpy(), one["forecast"].to_numpy(), rtol=1e-5, atol=1e-4)
