"""The fast data path (sorted-input shortcut, no-gap regularisation, chunked scaler
statistics, row-wise NaN test) must give exactly what the general path gives."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import energyai as ea
from energyai.data.panel import build_panel
from energyai.data.regularize import regularize
from energyai.data.validate import infer_freq, strictly_sorted
from energyai.nn.scaling import FeatureScaler


def _synthetic_panel(seed: int, n_series: int, n: int, drop: float, string_ids: bool) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(n_series), n)
    ts = np.tile(np.datetime64("2024-03-30T00:00") + np.arange(n).astype("timedelta64[h]"), n_series)
    y = rng.normal(10, 2, n_series * n)
    cov = rng.normal(size=(n_series * n, 2))
    cov[rng.random(cov.shape) < 0.05] = np.nan
    frame = pl.DataFrame({
        "sid": [f"synthetic_{i}" for i in ids] if string_ids else ids,
        "ts": ts.astype("datetime64[us]"), "y": y, "a": cov[:, 0], "b": cov[:, 1],
    }).with_columns(pl.col("ts").dt.replace_time_zone("UTC"), pl.col("a", "b").fill_nan(None))
    keep = rng.random(frame.height) >= drop
    keep[::n] = True  # every series keeps its first row
    return frame.filter(pl.Series(keep))


def _reference_regular(frame: pl.DataFrame, schema: ea.Schema) -> pl.DataFrame:
    """The grid built by brute force in Python, then joined (the general path's job)."""
    rows = []
    for (sid,), g in frame.sort("sid", "ts").group_by(["sid"], maintain_order=True):
        t = g["ts"].min()
        while t <= g["ts"].max():
            rows.append((sid, t))
            t = t + np.timedelta64(1, "h").item()
    grid = pl.DataFrame(rows, schema={"sid": frame.schema["sid"], "ts": frame.schema["ts"]}, orient="row")
    out = grid.join(frame, on=["sid", "ts"], how="left", maintain_order="left")
    return out.with_columns(pl.col("y").is_not_null().alias("observed"))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_series=st.integers(1, 4), n=st.integers(2, 60),
       drop=st.sampled_from([0.0, 0.0, 0.2]), shuffle=st.booleans(), string_ids=st.booleans())
def test_validate_and_regularize_match_brute_force(seed, n_series, n, drop, shuffle, string_ids):
    frame = _synthetic_panel(seed, n_series, n, drop, string_ids)
    given_frame = frame.sample(fraction=1.0, shuffle=True, seed=seed) if shuffle else frame
    schema = ea.Schema(series_id="sid", timestamp="ts", target="y", past_covariates=["a", "b"], freq="1h",
                       nonnegative=False)
    valid = ea.validate(given_frame, schema)
    assert valid.equals(frame.sort("sid", "ts"))  # sorted, nothing else changed
    got = regularize(valid, schema)
    want = _reference_regular(frame, schema)
    assert got.select(want.columns).equals(want)


def test_strictly_sorted_detects_order_ties_and_series_boundaries():
    ts = (np.datetime64("2024-01-01T00:00") + np.arange(3).astype("timedelta64[h]")).astype("datetime64[us]")
    frame = pl.DataFrame({"sid": ["a", "a", "a", "b", "b", "b"], "ts": np.tile(ts, 2), "y": np.arange(6.0)})
    schema = ea.Schema(series_id="sid", timestamp="ts", target="y")
    assert strictly_sorted(frame, schema)
    assert not strictly_sorted(frame.reverse(), schema)
    tie = frame.with_columns(pl.Series("ts", np.r_[ts[:2], ts[1], ts]))  # a repeated hour in series "a"
    assert not strictly_sorted(tie, schema)
    swapped = frame.with_columns(pl.Series("sid", ["b", "b", "b", "a", "a", "a"]))  # ids out of order
    assert not strictly_sorted(swapped, schema)


def test_infer_freq_most_common_step_and_first_seen_tie():
    base = np.datetime64("2024-01-01T00:00")
    # steps: 1 h, 2 h, 1 h, 2 h -> a tie; the step seen first (1 h) wins, as before
    ts = base + np.array([0, 1, 3, 4, 6]).astype("timedelta64[h]")
    frame = pl.DataFrame({"ts": ts.astype("datetime64[us]"), "y": np.arange(5.0)}).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC"))
    assert infer_freq(frame, ea.Schema(timestamp="ts", target="y")).seconds == 3600
    # 15-min data with one missing step
    ts = base + (15 * np.array([0, 1, 2, 4, 5])).astype("timedelta64[m]")
    frame = frame.with_columns(pl.Series("ts", ts.astype("datetime64[us]")).dt.replace_time_zone("UTC"))
    assert infer_freq(frame, ea.Schema(timestamp="ts", target="y")).seconds == 900


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), c=st.integers(1, 4), chunk=st.integers(1, 64),
       nan_rate=st.sampled_from([0.0, 0.1, 0.9]), use_rows=st.booleans())
def test_chunked_scaler_statistics_match_numpy(seed, n, c, chunk, nan_rate, use_rows):
    rng = np.random.default_rng(seed)
    x = (rng.normal(3, 5, (n, c)) * rng.choice([1e-3, 1.0, 1e3], c)).astype(np.float32)
    x[rng.random(x.shape) < nan_rate] = np.nan
    rows = rng.random(n) < 0.7 if use_rows else None
    sel = x if rows is None else x[rows]
    got = FeatureScaler(c).fit(x, rows=rows, chunk=chunk)
    ref = FeatureScaler(c).fit(torch.from_numpy(sel), chunk=1 << 20)  # one chunk: the plain two-moment formula
    with warnings.catch_warnings():  # all-NaN columns: numpy warns, the scaler falls back to 0 and 1
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.where(np.isfinite(sel).any(0), np.nanmean(sel.astype(np.float64), 0), 0.0)
        std = np.where(np.isfinite(sel).any(0), np.nanstd(sel.astype(np.float64), 0), 1.0)
    std = np.where(std > 1e-8, std, 1.0)
    # tolerance: float32 storage of float64 statistics (2^-23 relative) plus the merge's
    # rounding, relative to the column's spread
    scale = np.maximum(std, np.abs(mean))
    np.testing.assert_allclose(got.mean.numpy(), mean, rtol=0, atol=float(scale.max()) * 1e-6)
    np.testing.assert_allclose(got.std.numpy(), std, rtol=1e-5)
    np.testing.assert_allclose(got.mean.numpy(), ref.mean.numpy(), rtol=0, atol=float(scale.max()) * 1e-6)


def test_missing_covariates_is_any_nan_per_row():
    frame = _synthetic_panel(3, 3, 50, 0.1, False)
    schema = ea.Schema(series_id="sid", timestamp="ts", target="y", past_covariates=["a"], future_covariates=["b"],
                       freq="1h", nonnegative=False)
    panel = build_panel(ea.validate(frame, schema), schema)
    want = np.isnan(panel.past).any(axis=1) | np.isnan(panel.future).any(axis=1)
    assert want.any() and not want.all()
    np.testing.assert_array_equal(panel.missing_covariates(), want)
    # target: 0 where missing, never filled with anything else
    assert (panel.target[~panel.observed] == 0).all()
