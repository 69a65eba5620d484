"""The torch-free runtime on the shipped model file (models/gb-demand-dlinear).

These tests need numpy, onnxruntime and pytest only: CI also runs them in a virtual
environment made with ``pip install ".[runtime]" pytest`` (no torch, polars or pandas).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from energyai import exceptions as ex
from energyai.runtime import OnnxForecaster, StreamingForecaster, fallback_forecast, read_metadata
from energyai.timeutil import future_seconds, local_seconds, to_utc_seconds

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "gb-demand-dlinear" / "model.onnx"
MODEL_INT8 = ROOT / "models" / "gb-demand-dlinear" / "model.int8.onnx"
RECENT = ROOT / "models" / "gb-demand-dlinear" / "recent.csv"
HALF_HOUR = 1800


@pytest.fixture(scope="module")
def model() -> OnnxForecaster:
    return OnnxForecaster(MODEL, threads=1)


@pytest.fixture(scope="module")
def recent() -> tuple[np.ndarray, np.ndarray]:
    """The shipped real input: 336 half-hours of England and Wales demand (MW)."""
    with RECENT.open() as fh:
        rows = list(csv.DictReader(fh))
    t = to_utc_seconds(np.array([r["timestamp"] for r in rows], dtype=object), "Europe/London")
    y = np.array([float(r["demand_mw"]) for r in rows], np.float32)
    return y, t


def test_import_pulls_no_heavy_library():
    code = ("import sys, energyai.runtime, energyai.cli.main; "
            "bad = [m for m in ('torch', 'lightning', 'polars', 'pandas') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_metadata_describes_the_file(model):
    info = model.info
    assert (info.model, info.context_length, info.horizon, info.freq_seconds) == ("dlinear", 336, 48, 1800)
    assert info.tz == "Europe/London" and info.target == "demand_mw"
    assert info.quantiles == (0.1, 0.5, 0.9) and info.quantiles[info.median_index] == 0.5
    assert [i["name"] for i in info.inputs] == ["past_target"]
    assert info.inputs[0]["units"] == "MW" and info.inputs[0]["nan_allowed"]
    assert info.calibration is None  # written before calibration existed, and not calibrated
    assert len(info.data_sha256) == 64 and info.created
    assert set(info.parity["checks"]) == {"batch1", "batch7", "batch64", "nan_window", "flat_window"}
    assert read_metadata(str(MODEL)).raw == info.raw
    assert "dlinear" in info.summary()


def test_forecast_from_real_input(model, recent):
    y, t = recent
    fc = model.predict_arrays(y, t)
    assert fc.values.shape == (1, 48, 3) and fc.values.dtype == np.float32
    assert (np.diff(fc.values, axis=-1) >= 0).all() and (fc.values >= 0).all()
    # the next 48 half-hours after the last input (2000-08-13 23:30 BST = 22:30 UTC)
    assert fc.timestamps[0, 0] == np.datetime64("2000-08-13T23:00:00")
    assert (np.diff(fc.timestamps[0].astype(np.int64)) == HALF_HOUR).all()
    # a day-ahead demand forecast in the range of the inputs (sanity, not accuracy)
    assert 0.7 * y.min() < fc.median.min() and fc.median.max() < 1.3 * y.max()
    assert not fc.fallback.any() and fc.method == ["model"]


def test_float64_is_cast_and_dict_input_matches(model, recent):
    y, t = recent
    a = model.predict_arrays(y, t)
    b = model.predict_arrays(y.astype(np.float64), t.astype("datetime64[s]"))
    c = model.predict({"timestamp": t.astype("datetime64[s]"), "demand_mw": y})
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.values, c.values)


def test_lean_checks_give_what_the_general_path_gives(model, recent):
    """A clean float32/int64 window takes the lean checks; the same values by the general path are identical."""
    y, t = recent
    assert model._clean_context(y, t) is not None
    lean = model.make_feeds(y, t)
    general = model.make_feeds(y.astype(np.float64), t.tolist())  # other dtypes: the general path
    assert model._clean_context(y.astype(np.float64), t) is None
    np.testing.assert_array_equal(lean[0]["past_target"], general[0]["past_target"])
    np.testing.assert_array_equal(lean[1], general[1])
    for bad_y, bad_t in ((np.where(np.arange(336) == 5, np.nan, y).astype(np.float32), t),  # missing value
                         (np.where(np.arange(336) == 5, -1.0, y).astype(np.float32), t),  # negative load
                         (y, np.where(np.arange(336) >= 100, t + HALF_HOUR, t))):  # a gap in time
        assert model._clean_context(bad_y, bad_t) is None  # left to the general path, which reports it
    with pytest.raises(ex.IrregularTimestampError):
        model.predict_arrays(y, np.where(np.arange(336) >= 100, t + HALF_HOUR, t))
    with pytest.raises(ex.NegativeValueError):
        model.predict_arrays(np.where(np.arange(336) == 5, -1.0, y).astype(np.float32), t)


def test_longer_history_uses_the_last_context(model, recent):
    y, t = recent
    longer_y = np.concatenate([np.full(10, 99999.0, np.float32), y])
    longer_t = np.concatenate([t[0] - HALF_HOUR * np.arange(10, 0, -1), t])
    np.testing.assert_array_equal(model.predict_arrays(longer_y, longer_t).values, model.predict_arrays(y, t).values)


def test_batch_of_sites_equals_one_by_one(model, recent):
    y, t = recent
    scales = np.linspace(0.5, 2.0, 64, dtype=np.float32)
    batch = model.predict_arrays(y[None, :] * scales[:, None], t)
    assert batch.values.shape == (64, 48, 3)
    for i in (0, 17, 63):
        one = model.predict_arrays(y * scales[i], t)
        # same graph, different batch size: float32 round-off only (relative 1e-5 of ~20 GW)
        np.testing.assert_allclose(batch.values[i], one.values[0], rtol=1e-5, atol=0.5)
    # instance normalisation inside the graph: a x demand gives a x forecast (a > 0)
    np.testing.assert_allclose(batch.values[63] / scales[63], batch.values[0] / scales[0], rtol=1e-4)


@pytest.mark.parametrize(
    ("mutate", "error", "match"),
    [
        (lambda y, t: (y[:100], t[:100]), ex.InsufficientDataError, "336"),
        (lambda y, t: (y, np.where(np.arange(len(t)) == 200, t + 60, t)), ex.IrregularTimestampError, "grid"),
        (lambda y, t: (np.where(np.arange(len(y)) == 5, np.inf, y), t), ex.NonFiniteValueError, "infinite"),
        (lambda y, t: (np.where(np.arange(len(y)) == 7, -5.0, y), t), ex.NegativeValueError, "negative"),
        (lambda y, t: (y.astype(str), t), ex.ColumnTypeError, "numbers"),
    ],
)
def test_bad_input_raises_typed_errors(model, recent, mutate, error, match):
    y, t = recent
    bad_y, bad_t = mutate(y.copy(), t.copy())
    with pytest.raises(error, match=match):
        model.predict_arrays(bad_y, bad_t)


def test_inputs_the_model_does_not_read_are_rejected(model, recent):
    y, t = recent
    with pytest.raises(ex.ConfigError, match="capacity"):
        model.predict_arrays(y, t, capacity=30000.0)
    with pytest.raises(ex.ConfigError, match="past covariates"):
        model.predict_arrays(y, t, past_covariates={"temp": np.zeros(336)})
    with pytest.raises(ex.MissingColumnError, match="demand_mw"):
        model.predict({"timestamp": t.astype("datetime64[s]"), "load": y})


def test_checksum_is_verified():
    good = hashlib.sha256(MODEL.read_bytes()).hexdigest()
    assert OnnxForecaster(MODEL, sha256=good).sha256 == good
    with pytest.raises(ex.ChecksumError, match="sha256"):
        OnnxForecaster(MODEL, sha256="0" * 64)


def test_gappy_context_falls_back_and_is_flagged(recent):
    y, t = recent
    gappy = y.copy()
    gappy[:250] = np.nan  # 74% missing: below min_observed 0.5
    m = OnnxForecaster(MODEL, fallback="seasonal")
    fc = m.predict_arrays(np.stack([y, gappy]), t)
    assert fc.fallback.tolist() == [False, True] and fc.method == ["model", "seasonal"]
    # seasonal persistence by hand: each forecast half-hour repeats the last observed day
    np.testing.assert_array_equal(fc.median[1], gappy[-48:])
    assert (fc.values[1] == fc.values[1][:, :1]).all()  # no spread is claimed
    with pytest.raises(ex.InsufficientDataError, match="observed"):
        OnnxForecaster(MODEL, fallback="raise").predict_arrays(gappy, t)
    model_anyway = OnnxForecaster(MODEL, fallback="none").predict_arrays(gappy, t)
    assert not model_anyway.fallback.any() and np.isfinite(model_anyway.values).all()


def test_fallback_methods_hand_worked():
    # period 4, context 8; missing values NaN
    y = np.array([[1, 2, 3, 4, 5, np.nan, 7, np.nan]], np.float32)
    # phases of the horizon steps: (8 + h) % 4 = 0, 1, 2, 3
    np.testing.assert_array_equal(fallback_forecast(y, 4, 4, "seasonal")[0], [5, 2, 7, 4])
    np.testing.assert_array_equal(fallback_forecast(y, 4, 4, "climatology")[0], [3, 2, 5, 4])
    np.testing.assert_array_equal(fallback_forecast(y, 2, 4, "persistence")[0], [7, 7])
    with pytest.raises(ex.InsufficientDataError):
        fallback_forecast(np.full((1, 8), np.nan, np.float32), 2, 4, "seasonal")


def test_streaming_matches_batch_and_masks_skipped_steps(model, recent):
    y, t = recent
    s = StreamingForecaster(model, series="gb")
    with pytest.raises(ex.InsufficientDataError):
        s.update(t[0], y[0])
        s.forecast()
    for ti, yi in zip(t[1:], y[1:], strict=True):
        s.update(ti, yi)
    assert s.n_seen_ == 336 and s.gaps_ == 0
    np.testing.assert_array_equal(s.forecast().values, model.predict_arrays(y, t).values)
    # the next reading arrives one step late: the skipped step is a masked NaN, not interpolated
    s.update(t[-1] + 2 * HALF_HOUR, y[-1])
    assert s.gaps_ == 1
    expect_y = np.concatenate([y[2:], [np.nan, y[-1]]]).astype(np.float32)
    expect_t = np.concatenate([t[2:], [t[-1] + HALF_HOUR, t[-1] + 2 * HALF_HOUR]])
    np.testing.assert_array_equal(s.forecast().values, model.predict_arrays(expect_y, expect_t).values)
    with pytest.raises(ex.TimestampError, match="whole number"):
        s.update(t[-1], 1.0)


def test_int8_file_is_smaller_and_close(model, recent):
    y, t = recent
    q = OnnxForecaster(MODEL_INT8)
    assert q.info.quantization == "int8-dynamic"
    assert MODEL.stat().st_size / MODEL_INT8.stat().st_size > 3.5
    a, b = model.predict_arrays(y, t).median, q.predict_arrays(y, t).median
    # the export reported the int8 deviation on 64 real windows (max 162 MW of ~20-40 GW)
    assert np.abs(a - b).max() < 0.02 * np.abs(a).max()
    assert abs(q.info.parity["int8"]["relative_mae_change"]) <= 0.01


def test_time_utilities_against_zoneinfo():
    from zoneinfo import ZoneInfo

    z = ZoneInfo("Europe/London")
    # 2021-03-28 01:00 UTC: London springs forward (GMT -> BST)
    utc = np.arange(0, 48, dtype=np.int64)[None, :] * 1800 + int(dt.datetime(2021, 3, 27, 12, tzinfo=dt.timezone.utc).timestamp())
    local = local_seconds(utc, "Europe/London")
    by_hand = [int(dt.datetime.fromtimestamp(int(s), z).replace(tzinfo=dt.timezone.utc).timestamp()) for s in utc[0]]
    np.testing.assert_array_equal(local[0], by_hand)
    with pytest.raises(ex.TimestampError, match=r"ambiguous|exist"):
        to_utc_seconds(np.array(["2021-10-31T01:30:00"], dtype=object), "Europe/London")
    assert to_utc_seconds(np.array(["2021-06-01T09:00:00+09:00"], dtype=object))[0] == int(
        dt.datetime(2021, 6, 1, tzinfo=dt.timezone.utc).timestamp())
    # daily steps follow the local calendar: the day after 2021-10-30 00:00 BST lasts 25 h
    last = np.array([int(dt.datetime(2021, 10, 30, tzinfo=z).timestamp())])
    np.testing.assert_array_equal(np.diff(future_seconds(last, 86400, 3, "Europe/London")[0]), [90000, 86400])


def test_cli_predict_and_inspect_on_the_shipped_file(tmp_path):
    out = tmp_path / "forecast.csv"
    run = [sys.executable, "-m", "energyai.cli.main"]
    subprocess.run([*run, "predict", str(MODEL), "--data", str(RECENT), "-o", str(out)], check=True)
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 48 and rows[0]["timestamp"] == "2000-08-14T00:00:00+01:00"
    assert set(rows[0]) == {"timestamp", "forecast", "q0.1", "q0.5", "q0.9", "fallback", "method"}
    assert float(rows[0]["q0.1"]) <= float(rows[0]["forecast"]) <= float(rows[0]["q0.9"])
    shown = subprocess.run([*run, "inspect", str(MODEL)], check=True, capture_output=True, text=True).stdout
    assert "past_target" in shown and "Europe/London" in shown
    bad = subprocess.run([*run, "predict", str(MODEL), "--data", str(RECENT), "--sha256", "0" * 64],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "ChecksumError" in bad.stderr


HOLIDAY = Path(__file__).resolve().parent / "data"


def test_korean_holiday_week_reproduces_forecaster_predict_without_holidays_package():
    """A day-ahead-load preset model with KR holidays in the graph (trained on synthetic load,
    ``make_holiday_fixture.py``): onnxruntime reproduces ``Forecaster.predict`` around Chuseok
    2024 within the export parity gate (``|ort - torch| <= 1e-5 * scale + 1e-4 * |torch|``,
    ``energyai.export.parity``), with no ``holidays`` package needed here."""
    m = OnnxForecaster(HOLIDAY / "synthetic_kr_holiday_model.onnx", threads=1)
    assert "holiday_override" in [i["name"] for i in m.info.inputs]
    with (HOLIDAY / "synthetic_kr_holiday_history.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    t = to_utc_seconds(np.array([r["timestamp"] for r in rows], dtype=object), "Asia/Seoul")
    y = np.array([float(r["load_mw"]) for r in rows], np.float32)
    with (HOLIDAY / "synthetic_kr_holiday_expected.csv").open() as fh:
        expected = list(csv.DictReader(fh))
    origins = sorted({r["origin"] for r in expected})
    assert len(origins) == 5
    scale = float(np.abs(y).max())
    for origin in origins:
        o = to_utc_seconds(np.array([origin], dtype=object), "Asia/Seoul")[0]
        keep = t <= o
        fc = m.predict_arrays(y[keep], t[keep])
        want = [r for r in expected if r["origin"] == origin]
        assert len(want) == fc.values.shape[1] == 37
        want_t = to_utc_seconds(np.array([r["timestamp"] for r in want], dtype=object), "Asia/Seoul")
        np.testing.assert_array_equal(fc.timestamps.reshape(-1).astype("datetime64[s]").astype(np.int64), want_t)
        for level in (0.1, 0.5, 0.9):
            ref = np.array([float(r[f"q{level}"]) for r in want])
            got = fc.quantile(level).reshape(-1)
            assert np.all(np.abs(got - ref) <= 1e-5 * scale + 1e-4 * np.abs(ref)), (origin, level)


def test_holiday_table_in_the_file_drives_the_forecast():
    """Erasing the table's flags through ``holiday_override`` changes the Chuseok forecast: the
    file's own day table, not something outside it, makes the holiday forecast."""
    m = OnnxForecaster(HOLIDAY / "synthetic_kr_holiday_model.onnx", threads=1)
    with (HOLIDAY / "synthetic_kr_holiday_history.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    t = to_utc_seconds(np.array([r["timestamp"] for r in rows], dtype=object), "Asia/Seoul")
    y = np.array([float(r["load_mw"]) for r in rows], np.float32)
    o = to_utc_seconds(np.array(["2024-09-15T10:00:00+09:00"], dtype=object), "Asia/Seoul")[0]
    keep = t <= o
    base = m.predict_arrays(y[keep], t[keep]).median.reshape(-1)
    span = m.info.context_length + m.info.horizon
    erased = m.predict_arrays(y[keep], t[keep], inputs={"holiday_override": np.zeros((1, span, 4), np.float32)})
    # Chuseok day 1 (Sep 16) is lead 14..37 from Sep 15 10:00; the synthetic drop there is 15,000 MW
    assert np.max(erased.median.reshape(-1)[13:] - base[13:]) > 1000.0


def test_streaming_recalibration_learns_a_bias_on_the_device(model, recent):
    """A synthetic world (named so) 1000 MW above the model's lead-1 median: after five
    scored forecasts, the stream adds that lead's conformal shift (hand-worked: the median
    residual is exactly 1000; float32 outputs, so 1e-3 MW of tolerance)."""
    from energyai.runtime.conformal import lead_shifts

    y, t = recent
    s = StreamingForecaster(model, recalibrate=8, min_windows=5)
    plain = StreamingForecaster(model)
    for ti, yi in zip(t, y, strict=True):
        s.update(ti, yi)
        plain.update(ti, yi)
    raws = []
    for _ in range(7):
        raw = plain.forecast()
        got = s.forecast()
        raws.append(raw.values[0, 0])
        nxt, value = raw.timestamps[0, 0].astype("datetime64[s]").astype(np.int64), float(raw.median[0, 0]) + 1000.0
        s.update(nxt, value)
        plain.update(nxt, value)
    assert s.shifts_[0, model.info.median_index] == pytest.approx(1000.0, abs=1e-3)
    pairs = np.array([r[model.info.median_index] + 1000.0 for r in raws])
    want = lead_shifts(pairs, np.stack(raws).astype(np.float64), np.ones(len(pairs)), model.info.quantiles)
    np.testing.assert_allclose(s.shifts_[0], want, rtol=0, atol=1e-6)
    # lead h has been scored 8 - h times: leads 1-3 reach min_windows, the rest have no shift yet
    assert s.shifts_[:3].all() and not s.shifts_[3:].any()
    raw, got = plain.forecast(), s.forecast()
    np.testing.assert_allclose(got.values[0, 0], np.sort(raw.values[0, 0] + s.shifts_[0]), rtol=1e-6)
    np.testing.assert_array_equal(got.values[0, 3:], raw.values[0, 3:])
    with pytest.raises(ex.ConfigError, match="recalibrate"):
        StreamingForecaster(model, recalibrate=-1)
    with pytest.raises(ex.ConfigError, match="min_windows"):
        StreamingForecaster(model, recalibrate=4, min_windows=10)


def test_streaming_refuses_huge_readings_and_checks_its_shifted_output(model, recent):
    """Issue 29 #1: update() took a reading above the 1e18 input limit, the conformal shift
    learnt from it was added after the checked forecast, and forecast() returned 1e25..3e38."""
    y, t = recent
    s = StreamingForecaster(model, recalibrate=8, min_windows=5)
    for ti, yi in zip(t, y, strict=True):
        s.update(ti, yi)
    nxt = int(t[-1]) + model.info.freq_seconds
    with pytest.raises(ex.OutOfRangeError, match="1e\\+25"):
        s.update(nxt, 1e25)
    with pytest.raises(ex.NonFiniteValueError, match="NaN for a missing"):
        s.update(nxt, float("inf"))
    with pytest.raises(ex.DataError, match="not a number"):
        s.update(nxt, "30000 MW")
    s.update(nxt, float("nan"))  # a missing reading is still accepted
    s.shifts_[:] = 1e30  # as if learnt from a reading that slipped through: the output is checked last
    with pytest.raises(ex.OutOfRangeError, match="recalibrated forecast"):
        s.forecast()


def test_cli_predict_to_stdout_makes_no_file_and_follows_no_symlink(tmp_path):
    """Issue 29 #13: without -o the forecast went through a fixed-name hidden file in the
    working folder, following a symlink planted there (it overwrote another file)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    (tmp_path / ".energyai-forecast.csv").symlink_to(victim)
    run = [sys.executable, "-m", "energyai.cli.main"]
    shown = subprocess.run([*run, "predict", str(MODEL), "--data", str(RECENT)], check=True, capture_output=True,
                           text=True, cwd=tmp_path)
    rows = list(csv.DictReader(shown.stdout.splitlines()))
    assert len(rows) == 48 and float(rows[0]["q0.1"]) <= float(rows[0]["forecast"]) <= float(rows[0]["q0.9"])
    assert victim.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".energyai-forecast.csv", "victim.txt"]
