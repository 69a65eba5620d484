"""ONNX export of fitted forecasters (needs the ``train`` extra: torch, onnx, onnxscript).

The file is read on devices by :mod:`energyai.runtime`, which needs numpy and
onnxruntime only.

Examples
--------
>>> report = forecaster.export("model.onnx")            # doctest: +SKIP
>>> report.parity.checks["batch64"]["max_abs_err"]      # doctest: +SKIP
"""

from energyai.export.graph import ExportGraph, input_specs
from energyai.export.onnx_export import ARTIFACT_FORMAT, ExportReport, export_onnx
from energyai.export.parity import ParityResult

__all__ = ["ARTIFACT_FORMAT", "ExportGraph", "ExportReport", "ParityResult", "export_onnx",
           "input_specs"]
