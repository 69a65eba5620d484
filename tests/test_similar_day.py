"""The similar-day feature (``energyai.nn.similar_day``): hand-worked cases and its place in the network."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import energyai as ea
from energyai.nn.similar_day import SimilarDay, weekend
from tests.conftest import synthetic_hourly

DAY = 86400
MONDAY = 4 * DAY  # 1970-01-05 was a Monday


def _times(days: list[int], per_day: int = 2) -> torch.Tensor:
    step = DAY // per_day
    return torch.tensor([[MONDAY + d * DAY + k * step for d in days for k in range(per_day)]], dtype=torch.int64)


def test_weekend_hand_worked() -> None:
    lt = _times([0, 1, 2, 3, 4, 5, 6], per_day=1)
    assert weekend(lt).tolist() == [[False] * 5 + [True] * 2]


def test_holiday_takes_the_last_day_off_and_workday_the_last_workday() -> None:
    # context Mon, Tue, Sat (two steps a day), horizon Sun then Mon (a day off and a workday)
    lt = _times([0, 1, 5, 6, 7])
    z = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    out = SimilarDay()(z, torch.ones(1, 6), lt, weekend(lt))
    assert out.shape == (1, 10, 2)
    assert out[0, :6].abs().sum() == 0  # nothing over the context
    # Sunday 00:00 and 12:00 <- Saturday (5, 6); Monday 00:00 and 12:00 <- Tuesday (3, 4)
    assert out[0, 6:, 0].tolist() == [5.0, 6.0, 3.0, 4.0]
    assert out[0, 6:, 1].tolist() == [1.0] * 4


def test_unobserved_steps_are_skipped_and_none_found_is_flagged() -> None:
    lt = _times([0, 1, 5, 6])
    z = torch.tensor([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    observed = torch.tensor([[1.0, 1.0, 0.0, 1.0, 0.0, 0.0]])  # Tue 00:00 and the whole Saturday missing
    off = weekend(lt)
    out = SimilarDay()(z, observed, lt, off)
    # Sunday: no observed day off at all -> value 0, flag 0
    assert out[0, 6:, 0].tolist() == [0.0, 0.0] and out[0, 6:, 1].tolist() == [0.0, 0.0]
    # a Monday holiday marked off reads Saturday; with Saturday missing, nothing either
    off2 = off.clone()
    off2[0, 6:] = False  # treat the horizon as workdays: Tue 00:00 missing -> Mon 00:00 (1.0); 12:00 -> Tue (4.0)
    out2 = SimilarDay()(z, observed, lt, off2)
    assert out2[0, 6:, 0].tolist() == [1.0, 4.0]


@pytest.mark.slow
def test_network_with_similar_day_exports_and_matches() -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("holidays")
    df = synthetic_hourly(n_days=30, tz="Asia/Seoul").select("ts", "load")
    schema = ea.Schema(timestamp="ts", target="load", tz="Asia/Seoul", freq="1h")
    m = ea.Forecaster.preset("day-ahead-load", country="KR", similar_day=True, hidden=16, context_length=48,
                             max_steps=5, origin_time=None, ensemble=1, calibration=None, refit=False)
    m.fit(df, schema)
    assert m.network_.similar is not None and "local_time" in m.network_.reads()
    rep = m.export(m_path := __import__("pathlib").Path(__import__("tempfile").mkdtemp()) / "m.onnx")
    assert m_path.is_file() and rep is not None
    from energyai.runtime import OnnxForecaster

    ort = OnnxForecaster(m_path)
    utc = df["ts"].dt.convert_time_zone("UTC").dt.replace_time_zone(None).dt.epoch("s").to_numpy()
    y = df["load"].to_numpy().astype(np.float32)
    got = ort.predict_arrays(y[-48:], utc[-48:]).median.reshape(-1)
    want = m.predict(df)["forecast"].to_numpy()
    assert np.all(np.abs(got - want) <= 1e-5 * np.abs(y).max() + 1e-4 * np.abs(want))
