"""Training from a polars LazyFrame, one column at a time, equals training from the frame."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import energyai as ea
from energyai.data.lazy import panel_from_lazy
from energyai.data.panel import build_panel
from energyai.data.validate import resolve
from energyai.exceptions import ColumnTypeError, MissingColumnError, NonFiniteValueError


def _synthetic_frame(seed: int = 0, n_series: int = 3, n: int = 80, drop: float = 0.0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ts = np.datetime64("2024-01-01T00:00") + np.arange(n).astype("timedelta64[h]")
    frame = pl.DataFrame({
        "sid": np.repeat([f"synthetic_{i}" for i in range(n_series)], n),
        "ts": np.tile(ts.astype("datetime64[us]"), n_series),
        "y": rng.normal(5, 1, n_series * n),
        "a": rng.normal(size=n_series * n),
        "b": rng.integers(0, 3, n_series * n),  # integer covariate: cast like the frame path
        "f": rng.normal(size=n_series * n),
        "st": np.repeat(np.arange(n_series, dtype=np.float64), n),
    }).with_columns(pl.col("ts").dt.replace_time_zone("UTC"),
                    pl.when(pl.int_range(pl.len()) % 17 == 3).then(None).otherwise(pl.col("a")).alias("a"))
    if drop:
        keep = rng.random(frame.height) >= drop
        keep[::n] = True
        frame = frame.filter(pl.Series(keep))
    return frame


SCHEMA = ea.Schema(series_id="sid", timestamp="ts", target="y", past_covariates=["a", "b"], future_covariates=["f"],
                   static_covariates=["st"], freq="1h", nonnegative=False)


def _assert_same_panel(got, want):
    for name in ("target", "observed", "past", "future", "static", "local_time", "utc", "offsets", "weights"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert got.series_ids == want.series_ids


@pytest.mark.parametrize("drop", [0.0, 0.15])
def test_lazy_panel_equals_frame_panel(drop):
    frame = _synthetic_frame(drop=drop)
    want_frame, want_schema = resolve(frame, SCHEMA)
    want = build_panel(want_frame, want_schema, {"synthetic_1": 2.0})
    got, schema, rows = panel_from_lazy(frame.lazy(), SCHEMA, {"synthetic_1": 2.0})
    _assert_same_panel(got, want)
    assert schema == want_schema and rows == frame.height
    if drop:
        assert (~got.observed).any() and np.isnan(got.past[~got.observed]).all()  # gaps stay missing


def test_lazy_panel_unsorted_or_unstable_order_falls_back_correctly():
    frame = _synthetic_frame(drop=0.1)
    want_frame, want_schema = resolve(frame, SCHEMA)
    want = build_panel(want_frame, want_schema)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=1)
    got, _, _ = panel_from_lazy(shuffled.lazy(), SCHEMA)
    _assert_same_panel(got, want)
    # a plan whose first collection is in order and whose later ones are not: the
    # per-column key check must notice and fall back to one collection
    calls: list[int] = []

    def reorder(d: pl.DataFrame) -> pl.DataFrame:
        calls.append(1)
        return d if len(calls) == 1 else d.sample(fraction=1.0, shuffle=True, seed=len(calls))

    unstable = frame.lazy().map_batches(reorder)
    got, _, _ = panel_from_lazy(unstable, SCHEMA)
    _assert_same_panel(got, want)
    assert len(calls) >= 3  # core, the first covariate (mismatch), the fallback


def test_lazy_panel_errors_name_the_column():
    frame = _synthetic_frame()
    with pytest.raises(MissingColumnError, match="'f'"):
        panel_from_lazy(frame.drop("f").lazy(), SCHEMA)
    bad = frame.with_columns(pl.when(pl.int_range(pl.len()) == 5).then(float("nan")).otherwise(pl.col("f")).alias("f"))
    with pytest.raises(NonFiniteValueError, match=r"'f'.*sid='synthetic_0'"):
        panel_from_lazy(bad.lazy(), SCHEMA)
    text = frame.with_columns(pl.col("a").cast(pl.String))
    with pytest.raises(ColumnTypeError, match="'a'"):
        panel_from_lazy(text.lazy(), SCHEMA)


def test_fit_from_lazyframe_equals_fit_from_frame():
    pytest.importorskip("torch")
    from energyai.forecaster import Forecaster

    frame = _synthetic_frame(n=150).with_columns(pl.col("a").fill_null(0.0))  # windows need complete covariates
    schema = SCHEMA.with_(future_covariates=(), static_covariates=())
    kw = dict(context_length=24, horizon=6, max_steps=3, batch_size=16, val_size=0, seed=0, hidden=16, calendar=False)
    a = Forecaster("nhits", **kw).fit(frame, schema)
    b = Forecaster("nhits", **kw).fit(frame.lazy(), schema)
    for (ka, va), (kb, vb) in zip(a.network_.state_dict().items(), b.network_.state_dict().items(), strict=True):
        assert ka == kb
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=ka)
    assert a.manifest_["data_sha256"] == b.manifest_["data_sha256"]
    assert a.manifest_["data_rows"] == b.manifest_["data_rows"] == frame.height
