"""The Forecaster facade: contract, errors before training, save/load, backtest, real data."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

pytest.importorskip("lightning")

import energyai as ea
from energyai.exceptions import ArtifactError, ConfigError, DataError, NotFittedError
from energyai.forecaster import Forecaster
from energyai.models import available_models
from tests.conftest import synthetic_hourly

FAST = {"max_steps": 12, "batches_per_epoch": 4, "batch_size": 32, "max_val_windows": 64}
SMALL = {"nhits": {"hidden": 32}, "tide": {"hidden": 32}, "lstm": {"hidden": 16, "decoder_hidden": 16},
         "patchtst": {"d_model": 16, "n_heads": 2, "d_ff": 32, "n_layers": 1}}
COVARIATE_MODELS = ("nhits", "tide", "lstm")


def _schema(future=True):
    return ea.Schema(series_id="site", timestamp="ts", target="load",
                     future_covariates=["temp"] if future else [], freq="1h")


def _split(df, hours):
    last = df["ts"].max()
    cut = last - pl.duration(hours=hours)
    hist = df.filter(pl.col("ts") <= cut)
    fut = df.filter(pl.col("ts") > cut)
    return hist, fut


def test_init_stores_and_params_round_trip():
    f = Forecaster("tide", context_length=48, horizon=12, hidden=64, learning_rate=3e-3)
    params = f.get_params()
    assert params["hidden"] == 64 and params["learning_rate"] == 3e-3 and params["model"] == "tide"
    g = Forecaster(**params)
    assert g.get_params() == params
    f.set_params(hidden=32, batch_size=16, horizon=6)
    assert f.get_params()["hidden"] == 32 and f.batch_size == 16 and f.horizon == 6
    assert not hasattr(f, "network_")
    with pytest.raises(NotFittedError):
        f.predict(synthetic_hourly(3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "transformerXL"}, "unknown model"),
        ({"model": "nhits", "hiden": 3}, "no option"),
        ({"model": "nhits", "hidden": "wide"}, "hidden"),
        ({"model": "nhits", "dropout": 1.5}, "dropout"),
        ({"model": "nhits", "loss": "huber"}, "loss"),
        ({"model": "nhits", "loss": "mse"}, "point forecast"),
        ({"model": "nhits", "context_length": 0}, "context_length"),
        ({"model": "nhits", "quantiles": (0.1, 1.2)}, "quantiles"),
        ({"model": "patchtst", "d_model": 30, "n_heads": 4}, "divisible"),
        ({"model": "dlinear"}, "does not read future covariates"),
    ],
)
def test_bad_configuration_fails_before_training(kwargs, match):
    df = synthetic_hourly(10, 1)
    with pytest.raises(ConfigError, match=match):
        Forecaster(**{"context_length": 24, "horizon": 6, **kwargs}).fit(df, _schema())


def test_missing_column_is_named_before_training():
    df = synthetic_hourly(10, 1).drop("temp")
    with pytest.raises(ea.exceptions.MissingColumnError, match="temp"):
        Forecaster("nhits", context_length=24, horizon=6).fit(df, _schema())


def test_predict_needs_future_covariates_and_complete_context():
    df = synthetic_hourly(12, 2)
    hist, fut = _split(df, 6)
    f = Forecaster("tide", context_length=24, horizon=6, **FAST, **SMALL["tide"]).fit(hist, _schema())
    with pytest.raises(DataError, match="future"):
        f.predict(hist)
    with pytest.raises(DataError, match="missing for"):
        f.predict(hist, fut.head(3))
    broken = hist.with_columns(pl.when(pl.col("ts") == hist["ts"].max()).then(None).otherwise(pl.col("temp")).alias("temp"))
    with pytest.raises(DataError, match="temp"):
        f.predict(broken, fut.select("site", "ts", "temp"))


def test_save_load_round_trip_is_exact_and_pickle_free(tmp_path):
    df = synthetic_hourly(12, 2)
    hist, fut = _split(df, 6)
    f = Forecaster("nhits", context_length=24, horizon=6, **FAST, **SMALL["nhits"]).fit(hist, _schema())
    before = f.predict(hist, fut.select("site", "ts", "temp"))
    f.save(tmp_path / "m")
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files == ["checksums.json", "config.json", "manifest.json", "model.safetensors", "parity.safetensors"]
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert len(manifest["data_sha256"]) == 64 and manifest["versions"]["torch"] and manifest["seed"] == 0
    g = Forecaster.load(tmp_path / "m")
    assert g.get_params() == f.get_params()
    after = g.predict(hist, fut.select("site", "ts", "temp"))
    assert before.equals(after)
    with pytest.raises(ArtifactError, match=r"config\.json"):
        Forecaster.load(tmp_path)


def test_deterministic_mode_reproduces_training():
    df = synthetic_hourly(12, 2)
    kw = dict(context_length=24, horizon=6, deterministic=True, seed=7, **FAST, **SMALL["nhits"])
    a = Forecaster("nhits", **kw).fit(df, _schema(False)).predict(df)
    b = Forecaster("nhits", **kw).fit(df, _schema(False)).predict(df)
    assert a.equals(b)


def test_quantiles_sorted_and_forecast_is_median():
    df = synthetic_hourly(12, 1)
    f = Forecaster("dlinear", context_length=24, horizon=6, quantiles=(0.9, 0.1), **FAST).fit(df, _schema(False))
    p = f.predict(df)
    assert p.columns == ["site", "ts", "forecast", "q0.1", "q0.9", "fallback"]
    assert not p["fallback"].any()
    assert (p["q0.1"] <= p["forecast"]).all() and (p["forecast"] <= p["q0.9"]).all()


def test_short_history_is_refused_and_a_gappy_context_gets_the_flagged_fallback():
    # issue 14: Forecaster.predict behaves like the runtime; it used to forecast from 10 rows of a
    # 48-step context, silently
    df = synthetic_hourly(12, 1)
    f = Forecaster("nlinear", context_length=48, horizon=6, **FAST).fit(df, _schema(False))
    with pytest.raises(ea.exceptions.InsufficientDataError, match=r"10 steps of history .* context_length 48"):
        f.predict(df.tail(10))
    gappy = df.tail(48).with_columns(
        pl.when(pl.int_range(pl.len()) < 30).then(None).otherwise(pl.col("load")).alias("load"))
    p = f.predict(gappy)  # 18 of 48 observed: below min_observed 0.5
    assert p["fallback"].all() and p["forecast"].is_finite().all()
    # hand-checked: the horizon's hours 0-5 were observed nowhere in the context (rows 0-29 are
    # null), so the seasonal rule gives the last observed value for every step
    last = gappy["load"].to_numpy()
    np.testing.assert_allclose(p["forecast"].to_numpy(), np.full(6, last[-1]), rtol=1e-6)
    model = f.predict(gappy, fallback="none")
    assert not model["fallback"].any()
    with pytest.raises(ea.exceptions.InsufficientDataError, match="observed"):
        f.predict(gappy, fallback="raise")
    with pytest.raises(ea.exceptions.ConfigError, match="fallback"):
        f.predict(gappy, fallback="linear")
    assert not f.predict(gappy, min_observed=0.3)["fallback"].any()


def test_batched_backtest_equals_one_predict_per_cutoff():
    df = synthetic_hourly(14, 2)
    f = Forecaster("tide", context_length=24, horizon=6, **FAST, **SMALL["tide"])
    res = ea.backtest(f, df, _schema(), n_folds=3, step=6, min_train=96, oracle=True)
    assert res.forecasts["cutoff"].n_unique() == 3
    assert res.metrics["mae"][0] > 0
    cutoff = res.cutoffs[1]
    hist = df.filter(pl.col("ts") <= cutoff)
    fut = df.filter((pl.col("ts") > cutoff) & (pl.col("ts") <= cutoff + pl.duration(hours=6)))
    one = f.predict(hist, fut.select("site", "ts", "temp")).sort("site", "ts")
    batched = res.forecasts.filter(pl.col("cutoff") == cutoff).sort("site", "ts")
    # same network, same inputs; tolerance: float32 batch-size-dependent round-off
    np.testing.assert_allclose(one["forecast"].to_numpy(), batched["forecast"].to_numpy(), rtol=1e-5, atol=1e-4)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", [*available_models(), "nhits+pool_covariates"])
def test_every_model_on_real_building_data(name, shared_data, tmp_path):
    """Fit, predict, backtest, save and load on two real Gwangju buildings."""
    d = ea.datasets.load("kr_cnu_gwangju_buildings", data_dir=shared_data, mask_anomalies=True)
    df = d.frame.filter(pl.col("building").is_in(["A06_agri_bldg3_HV02", "C14_engineering_bldg7_HV02"]))
    df = df.filter(pl.col("timestamp") >= pl.datetime(2022, 1, 1, time_zone="Asia/Seoul"))
    model, *flags = name.split("+")  # "model+option": the model with a boolean option switched on
    schema = d.schema if model in COVARIATE_MODELS else d.schema.with_(future_covariates=())
    f = Forecaster(model, context_length=72, horizon=24, **FAST, **SMALL.get(model, {}), **dict.fromkeys(flags, True))
    res = ea.backtest(f, df, schema, n_folds=2, step=24, oracle=True)
    assert res.forecasts["forecast"].is_finite().all() and (res.forecasts["q0.1"] >= 0).all()
    assert res.forecasts.height == 2 * 2 * 24
    f.save(tmp_path / name)
    g = Forecaster.load(tmp_path / name)
    cutoff = res.cutoffs[0]
    hist = df.filter(pl.col("timestamp") <= cutoff)
    fut = None
    if schema.future_covariates:
        fut = df.filter((pl.col("timestamp") > cutoff) & (pl.col("timestamp") <= cutoff + pl.duration(hours=24)))
        fut = fut.select("building", "timestamp", *schema.future_covariates)
    assert f.predict(hist, fut).equals(g.predict(hist, fut))
    # export the reloaded model (parity gate on its real training windows) and run it
    # through the torch-free runtime: the same numbers as Forecaster.predict
    from energyai.runtime import OnnxForecaster

    report = g.export(tmp_path / f"{name}.onnx")
    assert report.parity.checks["batch64"]["max_err_over_limit"] <= 1.0
    onnx_fc = OnnxForecaster(tmp_path / f"{name}.onnx").predict(hist, fut).to_frame("building", "timestamp")
    torch_fc = g.predict(hist, fut).sort("building", "timestamp")
    onnx_fc = onnx_fc.sort("building", "timestamp")
    assert onnx_fc["timestamp"].equals(torch_fc["timestamp"].dt.convert_time_zone("UTC"))
    # tolerance: the parity gate's (rtol 1e-4, atol 1e-5 x output scale) on kW-scale loads
    scale = float(torch_fc["q0.9"].abs().max())
    for col in ("forecast", "q0.1", "q0.9"):
        np.testing.assert_allclose(onnx_fc[col].to_numpy(), torch_fc[col].to_numpy(), rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_predict_and_forecast_origins_agree_bit_for_bit(tz):
    """Two routes to the one assembler (a frame's last rows; a panel window) give identical forecasts."""
    # Europe/Berlin: the context and horizon straddle the 2021-03-28 spring-forward hour
    df = synthetic_hourly(30, 1).drop("temp").with_columns(pl.col("ts").dt.convert_time_zone(tz))
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz=tz)
    f = Forecaster("nhits", context_length=48, horizon=12, calendar=True, **FAST, **SMALL["nhits"]).fit(df, schema)
    hist = df.filter(pl.col("ts").dt.convert_time_zone("UTC") < pl.datetime(2021, 3, 28, 0, time_zone="UTC"))
    one = f.predict(hist)
    many = f.forecast_origins(df, [hist["ts"][-1]])
    for col in ("forecast", "q0.1", "q0.9"):
        np.testing.assert_array_equal(one[col].to_numpy(), many[col].to_numpy())  # identical inputs: rtol 0
    assert one["ts"].equals(many["ts"])


