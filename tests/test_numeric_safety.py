"""Numeric safety (issue 14): series of any size stay finite and keep their scale, a NaN is never
clipped into a number, and values beyond float32's safe range are refused with a typed error."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from energyai.exceptions import DataError, OutOfRangeError, TrainingError  # noqa: E402
from energyai.limits import MAX_ABS, InputGuard  # noqa: E402
from energyai.models import available_models, get_model, make_config  # noqa: E402
from energyai.nn.network import ForecastNetwork  # noqa: E402
from energyai.nn.scaling import InstanceScaler  # noqa: E402

L, H = 48, 12
LEVELS = (0.1, 0.5, 0.9)


def _network(name, nonnegative=False):
    spec = get_model(name)
    small = {"hidden": 32} if "hidden" in spec.config.__dataclass_fields__ else {}
    if name == "patchtst":
        small = {"d_model": 16, "n_heads": 2, "d_ff": 32, "n_layers": 2}
    torch.manual_seed(0)
    core = spec.build(make_config(name, **small), L, H, len(LEVELS), 0, 0, 0)
    return ForecastNetwork(core, LEVELS, 0, 0, 0, calendar=False, horizon=H, nonnegative=nonnegative).eval()


def _series():
    """Synthetic (B, L) windows: all zero, constant, tiny, ordinary, huge, constant at the limit."""
    g = np.random.default_rng(0)
    shape = 50 + 10 * np.sin(np.arange(L) * 2 * np.pi / 24) + g.normal(0, 1, L)
    return {
        "zero": np.zeros(L),
        "constant": np.full(L, 7.0),
        "tiny": 1e-30 * shape,
        "ordinary": shape,
        "huge": 1e16 * shape,
        "at the limit": np.full(L, MAX_ABS),
    }


class _Graph(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, y):
        observed = torch.isfinite(y)
        return self.net({"past_target": torch.where(observed, y, torch.zeros_like(y)),
                         "past_observed": observed.to(y.dtype)})


@pytest.mark.parametrize("name", available_models("neural"))
def test_every_scale_stays_finite_and_keeps_its_size_in_torch_and_onnxruntime(name, tmp_path):
    import onnxruntime as ort

    net = _network(name)
    series = _series()
    y = torch.tensor(np.stack(list(series.values())), dtype=torch.float32)
    with torch.inference_mode():
        out = _Graph(net)(y).numpy()
    path = tmp_path / "g.onnx"
    program = torch.onnx.export(_Graph(net), (y[:2],), dynamo=True, input_names=["y"], output_names=["q"],
                                dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=64)},), verbose=False)
    program.save(str(path))
    rt = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"y": y.numpy()})[0]
    for label, got in (("torch", out), ("onnxruntime", rt)):
        assert np.isfinite(got).all(), (label, name)
        for b, (kind, values) in enumerate(series.items()):
            size = float(np.abs(values).max())
            # tolerance: an untrained network's outputs are O(1) to O(100) on the normalised
            # scale; the forecast must be within that many times the series' own size (or the
            # 1e-5 floor of an all-zero window), never at another order of magnitude
            bound = 1e3 * (size if size > 0 else 1e-5)
            assert np.abs(got[b]).max() <= bound, (label, name, kind, float(np.abs(got[b]).max()))
    # onnxruntime agrees with torch (rtol as the parity gate, relative to each window's size)
    for b, values in enumerate(series.values()):
        scale = max(float(np.abs(values).max()), 1e-5)
        np.testing.assert_allclose(rt[b], out[b], rtol=1e-4, atol=1e-4 * scale)


def test_revin_statistics_do_not_overflow_where_squares_would():
    # hand-worked: values {1e20, 3e20} -> mean 2e20, population sd 1e20; their squares (1e40)
    # overflow float32, so the plain formula gave inf and then NaN
    scaler = InstanceScaler("revin")
    y = torch.tensor([[1e20, 3e20]], dtype=torch.float32)
    loc, scale = scaler.stats(y, torch.ones_like(y))
    assert float(loc) == pytest.approx(2e20, rel=1e-6)
    assert float(scale) == pytest.approx(1e20, rel=1e-6)
    tiny = torch.tensor([[1e-30, 3e-30]], dtype=torch.float32)
    loc, scale = scaler.stats(tiny, torch.ones_like(tiny))
    assert float(loc) == pytest.approx(2e-30, rel=1e-5)
    assert float(scale) == pytest.approx(1e-30, rel=1e-5)


def test_a_nan_is_not_clipped_into_a_number():
    # the old graph's clamp(min=0) turned a NaN into 0 in onnxruntime: a finite forecast from an overflow
    net = _network("dlinear", nonnegative=True)
    with torch.no_grad():
        next(net.core.parameters()).fill_(float("nan"))
    y = torch.tensor(_series()["ordinary"], dtype=torch.float32)[None]
    with torch.inference_mode():
        out = _Graph(net)(y)
    assert torch.isnan(out).all()


def test_guard_refuses_values_beyond_the_limit_and_far_outside_training():
    from energyai.contract import Window

    guard = InputGuard("load", {"future_covariates": ["temp"]}, {"future_covariates": ([15.0], [8.0])})
    utc = 1_700_000_000 + 3600 * np.arange(L + H)[None]
    y = np.full((1, L), 100.0, np.float32)
    fut = np.full((1, L + H, 1), 20.0, np.float32)
    guard.check(Window(target=y, utc=utc, future=fut))  # ordinary values pass
    with pytest.raises(OutOfRangeError, match=r"target 'load' has the value 1e\+19 at 2023-11-14T22:13:20"):
        guard.check(Window(target=np.full((1, L), 1e19, np.float32), utc=utc))
    far = fut.copy()
    far[0, L + 3, 0] = 1e8  # 12.5 million standard deviations: a unit or sensor error
    with pytest.raises(OutOfRangeError, match=r"'temp' has the value 1e\+08 .* standard deviations"):
        guard.check(Window(target=y, utc=utc, future=far))
    for bad in (np.nan, -5.0, 0.0):
        with pytest.raises(DataError, match="capacity"):
            guard.check(Window(target=y, utc=utc, capacity=np.full((1, H), bad, np.float32)))


def test_validate_refuses_values_beyond_the_limit():
    import polars as pl

    import energyai as ea

    t = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 3), "1h", time_zone="UTC", eager=True)
    y = np.full(t.len(), 5.0)
    y[7] = 3e38
    df = pl.DataFrame({"timestamp": t, "load": y})
    with pytest.raises(OutOfRangeError, match=r"column 'load' has 1 values beyond .* 2024-01-01 07:00"):
        ea.validate(df, ea.Schema(timestamp="timestamp", target="load", freq="1h"))
    with pytest.raises(ValueError):  # DataError is also a ValueError
        ea.validate(df, ea.Schema(timestamp="timestamp", target="load", freq="1h"))


def test_a_non_finite_training_loss_stops_fit_naming_the_step():
    import polars as pl

    import energyai as ea

    t = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 10), "1h", time_zone="UTC", eager=True)
    df = pl.DataFrame({"timestamp": t, "load": 50 + 10 * np.sin(np.arange(t.len()) / 4)})
    schema = ea.Schema(timestamp="timestamp", target="load", freq="1h")
    # an absurd learning rate: the synthetic series' weights blow up within a few steps
    f = ea.Forecaster("dlinear", context_length=48, horizon=12, max_steps=200, learning_rate=1e30, loss="mse", quantiles=(),
                      val_size=0, seed=0)
    with pytest.raises(TrainingError, match=r"at step \d+"):
        f.fit(df, schema)


def test_the_runtime_refuses_a_nan_or_negative_capacity(tmp_path):
    import polars as pl

    import energyai as ea
    from energyai.exceptions import NonFiniteValueError
    from energyai.runtime import OnnxForecaster

    t = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 10), "1h", time_zone="UTC", eager=True)
    df = pl.DataFrame({"timestamp": t, "power": 40 + 30 * np.sin(np.arange(t.len()) / 4)})
    schema = ea.Schema(timestamp="timestamp", target="power", freq="1h", capacity=100.0)
    f = ea.Forecaster("dlinear", context_length=48, horizon=12, max_steps=3).fit(df, schema)
    f.export(tmp_path / "cap.onnx")
    rt = OnnxForecaster(tmp_path / "cap.onnx")
    y, ts = df["power"].to_numpy()[-48:], df["timestamp"].dt.epoch("s").to_numpy()[-48:]
    assert np.isfinite(rt.predict_arrays(y, ts, capacity=80.0).values).all()
    # issue 14: capacity=nan gave every quantile NaN, capacity=-5 every quantile -5
    with pytest.raises(NonFiniteValueError, match="capacity"):
        rt.predict_arrays(y, ts, capacity=np.nan)
    with pytest.raises(DataError, match="capacity of series 0 is -5"):
        rt.predict_arrays(y, ts, capacity=-5.0)
