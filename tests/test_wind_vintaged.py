"""Wind features in the graph and weather runs matched to each training window's origin."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
import torch

import energyai as ea
from energyai.config import TrainConfig
from energyai.exceptions import ConfigError, OutOfRangeError
from energyai.nn.build import wind_spec
from energyai.nn.wind import GENERIC_CURVE, WindFeatures


def test_wind_features_hand_worked() -> None:
    # u = 3, v = 4 -> speed 5 m/s, direction (0.6, 0.8); the generic curve gives 0.08 at 5 m/s
    fut = torch.tensor([[[3.0, 4.0, 9.0], [0.0, 0.0, 9.0], [30.0, 0.0, 9.0]]])
    out = WindFeatures(u=0, v=1)(fut)[0]
    np.testing.assert_allclose(out[0].numpy(), [0.5, 0.6, 0.8, 0.08], rtol=1e-6)
    assert out[1, 0] == 0 and out[1, 3] == 0  # calm: no power, no NaN direction
    assert out[2, 3] == 0  # 30 m/s is above cut-out (25 m/s)
    by_speed = WindFeatures(speed=2)(fut)[0]
    np.testing.assert_allclose(by_speed[:, 0].numpy(), [0.9, 0.9, 0.9])
    # 9 m/s on the generic curve (tabulated point)
    assert abs(by_speed[0, 3].item() - dict(zip(*GENERIC_CURVE, strict=True))[9.0]) < 1e-6


def test_wind_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="wind_columns"):
        TrainConfig(wind_columns=("u", "v", "w")).check()
    with pytest.raises(ConfigError, match="power_curve"):
        TrainConfig(power_curve=((0.0, 5.0, 4.0), (0.0, 0.5, 1.0))).check()
    with pytest.raises(ConfigError, match="not future covariates"):
        wind_spec(("u", "v"), None, ("ws",))
    assert wind_spec(("ws",), None, ("t", "ws"))[:3] == (-1, -1, 1)
    with pytest.raises(ConfigError, match="future"):
        ea.Forecaster("dlinear", wind_columns=("u", "v")).check()


def _synthetic_wind(hours: int = 24 * 30, seed: int = 0):
    """Synthetic farm (for unit tests only): power follows the generic curve of the wind, and
    each run's forecast error grows with lead (runs every 12 h, leads 1..48)."""
    rng = np.random.default_rng(seed)
    t0 = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    ts = [t0 + dt.timedelta(hours=h) for h in range(hours)]
    speed = 8 + 4 * np.sin(np.arange(hours) / 17.0) + rng.normal(0, 1, hours).cumsum() * 0.05
    curve = np.interp(speed, *GENERIC_CURVE)
    rows = []
    for issue in range(0, hours, 12):
        for lead in range(1, 49):
            if issue + lead < hours:
                s = speed[issue + lead] + rng.normal(0, 0.05 * lead)
                rows.append((ts[issue], ts[issue + lead], s, s * 0.6, s * 0.8))
    runs = pl.DataFrame(rows, schema=["issue_time", "valid_time", "ws", "u", "v"], orient="row")
    power = pl.DataFrame({"timestamp": ts, "power": np.clip(curve + rng.normal(0, 0.02, hours), 0, 1)})
    return power, runs


def test_training_windows_read_the_run_available_at_their_origin() -> None:
    from energyai.data.vintages import Vintages

    power, table = _synthetic_wind()
    runs = Vintages(table, columns=("ws", "u", "v"))
    hist = runs.as_history(power["timestamp"])
    frame = power.with_columns([hist[c] for c in ("ws", "u", "v")]).drop_nulls()
    schema = ea.Schema(timestamp="timestamp", target="power", future_covariates=("ws", "u", "v"), freq="1h",
                       tz="UTC", capacity=1.0)
    m = ea.Forecaster.preset("day-ahead-wind", wind_columns=("u", "v"), tz="UTC", horizon=24, context_length=24,
                             origin_time=None, hidden=16, max_steps=3, ensemble=1, calibration=None, refit=False)
    m.fit(frame, schema, future=runs)
    from energyai.data.panel import build_panel
    from energyai.data.validate import resolve
    from energyai.training.data import make_batch
    from energyai.training.vintaged import horizon_vintages

    f, s = resolve(frame, schema)
    panel = build_panel(f, s)
    hv = horizon_vintages(panel, s, runs, 24, None)
    panel.vintaged = hv
    origin = 60  # the last context step; 60 h after the first row
    batch = make_batch(panel, np.array([origin - 23]), np.array([0]), 24, 24, as_tensors=False)
    utc0 = panel.utc.take(np.array([origin]))[0].astype("datetime64[s]").astype(object).replace(tzinfo=dt.UTC)
    want = runs.for_origins([utc0], 24, dt.timedelta(hours=1))
    np.testing.assert_allclose(batch.future_covariates[0, 24:, 0], want["ws"].to_numpy(), rtol=1e-6)
    # the run used was issued at or before the origin, and the context keeps the history columns
    assert (want["issue_time"] <= utc0).all()
    np.testing.assert_allclose(batch.future_covariates[0, :24, 0], panel.future[origin - 23:origin + 1, 0])
    with pytest.raises(ConfigError, match="Vintages"):
        m.fit(frame, schema, future=table)


def test_bad_weather_or_capacity_gives_a_typed_error_never_a_number() -> None:
    """NaN, inf or 1e30 in the NWP wind, or a NaN capacity, end in NonFiniteValueError (a forecast
    from them would be garbage that looks like a number)."""
    from energyai.exceptions import NonFiniteValueError

    power, _ = _synthetic_wind(hours=24 * 10)
    frame = power.with_columns(pl.lit(3.0).alias("u"), pl.lit(4.0).alias("v"))
    schema = ea.Schema(timestamp="timestamp", target="power", future_covariates=("u", "v"), freq="1h", tz="UTC",
                       capacity=1.0)
    m = ea.Forecaster.preset("day-ahead-wind", tz="UTC", horizon=12, context_length=24, origin_time=None,
                             hidden=8, max_steps=2, ensemble=1, calibration=None, refit=False)
    m.fit(frame, schema)
    y = frame["power"].to_numpy()[-24:].astype(np.float32)[None]
    t0 = int(frame["timestamp"].dt.epoch("s")[-24])
    utc = (t0 + 3600 * np.arange(36, dtype=np.int64))[None]
    good = np.full((1, 36, 2), 5.0, np.float32)
    cap = np.ones((1, 12), np.float32)
    assert np.isfinite(m.predict_arrays(past_target=y, future_covariates=good, utc_time=utc, capacity=cap)).all()
    for bad in (np.nan, np.inf, 1e30):
        fut = good.copy()
        fut[0, 30, 0] = bad
        if bad == 1e30:  # u = 1e30 overflows u*u in float32: refused before the graph (issue 14)
            fut[0, 30, 1] = 1e30
        with pytest.raises(OutOfRangeError if bad == 1e30 else NonFiniteValueError):
            m.predict_arrays(past_target=y, future_covariates=fut, utc_time=utc, capacity=cap)
    with pytest.raises(NonFiniteValueError):
        m.predict_arrays(past_target=y, future_covariates=good, utc_time=utc, capacity=np.full((1, 12), np.nan,
                                                                                                   np.float32))
