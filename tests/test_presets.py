"""Presets: the parameters they choose, their options and errors, issue-time windows, auto budgets."""

from __future__ import annotations

import numpy as np
import pytest

import energyai as ea
from energyai.config import TrainConfig, issue_seconds
from energyai.exceptions import ConfigError, InsufficientDataError
from energyai.presets import PRESETS, day_ahead_horizon, preset_params
from energyai.training.budget import AUTO_BOUNDS, AUTO_PASSES, auto_steps
from energyai.windows import build_window_index
from tests.conftest import synthetic_hourly


def test_day_ahead_horizon_hand_worked() -> None:
    # issued 10:00 on D-1, hourly: steps 11:00 D-1 .. 23:00 D = 13 + 24 = 37
    assert day_ahead_horizon("10:00", "1h") == 37
    # quarter-hourly: 10:15 D-1 .. 23:45 D = 37 h 45 min = 151 steps
    assert day_ahead_horizon("10:00", "15min") == 151
    # issued at midnight for two days ahead: 00:00+1h .. 23:00 of D (D-2 00:00 origin) = 71
    assert day_ahead_horizon("00:00", "1h", days_ahead=2) == 71


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"issue_time": "25:00"}, "issue_time"),
    ({"issue_time": "10"}, "issue_time"),
    ({"issue_time": "10:30"}, "does not fall"),
    ({"freq": "1d"}, "sub-daily"),
    ({"days_ahead": 0}, "days_ahead"),
])
def test_day_ahead_load_bad_options(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ea.Forecaster.preset("day-ahead-load", **kwargs)


def test_unknown_preset_lists_names() -> None:
    with pytest.raises(ConfigError, match="day-ahead-load"):
        ea.Forecaster.preset("day-ahead-lod")


def test_preset_choices_are_parameters_and_overridable() -> None:
    m = ea.Forecaster.preset("day-ahead-load", country="KR", issue_time="10:00")
    p = m.get_params()
    assert (p["model"], p["horizon"], p["holidays"], p["origin_time"], p["max_steps"], p["preset_name"]) == \
        ("tide", 37, "KR", "10:00", "auto", "day-ahead-load")
    m2 = ea.Forecaster.preset("day-ahead-load", country="KR", context_length=336, hidden=64, max_steps=10)
    assert (m2.context_length, m2.model_config["hidden"], m2.max_steps) == (336, 64, 10)
    with pytest.raises(ConfigError):  # an unknown override fails at construction, not at fit
        ea.Forecaster.preset("day-ahead-load", hiden=64)


def test_dst_zone_gets_one_more_step() -> None:
    assert preset_params("day-ahead-load", tz="Europe/Berlin")["horizon"] == 38
    assert preset_params("day-ahead-load", tz="Asia/Seoul")["horizon"] == 37


def test_issue_seconds_and_config_check() -> None:
    assert issue_seconds("10:00") == 36000
    assert issue_seconds("23:59:59") == 86399
    for bad in ("1000", "10:60", "24:00", 10, None, "ab:cd"):
        with pytest.raises(ConfigError):
            issue_seconds(bad)
    for bad in (0, -1, "many", 1.5, True):
        with pytest.raises(ConfigError, match="max_steps"):
            TrainConfig(max_steps=bad).check()
    TrainConfig(max_steps="auto").check()


def test_auto_steps_bounds() -> None:
    lo, hi = AUTO_BOUNDS["cpu"]
    assert auto_steps(10, 128, gpu=False) == lo
    assert auto_steps(10_000_000, 128, gpu=False) == hi
    n = 3000
    assert auto_steps(n, 128, gpu=False) == int(np.ceil(AUTO_PASSES * n / 128))
    assert auto_steps(n, 128, gpu=False, world_size=2) == int(np.ceil(AUTO_PASSES * n / 256))
    assert auto_steps(10_000_000, 128, gpu=True) == AUTO_BOUNDS["gpu"][1]


def test_allowed_last_keeps_only_issue_time_windows() -> None:
    n, L, H = 24 * 10, 24, 37
    observed = np.ones(n, bool)
    hour = np.arange(n) % 24
    idx = build_window_index(np.array([0, n]), observed, L, H, allowed_last=hour == 10)
    starts, _ = idx.locate(np.arange(len(idx)))
    assert len(idx) > 0 and np.all((starts + L - 1) % 24 == 10)
    full = build_window_index(np.array([0, n]), observed, L, H)
    assert len(idx) == len([s for s in range(len(full)) if (s + L - 1) % 24 == 10])


def test_fit_with_issue_time_and_auto_budget() -> None:
    df = synthetic_hourly(n_days=40, tz="Asia/Seoul")
    schema = ea.Schema(timestamp="ts", target="load", tz="Asia/Seoul", freq="1h")
    m = ea.Forecaster.preset("day-ahead-load", country="KR", issue_time="10:00", hidden=16, context_length=48,
                             max_steps="auto", batch_size=16, early_stopping_patience=1, val_size=0.25,
                             ensemble=1, calibration=None, refit=False)  # one network: its own budget
    m.fit(df.select("ts", "load"), schema)
    days = 40
    assert m.history_["train_windows"] < days  # one window per day at most, not one per hour
    assert m.history_["budget"]["auto"] and m.history_["budget"]["max_steps"] == AUTO_BOUNDS["cpu"][0]
    assert m.history_["stopped_by"] in ("steps", "early_stopping")
    out = m.predict(df.select("ts", "load"))
    assert out.height == 37 and np.isfinite(out["forecast"].to_numpy()).all()


def test_issue_time_off_the_grid_is_refused() -> None:
    df = synthetic_hourly(n_days=20, tz="Asia/Seoul")
    schema = ea.Schema(timestamp="ts", target="load", tz="Asia/Seoul", freq="1h")
    m = ea.Forecaster("nhits", context_length=24, horizon=24, origin_time="10:30", max_steps=2)
    with pytest.raises(InsufficientDataError, match="origin_time"):
        m.fit(df.select("ts", "load"), schema)


def test_every_preset_is_documented() -> None:
    for name, p in PRESETS.items():
        assert p.name == name and p.summary and p.options
        params = preset_params(name)
        assert params["preset_name"] == name and params["max_steps"] == "auto"


def test_day_ahead_solar_choices() -> None:
    p = preset_params("day-ahead-solar", site=(35.15, 126.85), quantiles=(0.1, 0.5, 0.9))
    assert (p["scaler"], p["solar_site"], p["horizon"], p["origin_time"]) == ("capacity", (35.15, 126.85), 37, "10:00")
    assert 0 < p["context_dropout"] < 1
    with pytest.raises(ConfigError, match="solar_site"):
        ea.Forecaster.preset("day-ahead-solar", site=(135.0, 10.0))


def test_capacity_scaler_needs_a_capacity_and_scales_with_it() -> None:
    df = synthetic_hourly(n_days=20).select("ts", "load")
    schema = ea.Schema(timestamp="ts", target="load", tz="UTC", freq="1h")
    m = ea.Forecaster("nhits", context_length=24, horizon=12, scaler="capacity", max_steps=3)
    with pytest.raises(ConfigError, match="capacity"):
        m.fit(df, schema)
    m.fit(df, schema.with_(capacity=500.0))
    assert "capacity" in m.network_.reads()
    y = df["load"].to_numpy()[-24:].astype(np.float32)[None]
    utc = df["ts"].dt.epoch("s").to_numpy()
    span = (utc[-24:][None], np.concatenate([utc[-24:], utc[-1] + 3600 * np.arange(1, 13)])[None])
    a = m.predict_arrays(past_target=y, utc_time=span[1], capacity=np.full((1, 12), 500.0, np.float32))
    b = m.predict_arrays(past_target=2 * y, utc_time=span[1], capacity=np.full((1, 12), 1000.0, np.float32))
    # capacity factor in, capacity factor out: twice the plant, twice the forecast (float32 rounding)
    np.testing.assert_allclose(b, 2 * a, rtol=1e-5)


def test_context_dropout_hides_whole_contexts_in_training_only() -> None:
    from energyai.data.panel import build_panel
    from energyai.data.validate import resolve
    from energyai.training.data import WindowBatches

    df = synthetic_hourly(n_days=20).select("ts", "load")
    frame, schema = resolve(df, ea.Schema(timestamp="ts", target="load", tz="UTC", freq="1h"))
    panel = build_panel(frame, schema)
    idx = build_window_index(panel.offsets, panel.observed, 24, 12)
    train = WindowBatches(panel, idx, 24, 12, 400, n_batches=1, context_dropout=0.3, seed=1)
    b = train[0]
    hidden = (b.past_observed.sum(1) == 0).float().mean().item()
    assert 0.2 < hidden < 0.4  # 400 draws at 0.3
    assert ((b.past_observed.sum(1) == 0) | (b.past_observed.sum(1) == 24)).all()  # whole contexts only
    again = WindowBatches(panel, idx, 24, 12, 400, n_batches=1, context_dropout=0.3, seed=1)[0]
    assert (again.past_observed == b.past_observed).all()  # seeded
    val = WindowBatches(panel, idx, 24, 12, 400, shuffle=False, context_dropout=0.3)[0]
    assert (val.past_observed.sum(1) == 24).all()


def test_max_time_stops_training_and_says_so() -> None:
    df = synthetic_hourly(n_days=20).select("ts", "load")
    schema = ea.Schema(timestamp="ts", target="load", tz="UTC", freq="1h")
    m = ea.Forecaster("nhits", context_length=24, horizon=12, max_steps=100_000, max_time=1.0, val_size=0,
                      hidden=16)
    m.fit(df, schema)
    assert m.history_["stopped_by"] == "time"
    assert 0 < m.history_["steps"] < 100_000
    with pytest.raises(ConfigError, match="max_time"):
        ea.Forecaster("nhits", max_time=0).check()
