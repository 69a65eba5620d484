"""Moving a model to another clock (issue 29 #9).

- ``localize(tz=...)`` without ``holidays=`` used to keep the training country's holiday
  table while the manifest called the model localized; now it is refused unless the table
  is the zone's country's (from the tz database's ``zone.tab``).
- A day-ahead preset built without ``tz=`` and fitted on data in a zone with daylight
  saving never forecasts the 25th hour of the long day; it now warns
  (``DaylightSavingHorizonWarning``) and records it in ``history_``.
"""

from __future__ import annotations

import warnings

import polars as pl
import pytest

import energyai as ea
from energyai.exceptions import ConfigError, DaylightSavingHorizonWarning
from energyai.localize import zone_country
from energyai.presets import check_dst_horizon
from tests.conftest import synthetic_hourly

SCHEMA = ea.Schema(timestamp="ts", target="load", freq="1h")


def test_zone_countries_from_the_tz_database():
    if zone_country("Asia/Seoul") is None:
        pytest.skip("no zone.tab on this system (tzdata package or /usr/share/zoneinfo)")
    assert (zone_country("Asia/Seoul"), zone_country("America/Chicago"), zone_country("Europe/London")) == \
        ("KR", "US", "GB")
    assert zone_country("UTC") is None and zone_country("Etc/GMT+3") is None and zone_country("Mars/Base") is None


@pytest.fixture(scope="module")
def kr_model():
    df = synthetic_hourly(n_days=30).drop("site")
    return ea.Forecaster("tide", context_length=48, horizon=24, max_steps=4, batch_size=16, batches_per_epoch=2,
                         hidden=16, val_size=0, holidays="KR", seed=0).fit(df, SCHEMA)


def test_a_new_clock_with_another_countrys_holidays_is_refused(kr_model):
    if zone_country("America/New_York") is None:
        pytest.skip("no zone.tab on this system")
    with pytest.raises(ConfigError, match=r"holidays='US'.*holidays='KR' to keep it"):
        kr_model.localize(tz="America/New_York")
    with pytest.raises(ConfigError, match="holidays="):
        kr_model.localize(tz="Etc/GMT-9")  # no country: say which
    kept = kr_model.localize(tz="America/New_York", holidays="KR")  # on purpose: allowed
    assert kept.manifest_["localized"] == {"tz": "America/New_York", "holidays": "KR", "solar_site": None}
    moved = kr_model.localize(tz="America/New_York", holidays="US")
    assert moved.get_params()["holidays"] == "US"
    assert kr_model.localize(tz="Asia/Seoul").schema_.tz == "Asia/Seoul"  # its own country's zone


def _preset(**kw):
    return ea.Forecaster.preset("day-ahead-load", ensemble=1, **kw).set_params(
        max_steps=4, batch_size=16, batches_per_epoch=2, hidden=16, calibration=None)


def test_a_preset_without_tz_on_daylight_saving_data_warns_and_records_it():
    london = ea.Schema(timestamp="ts", target="load", freq="1h", tz="Europe/London")
    short = _preset()
    with pytest.warns(DaylightSavingHorizonWarning, match="tz='Europe/London'"):
        message = check_dst_horizon(short, london)
    assert "25-hour day" in message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_dst_horizon(_preset(tz="Europe/London"), london) is None  # one more step: covered
        assert check_dst_horizon(short, ea.Schema(timestamp="ts", target="load", freq="1h", tz="Asia/Seoul")) is None
        assert check_dst_horizon(ea.Forecaster("tide", horizon=24), london) is None  # not a day-ahead preset
    df = synthetic_hourly(n_days=30).drop("site").with_columns(
        pl.col("ts").dt.convert_time_zone("Europe/London"))
    with pytest.warns(DaylightSavingHorizonWarning):
        short.fit(df, london)
    assert "25-hour day" in short.history_["dst_horizon"]
