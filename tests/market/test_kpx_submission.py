"""The KPX-optimal submission, against hand-worked integrals.

A forecast with quantiles 40, 45, 50, 55, 60 MW at levels 0.1 .. 0.9 (capacity 100 MW) is
the uniform distribution on [37.5, 62.5] (the quantile function is linear with slope 25,
extended past the outer levels). Submitting s pays 4 KRW/kWh when |y - s| <= 6 MW and 3
when <= 8 MW, on y:

- s = 50: (1/25)[2(56² - 44²) + 1.5(44² - 42²) + 1.5(58² - 56²)] = 120 MWh-KRW/kWh
  -> 120,000 KRW;
- s = 54: (1/25)[2(60² - 48²) + 1.5(48² - 46²) + 1.5(62² - 60²)] = 129.6 -> 129,600 KRW.

The 200 equally weighted points are the midpoints of 200 equal slices of the uniform, so
these integrals of piecewise-linear functions come out exact up to float rounding
(tolerance 1e-6 relative).
"""

from __future__ import annotations

import numpy as np
import pytest

from energyai.exceptions import ConfigError, DataError
from energyai.market.kpx import KPXRules, best_submission, kpx_settlement
from energyai.market.submission import expected_incentive, predictive_samples

LEVELS = (0.1, 0.3, 0.5, 0.7, 0.9)
UNIFORM = np.array([[40.0, 45.0, 50.0, 55.0, 60.0]])


def test_samples_follow_the_linear_quantile_function_and_its_extension():
    s = predictive_samples(np.array([[1.0, 2.0, 3.0]]), (0.25, 0.5, 0.75), n=8)
    # u = 1/16 .. 15/16; Q(u) = 4u (slope 1 / 0.25), clipped at 0 from below
    np.testing.assert_allclose(s[0], 4 * (np.arange(8) + 0.5) / 8, rtol=1e-12)
    assert predictive_samples(np.array([[1.0, 2.0, 3.0]]), (0.25, 0.5, 0.75), n=8, upper=2.5)[0].max() == 2.5


def test_expected_incentive_by_hand():
    samples = predictive_samples(UNIFORM, LEVELS, n=200, upper=100.0)
    e = expected_incentive(np.array([[50.0, 54.0]]), samples, np.array([100.0]), KPXRules(), "MW")
    np.testing.assert_allclose(e[0], [120_000.0, 129_600.0], rtol=1e-6)
    # the same as settling each sample and averaging
    one = kpx_settlement(samples[0], np.full(200, 54.0), 100.0, units="MW")
    assert one.total_krw / 200 == pytest.approx(129_600.0, rel=1e-9)


def test_best_submission_leans_toward_paid_output():
    sub = best_submission(UNIFORM, LEVELS, 100.0, units="MW", grid=101)
    # the payment grows with y, so the best bid sits above the median; on the 1 MW grid it is 54
    assert sub.value[0] == pytest.approx(54.0)
    assert sub.expected_krw[0] == pytest.approx(129_600.0, rel=1e-6)
    assert sub.expected_krw_median[0] == pytest.approx(120_000.0, rel=1e-6)
    # half the mass under 10 % of capacity (never paid): bid on the paid mode, not the median
    bimodal = best_submission(np.array([[2.0, 3.0, 30.0, 60.0, 61.0]]), LEVELS, 100.0, units="MW")
    assert 50.0 <= bimodal.value[0] <= 62.0 and bimodal.expected_krw[0] > 5 * bimodal.expected_krw_median[0]


def test_a_certain_forecast_is_submitted_as_it_is_and_nothing_pays_under_10_percent():
    sure = best_submission(np.array([[70.0] * 5, [5.0] * 5]), LEVELS, 100.0, units="MW")
    assert sure.value[0] == pytest.approx(70.0) and sure.value[1] == pytest.approx(5.0)  # ties: the median
    assert sure.expected_krw[1] == 0.0


def test_bad_inputs_are_typed_errors():
    with pytest.raises(ConfigError, match=r"include 0\.5"):
        best_submission(UNIFORM[:, :2], (0.1, 0.3), 100.0)
    with pytest.raises(ConfigError, match="increase"):
        best_submission(UNIFORM, (0.1, 0.5, 0.3, 0.7, 0.9), 100.0)
    with pytest.raises(DataError, match="capacity"):
        best_submission(UNIFORM, LEVELS, 0.0)
    with pytest.raises(DataError, match="finite"):
        best_submission(np.array([[40.0, np.nan, 50.0, 55.0, 60.0]]), LEVELS, 100.0)
    with pytest.raises(ConfigError, match="units"):
        best_submission(UNIFORM, LEVELS, 100.0, units="MWh")
    with pytest.raises(ConfigError, match="grid"):
        best_submission(UNIFORM, LEVELS, 100.0, grid=1)
    # issue 29 #2: chunk=-1 returned uninitialised memory; 0, 2.5 and True are refused too
    for chunk in (-1, 0, 2.5, True):
        with pytest.raises(ConfigError, match="chunk"):
            best_submission(UNIFORM, LEVELS, 100.0, chunk=chunk)
    with pytest.raises(ConfigError, match="2 GiB"):  # refused before allocating, not an out-of-memory kill
        best_submission(UNIFORM, LEVELS, 100.0, grid=10**7)
    with pytest.raises(DataError, match="shape"):
        best_submission(UNIFORM[0], LEVELS, 100.0)
    with pytest.raises(DataError, match="shape"):
        best_submission(UNIFORM[:, :4], LEVELS, 100.0)


