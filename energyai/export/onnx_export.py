"""Export a fitted :class:`~energyai.Forecaster` to one self-contained ONNX file.

The graph contains the whole forecast (see :mod:`energyai.export.graph`); the file holds
its weights inline (no ``.data`` sidecar) and describes itself in ``metadata_props``
(read back by :mod:`energyai.runtime`). Nothing is written unless the parity gate
(:mod:`energyai.export.parity`) passes. Facts this relies on (torch 2.13, onnxruntime
1.31) are listed in ``docs/deployment.md``.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import hashlib
import io
import logging
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from energyai._optional import import_optional
from energyai.artifact import FORMAT, ModelInfo
from energyai.exceptions import ConfigError, ExportError, NotFittedError
from energyai.export.graph import ExportGraph, input_specs
from energyai.export.parity import ParityResult, run_gate
from energyai.export.submission import submission_head, submission_parity
from energyai.fileio import atomic_write_bytes
from energyai.integrity import seal
from energyai.limits import trained_magnitude

if TYPE_CHECKING:
    import torch
else:
    torch = import_optional("torch", "ONNX export")

__all__ = ["ARTIFACT_FORMAT", "ExportReport", "export_onnx", "model_info"]

#: Version of the metadata layout written into every file (kept here for old imports).
ARTIFACT_FORMAT = FORMAT
#: Largest opset and IR version that old onnxruntime releases load (BENCHMARKS.md §3 fact 4).
_OLD_ORT = (18, 9)


@dataclass
class ExportReport:
    """What :func:`export_onnx` wrote and measured."""

    path: str
    bytes: int
    sha256: str
    opset: int
    ir_version: int
    quantization: str
    seconds: float
    parity: ParityResult
    metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "bytes": self.bytes, "sha256": self.sha256, "opset": self.opset,
                "ir_version": self.ir_version, "quantization": self.quantization,
                "seconds": round(self.seconds, 3), "parity": self.parity.to_dict()}


def _version_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(text).split(".")[:2])
    except ValueError as exc:
        raise ConfigError(f"target_ort must be a version such as '1.16', got {text!r}") from exc


def _windows(forecaster: Any, data: Any) -> dict[str, np.ndarray]:
    if data is None:
        windows = getattr(forecaster, "parity_windows_", None)
        if windows is None:
            raise ExportError(
                "this model carries no training windows for the parity gate (it was saved by an older "
                "energyai); pass data= (a frame in the training columns) to export it"
            )
        return windows
    from energyai.data.panel import build_panel
    from energyai.data.validate import validate
    from energyai.training.data import sample_windows
    from energyai.windows import build_window_index

    frame = validate(data, forecaster.schema_)
    panel = build_panel(frame, forecaster.schema_, None)
    index = build_window_index(panel.offsets, panel.observed, forecaster.context_length, forecaster.horizon,
                               bad=panel.missing_covariates(forecaster._optional_positions()))
    if len(index) == 0:
        raise ExportError("data= holds no complete window of context_length + horizon steps for the parity gate")
    return sample_windows(panel, index, forecaster.context_length, forecaster.horizon, n=64)


def model_info(forecaster: Any, specs: list[dict[str, Any]], quantization: str, opset: int) -> ModelInfo:
    """What the exported file will say about itself (see :mod:`energyai.artifact`)."""
    from energyai import __version__

    schema = forecaster.schema_
    levels = tuple(forecaster.levels_)
    cap = schema.capacity
    solar = forecaster.network_.solar
    return ModelInfo(
        format=FORMAT, version=__version__, model=forecaster.model,
        context_length=int(forecaster.context_length), horizon=int(forecaster.horizon),
        freq=str(schema.freq), freq_seconds=int(schema.frequency.seconds), tz=schema.tz or "UTC",
        inputs=specs, quantiles=levels, median_index=levels.index(0.5),
        capacity={
            "input": cap is not None,
            "default": float(cap) if isinstance(cap, (int, float)) else None,
            "column": cap if isinstance(cap, str) else None,
            "nonnegative": bool(schema.nonnegative),
            "clipping": "quantiles clipped to [0, capacity]" if (cap is not None and schema.nonnegative)
            else ("quantiles clipped at 0" if schema.nonnegative else "no lower clip")
            + ("" if cap is None else "; at most capacity"),
        },
        calendar=bool(forecaster.calendar_), schema=schema.to_dict(), config=_plain(forecaster.get_params()),
        data_sha256=str(forecaster.manifest_.get("data_sha256", "")),
        created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        quantization=quantization, opset=opset,
        solar=None if solar is None else dict(zip(("latitude", "longitude", "altitude", "linke_turbidity"),
                                                  [float(v) for v in solar.site.tolist()], strict=True)),
        calibration=None if forecaster.network_.calibration is None else _plain(
            dict(forecaster.manifest_.get("calibration", {}))),
        torch_version=torch.__version__,
        ranges=_ranges(forecaster),
    )


def _ranges(forecaster: Any) -> dict[str, Any]:
    """The covariates' training ranges and the target's (``{"low", "high"}``, when recorded)."""
    ranges: dict[str, Any] = dict(forecaster.network_.training_ranges())
    trained = getattr(forecaster, "target_range_", None)
    if trained is not None:
        ranges["target"] = {"low": float(trained["min"]), "high": float(trained["max"])}
    return ranges



def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    return value


def _torch_export(graph: ExportGraph, windows: dict[str, np.ndarray], names: list[str], opset: int | None) -> Any:
    outputs = ["quantiles"] if graph.submission is None else ["quantiles", "submission"]
    example = tuple(torch.from_numpy(np.ascontiguousarray(windows[k][:2])) for k in names)
    batch = torch.export.Dim("batch", min=1, max=1 << 20)
    shapes = (tuple({0: batch} for _ in names),)
    sink = io.StringIO()
    # the exporter logs a warning per torchvision operator it cannot register (we use none)
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    mute = _Below(logging.ERROR)  # a filter: torch's logging setup may reset levels, not filters
    registration.addFilter(mute)
    with warnings.catch_warnings(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        warnings.simplefilter("ignore")
        try:
            from energyai.nn.trees import onnx_translation

            program = torch.onnx.export(
                graph, example, dynamo=True, dynamic_shapes=shapes,
                input_names=names, output_names=outputs, opset_version=opset, verbose=False,
                custom_translation_table=onnx_translation(),  # tree members: one ONNX-ML TreeEnsembleRegressor
            )
        except Exception as exc:  # torch raises many types here; report them as one
            raise ExportError(f"torch.onnx.export failed: {type(exc).__name__}: {exc}\n{sink.getvalue()[-2000:]}") from exc
        finally:
            registration.removeFilter(mute)
    if program is None:
        raise ExportError("torch.onnx.export returned no program")
    return program.model_proto


class _Below(logging.Filter):
    """Drop records under ``level``."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def _strip(proto: Any) -> None:
    """Drop the exporter's per-node stack traces and doc strings (about 10% of a small file,
    and they hold the build machine's file paths)."""
    graphs = [proto.graph, *[f for f in proto.functions]]
    for g in graphs:
        for node in g.node:
            node.doc_string = ""
            del node.metadata_props[:]


