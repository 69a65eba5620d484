"""What a base model trained across countries and zones needs: per-series holiday flags in
training, ``localize`` for zero-shot use, fine-tuning into another country, column renames.

Synthetic data (named so) for unit tests only; exact equality where the same numbers go
through the same graph.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

pytest.importorskip("torch")

import energyai as ea
from energyai.calendar.holidays import holiday_table
from energyai.exceptions import ConfigError
from energyai.forecaster import Forecaster
from tests.conftest import synthetic_hourly

SCHEMA = ea.Schema(timestamp="ts", target="load", series_id="site", future_covariates=("temp",), freq="1h", tz="UTC")


def _model(**kw) -> Forecaster:
    opts = dict(context_length=48, horizon=24, max_steps=6, batch_size=32, batches_per_epoch=3, hidden=32,
                val_size=0, holidays="KR", seed=0)
    return Forecaster("tide", **{**opts, **kw})


def test_series_holidays_feed_each_series_its_own_country():
    from energyai.data.panel import build_panel
    from energyai.data.validate import validate
    from energyai.training.series_holidays import series_holiday_override

    df = synthetic_hourly(n_days=150, n_series=2)  # 2021-03-01 .. 2021-07-28
    panel = build_panel(validate(df, SCHEMA), SCHEMA)
    flags = series_holiday_override(panel, {"synthetic_0": "US"}, (2020, 2022))
    lo, hi = panel.offsets[0], panel.offsets[1]
    first, table = holiday_table("US", (2020, 2022))
    day = np.floor_divide(panel.local_time[lo:hi], 86400) - first
    np.testing.assert_array_equal(flags[lo:hi, :3], table[day, :3].astype(np.float32))
    july5 = (np.datetime64("2021-07-05") - np.datetime64("1970-01-01")).astype(int)  # Independence Day, observed
    at = np.flatnonzero(np.floor_divide(panel.local_time[lo:hi], 86400) == july5)
    assert (flags[lo + at, 0] == 1).all()
    assert np.isnan(flags[panel.offsets[1]:]).all()  # the other series keeps the model's table
    with pytest.raises(ConfigError, match="does not have"):
        series_holiday_override(panel, {"nowhere": "US"}, (2020, 2022))
    with pytest.raises(ConfigError, match="needs holidays"):
        _model(holidays=None, series_holidays={"synthetic_0": "US"}).check()


def test_training_uses_the_per_series_flags():
    from energyai.training.data import make_batch

    df = synthetic_hourly(n_days=40, n_series=2)
    model = _model(series_holidays={"synthetic_0": "US", "synthetic_1": "KR"}).fit(df, SCHEMA)
    assert model.history_["steps"] == 6
    # the batch builder passes the panel's flags through the holiday_override input
    from energyai.data.panel import build_panel
    from energyai.data.validate import validate

    panel = build_panel(validate(df, SCHEMA), SCHEMA)
    panel.holiday_override = np.full((len(panel.target), 4), 0.5, np.float32)
    batch = make_batch(panel, np.array([0]), np.array([0]), 48, 24, names=tuple(model.network_.reads()))
    assert (batch.holiday_override.numpy() == 0.5).all()


def test_localize_reads_the_site_clock_and_holidays():
    # trained on local wall-clock time labelled UTC ("floating"), applied to a Seoul frame
    df = synthetic_hourly(n_days=40, n_series=1)
    model = _model().fit(df, SCHEMA)
    seoul = df.with_columns(pl.col("ts").dt.replace_time_zone(None).dt.replace_time_zone("Asia/Seoul"))
    cut = dt.datetime(2021, 4, 8)
    hist_f, fut_f = df.filter(pl.col("ts") < cut.replace(tzinfo=dt.timezone.utc)), None
    fut_f = df.filter(pl.col("ts") >= cut.replace(tzinfo=dt.timezone.utc)).head(24).drop("load")
    z = __import__("zoneinfo").ZoneInfo("Asia/Seoul")
    hist_s = seoul.filter(pl.col("ts") < cut.replace(tzinfo=z))
    fut_s = seoul.filter(pl.col("ts") >= cut.replace(tzinfo=z)).head(24).drop("load")
    local = model.localize(tz="Asia/Seoul")
    a = model.predict(hist_f, fut_f)["forecast"].to_numpy()
    b = local.predict(hist_s, fut_s)["forecast"].to_numpy()
    np.testing.assert_array_equal(a, b)  # same local times, same inputs: the same numbers
    assert model.schema_.tz == "UTC"  # the original is untouched
    us = model.localize(holidays="US")
    first, table = holiday_table("US", (1990, 2050))
    assert int(us.network_.holiday.first_day) == first
    np.testing.assert_array_equal(us.network_.holiday.table.numpy(), table)
    with pytest.raises(ConfigError, match="IANA"):
        model.localize(tz="Mars/Olympus")
    plain = _model(holidays=None).fit(df, SCHEMA)
    with pytest.raises(ConfigError, match="without holidays"):
        plain.localize(holidays="US")


def test_fine_tuning_into_another_country_keeps_the_weights_and_takes_the_site_table():
    df = synthetic_hourly(n_days=40, n_series=1)
    base = _model().fit(df, SCHEMA)
    tuned = _model(holidays="US").fit(df, SCHEMA, init_from=base, freeze="backbone")
    first, table = holiday_table("US", (2020, 2050))
    assert int(tuned.network_.holiday.first_day) == first
    np.testing.assert_array_equal(tuned.network_.holiday.table.numpy(), table)
    head = {id(p) for m in tuned.network_.core.head_modules() for p in m.parameters()}
    theirs = dict(base.network_.core.named_parameters())
    frozen = [(n, p) for n, p in tuned.network_.core.named_parameters() if id(p) not in head]
    assert frozen and all(np.array_equal(p.detach().numpy(), theirs[n].detach().numpy()) for n, p in frozen)
    with pytest.raises(ConfigError, match="holidays"):
        _model(holidays=None).fit(df, SCHEMA, init_from=base)


def test_recipe_rename_gives_a_site_the_base_model_column_names(tmp_path):
    from energyai.recipe import load_data

    df = synthetic_hourly(n_days=5, n_series=1)
    df.write_csv(tmp_path / "site.csv")
    data = {"path": str(tmp_path / "site.csv"), "rename": {"temp": "temperature", "load": "kw"},
            "schema": {"timestamp": "ts", "target": "load", "series_id": "site", "future_covariates": ["temp"],
                       "freq": "1h", "tz": "UTC"}}
    frame, schema = load_data(data)
    assert schema.target == "kw" and schema.future_covariates == ("temperature",)
    assert {"kw", "temperature"} <= set(frame.columns) and "temp" not in frame.columns
    with pytest.raises(ConfigError, match="does not have"):
        load_data({**data, "rename": {"humidity": "h"}})
    with pytest.raises(ConfigError, match="already uses"):
        load_data({**data, "rename": {"temp": "load"}})


def test_windows_with_a_thin_context_are_left_out_when_asked():
    from energyai.data.panel import build_panel
    from energyai.data.validate import validate
    from energyai.training.fit import context_observed_mask

    df = synthetic_hourly(n_days=10, n_series=1)
    # a blanked stretch of 47 hours (as GEFCom2012's hidden weeks): windows just after it see 1..47 values
    df = df.with_columns(pl.when(pl.int_range(pl.len()).is_between(100, 146)).then(None).otherwise(pl.col("load"))
                         .alias("load"))
    panel = build_panel(validate(df, SCHEMA), SCHEMA)
    ok = context_observed_mask(panel, 48, 0.5)
    observed = np.array([panel.observed[max(t - 47, 0):t + 1].sum() if t >= 47 else -1 for t in range(len(ok))])
    np.testing.assert_array_equal(ok, observed >= 24)  # hand count over each context
    everything = _model(holidays=None).fit(df, SCHEMA).history_["train_windows"]
    thick = _model(holidays=None, min_context_observed=0.5).fit(df, SCHEMA).history_["train_windows"]
    assert thick < everything
    with pytest.raises(ConfigError, match="min_context_observed"):
        _model(min_context_observed=1.5).check()


def test_localize_to_an_unknown_country_is_a_config_error_and_subdivision_codes_work():
    df = synthetic_hourly(n_days=10, n_series=1)
    model = _model().fit(df, SCHEMA)
    with pytest.raises(ConfigError, match="XX"):
        model.localize(holidays="XX")
    england = model.localize(holidays="GB-ENG")
    first, table = holiday_table("GB", (1990, 2050), "ENG")
    assert int(england.network_.holiday.first_day) == first
    np.testing.assert_array_equal(england.network_.holiday.table.numpy(), table)
