"""The gradient-boosting reference in benchmarks/ must be honest: its lag features read only
values at or before the forecast origin, and the 99-level pinball score is the GEFCom one.
(LightGBM is not needed for these checks.)"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def gbm():
    sys.path.insert(0, str(BENCH))
    try:
        import gbm_reference
    finally:
        sys.path.remove(str(BENCH))
    return gbm_reference


def test_lags_never_read_past_the_origin(gbm) -> None:
    # y[i] = i + 1 (synthetic index series): every lag feature reveals the position it was read from
    n, H = 24 * 30, 37
    y = np.arange(1, n + 1, dtype=np.float64)
    utc = 1_600_000_000 - 1_600_000_000 % 86400 + 3600 * np.arange(n, dtype=np.int64)
    origins = np.arange(24 * 8 + 10, n - H, 24)
    rows = gbm.day_ahead_rows(y, utc, origins, H, 3600, "UTC", normalise="none", lead_first=14)
    origin_pos = (rows.origin_utc - utc[0]) // 3600
    checked = 0
    for k, name in enumerate(rows.names):
        if (name.startswith("lag_") and not name.endswith("_off")) or name in ("last", "mean_24h", "mean_7d"):
            v = rows.X[:, k]
            seen = np.isfinite(v)
            # a value read at position p is p + 1; a mean of positions <= origin is at most origin + 1
            assert np.all(v[seen] <= origin_pos[seen] + 1), name
            checked += 1
    assert checked == 10
    # the 1-day lag of a lead-25 target lies 1 h after the origin: it must be missing
    lead25 = rows.lead == 25
    assert lead25.any() and np.isnan(rows.X[lead25, rows.names.index("lag_1d")]).all()
    # ... and that of a lead-14 target lies 10 h before the origin: present and exact
    lead14 = rows.lead == 14
    lag1 = rows.X[lead14, rows.names.index("lag_1d")]
    np.testing.assert_array_equal(lag1, origin_pos[lead14] + 14 - 24 + 1)


def test_target_and_level(gbm) -> None:
    n, H = 24 * 20, 24
    y = 100.0 + np.arange(n, dtype=np.float64) % 24
    utc = 3600 * np.arange(n, dtype=np.int64)
    rows = gbm.day_ahead_rows(y, utc, np.array([24 * 10 - 1]), H, 3600, "UTC", normalise="level")
    # the level is the mean of the last 7 days up to the origin (exact: whole days of 100..123)
    np.testing.assert_allclose(rows.level, 111.5, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rows.y * rows.level, y[24 * 10:24 * 11], rtol=1e-12)


def test_pinball_99_hand_worked() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import presets
    finally:
        sys.path.remove(str(BENCH))
    # actual 1, every quantile 0: the loss at level tau is tau, and the mean of 0.01..0.99 is 0.5
    assert presets.pinball_99(np.zeros((3, 99)), np.ones(3)) == pytest.approx(0.5, abs=1e-12)
    # actual 0, every quantile 1: (1 - tau), mean again 0.5; a perfect forecast scores 0
    assert presets.pinball_99(np.ones((2, 99)), np.zeros(2)) == pytest.approx(0.5, abs=1e-12)
    assert presets.pinball_99(np.full((2, 99), 0.3), np.full(2, 0.3)) == 0.0
