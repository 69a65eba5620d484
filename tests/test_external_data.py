"""Issue 29 #11: the runtime refuses ONNX files that keep tensors in external data files.

Loaded from bytes, onnxruntime resolves external data names against the working directory,
so a file planted beside the device's process would change forecasts while the model
file's seal still verified. Export never writes external data; the runtime refuses it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from energyai.exceptions import ArtifactError  # noqa: E402
from energyai.runtime import OnnxForecaster, read_metadata  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "gb-demand-dlinear" / "model.onnx"


def test_a_file_with_external_data_is_refused_and_its_side_file_never_read(tmp_path):
    proto = onnx.load(str(MODEL))
    outside = tmp_path / "model_external.onnx"
    onnx.save_model(proto, str(outside), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights.bin", size_threshold=0)
    assert (tmp_path / "weights.bin").stat().st_size > 0
    here = os.getcwd()
    os.chdir(tmp_path)  # where onnxruntime would look for weights.bin
    try:
        with pytest.raises(ArtifactError, match="external data"):
            OnnxForecaster(outside, verify=False)
        with pytest.raises(ArtifactError, match="external data"):
            read_metadata(outside, verify=False)
    finally:
        os.chdir(here)


def test_the_shipped_self_contained_file_still_loads():
    model = OnnxForecaster(MODEL)
    assert model.info.horizon > 0 and np.isfinite(model.info.horizon)
