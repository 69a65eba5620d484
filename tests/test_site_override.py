"""Per-series PV sites: the ``site_override`` input, ``series_sites`` in training and
``localize(solar_site=)``. Reference: the network's own clear sky at the other site (a
model built there), so equality is exact (the same float32 operations)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

pytest.importorskip("torch")

import torch

import energyai as ea
from energyai.contract import Window, get
from energyai.exceptions import ConfigError
from energyai.forecaster import Forecaster
from energyai.nn.solar import SolarFeatures

GWANGJU, DENVER = (35.16, 126.85, 50.0), (39.74, -105.18, 1800.0)


def _utc(hours=48):
    t0 = int(dt.datetime(2021, 6, 1, tzinfo=dt.timezone.utc).timestamp())
    return torch.from_numpy(t0 + 3600 * np.arange(hours, dtype=np.int64))[None, :].repeat(2, 1)


def test_the_override_row_computes_that_site_and_nan_keeps_the_model_site():
    here, there = SolarFeatures(*GWANGJU, step=3600), SolarFeatures(*DENVER, step=3600)
    utc = _utc()
    override = torch.tensor([[np.nan] * 4, [*DENVER, 3.0]], dtype=torch.float32)
    got = here(utc, override)
    torch.testing.assert_close(got[0], here(utc)[0], rtol=0, atol=0)
    torch.testing.assert_close(got[1], there(utc)[1], rtol=0, atol=0)
    up = here.daylight(utc, override)
    assert torch.equal(up[1], there.daylight(utc)[1]) and not torch.equal(up[0], up[1])


def test_bad_override_values_are_config_errors():
    w = Window(target=np.zeros((1, 4), np.float32), utc=np.zeros((1, 6), np.int64),
               given={"site_override": np.array([[95.0, 0.0, 0.0, 3.0]], np.float32)})
    with pytest.raises(ConfigError, match="latitude"):
        get("site_override").make(w)
    w = Window(target=np.zeros((2, 4), np.float32), utc=np.zeros((2, 6), np.int64),
               given={"site_override": np.zeros((3, 4), np.float32)})
    with pytest.raises(ConfigError, match="shape"):
        get("site_override").make(w)


def _pv(n_days=20):
    """Synthetic PV power (named so): two plants, clear-sky shaped, for unit tests only."""
    t0 = dt.datetime(2021, 5, 1, tzinfo=dt.timezone.utc)
    frames = []
    for name, site in (("synthetic_gwangju", GWANGJU), ("synthetic_denver", DENVER)):
        utc = torch.from_numpy(int(t0.timestamp()) + 3600 * np.arange(24 * n_days, dtype=np.int64))[None, :]
        sky = SolarFeatures(*site, step=3600)(utc)[0, :, 0].numpy().astype(np.float64)
        frames.append(pl.DataFrame({"plant": name, "ts": pl.datetime_range(
            t0, t0 + dt.timedelta(hours=24 * n_days - 1), "1h", eager=True), "kw": 0.8 * sky}))
    return pl.concat(frames)


def test_series_sites_train_each_plant_at_its_own_site_and_localize_moves_the_model():
    df = _pv()
    schema = ea.Schema(timestamp="ts", target="kw", series_id="plant", freq="1h", tz="UTC", capacity=1.0)
    opts = dict(context_length=48, horizon=24, max_steps=4, batch_size=16, batches_per_epoch=2, hidden=16,
                val_size=0, solar_site=GWANGJU, scaler="capacity")
    model = Forecaster("tide", series_sites={"synthetic_denver": DENVER}, **opts).fit(df, schema)
    assert model.history_["steps"] == 4
    from energyai.data.panel import build_panel
    from energyai.data.validate import validate
    from energyai.training.data import make_batch
    from energyai.training.series_holidays import series_site_override

    panel = build_panel(validate(df, schema), schema)
    panel.site_override = series_site_override(panel, {"synthetic_denver": DENVER}, 3.0)
    denver = panel.series_ids.index("synthetic_denver")
    batch = make_batch(panel, np.array([panel.offsets[denver], 0]), np.array([denver, 1 - denver]), 48, 24,
                       names=tuple(model.network_.reads()))
    np.testing.assert_array_equal(batch.site_override.numpy()[0], np.array([*DENVER, 3.0], np.float32))
    assert np.isnan(batch.site_override.numpy()[1]).all()
    moved = model.localize(solar_site=DENVER)
    assert moved.network_.solar.site.tolist()[:3] == pytest.approx(list(DENVER), abs=1e-3)
    assert model.network_.solar.site.tolist()[:3] == pytest.approx(list(GWANGJU), abs=1e-3)
    hist = df.filter(pl.col("plant") == "synthetic_denver").head(24 * 10)
    night = moved.predict(hist)  # Denver's night hours are zero in the moved model
    up = SolarFeatures(*DENVER, step=3600).daylight(torch.from_numpy(
        night["ts"].dt.epoch("s").to_numpy().copy())[None, :])[0].numpy()
    assert (night["forecast"].to_numpy()[~up] == 0).all()
    with pytest.raises(ConfigError, match="solar_site"):
        Forecaster("tide", series_sites={"synthetic_denver": DENVER}, **{**opts, "solar_site": None}).check()
    with pytest.raises(ConfigError, match="does not have"):
        Forecaster("tide", series_sites={"nowhere": DENVER}, **opts).fit(df, schema)
    # fine-tuning at another plant keeps that plant's site, not the base's
    tuned = Forecaster("tide", **{**opts, "solar_site": DENVER}).fit(
        df.filter(pl.col("plant") == "synthetic_denver"), schema, init_from=model)
    assert tuned.network_.solar.site.tolist()[:3] == pytest.approx(list(DENVER), abs=1e-3)
