"""The clear-sky-index output of a PV network, the per-plant guard of a PV base, and smart
persistence.

References: the network's own solar features (exact: the same float32 operations), and
hand-worked arithmetic for smart persistence (tolerance 1e-9 relative: float64 products).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

pytest.importorskip("torch")

import torch

import energyai as ea
from energyai.baselines import SmartPersistence
from energyai.baselines.solar import interval_clearsky
from energyai.exceptions import ConfigError, InsufficientDataError
from energyai.forecaster import Forecaster
from energyai.nn.solar import SolarFeatures

SITE = (35.16, 126.85, 50.0)  # Gwangju


def _synthetic_pv(days=12, index=0.7):
    """Synthetic PV (named so; unit tests only): a constant clear-sky index times the clear sky."""
    t0 = dt.datetime(2021, 5, 1, tzinfo=dt.timezone.utc)
    ts = pl.datetime_range(t0, t0 + dt.timedelta(hours=24 * days - 1), "1h", eager=True)
    sky = interval_clearsky(ts.dt.replace_time_zone(None).to_numpy(), SITE, 3600, 3.0)
    return pl.DataFrame({"ts": ts, "kw": index * sky / 1000.0}), sky


SCHEMA = ea.Schema(timestamp="ts", target="kw", freq="1h", tz="UTC", capacity=1.0)
OPTS = dict(context_length=48, horizon=24, max_steps=3, batch_size=16, batches_per_epoch=2, hidden=16, val_size=0,
            solar_site=SITE, scaler="capacity", calendar=False)


class _Half(torch.nn.Module):
    """A core that answers a clear-sky index of 0.5 for every step and level."""

    def __init__(self, horizon, levels):
        super().__init__()
        self.shape = (horizon, levels)

    def forward(self, z, *_):
        return torch.full((z.shape[0], *self.shape), 0.5)


def test_the_output_is_the_index_times_the_sites_clear_sky():
    df, _ = _synthetic_pv()
    model = Forecaster("tide", clearsky_index=True, **OPTS).fit(df, SCHEMA)
    net = model.network_
    assert net.clearsky_index
    net.core = _Half(24, len(model.levels_))
    fc = model.predict(df.head(24 * 5))
    utc = torch.from_numpy(fc["ts"].dt.epoch("s").to_numpy().copy())[None, :]
    sky = SolarFeatures(*SITE, 3.0, step=3600)(utc)[0, :, 0].numpy()
    np.testing.assert_allclose(fc["q0.5"].to_numpy(), 0.5 * sky, rtol=1e-6, atol=1e-7)
    assert (fc["q0.5"].to_numpy()[sky == 0] == 0).all()


@pytest.mark.slow
def test_clearsky_index_exports_and_the_runtime_matches(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from energyai.runtime import OnnxForecaster

    df, _ = _synthetic_pv()
    model = Forecaster("tide", clearsky_index=True, **{**OPTS, "max_steps": 10}).fit(df, SCHEMA)
    hist = df.head(24 * 6)
    fc = model.predict(hist)
    report = model.export(tmp_path / "pv.onnx")
    assert report.parity.checks["batch64"]["max_err_over_limit"] <= 1.0
    tail = hist.tail(48)
    out = OnnxForecaster(tmp_path / "pv.onnx").predict_arrays(tail["kw"].to_numpy(), tail["ts"].dt.epoch("s")
                                                                .to_numpy())
    # tolerance: the parity gate's (rtol 1e-4, atol 1e-5 x output scale)
    scale = float(np.abs(fc["q0.5"].to_numpy()).max())
    np.testing.assert_allclose(out.quantile(0.5)[0], fc["q0.5"].to_numpy(), rtol=1e-4, atol=1e-5 * scale)
    assert model.get_params()["clearsky_index"] is True
    assert ea.Forecaster.load(model.save(tmp_path / "saved")).network_.clearsky_index


@pytest.mark.parametrize("bad", [{"solar_site": None}, {"scaler": "revin"}, {"affine": True}])
def test_clearsky_index_needs_a_site_the_capacity_scaler_and_no_affine(bad):
    with pytest.raises(ConfigError, match="clearsky_index"):
        Forecaster("tide", clearsky_index=True, **{**OPTS, **bad}).check()


def test_fine_tuning_refuses_to_change_the_output_meaning():
    df, _ = _synthetic_pv()
    base = Forecaster("tide", clearsky_index=True, **OPTS).fit(df, SCHEMA)
    with pytest.raises(ConfigError, match="clearsky_index: True vs False"):
        Forecaster("tide", **OPTS).fit(df, SCHEMA, init_from=base)


def test_a_per_plant_base_refuses_to_forecast_or_export_until_given_a_site(tmp_path):
    df, _ = _synthetic_pv()
    base = Forecaster("tide", clearsky_index=True, **OPTS).fit(df, SCHEMA)
    base.manifest_["site"] = "per-plant"
    for call in (lambda: base.predict(df.head(48)), lambda: base.export(tmp_path / "x.onnx")):
        with pytest.raises(ConfigError, match="give the plant's site"):
            call()
    here = base.localize(solar_site=(37.5, 127.0, 40.0))
    assert here.manifest_["site"] == "localized" and base.manifest_["site"] == "per-plant"
    assert here.predict(df.head(48)).height == 24
    with pytest.raises(ConfigError, match="solar_site"):
        base.localize(solar_site=(95.0, 0.0))


# ------------------------------------------------------------------ smart persistence
def test_smart_persistence_carries_yesterdays_index_onto_todays_sun():
    df, sky = _synthetic_pv(days=10, index=0.6)
    # a cloudy last day: index 0.3 at every step of it
    y = df["kw"].to_numpy().copy()
    y[-24:] = 0.3 * sky[-24:] / 1000.0
    df = df.with_columns(pl.Series("kw", y))
    m = SmartPersistence(24, SITE).fit(df, SCHEMA.with_(capacity=None))
    fc = m.predict(df)
    t = fc["ts"].dt.replace_time_zone(None).to_numpy()
    today = interval_clearsky(t, SITE, 3600, 3.0)
    want = np.where(sky[-24:] >= 10.0, y[-24:] * today / np.where(sky[-24:] > 0, sky[-24:], 1.0), y[-24:])
    want = np.where(today > 0, want, 0.0)
    # hand-worked rule: y(t - 1 day) x G_cs(t) / G_cs(t - 1 day); float64 products
    np.testing.assert_allclose(fc["forecast"].to_numpy(), want, rtol=1e-9, atol=1e-12)
    assert (fc["q0.1"].to_numpy() <= fc["q0.9"].to_numpy()).all() and (fc["q0.1"].to_numpy() >= 0).all()


def test_smart_persistence_looks_a_day_further_back_over_a_gap_never_interpolates():
    df, sky = _synthetic_pv(days=10, index=0.6)
    y = df["kw"].to_numpy().copy()
    y[-24:] = np.nan  # the last day is missing: the day before it is used
    y[-48:-24] = 0.2 * sky[-48:-24] / 1000.0
    df = df.with_columns(pl.Series("kw", y).fill_nan(None))
    fc = SmartPersistence(24, SITE).fit(df.head(24 * 8), SCHEMA).predict(df)
    today = interval_clearsky(fc["ts"].dt.replace_time_zone(None).to_numpy(), SITE, 3600, 3.0)
    day = today > 50
    np.testing.assert_allclose(fc["forecast"].to_numpy()[day], 0.2 * today[day] / 1000.0, rtol=1e-3)
    df_all_missing = df.with_columns(pl.Series("kw", np.r_[y[:-24 * 7], np.full(24 * 7, np.nan)]).fill_nan(None))
    with pytest.raises(InsufficientDataError, match="no observed value for lead"):
        SmartPersistence(24, SITE).fit(df.head(24 * 8), SCHEMA).predict(df_all_missing)


@pytest.mark.parametrize("kw, match", [({"site": (91.0, 0.0)}, "site"), ({"site": "Gwangju"}, "site"),
                                       ({"linke_turbidity": 0}, "linke_turbidity"),
                                       ({"min_clearsky": -1.0}, "min_clearsky"), ({"horizon": 25}, "at most one day")])
def test_smart_persistence_refuses_bad_parameters(kw, match):
    df, _ = _synthetic_pv(days=4)
    args = {"horizon": 24, "site": SITE, **kw}
    with pytest.raises(ConfigError, match=match):
        SmartPersistence(**args).fit(df, SCHEMA)


def test_smart_persistence_needs_daylight_history():
    df, _ = _synthetic_pv(days=1)
    with pytest.raises(InsufficientDataError, match="daylight steps"):
        SmartPersistence(24, SITE).fit(df, SCHEMA)