def _session(model_bytes: bytes) -> Any:
    ort = import_optional("onnxruntime", "the export parity gate")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def _quantize(proto: Any) -> Any:
    onnx = import_optional("onnx", "int8 export")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    proto = copy.deepcopy(proto)
    # the exporter's intermediate shape annotations can disagree with onnx shape inference
    # (which the quantiser runs); drop them, inference recomputes what it needs
    del proto.graph.value_info[:]
    ort = import_optional("onnxruntime", "int8 export")
    with tempfile.TemporaryDirectory() as tmp:
        src, folded, dst = Path(tmp) / "fp32.onnx", Path(tmp) / "folded.onnx", Path(tmp) / "int8.onnx"
        onnx.save_model(proto, str(src))
        # constant-fold first (standard ONNX ops only): the exporter builds LSTM weight
        # tensors with Concat/Slice nodes, which the quantiser cannot see as weights
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        so.optimized_model_filepath = str(folded)
        so.log_severity_level = 3
        ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
        # unsigned 8-bit weights: with signed weights, onnxruntime's u8 x s8 integer matmul
        # saturates its 16-bit intermediate sums on x86 CPUs without VNNI (onnxruntime 1.32
        # turned a +0.3% MAE change of the shipped DLinear into +22.6%); u8 x u8 does not
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantiser logs a pre-processing hint on every call
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                quantize_dynamic(str(folded), str(dst), weight_type=QuantType.QUInt8)
        finally:
            root.setLevel(level)
        return onnx.load_model(str(dst))


def _check_request(forecaster: Any, quantize: str | None, opset: int | None,
                   target_ort: str | None) -> tuple[int | None, int | None]:
    """Refuse impossible requests before any work; the opset and IR version to produce."""
    if "network_" not in forecaster.__dict__:
        raise NotFittedError("fit or load the forecaster before exporting it")
    if quantize not in (None, "int8"):
        raise ConfigError(f"quantize must be None or 'int8', got {quantize!r}")
    from energyai.models import get_model

    if quantize == "int8" and not get_model(forecaster.model).int8:
        raise ConfigError(f"dynamic int8 does not help {forecaster.model!r} (convolutional); export it in float32")
    ir_version = None
    if target_ort is not None and _version_tuple(target_ort) < (1, 18):
        if opset is not None and opset > _OLD_ORT[0]:
            raise ConfigError(f"onnxruntime {target_ort} loads at most opset {_OLD_ORT[0]}; got opset={opset}")
        opset, ir_version = opset or _OLD_ORT[0], _OLD_ORT[1]
    return opset, ir_version


def _build(graph: ExportGraph, windows: dict[str, np.ndarray], names: list[str], opset: int | None,
           ir_version: int | None, quantize: str | None) -> tuple[Any, int, str]:
    """The ONNX proto (quantised when asked), its opset and its quantisation label."""
    proto = _torch_export(graph, windows, names, opset)
    got = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is not None and got != opset:
        raise ExportError(f"asked for opset {opset} but the exporter produced opset {got}; no file was written")
    quantization = "none"
    if quantize == "int8":
        proto = _quantize(proto)
        quantization = "int8-dynamic"
    if ir_version is not None:
        proto.ir_version = ir_version
    return proto, int(got or 0), quantization


