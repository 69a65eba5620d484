"""Shared fixtures. Synthetic frames here are for unit tests only and are named synthetic."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pytest

from tests.stop_on_sigterm import install as _stop_on_sigterm

SHARED = Path(os.environ.get("ENERGYAI_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "datasets"))


def pytest_configure(config: pytest.Config) -> None:
    """SIGTERM (from ``timeout``) ends the session instead of failing one test."""
    _stop_on_sigterm()


@pytest.fixture
def shared_data() -> Path:
    """The folder with the real datasets; the test skips when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"real datasets not found at {SHARED} (set ENERGYAI_DATA to run this test)")
    return SHARED


def synthetic_hourly(n_days: int = 28, n_series: int = 1, seed: int = 0, tz: str = "UTC"):
    """A synthetic hourly load frame: daily and weekly profile plus noise. For unit tests only."""
    import polars as pl

    rng = np.random.default_rng(seed)
    n = n_days * 24
    t0 = dt.datetime(2021, 3, 1)
    frames = []
    for s in range(n_series):
        h = np.arange(n)
        y = 100 + 20 * np.sin(2 * np.pi * h / 24) + 10 * (((h // 24) % 7) < 5) + rng.normal(0, 2, n) + 5 * s
        temp = 15 + 8 * np.sin(2 * np.pi * (h - 6) / 24) + rng.normal(0, 1, n)
        frames.append(pl.DataFrame({
            "site": [f"synthetic_{s}"] * n,
            "ts": pl.datetime_range(t0, t0 + dt.timedelta(hours=n - 1), "1h", eager=True, time_zone=tz),
            "load": y,
            "temp": temp,
        }))
    return pl.concat(frames)
