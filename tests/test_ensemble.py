"""Ensembles in one model: hand-worked combination, one ONNX file with parity, typed refusals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("lightgbm")
import polars as pl
import torch

import energyai as ea
from energyai.exceptions import ConfigError, NonFiniteValueError, OutOfRangeError
from energyai.training.ensemble import learn_weights, pinball
from tests.conftest import synthetic_hourly

FAST = {"max_steps": 30, "batch_size": 32, "val_size": 0.2, "progress_bar": False}
LEVELS = (0.1, 0.5, 0.9)


def test_pinball_hand_worked():
    # y = 10; quantiles 8, 10, 13 at 0.1, 0.5, 0.9: losses 0.1 * 2, 0, (1 - 0.9) * 3
    pred = np.array([[[8.0, 10.0, 13.0]]])
    out = pinball(pred, np.array([[10.0]]), np.array([[1.0]]), np.array(LEVELS))
    np.testing.assert_allclose(out, [0.2, 0.0, 0.3])


def test_the_boosted_share_is_learnt_then_pulled_halfway_to_an_even_split():
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, (200, 4))
    truth = np.repeat(y[..., None], 3, axis=2)  # exact at every level
    off = truth + 5.0  # 5 too high
    # the boosted member (last) is exact: best share 1 on validation, kept at 0.5 * 1 + 0.5 * 0.5 = 0.75,
    # the two neural members splitting the rest evenly
    w = learn_weights(np.stack([off, off, truth]), y, np.ones_like(y), LEVELS, boosted=True)
    assert w.shape == (3, 4, 3)
    np.testing.assert_allclose(w.sum(axis=0), 1.0)
    np.testing.assert_allclose(w[:, 0, 0], [0.125, 0.125, 0.75])
    # the neural members are exact: best share 0, kept at 0.25
    w = learn_weights(np.stack([truth, truth, off]), y, np.ones_like(y), LEVELS, boosted=True)
    np.testing.assert_allclose(w[:, 2, 1], [0.375, 0.375, 0.25])
    # neural members only: equal weights whatever validation says (they are exchangeable draws)
    np.testing.assert_allclose(learn_weights(np.stack([truth, off]), y, np.ones_like(y), LEVELS), 0.5)


def test_mean_mode_is_plain_averaging():
    rng = np.random.default_rng(1)
    y = rng.normal(0, 1, (500, 2))
    a = np.repeat((y + 0.5)[..., None], 3, axis=2)
    b = np.repeat((y - 0.5)[..., None], 3, axis=2)
    with pytest.raises(ConfigError, match="combine"):
        learn_weights(np.stack([a, b]), y, np.ones_like(y), LEVELS, mode="best")
    mean = learn_weights(np.stack([a, b]), y, np.ones_like(y), LEVELS, mode="mean")
    np.testing.assert_array_equal(mean, np.full((2, 2, 3), 0.5))
    # hand-worked quantile averaging: 0.5 * (y + 0.5) + 0.5 * (y - 0.5) = y
    np.testing.assert_allclose(np.tensordot(mean[:, 0, 0], np.stack([a, b]), axes=1), np.repeat(y[..., None], 3, 2))


def _schema():
    return ea.Schema(series_id="site", timestamp="ts", target="load", future_covariates=("temp",), freq="1h",
                     tz="UTC")


@pytest.fixture(scope="module")
def fitted():
    df = synthetic_hourly(50, 2)
    f = ea.Forecaster("tide", context_length=48, horizon=24, quantiles=LEVELS, hidden=32, **FAST,
                      ensemble=[{}, {"seed": 1, "context_length": 24}, {"model": "lightgbm", "max_rounds": 60,
                                                                       "search": False}])
    return f.fit(df, _schema()), df


def _split(df: pl.DataFrame):
    cut = df["ts"].max().replace(hour=0) - dt.timedelta(days=1)
    hist = df.filter(pl.col("ts") < cut)
    fut = df.filter((pl.col("ts") >= cut) & (pl.col("ts") < cut + dt.timedelta(hours=24))).select("site", "ts", "temp")
    return hist, fut


def test_the_ensemble_is_the_weighted_quantile_average_of_its_members(fitted):
    model, _ = fitted
    net = model.network_
    assert net.n_members == 3 and len(model.history_["members"]) == 3
    np.testing.assert_allclose(net.weights.sum(0).numpy(), 1.0, rtol=1e-6)
    batch = {k: torch.from_numpy(v[:4]) for k, v in model.parity_windows_.items() if k != "future_target"}
    y = batch["past_target"]
    batch["past_observed"] = torch.isfinite(y).float()
    batch["past_target"] = torch.nan_to_num(y)
    with torch.no_grad():
        outs = net.member_outputs(dict(batch))
        combined = sum(o * w for o, w in zip(outs, net.weights, strict=True))
        expected = net.finish(torch.sort(combined, dim=-1)[0], net.window_scale(batch), dict(batch))
        np.testing.assert_allclose(net(batch).numpy(), expected.numpy(), rtol=1e-6)
        net.weights.copy_(torch.tensor([1.0, 0.0, 0.0])[:, None, None].expand_as(net.weights))
        alone = net.members[0].finish(*net.members[0].raw_quantiles(dict(batch)), dict(batch))
        np.testing.assert_allclose(net(batch).numpy(), alone.numpy(), rtol=1e-6)
    model.network_ = net  # (a copy would be cleaner; the fixture is not reused after this point for weights)


def test_one_saved_folder_and_one_onnx_file_forecast_alike(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    df = synthetic_hourly(40, 2)
    f = ea.Forecaster("tide", context_length=48, horizon=24, quantiles=LEVELS, hidden=32, **FAST,
                      ensemble=[{}, {"model": "lightgbm", "max_rounds": 60, "search": False}]).fit(df, _schema())
    hist, fut = _split(df)
    pred = f.predict(hist, fut)
    f.save(tmp_path / "ens")
    g = ea.Forecaster.load(tmp_path / "ens")
    assert g.predict(hist, fut).equals(pred)
    report = g.export(tmp_path / "ens.onnx")
    assert report.parity.checks["batch64"]["max_err_over_limit"] <= 1.0
    import onnx

    ops = {(n.domain, n.op_type) for n in onnx.load(str(tmp_path / "ens.onnx")).graph.node}
    assert ("ai.onnx.ml", "TreeEnsembleRegressor") in ops
    from energyai.runtime import OnnxForecaster

    rt = OnnxForecaster(tmp_path / "ens.onnx").predict(hist, fut).to_frame("site", "ts").sort("site", "ts")
    torch_fc = pred.sort("site", "ts")
    scale = float(torch_fc["q0.9"].abs().max())
    # tolerance: the parity gate's (rtol 1e-4, atol 1e-5 x output scale)
    np.testing.assert_allclose(rt["forecast"].to_numpy(), torch_fc["forecast"].to_numpy(), rtol=1e-4,
                               atol=1e-5 * scale)
    assert ort is not None


def test_a_tree_model_alone_fits_forecasts_and_refuses_bad_weather(tmp_path):
    df = synthetic_hourly(40, 1)
    f = ea.Forecaster("lightgbm", context_length=48, horizon=24, quantiles=LEVELS, max_rounds=60, search=False,
                      val_size=0.2, progress_bar=False).fit(df, _schema())
    hist, fut = _split(df)
    out = f.predict(hist, fut)
    assert out.height == 24 and out["forecast"].is_finite().all()
    assert (out["q0.1"] <= out["q0.9"]).all()
    for bad, err in ((float("nan"), NonFiniteValueError), (float("inf"), NonFiniteValueError),
                     (1e30, OutOfRangeError)):
        broken = fut.with_columns(pl.when(pl.col("ts") == fut["ts"][3]).then(bad).otherwise(pl.col("temp"))
                                  .alias("temp"))
        with pytest.raises((err, ea.exceptions.DataError)):
            f.predict(hist, broken)


def test_members_that_change_shared_settings_are_refused():
    for bad in ({"horizon": 12}, {"holidays": "KR"}, {"quantiles": (0.5,)}, {"solar_site": (35.0, 127.0)}):
        with pytest.raises(ConfigError, match="members share"):
            ea.Forecaster("tide", ensemble=[{}, bad]).check()
    with pytest.raises(ConfigError, match="non-empty list"):
        ea.Forecaster("tide", ensemble=[]).check()
    with pytest.raises(ConfigError, match="at most one lightgbm"):
        ea.Forecaster("tide", ensemble=[{"model": "lightgbm"}, {"model": "lightgbm"}]).check()
    df = synthetic_hourly(20, 1)
    with pytest.raises(ConfigError, match="context_length"):
        ea.Forecaster("tide", context_length=24, horizon=6, ensemble=[{"context_length": 48}], **FAST).fit(df, _schema())
    with pytest.raises(ConfigError, match="calendar"):
        ea.Forecaster("tide", context_length=24, horizon=6, calendar="auto", **FAST,
                      ensemble=[{}, {"model": "dlinear"}]).fit(df, _schema().with_(future_covariates=()))


def test_members_trained_for_other_sites_cannot_be_combined():
    from energyai.nn.ensemble import EnsembleNetwork
    from energyai.nn.network import ForecastNetwork
    from energyai.nn.solar import SolarFeatures

    def net(lat: float) -> ForecastNetwork:
        core = torch.nn.Linear(1, 1)
        n = ForecastNetwork(core, LEVELS, 0, 1, 0, calendar=False, solar=(lat, 127.0, 0.0, 3.0), horizon=4)
        assert isinstance(n.solar, SolarFeatures)
        return n

    with pytest.raises(ValueError, match="solar feature"):
        EnsembleNetwork([net(35.0), net(37.0)], [8, 8], None, 8, 4, LEVELS, torch.full((2, 4, 3), 0.5), (0, 1, 0))


def test_the_trees_learning_rate_reaches_the_trees_and_the_optimisers_is_refused():
    """``learning_rate`` is the networks' optimiser step; before this test it silently
    left a tree model at LightGBM's 0.05, and tuning a tree model searched it for nothing."""
    from energyai.training.ensemble import member_params
    from energyai.tuning import search_space

    with pytest.raises(ConfigError, match="tree_learning_rate"):
        ea.Forecaster("lightgbm", context_length=48, horizon=24, learning_rate=0.1).check()
    # a preset's network rate does not leak into its tree member, whose own rate does reach it
    tide = ea.Forecaster("tide", learning_rate=3e-3, ensemble=[{}, {"model": "lightgbm", "tree_learning_rate": 0.2}])
    params = member_params(tide)
    assert params[0]["learning_rate"] == 3e-3 and params[1]["learning_rate"] == 1e-3
    tree = ea.Forecaster(**params[1])
    assert tree._resolved()["cfg"].tree_learning_rate == 0.2
    for bad in (0.0, float("nan"), float("inf"), 1e30):  # NaN and inf passed a bare `v <= 0` test before
        with pytest.raises(ConfigError, match="tree_learning_rate"):
            ea.Forecaster("lightgbm", tree_learning_rate=bad).check()
    with pytest.raises(ConfigError, match="lambda_l2"):
        ea.Forecaster("lightgbm", lambda_l2=float("nan")).check()
    space = search_space("lightgbm")
    assert "tree_learning_rate" in space and "learning_rate" not in space and "batch_size" not in space
    df = synthetic_hourly(40, 1)
    slow, fast = (ea.Forecaster("lightgbm", context_length=48, horizon=24, quantiles=LEVELS, max_rounds=150,
                                search=False, refit=False, val_size=0.2, progress_bar=False,
                                tree_learning_rate=r).fit(df, _schema()) for r in (0.02, 0.3))
    # a larger step stops in fewer rounds (the rate reaches LightGBM)
    assert sum(fast.history_["members"][0]["rounds"]) < sum(slow.history_["members"][0]["rounds"])
