"""ONNX export: the parity gate, metadata, opsets, int8 and failure modes."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

pytest.importorskip("lightning")
pytest.importorskip("onnxscript")
pytest.importorskip("onnxruntime")

import onnxruntime as ort

import energyai as ea
from energyai.exceptions import ConfigError, ExportError, NotFittedError
from energyai.forecaster import Forecaster
from energyai.runtime import OnnxForecaster, read_metadata
from tests.conftest import synthetic_hourly

FAST = {"max_steps": 12, "batches_per_epoch": 4, "batch_size": 32, "max_val_windows": 64}


@pytest.fixture(scope="module")
def fitted() -> tuple[Forecaster, pl.DataFrame]:
    df = synthetic_hourly(14, 2, tz="Europe/Berlin")
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"], freq="1h",
                       capacity=400.0, units="kW")
    f = Forecaster("nhits", context_length=48, horizon=12, calendar=True, hidden=64, **FAST).fit(df, schema)
    return f, df


def test_metadata_and_single_file(fitted, tmp_path):
    f, _ = fitted
    path = tmp_path / "m.onnx"
    report = f.export(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no .data sidecar
    assert report.bytes == path.stat().st_size
    info = read_metadata(str(path))
    assert info.format == "energyai.onnx/1" and info.model == "nhits"
    assert [i["name"] for i in info.inputs] == ["past_target", "future_covariates", "local_time", "capacity"]
    assert info.input("future_covariates")["columns"] == ["temp"] and info.input("past_target")["units"] == "kW"
    assert info.capacity["default"] == 400.0 and info.capacity["nonnegative"]
    assert info.tz == "Europe/Berlin" and info.calendar and info.data_sha256 == f.manifest_["data_sha256"]
    assert json.loads(info.raw["energyai.config"])["hidden"] == 64
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert sess.get_inputs()[0].shape[0] == "batch"  # dynamic batch


def test_capacity_and_zero_clip_inside_the_graph(fitted, tmp_path):
    f, df = fitted
    f.export(tmp_path / "m.onnx")
    m = OnnxForecaster(tmp_path / "m.onnx")
    hist = df.filter(pl.col("ts") < df["ts"].max() - pl.duration(hours=11))
    fut = df.filter(pl.col("ts") >= df["ts"].max() - pl.duration(hours=11)).select("site", "ts", "temp")
    low = m.predict(hist, fut, capacity=50.0)  # far below the load: every quantile clipped at 50
    assert np.allclose(low.values, 50.0)
    base = m.predict(hist, fut)
    assert (base.values <= 400.0).all() and (base.values >= 0).all()


def test_failing_gate_writes_no_file(fitted, tmp_path, monkeypatch):
    import energyai.export.onnx_export as ox

    real = ox._session

    class Off:
        def __init__(self, sess):
            self.sess = sess

        def run(self, names, feeds):
            return [self.sess.run(names, feeds)[0] * 1.001]  # 0.1% off: above rtol 1e-4

    monkeypatch.setattr(ox, "_session", lambda payload: Off(real(payload)))
    path = tmp_path / "bad.onnx"
    with pytest.raises(ExportError, match="parity gate"):
        f, _ = fitted
        f.export(path)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_old_onnxruntime_target(fitted, tmp_path):
    f, _ = fitted
    report = f.export(tmp_path / "old.onnx", target_ort="1.16")
    assert (report.opset, report.ir_version) == (18, 9)
    with pytest.raises(ConfigError, match="opset"):
        f.export(tmp_path / "x.onnx", target_ort="1.16", opset=20)


@pytest.mark.slow
def test_int8_reports_deviation_and_metric_change(fitted, tmp_path):
    f, _ = fitted
    fp = f.export(tmp_path / "fp.onnx")
    q = f.export(tmp_path / "q.onnx", quantize="int8")
    assert q.quantization == "int8-dynamic" and q.bytes < fp.bytes / 2
    assert set(q.parity.int8) >= {"max_abs_dev", "mean_abs_dev", "mae_fp32", "mae_int8", "relative_mae_change"}
    assert read_metadata(str(tmp_path / "q.onnx")).quantization == "int8-dynamic"
    with pytest.raises(ExportError, match="MAE"):
        f.export(tmp_path / "strict.onnx", quantize="int8", max_metric_change=0.0)


def test_export_needs_windows_or_data(fitted, tmp_path):
    f, df = fitted
    g = Forecaster.load(f.save(tmp_path / "saved"))
    del g.parity_windows_  # a model saved by an older energyai
    with pytest.raises(ExportError, match="data="):
        g.export(tmp_path / "a.onnx")
    assert g.export(tmp_path / "a.onnx", data=df).parity.checks
    with pytest.raises(NotFittedError):
        Forecaster("nhits", context_length=48, horizon=12).export(tmp_path / "b.onnx")
    with pytest.raises(ConfigError, match="quantize"):
        f.export(tmp_path / "c.onnx", quantize="fp16")


def test_cli_export_and_inspect(fitted, tmp_path, capsys):
    from energyai.cli.main import main

    f, _ = fitted
    f.save(tmp_path / "saved")
    assert main(["export", str(tmp_path / "saved"), "-o", str(tmp_path / "cli.onnx")]) == 0
    assert "parity gate passed" in capsys.readouterr().out
    assert main(["inspect", str(tmp_path / "cli.onnx"), "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["energyai.model"] == "nhits" and "energyai.parity" in meta
