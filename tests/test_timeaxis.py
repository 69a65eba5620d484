"""TimeAxis (time columns as linear runs) returns exactly the array it was built from."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from energyai.data.timeaxis import TimeAxis


@st.composite
def piecewise(draw):
    parts, value = [], draw(st.integers(-10**12, 10**12))
    for _ in range(draw(st.integers(1, 6))):
        step = draw(st.sampled_from([0, 1, 3600, -7, 86400, 82800, 90000]))
        n = draw(st.integers(1, 40))
        parts.append(value + step * np.arange(n, dtype=np.int64))
        value = int(parts[-1][-1]) + draw(st.integers(-5000, 5000))
    return np.concatenate(parts)


@settings(max_examples=80, deadline=None)
@given(values=piecewise(), chunk=st.integers(1, 50), seed=st.integers(0, 1000), length=st.integers(1, 12))
def test_time_axis_is_exact(values, chunk, seed, length):
    rng = np.random.default_rng(seed)
    n = len(values)
    breaks = np.unique(rng.integers(0, n, 3))
    axis = TimeAxis.from_chunks(n, lambda lo, hi: values[lo:hi], np.int64, breaks, chunk=chunk)
    np.testing.assert_array_equal(np.asarray(axis), values)
    idx = rng.integers(0, n, (4, 5))
    np.testing.assert_array_equal(axis[idx], values[idx])
    np.testing.assert_array_equal(axis[3:n:2], values[3:n:2])
    assert set(breaks.tolist()) <= set(axis.start.tolist())
    if n >= length:
        starts = rng.integers(0, n - length + 1, 7)
        want = values[starts[:, None] + np.arange(length)]
        np.testing.assert_array_equal(axis.gather(starts, length), want)
    np.testing.assert_array_equal(np.concatenate(list(axis.chunks(7))), values)


def test_time_axis_datetime_across_dst_is_compact_and_exact():
    # two synthetic series of hourly local wall-clock seconds in Berlin over a year:
    # runs break only at the two DST changes and the series start
    utc = pl.datetime_range(pl.datetime(2024, 1, 1, time_zone="UTC"), pl.datetime(2024, 12, 31, 23, time_zone="UTC"),
                            "1h", eager=True)
    local = utc.dt.convert_time_zone("Europe/Berlin").dt.replace_time_zone(None).dt.epoch("s").to_numpy()
    values = np.concatenate([local, local + 7])
    axis = TimeAxis.from_array(values, breaks=np.array([0, len(local)]))
    np.testing.assert_array_equal(np.asarray(axis), values)
    assert len(axis.start) <= 12 and axis.nbytes < 1000
    stamps = utc.dt.replace_time_zone(None).to_numpy()
    ut = TimeAxis.from_array(stamps)
    assert ut.dtype == stamps.dtype and len(ut.start) == 1
    np.testing.assert_array_equal(ut[100:200], stamps[100:200])
    np.testing.assert_array_equal(ut.gather(np.array([0, 5000]), 30), stamps[np.array([0, 5000])[:, None] + np.arange(30)])
