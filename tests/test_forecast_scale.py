"""Forecasts are bounded by what the model could know of (issue 29 #5).

A fit with ``learning_rate=1e30`` used to give finite forecasts of 1e32 and more, which
passed every NaN/inf check, the export parity gate and the runtime. Now a forecast more
than ``FORECAST_FACTOR`` (10) times the largest magnitude among the training targets, the
window's observed context and its capacity is an ``OutOfRangeError`` (``ExportError`` at
export). The hand-worked cases below use exact decimal values, so the tolerance is exact.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import energyai as ea
from energyai.exceptions import ExportError, OutOfRangeError
from energyai.limits import FORECAST_FACTOR, check_forecast_scale, trained_magnitude
from tests.conftest import synthetic_hourly

SCHEMA = ea.Schema(timestamp="ts", target="load", freq="1h")


def test_hand_worked_bounds():
    context = np.array([[np.nan, -3.0, 2.0]])  # largest observed magnitude 3
    check_forecast_scale(np.full((1, 2, 3), 30.0), context)  # exactly 10 x 3: kept
    with pytest.raises(OutOfRangeError, match=r"window 0 reaches 30\.1"):
        check_forecast_scale(np.full((1, 2, 3), 30.1), context)
    check_forecast_scale(np.full((1, 2), 45.0), context, capacity=np.full((1, 2), 4.5))  # capacity 4.5: 45 kept
    check_forecast_scale(np.full((1, 2), 500.0), context, trained=50.0)  # training up to 50: 500 kept
    with pytest.raises(OutOfRangeError, match=r"series .plant-7.*up to 50"):
        check_forecast_scale(np.full((1, 2), 501.0), context, trained=50.0, series=["plant-7"])
    # nothing to bound with (no training range, an all-zero context, no capacity): not checked
    check_forecast_scale(np.full((1, 2), 1e6), np.zeros((1, 3)))
    check_forecast_scale(np.full((1, 2), 1e6), np.full((1, 3), np.nan))
    # the second window is the broken one, and is named
    with pytest.raises(OutOfRangeError, match="series 'b'"):
        check_forecast_scale(np.array([[5.0], [5.0]]), np.array([[1.0], [0.1]]), series=["a", "b"])


def test_recorded_ranges_read_both_spellings():
    assert trained_magnitude({"min": -7.0, "max": 3.0}) == 7.0
    assert trained_magnitude({"low": 1.0, "high": 9.0}) == 9.0
    for broken in (None, {}, {"min": None, "max": 3.0}, {"low": float("nan"), "high": 1.0}, "7"):
        assert trained_magnitude(broken) is None


@settings(max_examples=60, deadline=None)
@given(scale=st.floats(1e-6, 1e9), ratio=st.floats(0.0, 20.0))
def test_the_decision_does_not_depend_on_units(scale, ratio):
    """Kilowatts or megawatts: values, context and training range scaled alike decide alike."""
    context = np.array([[1.0, 2.0, 4.0]])
    values = np.full((1, 3), 4.0 * ratio)

    def refused(c: float) -> bool:
        try:
            check_forecast_scale(values * c, context * c, trained=3.0 * c)
        except OutOfRangeError:
            return True
        return False

    assert refused(1.0) == (ratio > FORECAST_FACTOR)
    if abs(ratio - FORECAST_FACTOR) > 1e-6:  # away from the edge, where rounding may tip it
        assert refused(scale) == refused(1.0)


@pytest.fixture(scope="module")
def diverged():
    """A DLinear fitted with learning_rate=1e30: finite weights, forecasts near 1e32."""
    df = synthetic_hourly(n_days=40).drop("site")
    model = ea.Forecaster("dlinear", context_length=48, horizon=24, max_steps=40, learning_rate=1e30,
                          seed=0).fit(df, SCHEMA)
    return model, df


def test_a_diverged_fit_is_refused_at_predict_backtest_arrays_and_export(diverged, tmp_path):
    model, df = diverged
    assert model.target_range_ is not None and 60 < model.target_range_["max"] < 200
    with pytest.raises(OutOfRangeError, match="diverged fit"):
        model.predict(df)
    with pytest.raises(OutOfRangeError, match="diverged fit"):
        model.forecast_origins(df, [df["ts"][24 * 35], df["ts"][24 * 36]])
    with pytest.raises(OutOfRangeError, match="diverged fit"):
        model.predict_arrays(np.full((2, 48), 100.0, np.float32))
    with pytest.raises(ExportError, match="more than 10 times"):
        model.export(tmp_path / "broken.onnx")
    assert not (tmp_path / "broken.onnx").exists()


def test_a_healthy_model_records_its_range_through_save_and_export(tmp_path):
    pytest.importorskip("onnxruntime")
    df = synthetic_hourly(n_days=40).drop("site")
    model = ea.Forecaster("dlinear", context_length=48, horizon=24, max_steps=30, seed=0).fit(df, SCHEMA)
    y = df["load"].to_numpy()
    assert model.target_range_ == {"min": pytest.approx(y.min(), rel=1e-6), "max": pytest.approx(y.max(), rel=1e-6)}
    model.save(tmp_path / "m")
    assert ea.Forecaster.load(tmp_path / "m").target_range_ == model.target_range_
    model.export(tmp_path / "m.onnx")
    from energyai.runtime import OnnxForecaster

    device = OnnxForecaster(tmp_path / "m.onnx")
    assert device.info.ranges["target"]["high"] == pytest.approx(y.max(), rel=1e-6)
    context = y[-48:].astype(np.float32)
    times = df["ts"].to_numpy()[-48:]
    device.predict_arrays(context, times)  # a healthy forecast passes
    real = device._run
    device._run = lambda feeds: (real(feeds)[0] * 1e6, None)  # what a broken graph would return
    with pytest.raises(OutOfRangeError, match="more than 10 times"):
        device.predict_arrays(context, times)
