"""Run exported energyai models with numpy and onnxruntime only (``pip install "energyai[runtime]"``).

Importing this package never imports torch, lightning, polars or pandas (a test checks
it in a subprocess, and CI runs these tests in a virtual environment without them).

>>> from energyai.runtime import OnnxForecaster                  # doctest: +SKIP
>>> model = OnnxForecaster("model.onnx", threads=1)              # doctest: +SKIP
>>> fc = model.predict_arrays(values, timestamps)                # doctest: +SKIP
>>> fc.median, fc.timestamps, fc.fallback                        # doctest: +SKIP
"""

from energyai.artifact import ModelInfo, parse_metadata
from energyai.runtime.fallback import fallback_forecast
from energyai.runtime.forecaster import OnnxForecaster
from energyai.runtime.result import RuntimeForecast
from energyai.runtime.stream import StreamingForecaster

__all__ = ["ModelInfo", "OnnxForecaster", "RuntimeForecast", "StreamingForecaster", "fallback_forecast",
           "parse_metadata", "read_metadata"]


def read_metadata(path: str) -> ModelInfo:
    """The metadata of an exported file, read through onnxruntime (no forecasting session kept)."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return parse_metadata(session.get_modelmeta().custom_metadata_map)
