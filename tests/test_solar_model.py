"""A PV model with solar features computed in the graph: night zeros, export, runtime parity."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

pytest.importorskip("lightning")
pytest.importorskip("onnxscript")
pytest.importorskip("onnxruntime")

import energyai as ea
from energyai.exceptions import ConfigError
from energyai.forecaster import Forecaster
from energyai.physics import solar_position
from energyai.runtime import OnnxForecaster

# PV Fleets system 50 is in Colorado; its exact site is not published, so Golden, CO stands in
SITE = (39.74, -105.18, 1800.0)


@pytest.fixture(scope="module")
def pv():
    """Two weeks of real 15-minute AC power (shipped with energyai, MIT), no weather columns."""
    d = ea.datasets.load("pvfleets_system50_2012")
    df = d.frame.select("timestamp", "ac_power").filter(
        pl.col("timestamp").is_between(pl.datetime(2012, 6, 1, time_zone="Etc/GMT+7"),
                                       pl.datetime(2012, 6, 21, time_zone="Etc/GMT+7")))
    return df, d.schema.with_(future_covariates=())


@pytest.mark.slow
def test_solar_model_zero_at_night_exports_and_matches_runtime(pv, tmp_path):
    df, schema = pv
    f = Forecaster("nhits", context_length=96, horizon=96, hidden=32, max_steps=30, batches_per_epoch=10,
                   batch_size=64, solar_site=SITE, calendar=False)
    f.fit(df, schema)
    hist = df.filter(pl.col("timestamp") < pl.datetime(2012, 6, 19, 12, time_zone="Etc/GMT+7"))
    fc = f.predict(hist)
    utc = fc["timestamp"].dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy()
    # a timestamp labels the start of its 15-minute interval: night is the sun down over all of it
    night = np.all([solar_position(utc + np.timedelta64(k * 225, "s"), *SITE).apparent_zenith >= 90.0
                    for k in range(5)], axis=0)
    sunrise = (solar_position(utc, *SITE).apparent_zenith >= 90.0) & ~night
    assert night.any() and (~night).any()
    assert sunrise.any()  # steps whose interval holds the sunrise or sunset are not forced to 0
    assert (fc.filter(pl.Series(night))["q0.9"] == 0).all()  # forced to 0 with the sun down
    assert (fc.filter(pl.Series(~night))["q0.9"] > 0).any()

    report = f.export(tmp_path / "pv.onnx")
    runtime = OnnxForecaster(tmp_path / "pv.onnx")
    assert [i["name"] for i in runtime.info.inputs] == ["past_target", "utc_time", "site_override"]
    assert runtime.info.raw["energyai.solar"].startswith('{"latitude": 39.74')
    assert report.parity.checks["batch64"]["max_err_over_limit"] <= 1.0
    tail = hist.tail(96)
    # epoch seconds are UTC instants; a naive datetime64 would be local time (docs/data-contract.md)
    out = runtime.predict_arrays(tail["ac_power"].to_numpy(), tail["timestamp"].dt.epoch("s").to_numpy())
    # tolerance: the parity gate's (rtol 1e-4, atol 1e-5 x output scale)
    scale = float(np.abs(fc["q0.9"].to_numpy()).max())
    np.testing.assert_allclose(out.quantile(0.9)[0], fc["q0.9"].to_numpy(), rtol=1e-4, atol=1e-5 * scale)
    assert (out.values[0][night] == 0).all()


def test_solar_needs_a_model_that_reads_future_covariates(pv):
    df, schema = pv
    with pytest.raises(ConfigError, match="solar"):
        Forecaster("dlinear", context_length=96, horizon=96, solar_site=SITE).fit(df, schema)
    with pytest.raises(ConfigError, match="solar_site"):
        Forecaster("nhits", context_length=96, horizon=96, solar_site=(95.0, 0.0)).fit(df, schema)


def test_daylight_covers_the_whole_interval_of_a_step():
    """A step is daylight when the sun is up anywhere in its interval (timestamps label the
    start): the hour whose start is before sunrise but which holds the sunrise is daylight."""
    import torch

    from energyai.nn.solar import SolarFeatures

    lat, lon = 35.15, 126.85  # Gwangju
    t = np.arange(np.datetime64("2024-06-21T18:00"), np.datetime64("2024-06-21T22:00"), np.timedelta64(1, "h"))
    secs = t.astype("datetime64[s]").astype(np.int64)
    up_at_start = solar_position(t, lat, lon, 0.0).apparent_zenith < 90.0
    up_at_end = solar_position(t + np.timedelta64(1, "h"), lat, lon, 0.0).apparent_zenith < 90.0
    holds_sunrise = ~up_at_start & up_at_end
    assert holds_sunrise.sum() == 1  # sunrise in Gwangju on 21 June is about 05:10 KST = 20:10 UTC
    hourly = SolarFeatures(lat, lon, 0.0, 3.0, step=3600).daylight(torch.from_numpy(secs[None]))[0].numpy()
    instant = SolarFeatures(lat, lon, 0.0, 3.0).daylight(torch.from_numpy(secs[None]))[0].numpy()
    assert (hourly == (up_at_start | up_at_end)).all()
    assert (instant == up_at_start).all()


def _with_toa(df: pl.DataFrame) -> pl.DataFrame:
    """Adds ``toa``: a top-of-atmosphere irradiance proxy (1361 W/m2 x cos zenith at the
    interval's middle, 0 with the sun down), standing in for an NWP radiation column."""
    utc = df["timestamp"].dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy()
    zen = solar_position(utc + np.timedelta64(450, "s"), *SITE).apparent_zenith
    return df.with_columns(pl.Series("toa", np.maximum(np.cos(np.radians(zen)), 0.0) * 1361.0))


def test_daylight_column_zero_at_night_without_a_site(pv, tmp_path):
    df, schema = pv
    df, schema = _with_toa(df), schema.with_(future_covariates=("toa",))
    f = Forecaster("tide", context_length=96, horizon=96, hidden=32, max_steps=30, batches_per_epoch=10,
                   batch_size=64, daylight_column="toa", calendar=False)
    f.fit(df, schema)
    cut = pl.datetime(2012, 6, 19, 12, time_zone="Etc/GMT+7")
    hist = df.filter(pl.col("timestamp") < cut)
    future = df.filter(pl.col("timestamp") >= cut).head(96).select("timestamp", "toa")
    fc = f.predict(hist, future)
    night = future["toa"].to_numpy() <= 0
    assert night.any() and (~night).any()
    qcols = [c for c in fc.columns if c.startswith("q")]
    assert (fc.filter(pl.Series(night)).select(qcols).to_numpy() == 0).all()  # every quantile, exactly
    assert (fc.filter(pl.Series(~night))["q0.9"] > 0).any()

    f.save(tmp_path / "m")
    again = Forecaster.load(tmp_path / "m")
    assert again.get_params()["daylight_column"] == "toa"
    np.testing.assert_array_equal(again.predict(hist, future)["q0.9"].to_numpy(), fc["q0.9"].to_numpy())

    f.export(tmp_path / "pv.onnx")
    runtime = OnnxForecaster(tmp_path / "pv.onnx")
    tail = hist.tail(96)
    toa = np.concatenate([tail["toa"].to_numpy(), future["toa"].to_numpy()])[None, :, None]
    out = runtime.predict_arrays(tail["ac_power"].to_numpy(), tail["timestamp"].dt.epoch("s").to_numpy(),
                                 future_covariates=toa)
    assert (out.values[0][night] == 0).all()
    # tolerance: the parity gate's (rtol 1e-4, atol 1e-5 x output scale)
    scale = float(np.abs(fc["q0.9"].to_numpy()).max())
    np.testing.assert_allclose(out.quantile(0.9)[0], fc["q0.9"].to_numpy(), rtol=1e-4, atol=1e-5 * scale)

    # a NaN, inf or 1e30 in the daylight column must not pass as "night" (an exact 0) or as a number:
    # NaN and inf are non-finite, 1e30 is beyond energyai's magnitude limit (issue 14), in torch and
    # in onnxruntime alike
    from energyai.exceptions import NonFiniteValueError, OutOfRangeError

    y = tail["ac_power"].to_numpy().astype(np.float32)[None]
    utc = np.concatenate([tail["timestamp"].dt.epoch("s").to_numpy(),
                          future["timestamp"].dt.epoch("s").to_numpy()])[None]
    step = int(np.flatnonzero(night)[0]) + 96
    for bad, error in ((np.nan, NonFiniteValueError), (np.inf, NonFiniteValueError), (1e30, OutOfRangeError)):
        toa_bad = toa.astype(np.float32).copy()
        toa_bad[0, step, 0] = bad
        with pytest.raises(error, match="'toa'"):
            f.predict_arrays(past_target=y, future_covariates=toa_bad, utc_time=utc)
        args = (tail["ac_power"].to_numpy(), tail["timestamp"].dt.epoch("s").to_numpy())
        with pytest.raises(error, match="'toa'"):
            runtime.predict_arrays(*args, future_covariates=toa_bad)


def test_daylight_column_must_be_a_future_covariate(pv):
    df, schema = pv
    df, schema = _with_toa(df), schema.with_(future_covariates=("toa",))
    with pytest.raises(ConfigError, match="daylight_column 'ssrd' is not a future covariate"):
        Forecaster("tide", context_length=96, horizon=96, max_steps=5, daylight_column="ssrd").fit(df, schema)
    with pytest.raises(ConfigError, match="daylight"):
        Forecaster("dlinear", context_length=96, horizon=96, daylight_column="toa").fit(df, schema)
    with pytest.raises(ConfigError, match="daylight_column must be"):
        Forecaster("tide", context_length=96, horizon=96, daylight_column=3).fit(df, schema)
