"""Losses, scalers and calendar features against hand-worked values and numpy."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from energyai.metrics import pinball  # noqa: E402
from energyai.nn import CalendarFeatures, FeatureScaler, InstanceScaler, masked_loss  # noqa: E402


def test_pinball_loss_matches_the_numpy_metric_and_ignores_masked_steps():
    rng = np.random.default_rng(0)
    q = np.array([0.1, 0.5, 0.9])
    pred = rng.normal(size=(4, 6, 3))
    target = rng.normal(size=(4, 6))
    mask = np.ones((4, 6))
    mask[0, :3] = 0
    got = masked_loss(torch.tensor(pred), torch.tensor(target), torch.tensor(mask), torch.tensor(q))
    keep = mask.astype(bool)
    # energyai.metrics.pinball averages over levels; tolerance: float64 round-off
    want = pinball(target[keep], pred[keep], q)
    assert float(got) == pytest.approx(want, rel=1e-12)
    # garbage in masked targets changes nothing
    target2 = target.copy()
    target2[0, :3] = 1e9
    got2 = masked_loss(torch.tensor(pred), torch.tensor(target2), torch.tensor(mask), torch.tensor(q))
    assert float(got2) == pytest.approx(float(got), rel=1e-12)


def test_mse_and_weights_hand_worked():
    pred = torch.tensor([[[1.0], [2.0]], [[0.0], [0.0]]])
    target = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    mask = torch.ones(2, 2)
    q = torch.tensor([0.5])
    # errors^2: window 0 -> 1, 4; window 1 -> 1, 1. Weights 1 and 3: (1+4+3+3)/(2+6) = 11/8
    got = masked_loss(pred, target, mask, q, "mse", torch.tensor([1.0, 3.0]))
    assert float(got) == pytest.approx(11 / 8)


def test_instance_scaler_uses_observed_values_only():
    y = torch.tensor([[1.0, 2.0, 3.0, 1000.0]])
    m = torch.tensor([[1.0, 1.0, 1.0, 0.0]])
    loc, scale = InstanceScaler("revin").stats(y * m, m)
    assert float(loc) == pytest.approx(2.0)
    assert float(scale) == pytest.approx(np.std([1, 2, 3]), rel=1e-6)  # population std


def test_feature_scaler_ignores_nan():
    x = torch.tensor([[1.0, float("nan")], [3.0, 4.0], [5.0, 8.0]])
    s = FeatureScaler(2).fit(x)
    np.testing.assert_allclose(s.mean.numpy(), [3.0, 6.0], rtol=1e-6)
    np.testing.assert_allclose(s.std.numpy(), [np.std([1, 3, 5]), 2.0], rtol=1e-6)


def test_calendar_features_known_phases():
    # 2024-01-01 was a Monday; 00:00 local -> all phases of day and week are 0
    monday = np.datetime64("2024-01-01T00:00", "s").astype(np.int64)
    t = torch.tensor([[monday, monday + 6 * 3600, monday + 86400 * 3 + 12 * 3600]])
    f = CalendarFeatures()(t)[0]
    sin_day, sin_week = f[:, 0], f[:, 1]
    cos_day, cos_week = f[:, 3], f[:, 4]
    assert float(sin_day[0]) == pytest.approx(0, abs=1e-6) and float(cos_week[0]) == pytest.approx(1, abs=1e-6)
    assert float(sin_day[1]) == pytest.approx(1, abs=1e-6)  # 06:00 is a quarter day
    assert float(cos_day[2]) == pytest.approx(-1, abs=1e-6)  # noon
    assert float(sin_week[2]) == pytest.approx(0, abs=1e-5) and float(cos_week[2]) == pytest.approx(-1, abs=1e-5)
