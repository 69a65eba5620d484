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


def read_metadata(path: str, verify: bool = True) -> ModelInfo:
    """The metadata of an exported file, read through onnxruntime (no forecasting session kept).

    Parameters
    ----------
    path : str
        The ``.onnx`` file.
    verify : bool
        Check the file's embedded digest first (:mod:`energyai.integrity`).

    Returns
    -------
    ModelInfo

    Raises
    ------
    ArtifactError
        The file cannot be read or onnxruntime cannot parse it;
        :class:`~energyai.exceptions.IntegrityError` when its digest does not match.
    """
    import onnxruntime as ort

    from energyai.exceptions import ArtifactError
    from energyai.fileio import read_regular_bytes
    from energyai.integrity import verify as verify_bytes

    payload = read_regular_bytes(path, "model file", ArtifactError)
    if verify:
        verify_bytes(payload, str(path))
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    from energyai.runtime.session import open_session

    session = open_session(ort, payload, so, str(path))
    return parse_metadata(session.get_modelmeta().custom_metadata_map)
