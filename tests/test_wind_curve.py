"""Power curves: hand-worked interpolation, the OEDB library, and the ONNX-exportable twin."""

from __future__ import annotations

import numpy as np
import pytest

from energyai.exceptions import ConfigError
from energyai.physics import PowerCurve

# a made-up 4-point curve: cut-in 3 m/s, rated 2,000 W from 12 m/s, cut-out 25 m/s
CURVE = PowerCurve(np.array([3.0, 8.0, 12.0, 25.0]), np.array([0.0, 800.0, 2000.0, 2000.0]))


def test_hand_worked_values():
    v = np.array([0.0, 2.9, 3.0, 5.5, 8.0, 10.0, 12.0, 20.0, 25.0, 25.1, np.nan])
    # 5.5: halfway from 3 to 8 -> 400; 10: halfway from 8 to 12 -> 1400
    expect = [0, 0, 0, 400, 800, 1400, 2000, 2000, 2000, 0, np.nan]
    np.testing.assert_array_equal(CURVE(v), expect)
    np.testing.assert_array_equal(CURVE.capacity_factor([5.5, 12.0]), [0.2, 1.0])
    with pytest.raises(ConfigError, match="increasing"):
        PowerCurve(np.array([3.0, 3.0]), np.array([0.0, 1.0]))
    with pytest.raises(ConfigError, match="non-negative"):
        PowerCurve(np.array([3.0, 4.0]), np.array([0.0, -1.0]))


def test_torch_twin_matches_and_exports(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    module = CURVE.torch_module().eval()
    v = np.linspace(-1, 30, 3101, dtype=np.float32)
    with torch.no_grad():
        got = module(torch.from_numpy(v)[None, :]).numpy()[0]
    # float32 arithmetic against float64 numpy: 1e-6 of the rated power
    np.testing.assert_allclose(got, CURVE.capacity_factor(v), atol=1e-6)
    dim = torch.export.Dim("steps", min=2, max=1 << 20)
    prog = torch.onnx.export(module, (torch.from_numpy(v[None, :50]),), dynamo=True,
                             dynamic_shapes=({1: dim},), input_names=["wind_speed"], output_names=["capacity_factor"],
                             verbose=False)
    prog.save(str(tmp_path / "curve.onnx"), external_data=False)
    out = ort.InferenceSession(str(tmp_path / "curve.onnx"), providers=["CPUExecutionProvider"]).run(
        None, {"wind_speed": v[None, :]})[0][0]
    np.testing.assert_allclose(out, got, atol=1e-6)


@pytest.mark.shared_data
def test_oedb_curves_load(shared_data):
    pc = PowerCurve.from_oedb("E-126/4200", shared_data)
    assert pc.nominal_power == pc.power.max() == 4_200_000  # E-126/4200: rated 4.2 MW
    cf = pc.capacity_factor(np.arange(0, 30, 0.5))
    assert cf.min() == 0.0 and cf.max() <= 1.0 and (np.diff(cf[(np.arange(0, 30, 0.5) < 12)]) >= 0).all()
