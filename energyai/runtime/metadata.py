"""The self-description inside an exported file (``metadata_props``), read without torch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from energyai.exceptions import ArtifactError

__all__ = ["SUPPORTED_FORMATS", "ModelInfo", "parse_metadata"]

#: Artifact formats this runtime reads.
SUPPORTED_FORMATS = ("energyai.onnx/1",)


@dataclass(frozen=True)
class ModelInfo:
    """What an exported file says about itself.

    Attributes
    ----------
    inputs : list of dict
        Graph inputs in order: ``name``, ``shape`` ("batch" is dynamic), ``dtype``,
        ``units``, ``columns`` (covariate order) and ``nan_allowed``.
    quantiles : tuple of float
        Levels along the output's last axis; ``median_index`` points at 0.5.
    capacity : dict
        ``input`` (whether the graph takes ``capacity``), ``default``, ``column``,
        ``nonnegative`` and a description of the clipping.
    """

    format: str
    version: str
    model: str
    context_length: int
    horizon: int
    freq: str
    freq_seconds: int
    tz: str
    inputs: list[dict[str, Any]]
    quantiles: tuple[float, ...]
    median_index: int
    capacity: dict[str, Any]
    calendar: bool
    schema: dict[str, Any]
    config: dict[str, Any]
    data_sha256: str
    created: str
    quantization: str
    opset: int
    parity: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    def input(self, name: str) -> dict[str, Any] | None:
        """The spec of one graph input, or None when the model does not read it."""
        return next((i for i in self.inputs if i["name"] == name), None)

    def columns(self, name: str) -> list[str]:
        spec = self.input(name)
        return list(spec["columns"]) if spec else []

    @property
    def target(self) -> str:
        return str(self.schema["target"])

    @property
    def timestamp(self) -> str:
        return str(self.schema["timestamp"])

    @property
    def series_id(self) -> str | None:
        return self.schema.get("series_id")

    def summary(self) -> str:
        """A human-readable description (``energyai inspect``)."""
        lines = [
            f"energyai model file ({self.format}, energyai {self.version}, opset {self.opset})",
            f"  model        {self.model}   quantization: {self.quantization}",
            f"  context      {self.context_length} steps of {self.freq}   horizon {self.horizon} steps",
            f"  time zone    {self.tz}   calendar features in graph: {self.calendar}",
            f"  target       {self.target!r}   timestamp {self.timestamp!r}   series id {self.series_id!r}",
            f"  quantiles    {list(self.quantiles)} (median at index {self.median_index})",
            f"  capacity     {self.capacity.get('clipping')}; input: {self.capacity.get('input')}, "
            f"default {self.capacity.get('default')}",
            "  inputs:",
        ]
        for i in self.inputs:
            cols = f" columns {i['columns']}" if i.get("columns") else ""
            nan = " (NaN = missing)" if i.get("nan_allowed") else ""
            lines.append(f"    {i['name']:18s} {i['dtype']:8s} {i['shape']}  [{i['units']}]{cols}{nan}")
        lines += [
            "  output:",
            f"    quantiles          float32  ['batch', {self.horizon}, {len(self.quantiles)}]",
            f"  training data sha256  {self.data_sha256}",
            f"  created               {self.created}",
        ]
        checks = self.parity.get("checks", {})
        if checks:
            worst = max(v.get("max_err_over_limit", 0.0) for v in checks.values())
            lines.append(f"  parity gate           passed on {sorted(checks)}; worst error / limit = {worst:.3g}")
        if self.parity.get("int8"):
            q = self.parity["int8"]
            lines.append(f"  int8 vs fp32          max dev {q['max_abs_dev']:.4g}, mean dev {q['mean_abs_dev']:.4g}, "
                         f"MAE change {100 * q['relative_mae_change']:+.3f}%")
        return "\n".join(lines)


def parse_metadata(props: dict[str, str]) -> ModelInfo:
    """Build :class:`ModelInfo` from ``session.get_modelmeta().custom_metadata_map``."""
    fmt = props.get("energyai.format")
    if fmt is None:
        raise ArtifactError("this ONNX file has no energyai metadata; export it with energyai export")
    if fmt not in SUPPORTED_FORMATS:
        raise ArtifactError(f"artifact format {fmt!r} is not supported by this runtime (reads {SUPPORTED_FORMATS})")
    try:
        return ModelInfo(
            format=fmt,
            version=props["energyai.version"],
            model=props["energyai.model"],
            context_length=int(props["energyai.context_length"]),
            horizon=int(props["energyai.horizon"]),
            freq=props["energyai.freq"],
            freq_seconds=int(props["energyai.freq_seconds"]),
            tz=props["energyai.tz"],
            inputs=json.loads(props["energyai.inputs"]),
            quantiles=tuple(json.loads(props["energyai.quantiles"])),
            median_index=int(props["energyai.median_index"]),
            capacity=json.loads(props["energyai.capacity"]),
            calendar=bool(json.loads(props["energyai.calendar"])),
            schema=json.loads(props["energyai.schema"]),
            config=json.loads(props["energyai.config"]),
            data_sha256=props.get("energyai.data_sha256", ""),
            created=props.get("energyai.created", ""),
            quantization=props.get("energyai.quantization", "none"),
            opset=int(props.get("energyai.opset", "0")),
            parity=json.loads(props.get("energyai.parity", "{}")),
            raw=dict(props),
        )
    except (KeyError, ValueError) as exc:
        raise ArtifactError(f"energyai metadata is incomplete or malformed: {exc}") from exc