def test_predict_validates_and_masks_gaps():
    df = synthetic_hourly(5, 1).drop("temp")
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="UTC")
    gap = df.filter(pl.col("ts") != df["ts"][-5])
    negative = df.with_columns(pl.when(pl.int_range(pl.len()) == 110).then(-1.0).otherwise(pl.col("load")).alias("load"))
    f = Forecaster("nlinear", context_length=24, horizon=6, **FAST).fit(df, schema)
    with pytest.raises(ea.exceptions.NegativeValueError):
        f.predict(negative)
    assert f.predict(gap).height == 6  # the gap is masked, not interpolated


def test_predict_arrays_fills_what_the_assembler_can_and_refuses_the_rest():
    df = synthetic_hourly(12, 1)
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="Europe/Berlin",
                       capacity=500.0)
    f = Forecaster("nhits", context_length=24, horizon=6, calendar=True, **FAST, **SMALL["nhits"]).fit(
        df.drop("temp"), schema)
    win = f.forecast_origins(df.drop("temp"), [df["ts"][200]])
    y = df["load"].to_numpy()[177:201].astype(np.float32)[None, :]
    utc = df["ts"].dt.epoch("s").to_numpy()[177:207][None, :]
    from energyai.timeutil import local_seconds

    full = f.predict_arrays(y, np.ones_like(y), np.zeros((1, 24, 0), np.float32), np.zeros((1, 30, 0), np.float32),
                            local_seconds(utc, "Europe/Berlin"), np.zeros((1, 0), np.float32),
                            np.full((1, 6), 500.0, np.float32), utc)
    short = f.predict_arrays(past_target=y, utc_time=utc)  # mask, covariate blocks, local time, capacity made
    np.testing.assert_array_equal(full, short)  # identical inputs: rtol 0
    np.testing.assert_array_equal(short[0, :, 1], win["forecast"].to_numpy())
    with pytest.raises(ea.exceptions.ConfigError, match="local_time"):
        f.predict_arrays(past_target=y)
    with pytest.raises(ea.exceptions.ConfigError, match="unknown inputs"):
        f.predict_arrays(past_target=y, utc_time=utc, weather=y)
