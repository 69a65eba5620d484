"""The PV corpus of ``solar-base`` against the raw vendor files (real data; skips without it).

Hand-worked references: an hour of power is the mean of its four quarter-hours read from
the raw CSV, divided by the plant's largest hourly mean; GEFCom2014 hourly irradiance is
the difference of two accumulated SSRD values / 3600. Tolerance 1e-9 relative (float64
arithmetic on the same numbers).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from energyai.datasets.pv_corpus import PV_SOURCES, SITES, load_pv_corpus
from energyai.exceptions import ConfigError

UTC = dt.timezone.utc


def test_an_hour_is_the_mean_of_its_quarters_over_the_plants_largest_hour(shared_data):
    c = load_pv_corpus(["pvanalytics_pv_power"], data_dir=shared_data)
    raw = pl.read_csv(shared_data / "pvanalytics_pv_power" / "nrel_serf_east_ac_power_15min_2016.csv").drop_nulls()
    raw = raw.with_columns(pl.col("measured_on").str.to_datetime(time_zone="UTC"))
    hour = dt.datetime(2016, 8, 1, 18, tzinfo=UTC)  # 11:00 MST
    quarters = raw.filter(pl.col("measured_on").is_between(hour, hour + dt.timedelta(minutes=45)))["ac_power"]
    assert quarters.len() == 4
    row = c.frame.filter(pl.col("series") == "nrel_serf_east", pl.col("timestamp") == hour)
    assert row["cf"][0] == pytest.approx(quarters.mean() / c.capacities["nrel_serf_east"], rel=1e-9)
    assert c.frame.filter(pl.col("series") == "nrel_serf_east")["cf"].max() == pytest.approx(1.0, rel=1e-12)
    # night readings below zero (the inverter's own draw) are counted as 0 and reported
    assert c.clipped["nrel_serf_east"] > 0 and c.clipped["pvfleets_system50"] == 0
    assert c.frame["cf"].min() == 0.0
    assert c.frame.filter(pl.col("series") == "nrel_serf_east")["cloud_cover"].null_count() > 0
    assert c.irradiance == {"pvfleets_system50": "satellite", "nrel_serf_east": "satellite"}


def test_gefcom_zones_keep_their_normalised_power_and_forecast_irradiance(shared_data):
    c = load_pv_corpus(["gefcom2014_solar"], data_dir=shared_data)
    assert sorted(c.sites) == ["gefcom2014_zone1", "gefcom2014_zone2", "gefcom2014_zone3"]
    raw = pl.read_csv(shared_data / "gefcom2014_solar" / "train15.csv", n_rows=30)
    z1 = c.frame.filter(pl.col("series") == "gefcom2014_zone1").head(30)
    np.testing.assert_allclose(z1["cf"].to_numpy(), raw["POWER"].to_numpy(), rtol=1e-12)
    assert c.capacities["gefcom2014_zone1"] == 1.0 and c.irradiance["gefcom2014_zone1"] == "forecast"
    # an hour of SSRD: the accumulated value's increase over the hour, J/m2 -> W/m2
    midday = z1.filter(pl.col("timestamp") == dt.datetime(2012, 4, 1, 2, tzinfo=UTC))
    wide = pl.read_csv(shared_data / "gefcom2014_solar" / "predictors1.csv", n_rows=4)
    ssrd = wide["VAR169"].to_numpy()
    assert midday["ghi"][0] == pytest.approx((ssrd[2] - ssrd[1]) / 3600.0, rel=1e-9)
    assert set(c.sites.values()) <= {s for s, _ in SITES.values()}


def test_bad_requests_are_config_errors(shared_data):
    with pytest.raises(ConfigError, match="unknown PV corpus sources"):
        load_pv_corpus(["pvgis"], data_dir=shared_data)
    with pytest.raises(ConfigError, match="at least one source"):
        load_pv_corpus([], data_dir=shared_data)
    with pytest.raises(ConfigError, match="timezone-aware"):
        load_pv_corpus(["gefcom2014_solar"], data_dir=shared_data, start=dt.datetime(2013, 1, 1))
    c = load_pv_corpus(["gefcom2014_solar"], data_dir=shared_data, end=dt.datetime(2013, 1, 1, tzinfo=UTC))
    assert c.frame["timestamp"].max() < dt.datetime(2013, 1, 1, tzinfo=UTC)
    with pytest.raises(ConfigError, match="not in the corpus"):
        c.select(["nrel_serf_east"])
    assert set(PV_SOURCES) == {"gefcom2014_solar", "pvanalytics_pv_power"}
