"""Window indexing (numpy) and panel building (polars): checked against brute force."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import energyai as ea
from energyai.data.panel import build_panel
from energyai.exceptions import DataError, InsufficientDataError
from energyai.windows import build_window_index, gather, valid_starts_mask
from tests.conftest import synthetic_hourly


def _brute(offsets, observed, bad, context, horizon, stride):
    starts = []
    for s in range(len(offsets) - 1):
        lo, hi = offsets[s], offsets[s + 1]
        for t in range(0, hi - lo - context - horizon + 1):
            w = slice(lo + t, lo + t + context + horizon)
            if (observed[lo + t:lo + t + context].any() and observed[lo + t + context:lo + t + context + horizon].any()
                    and not bad[w].any()):
                starts.append((lo + t, s))
    # stride applies to positions within a series
    return [(g, s) for g, s in starts if (g - offsets[s]) % stride == 0]


@settings(max_examples=60, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=4),
    context=st.integers(1, 6),
    horizon=st.integers(1, 5),
    stride=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_window_index_matches_brute_force(lengths, context, horizon, stride, seed):
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n = int(offsets[-1])
    observed = rng.random(n) > 0.2
    bad = rng.random(n) > 0.9
    index = build_window_index(offsets, observed, context, horizon, bad=bad, stride=stride)
    got = list(zip(*(a.tolist() for a in index.locate(np.arange(len(index)))), strict=True)) if len(index) else []
    assert got == _brute(offsets, observed, bad, context, horizon, stride)
    # memory is O(runs), not O(windows)
    assert index.run_start.size <= max(len(got), 1)


def test_window_index_origin_bounds_split_train_and_validation():
    offsets = np.array([0, 100])
    observed = np.ones(100, bool)
    train = build_window_index(offsets, observed, 10, 5, last_origin=np.array([80 - 5]))
    val = build_window_index(offsets, observed, 10, 5, first_origin=np.array([80]))
    t_start, _ = train.locate(np.arange(len(train)))
    v_start, _ = val.locate(np.arange(len(val)))
    assert (t_start + 10 + 5 <= 80).all()  # training targets end before validation starts
    assert (v_start + 10 >= 80).all() and v_start.max() == 100 - 15
    assert len(train) == 66 and len(val) == 16  # origins 15..80 and 80..95


def test_valid_starts_needs_observed_context_and_horizon():
    observed = np.array([0, 0, 0, 1, 1, 0, 0, 0], bool)
    mask = valid_starts_mask(observed, None, 2, 2)
    # start t: context [t, t+2), horizon [t+2, t+4)
    assert mask.tolist() == [False, False, True, False, False]


def test_gather_copies_only_the_batch_and_rejects_overruns():
    values = np.arange(20.0)
    out = gather(values, np.array([0, 5]), 3)
    assert out.tolist() == [[0, 1, 2], [5, 6, 7]]
    with pytest.raises(InsufficientDataError):
        gather(values, np.array([19]), 3)


def test_panel_keeps_gaps_masked_and_never_fills_them():
    df = synthetic_hourly(5, 2, seed=1, tz="Asia/Seoul")
    ts = df["ts"].sort().unique()
    holes = ts[10:14]
    df = df.filter(~((pl.col("site") == "synthetic_0") & pl.col("ts").is_in(holes.implode())))
    df = df.with_columns(pl.when(pl.col("ts") == ts[30]).then(None).otherwise(pl.col("load")).alias("load"))
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"], freq="1h")
    panel = build_panel(ea.validate(df, schema), schema)
    assert panel.n_series == 2 and panel.lengths.tolist() == [120, 120]
    obs0 = panel.observed[:120]
    assert not obs0[10:14].any() and not obs0[30] and obs0.sum() == 120 - 5
    assert np.isnan(panel.future[10:14, 0]).all()  # covariates of missing rows stay missing
    assert (panel.target[~panel.observed] == 0).all()
    # local time is wall clock: its seconds-of-day give the local hour
    first = ea.validate(df, schema)["ts"][0]
    assert panel.local_time[0] % 86400 == first.hour * 3600 + first.minute * 60
    assert len(panel.sha256()) == 64


def test_panel_series_weights_checked():
    df = synthetic_hourly(3, 2, seed=1)
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h")
    frame = ea.validate(df, schema)
    panel = build_panel(frame, schema, {"synthetic_1": 2.0})
    assert panel.weights.tolist() == [1.0, 2.0]
    with pytest.raises(DataError, match="unknown series"):
        build_panel(frame, schema, {"nope": 1.0})