def test_the_graph_head_picks_what_best_submission_picks():
    """The in-graph head (energyai.nn.submission) on the hand-worked uniform: 54 earns the
    most (129,600 KRW against 120,000 at the median; the grid over [0, 100] holds 54), and on
    random forecasts its choice earns what best_submission's earns (relative 1e-4: both use
    a grid of 101 and float32 in the graph against float64)."""
    torch = pytest.importorskip("torch")
    from energyai.nn.submission import SubmissionHead

    head = SubmissionHead(LEVELS, KPXRules().tiers, KPXRules().min_output_share, grid=101, n_samples=200)
    got = head(torch.tensor(UNIFORM[None], dtype=torch.float32), torch.tensor([[100.0]])).numpy()
    assert got[0, 0] == pytest.approx(54.0, abs=1e-4)
    rng = np.random.default_rng(0)
    q = np.sort(rng.uniform(0, 100, (300, 5)), axis=1)
    cap = np.full(300, 100.0)
    mine = head(torch.tensor(q[None], dtype=torch.float32), torch.tensor(cap[None], dtype=torch.float32)).numpy()[0]
    ref = best_submission(q, LEVELS, cap, grid=101, n_samples=200)
    samples = predictive_samples(q, LEVELS, 200, 0.0, cap)
    pay = expected_incentive(np.stack([mine, ref.value], axis=1), samples, cap, KPXRules(), "kW")
    np.testing.assert_allclose(pay[:, 0], pay[:, 1], rtol=1e-4, atol=1e-9)


def test_an_exported_file_carries_the_submission_and_refuses_models_without_capacity(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    import datetime as dt

    import polars as pl

    import energyai as ea
    from energyai.runtime import OnnxForecaster

    # synthetic PV-like output (unit tests only): a clipped daily sine with noise, capacity 10
    rng = np.random.default_rng(0)
    n = 24 * 60
    hour = np.arange(n) % 24
    y = np.clip(10 * np.sin(np.pi * (hour - 6) / 12), 0, None) * rng.uniform(0.6, 1.0, n)
    t0 = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
    df = pl.DataFrame({"ts": pl.datetime_range(t0, t0 + dt.timedelta(hours=n - 1), "1h", eager=True), "y": y})
    schema = ea.Schema(timestamp="ts", target="y", freq="1h", tz="UTC", capacity=10.0, nonnegative=True)
    model = ea.Forecaster("tide", context_length=48, horizon=24, quantiles=(0.1, 0.5, 0.9), hidden=16, max_steps=30,
                          batch_size=32, batches_per_epoch=10, val_size=0).fit(df, schema)
    report = model.export(tmp_path / "bid.onnx", submission=KPXRules())
    assert report.parity.submission["max_relative_shortfall"] <= 1e-4
    assert "submission" not in report.parity.checks  # the quantile checks keep one shape
    onnx_model = OnnxForecaster(tmp_path / "bid.onnx")
    assert onnx_model.info.submission["tiers"] == [[6.0, 4.0], [8.0, 3.0]]
    assert "submission   KPX tiers" in onnx_model.info.summary()
    tail = df.tail(48)
    out = onnx_model.predict_arrays(tail["y"].to_numpy(), tail["ts"].dt.epoch("s").to_numpy())
    assert out.submission is not None and out.submission.shape == (1, 24)
    assert ((out.submission >= 0) & (out.submission <= 10.0)).all()
    ref = best_submission(out.values[0].astype(np.float64), (0.1, 0.5, 0.9), 10.0, grid=101, n_samples=100)
    samples = predictive_samples(out.values[0].astype(np.float64), (0.1, 0.5, 0.9), 100, 0.0, np.full(24, 10.0))
    pay = expected_incentive(np.stack([out.submission[0].astype(np.float64), ref.value], axis=1), samples,
                             np.full(24, 10.0), KPXRules(), "kW")
    np.testing.assert_allclose(pay[:, 0], pay[:, 1], rtol=1e-4, atol=1e-9)
    assert "submission" in out.to_columns()
    from energyai.exceptions import NonFiniteValueError

    # an infinite capacity (elsewhere "none") would make the bid, and the capacity-scaled quantiles, silently huge
    with pytest.raises(NonFiniteValueError, match="capacity of series 0 is infinite"):
        onnx_model.predict_arrays(tail["y"].to_numpy(), tail["ts"].dt.epoch("s").to_numpy(), capacity=np.inf)
    no_cap = ea.Forecaster("tide", context_length=48, horizon=24, quantiles=(0.1, 0.5, 0.9), hidden=8, max_steps=2,
                           batch_size=32, batches_per_epoch=2, val_size=0).fit(
        df, ea.Schema(timestamp="ts", target="y", freq="1h", tz="UTC"))
    with pytest.raises(ConfigError, match="capacity"):
        no_cap.export(tmp_path / "x.onnx", submission=KPXRules())
    with pytest.raises(ConfigError, match="KPXRules"):
        model.export(tmp_path / "x.onnx", submission={"tiers": ((6, 4),)})
    assert not (tmp_path / "x.onnx").exists()
