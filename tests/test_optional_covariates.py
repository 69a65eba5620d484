"""Optional known-future covariates: one model that forecasts with and without temperature.

Synthetic data (named so) for unit tests only. Tolerances: forecasts from the same inputs
must be identical (same graph, same numbers); torch against onnxruntime within 1e-3 relative,
the export parity gate's order (float32 kernels differ in summation order).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

pytest.importorskip("torch")

import energyai as ea
from energyai.exceptions import ConfigError, DataError
from energyai.forecaster import Forecaster
from tests.conftest import synthetic_hourly

SCHEMA = ea.Schema(timestamp="ts", target="load", series_id="site", future_covariates=("temp",), freq="1h", tz="UTC")


def _data() -> pl.DataFrame:
    df = synthetic_hourly(n_days=30, n_series=3)
    # the third synthetic site has no weather feed at all
    return df.with_columns(pl.when(pl.col("site") == "synthetic_2").then(None).otherwise(pl.col("temp")).alias("temp"))


def _model(**kw) -> Forecaster:
    opts = dict(context_length=48, horizon=24, max_steps=8, batch_size=32, batches_per_epoch=4, hidden=32,
                val_size=0, optional_covariates=("temp",), covariate_dropout=0.5, seed=0)
    return Forecaster("tide", **{**opts, **kw})


@pytest.fixture(scope="module")
def fitted():
    return _model().fit(_data(), SCHEMA)


def _split(df, hours=24):
    cut = df["ts"].max() - __import__("datetime").timedelta(hours=hours - 1)
    return df.filter(pl.col("ts") < cut), df.filter(pl.col("ts") >= cut).drop("load")


def test_series_without_the_covariate_still_train(fitted):
    # without the option, windows with a missing covariate are left out of training
    plain = _model(optional_covariates=None, covariate_dropout=0.0).fit(_data(), SCHEMA)
    assert fitted.history_["train_windows"] == 3 * (30 * 24 - 48 - 24 + 1)
    assert plain.history_["train_windows"] == 2 * (30 * 24 - 48 - 24 + 1)


def test_forecasts_with_missing_and_left_out_temperature(fitted):
    hist, fut = _split(_data().filter(pl.col("site") != "synthetic_2"))
    with_t = fitted.predict(hist, fut)
    nulls = fitted.predict(hist.with_columns(pl.lit(None, pl.Float64).alias("temp")),
                           fut.with_columns(pl.lit(None, pl.Float64).alias("temp")))
    absent = fitted.predict(hist.drop("temp"), fut.drop("temp"))
    assert with_t["forecast"].is_finite().all() and nulls["forecast"].is_finite().all()
    # a column left out means missing throughout: the same numbers as an all-null column
    np.testing.assert_array_equal(nulls["forecast"].to_numpy(), absent["forecast"].to_numpy())
    assert not np.array_equal(with_t["forecast"].to_numpy(), nulls["forecast"].to_numpy())


def test_a_missing_required_covariate_is_still_refused():
    df = _data().with_columns(pl.lit(1.0).alias("hum"))
    schema = SCHEMA.with_(future_covariates=("temp", "hum"))
    model = _model().fit(df, schema)
    hist, fut = _split(df.filter(pl.col("site") == "synthetic_0"))
    with pytest.raises(DataError, match="hum"):
        model.predict(hist, fut.with_columns(pl.lit(None, pl.Float64).alias("hum")))
    model.predict(hist, fut.with_columns(pl.lit(None, pl.Float64).alias("temp")))  # the optional one may be missing


def test_bad_options_are_config_errors():
    with pytest.raises(ConfigError, match="not future covariates"):
        _model(optional_covariates=("wind",)).fit(_data(), SCHEMA)
    with pytest.raises(ConfigError, match="covariate_dropout"):
        _model(optional_covariates=None).check()
    with pytest.raises(ConfigError, match="distinct"):
        _model(optional_covariates=("temp", "temp")).check()


def test_covariate_dropout_hides_only_the_optional_columns():
    from energyai.data.panel import build_panel
    from energyai.data.validate import validate
    from energyai.training.data import WindowBatches
    from energyai.windows import build_window_index

    df = synthetic_hourly(n_days=10, n_series=1).with_columns(pl.lit(2.0).alias("other"))
    schema = SCHEMA.with_(future_covariates=("other", "temp"))
    panel = build_panel(validate(df, schema), schema)
    index = build_window_index(panel.offsets, panel.observed, 48, 24)
    batches = WindowBatches(panel, index, 48, 24, 400, n_batches=1, shuffle=True, optional=(1,),
                            covariate_dropout=0.5)
    fut = batches[0].future_covariates.numpy()
    hidden = np.isnan(fut[:, :, 1]).all(axis=1)
    assert 0.35 < hidden.mean() < 0.65  # a share near 0.5 of 400 windows (binomial sd 0.025)
    assert not np.isnan(fut[~hidden, :, 1]).any() and (fut[:, :, 0] == 2.0).all()


def test_onnx_runs_without_the_covariate(fitted, tmp_path):
    pytest.importorskip("onnxruntime")
    from energyai.runtime import OnnxForecaster

    df = _data()
    fitted.export(tmp_path / "m.onnx", data=df.filter(pl.col("site") != "synthetic_2"))
    rt = OnnxForecaster(tmp_path / "m.onnx")
    assert rt.info.optional == ("temp",)
    hist, fut = _split(df.filter(pl.col("site") == "synthetic_0"))
    torch_fc = fitted.predict(hist.drop("temp"), fut.drop("temp"))["forecast"].to_numpy()
    onnx_fc = rt.predict(hist.drop("temp"), future=fut.drop("temp")).median.reshape(-1)
    np.testing.assert_allclose(onnx_fc, torch_fc, rtol=1e-3, atol=1e-3)
    with_nan = rt.predict(hist.with_columns(pl.lit(float("nan")).alias("temp")),
                          future=fut.with_columns(pl.lit(float("nan")).alias("temp"))).median.reshape(-1)
    np.testing.assert_array_equal(with_nan, onnx_fc)


def test_inf_and_huge_values_in_an_optional_covariate_are_refused(fitted, tmp_path):
    from energyai.exceptions import NonFiniteValueError, OutOfRangeError

    hist, fut = _split(_data().filter(pl.col("site") == "synthetic_0"))
    # NaN means missing there; inf and 1e30 are not missing values and are refused, naming the column
    with pytest.raises(NonFiniteValueError, match="temp"):
        fitted.predict(hist, fut.with_columns(pl.lit(float("inf")).alias("temp")))
    with pytest.raises(OutOfRangeError, match="temp"):
        fitted.predict(hist, fut.with_columns(pl.lit(1e30).alias("temp")))
    pytest.importorskip("onnxruntime")
    from energyai.runtime import OnnxForecaster

    fitted.export(tmp_path / "m.onnx", data=_data().filter(pl.col("site") != "synthetic_2"))
    rt = OnnxForecaster(tmp_path / "m.onnx")
    with pytest.raises(NonFiniteValueError, match="temp"):
        rt.predict(hist, future=fut.with_columns(pl.lit(float("inf")).alias("temp")))
    with pytest.raises(OutOfRangeError, match="temp"):
        rt.predict(hist, future=fut.with_columns(pl.lit(1e30).alias("temp")))
