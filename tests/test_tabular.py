"""Feature rows of the tree member: hand-worked values, and the same bits in torch and onnxruntime."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")
import torch

from energyai.nn.holidays import HolidayFeatures
from energyai.nn.solar import SolarFeatures, cloud_irradiance
from energyai.nn.tabular import TabularFeatures, window_level

L, H, D = 48, 24, 24
T0 = 1_609_459_200  # 2021-01-01 00:00 UTC, a Friday


def _inputs(B: int = 3, seed: int = 0, nan: bool = True) -> dict[str, torch.Tensor]:
    """Synthetic windows for unit tests: ramps and noise, two future covariates."""
    rng = np.random.default_rng(seed)
    y = (100 + np.arange(L)[None, :] + rng.normal(0, 5, (B, L))).astype(np.float32)
    if nan:
        y[0, 5] = np.nan
    obs = np.isfinite(y).astype(np.float32)
    utc = T0 + 3600 * np.arange(L + H)[None, :] + 86400 * np.arange(B)[:, None]
    fut = rng.normal(10, 3, (B, L + H, 2)).astype(np.float32)
    if nan:
        fut[1, L + 3, 1] = np.nan
    return {"past_target": torch.from_numpy(np.nan_to_num(y)), "past_observed": torch.from_numpy(obs),
            "local_time": torch.from_numpy(utc + 9 * 3600), "utc_time": torch.from_numpy(utc),
            "future_covariates": torch.from_numpy(fut), "static": torch.zeros((B, 0)),
            "past_covariates": torch.zeros((B, L, 0)), "capacity": torch.full((B, H), 500.0)}


def test_hand_worked_lags_level_and_calendar():
    f = TabularFeatures(L, H, D, 3600, 0, 2, 0)
    x = _inputs(nan=False)
    rows, level = f(x, {})
    y = x["past_target"].numpy().astype(np.float64)
    names = f.names
    b = 1
    np.testing.assert_allclose(level[b, 0].item(), np.abs(y[b]).mean(), rtol=1e-6)  # L < 7 days: the whole context
    z = y[b] / level[b, 0].item()
    col = {n: rows[b, :, names.index(n)].numpy() for n in names}
    # lead 1 (target index L): most recent same hour is one day back, index L - 24; the day before, L - 48
    assert col["lag_recent"][0] == pytest.approx(z[L - 24], rel=1e-6)
    assert col["lag_recent_2"][0] == pytest.approx(z[L - 48], rel=1e-6)
    assert math.isnan(col["lag_week"][0])  # a week back lies outside a 2-day context
    assert col["lag_recent"][23] == pytest.approx(z[L + 23 - 24], rel=1e-6)
    assert col["last"][0] == pytest.approx(z[-1], rel=1e-6)
    assert col["mean_day"][0] == pytest.approx(z[-24:].mean(), rel=1e-6)
    # window 1 starts 2021-01-02 00:00 UTC = 09:00 local (UTC+9); lead 1 is 2021-01-04 09:00, a Monday
    assert col["hour"][0] == 9.0 and col["day_of_week"][0] == 0.0
    fut = x["future_covariates"].numpy().astype(np.float64)[b]
    assert col["future1_mean3"][2] == pytest.approx(fut[L + 1:L + 4, 1].mean(), rel=1e-6)
    assert col["future0_day_mean"][5] == pytest.approx(fut[L + 5 - 23:L + 6, 0].mean(), rel=1e-6)
    assert col["log_level"][0] == pytest.approx(math.log(level[b, 0].item()), rel=1e-6)


def test_missing_values_stay_missing():
    f = TabularFeatures(L, H, D, 3600, 0, 2, 0)
    rows, _ = f(_inputs(), {})
    names = f.names
    # window 0 misses step 5: the lag reading it (lead 5 + 24 * 2 back = index 5) is NaN, not filled
    assert math.isnan(rows[0, 5, names.index("lag_recent_2")].item())
    # window 1 misses covariate 1 at horizon step 3: its value and every mean that includes it are NaN
    assert math.isnan(rows[1, 3, names.index("future1")].item())
    assert math.isnan(rows[1, 2, names.index("future1_mean3")].item())
    assert not math.isnan(rows[1, 6, names.index("future1_mean3")].item())


def test_level_of_a_flat_or_empty_context_is_floored_not_zero():
    y = torch.zeros((2, 10))
    obs = torch.tensor([[1.0] * 10, [0.0] * 10])
    lv = window_level(y, obs, None, "mean", 10)
    assert (lv > 0).all() and torch.isfinite(lv).all()
    cap = window_level(y, obs, torch.full((2, 4), 250.0), "capacity", 10)
    assert cap.flatten().tolist() == [250.0, 250.0]
    with pytest.raises(ValueError, match="capacity"):
        window_level(y, obs, None, "capacity", 10)


def test_cloud_irradiance_hand_worked():
    clear = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.8])
    tenths = torch.tensor([0.0, 10.0, 5.0, float("nan"), 10.0])
    out = cloud_irradiance(clear, tenths, 0.8)  # tenths -> oktas
    # N = 0: clear; N = 8 oktas: 1 - 0.75 = 0.25; N = 4: 1 - 0.75 * 0.5 ** 3.4 = 0.92894; NaN: 0
    np.testing.assert_allclose(out.numpy(), [1.0, 0.25, 1 - 0.75 * 0.5 ** 3.4, 0.0, 0.2], rtol=1e-6)


def test_solar_table_reproduces_the_clear_sky_it_was_built_from():
    solar = SolarFeatures(35.48, 129.38, 0.0, 3.0, step=3600)
    f = TabularFeatures(L, H, D, 3600, 0, 2, 0, kinds=("solar",), level="capacity")
    f.set_solar_table(solar)
    utc = torch.from_numpy(T0 + 3600 * np.arange(0, 24 * 400, 7)[None, :])
    table = f._solar(utc)[0]
    clear, cos_z = solar.clear_sky(utc)
    # tolerance: the table is indexed by day of the mean (365.2425-day) year, which drifts against
    # the calendar by under a day over 4 years; the clear sky changes by < 2% of its peak a day
    assert np.abs(table[:, 0].numpy() - clear[0].numpy()).max() < 0.02
    assert np.abs(table[:, 1].numpy() - cos_z[0].numpy()).max() < 0.02


def test_features_have_the_same_bits_in_torch_and_onnxruntime():
    """A tree is a step function, so its inputs must agree to the last bit in both runtimes."""
    ort = pytest.importorskip("onnxruntime")
    solar = SolarFeatures(35.48, 129.38, 0.0, 3.0, step=3600, cloud=(1, 0.8))
    holiday = HolidayFeatures(800)
    rng = np.random.default_rng(3)
    holiday.set_table(18500, rng.integers(0, 2, (800, 4)).astype(np.uint8))
    f = TabularFeatures(L, H, D, 3600, 0, 2, 0, kinds=("holiday", "solar"), level="mean", cloud=(1, 0.8))
    f.set_solar_table(solar)

    class Rows(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.f, self.h = f, holiday

        def forward(self, past_target, past_observed, local_time, utc_time, future_covariates, holiday_override):
            x = {"past_target": past_target, "past_observed": past_observed, "local_time": local_time,
                 "utc_time": utc_time, "future_covariates": future_covariates}
            return self.f(x, {"holiday": self.h(local_time, holiday_override)})[0]

    m = Rows().eval()
    x = _inputs(B=64, seed=4)
    x["future_covariates"][..., 1] = torch.from_numpy(rng.integers(0, 11, (64, L + H)).astype(np.float32))
    x["past_target"] = x["past_target"] * 1234.567  # magnitudes where float32 rounding matters
    names = ["past_target", "past_observed", "local_time", "utc_time", "future_covariates", "holiday_override"]
    x["holiday_override"] = torch.full((64, L + H, 4), float("nan"))
    args = tuple(x[n] for n in names)
    program = torch.onnx.export(m, tuple(a[:2] for a in args), dynamo=True, input_names=names, output_names=["rows"],
                                dynamic_shapes=tuple({0: torch.export.Dim("b", min=1, max=1024)} for _ in names))
    s = ort.InferenceSession(program.model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
    out = s.run(None, {n: a.numpy() for n, a in zip(names, args, strict=True)})[0]
    ref = m(*args).detach().numpy()
    same = (out == ref) | (np.isnan(out) & np.isnan(ref))
    assert same.all(), [f.names[k] for k in np.unique(np.argwhere(~same)[:, -1])]


def test_many_covariates_smooth_only_their_mean():
    rng = np.random.default_rng(5)
    B, F = 2, 20
    x = _inputs(B=B, nan=False)
    x["future_covariates"] = torch.from_numpy(rng.normal(15, 5, (B, L + H, F)).astype(np.float32))
    f = TabularFeatures(L, H, D, 3600, 0, F, 0)
    rows, _ = f(x, {})
    names = f.names
    assert "future0_mean3" not in names and rows.shape[-1] == len(names)
    fut = x["future_covariates"].numpy().astype(np.float64)[1]
    avg = fut.mean(axis=1)
    assert rows[1, 4, names.index("future_mean")].item() == pytest.approx(avg[L + 4], rel=1e-6)
    assert rows[1, 4, names.index("future_mean_mean3")].item() == pytest.approx(avg[L + 3:L + 6].mean(), rel=1e-6)
