"""Runtime regressions of issue 14 (numpy + onnxruntime only: these also run in the runtime-only
environment of CI). Every bad input ends in a typed energyai error, never a number."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from energyai import exceptions as ex
from energyai.runtime import OnnxForecaster

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "gb-demand-dlinear" / "model.onnx"
L, STEP = 336, 1800


@pytest.fixture(scope="module")
def model() -> OnnxForecaster:
    return OnnxForecaster(MODEL)


def _window(n: int = L, start: int = 965_000_000) -> tuple[np.ndarray, np.ndarray]:
    t = start + STEP * np.arange(n, dtype=np.int64)
    y = (30000 + 5000 * np.sin(np.arange(n) * 2 * np.pi / 48)).astype(np.float32)
    return y, t


def test_the_shipped_files_carry_a_published_digest(model):
    card = (ROOT / "models" / "gb-demand-dlinear" / "MODEL_CARD.md").read_text()
    assert model.digest.startswith("sha256:") and model.digest in card
    int8 = OnnxForecaster(ROOT / "models" / "gb-demand-dlinear" / "model.int8.onnx")
    assert int8.digest in card


def test_a_nan_or_non_positive_capacity_is_refused(model, tmp_path):
    # the shipped model has no capacity input; check the rule on the assembled window directly
    from energyai.contract import Window

    guard = model.info.guard()
    y, t = _window()
    utc = np.concatenate([t, t[-1] + STEP * np.arange(1, 49)])[None]
    with pytest.raises(ex.NonFiniteValueError, match="capacity"):
        guard.check(Window(target=y[None], utc=utc, capacity=np.full((1, 48), np.nan, np.float32)))
    with pytest.raises(ex.DataError, match="capacity of series 0 is -5"):
        guard.check(Window(target=y[None], utc=utc, capacity=np.full((1, 48), -5.0, np.float32)))


@pytest.mark.parametrize("value", [1e19, 3e38])
def test_values_beyond_the_limit_are_refused_naming_the_instant(model, value):
    y, t = _window()
    y[100] = value
    with pytest.raises(ex.OutOfRangeError, match=r"target 'demand_mw' has the value .* at 2000-"):
        model.predict_arrays(y, t)


def test_a_short_column_a_scalar_column_and_empty_input_are_typed(model):
    y, t = _window()
    ts = t.astype("datetime64[s]")
    with pytest.raises(ex.ConfigError, match="'demand_mw' has 335 values"):
        model.predict({"timestamp": ts, "demand_mw": y[:-1]})
    with pytest.raises(ex.ConfigError, match="1-D"):
        model.predict({"timestamp": ts, "demand_mw": np.float32(3)})
    with pytest.raises(ex.InsufficientDataError):
        model.predict({"timestamp": ts[:0], "demand_mw": y[:0]})
    with pytest.raises(ex.InsufficientDataError):
        model.predict_arrays(y[:0], t[:0])


@pytest.mark.parametrize("start", [2**40, int(np.datetime64("9999-12-01", "s").astype(np.int64)), -2**40])
def test_timestamps_outside_the_supported_years_are_typed(model, start):
    y, t = _window(start=start)
    with pytest.raises(ex.TimestampError, match="1800 to 2399"):
        model.predict_arrays(y, t)


def test_a_missing_step_is_reported_with_its_timestamp(model):
    y, t = _window(L + 10)
    keep = np.ones(L + 10, bool)
    keep[200] = False  # one half-hour row absent
    ts = t[keep].astype("datetime64[s]")
    with pytest.raises(ex.InsufficientDataError, match=r"no row at 2000-.* add the row with an empty target"):
        model.predict({"timestamp": ts, "demand_mw": y[keep]})


def test_damaged_files_end_in_typed_errors_and_the_cli_prints_one_line(tmp_path):
    payload = MODEL.read_bytes()
    cases = {
        "truncated.onnx": payload[: len(payload) // 2],
        "empty.onnx": b"",
        "text.onnx": b"not a model\n" * 10,
    }
    run = [sys.executable, "-m", "energyai.cli.main"]
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ex.ArtifactError):
            OnnxForecaster(path)
        with pytest.raises(ex.ArtifactError):
            OnnxForecaster(path, verify=False)
        shown = subprocess.run([*run, "inspect", str(path)], capture_output=True, text=True)
        assert shown.returncode == 3, shown.stderr
        assert "Traceback" not in shown.stderr and len(shown.stderr.strip().splitlines()) == 1
    with pytest.raises(ex.ArtifactError):
        OnnxForecaster(tmp_path)  # a folder
    with pytest.raises(ex.ArtifactError):
        OnnxForecaster(tmp_path / "missing.onnx")
    debug = subprocess.run([*run, "--debug", "inspect", str(tmp_path / "truncated.onnx")], capture_output=True,
                           text=True)
    assert debug.returncode == 3 and "Traceback" in debug.stderr


def test_csv_with_a_repeated_header_or_non_utf8_bytes_is_a_typed_error(tmp_path):
    """Issue 29 #6 and #16: a repeated column name silently took the last copy; non-UTF-8
    bytes ended in an untyped UnicodeDecodeError."""
    from energyai.runtime.csvio import read_csv_columns

    twice = tmp_path / "twice.csv"
    twice.write_text("timestamp,demand_mw,demand_mw\n2000-01-01T00:00:00Z,1,2\n")
    with pytest.raises(ex.DataError, match=r"demand_mw.*more than once"):
        read_csv_columns(twice, numeric=["demand_mw"])
    latin = tmp_path / "latin.csv"
    latin.write_bytes("timestamp,demand_mw,site\n2000-01-01T00:00:00Z,1,Gwangju caf\xe9\n".encode("latin-1"))
    with pytest.raises(ex.DataError, match="not UTF-8"):
        read_csv_columns(latin, numeric=["demand_mw"])
    good = tmp_path / "good.csv"
    good.write_text("timestamp,demand_mw\n2000-01-01T00:00:00Z,1.5\n2000-01-01T00:30:00Z,\n")
    cols = read_csv_columns(good, numeric=["demand_mw"])
    assert cols["demand_mw"][0] == 1.5 and np.isnan(cols["demand_mw"][1])


def test_series_ids_of_the_wrong_length_and_static_for_a_model_without_it(model):
    """Issue 29 #8: a wrong-length series list made ragged result columns later, and static=
    was silently ignored by a model without static inputs."""
    y = np.full((2, L), 30000.0)
    t = np.arange(L, dtype=np.int64) * STEP + 946_684_800
    with pytest.raises(ex.ConfigError, match="one id per row"):
        model.predict_arrays(y, t, series=["a"])
    with pytest.raises(ex.ConfigError, match="series must be a list"):
        model.predict_arrays(y, t, series="ab")
    with pytest.raises(ex.ConfigError, match="no static"):
        model.predict_arrays(y, t, static=np.ones((2, 1)))
    ok = model.predict_arrays(y, t, series=["a", "b"])
    assert ok.series == ["a", "b"] and np.isfinite(ok.values).all()