def _write(proto: Any, meta: dict[str, str], path: str | os.PathLike[str]) -> tuple[Path, bytes]:
    """Strip, stamp with ``meta``, seal, check and write the file atomically."""
    onnx = import_optional("onnx", "ONNX export")
    _strip(proto)
    del proto.metadata_props[:]
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    payload = seal(proto.SerializeToString())  # the digest entry, over everything before it
    onnx.checker.check_model(onnx.load_model_from_string(payload))
    return atomic_write_bytes(Path(path), payload), payload


def _reference(graph: ExportGraph, names: list[str]) -> Any:
    """``feeds -> quantiles (B, H, Q)`` from the torch graph: the parity gate's reference."""

    def torch_fn(feeds: dict[str, np.ndarray]) -> np.ndarray:
        with torch.inference_mode():
            out = graph(*(torch.from_numpy(feeds[k]) for k in names))
        return (out if graph.submission is None else out[0]).numpy()  # type: ignore[no-any-return]

    return torch_fn


def _stages(progress: Any, t0: float) -> Any:
    """A function that prints ``export: <stage> (<seconds> s)`` when progress is on."""
    import sys

    from energyai.progress import progress_mode

    if progress_mode(progress) == "off":
        return lambda stage: None
    return lambda stage: print(f"export: {stage} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)


def export_onnx(
    forecaster: Any,
    path: str | os.PathLike[str],
    *,
    quantize: str | None = None,
    opset: int | None = None,
    target_ort: str | None = None,
    data: Any = None,
    max_metric_change: float = 0.01,
    submission: Any = None,
    progress: Any = "auto",
) -> ExportReport:
    """Export a fitted forecaster to ``path`` after the parity gate passes.

    Parameters
    ----------
    forecaster : energyai.Forecaster
        Fitted, or loaded with :meth:`~energyai.Forecaster.load`.
    path : str or path-like
        The ``.onnx`` file to write (one file; weights inline).
    quantize : {None, "int8"}
        Dynamic int8 weights for MatMul/Gemm/LSTM (architectures where it helps).
    opset : int, optional
        ONNX opset to request; the export fails if another one comes out.
    target_ort : str, optional
        Oldest onnxruntime that must load the file, e.g. ``"1.16"`` (aarch64 devices with
        glibc older than 2.28): releases before 1.18 get opset 18 and IR version 9.
    data : polars.DataFrame, optional
        Training-like data for the gate when the model carries no windows of its own.
    max_metric_change : float
        int8 only: the largest relative change of the median's MAE on real windows.
    submission : energyai.market.kpx.KPXRules, optional
        Add a second output, ``submission`` (batch, H): the value that maximises the
        expected KPX incentive under these rules, chosen inside the graph from the
        quantiles (:mod:`energyai.nn.submission`). Needs a capacity and a median level.
    progress : bool or "auto"
        Print each stage and its time on standard error; "auto" on a terminal only.

    Returns
    -------
    ExportReport

    Raises
    ------
    ExportError
        The export or the gate failed; ``path`` is left untouched.
    """
    import_optional("onnx", "ONNX export")
    opset, ir_version = _check_request(forecaster, quantize, opset, target_ort)
    t0 = time.perf_counter()
    windows = _windows(forecaster, data)
    schema = forecaster.schema_
    network = copy.deepcopy(forecaster.network_).cpu().eval()
    specs = input_specs(network, schema, forecaster.context_length, forecaster.horizon)
    names = [s["name"] for s in specs]
    head, rule = submission_head(forecaster, names, submission)
    graph = ExportGraph(network, names, head).eval()

    say = _stages(progress, t0)
    say("tracing the graph")
    proto, got, quantization = _build(graph, windows, names, opset, ir_version, quantize)
    say("parity gate (onnxruntime against torch on real windows)")

    torch_fn = _reference(graph, names)
    info = model_info(forecaster, specs, quantization, got)
    session = _session(proto.SerializeToString())
    parity = run_gate(torch_fn, session, windows, names, bool(schema.nonnegative),
                      list(forecaster.levels_).index(0.5), quantized=quantize is not None,
                      max_metric_change=max_metric_change,
                      trained=trained_magnitude(getattr(forecaster, "target_range_", None)))
    if head is not None:
        parity.submission = submission_parity(head, session, windows, names)
    meta = dataclasses.replace(info, parity=parity.to_dict(), submission=rule).to_metadata()
    out, payload = _write(proto, meta, path)
    say(f"wrote {out}")
    return ExportReport(
        path=str(out), bytes=len(payload), sha256=hashlib.sha256(payload).hexdigest(), opset=got,
        ir_version=int(proto.ir_version), quantization=quantization, seconds=time.perf_counter() - t0,
        parity=parity, metadata=meta,
    )
