"""The artifact format: what an exported ONNX file says about itself, written and read here.

numpy and the standard library only. The exporter builds a :class:`ModelInfo` and writes
:meth:`ModelInfo.to_metadata` into the file's ``metadata_props``; the runtime reads them
back with :meth:`ModelInfo.from_metadata`, which also gates the format version. The keys
are spelled once, in this module.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from energyai.exceptions import ArtifactError

__all__ = ["FORMAT", "SUPPORTED_FORMATS", "ModelInfo", "check_format", "parse_metadata"]

#: The metadata layout written into every new file.
FORMAT = "energyai.onnx/1"
#: Artifact formats this energyai reads.
SUPPORTED_FORMATS = (FORMAT,)
_P = "energyai."


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
    ranges : dict
        Training ``mean`` and ``std`` of every covariate column, by role
        (``past_covariates``, ``future_covariates``, ``static``); the runtime refuses
        values further than :data:`energyai.limits.MAX_SIGMAS` from them.
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
    solar: dict[str, float] | None = None
    #: the conformal calibration inside the graph (energyai.calibration): method, grouping,
    #: origins and coverage on them; None when the file is not calibrated
    calibration: dict[str, Any] | None = None
    #: the KPX submission output chosen inside the graph (energyai.nn.submission): tiers,
    #: eligibility share, grid and samples; None when the file has only the quantiles
    submission: dict[str, Any] | None = None
    torch_version: str = ""
    ranges: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

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
        if self.calibration:
            c = self.calibration
            lines.insert(-1, f"  calibration  {c.get('method')} by {c.get('by')} on {c.get('cutoffs')} origins "
                             f"({c.get('first_cutoff')} .. {c.get('last_cutoff')}), inside the graph")
        if self.submission:
            lines.insert(-1, f"  submission   KPX tiers {self.submission.get('tiers')}, paid from "
                             f"{self.submission.get('min_output_share')} of capacity; output 'submission'")
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


    @property
    def outputs(self) -> list[dict[str, Any]]:
        """The graph outputs: quantiles ``(batch, H, Q)`` in target units, then the KPX
        submission ``(batch, H)`` when the file chooses one."""
        units = self.schema.get("units") or "target units"
        out = [{"name": "quantiles", "shape": ["batch", self.horizon, len(self.quantiles)], "dtype": "float32",
                "units": units, "levels": list(self.quantiles)}]
        if self.submission:
            out.append({"name": "submission", "shape": ["batch", self.horizon], "dtype": "float32", "units": units,
                        "rule": self.submission})
        return out

    def to_metadata(self) -> dict[str, str]:
        """The ``metadata_props`` of the file: every value a string, JSON where structured."""
        j = json.dumps
        return {
            _P + "format": self.format,
            _P + "version": self.version,
            _P + "model": self.model,
            _P + "config": j(self.config),
            _P + "context_length": str(self.context_length),
            _P + "horizon": str(self.horizon),
            _P + "freq": self.freq,
            _P + "freq_seconds": str(self.freq_seconds),
            _P + "tz": self.tz,
            _P + "schema": j(self.schema),
            _P + "inputs": j(self.inputs),
            _P + "outputs": j(self.outputs),
            _P + "quantiles": j(list(self.quantiles)),
            _P + "median_index": str(self.median_index),
            _P + "capacity": j(self.capacity),
            _P + "calendar": j(bool(self.calendar)),
            _P + "solar": j(self.solar),
            _P + "calibration": j(self.calibration),
            _P + "submission": j(self.submission),
            _P + "data_sha256": self.data_sha256,
            _P + "created": self.created,
            _P + "quantization": self.quantization,
            _P + "opset": str(self.opset),
            _P + "torch_version": self.torch_version,
            _P + "parity": j(self.parity),
            _P + "ranges": j(self.ranges),
        }

    @classmethod
    def from_metadata(cls, props: dict[str, str]) -> ModelInfo:
        """Read ``session.get_modelmeta().custom_metadata_map``; the format is checked first.

        Raises
        ------
        ArtifactError
            No energyai metadata, an unsupported format, or missing or malformed keys.
        """
        fmt = check_format(props.get(_P + "format"))
        try:
            info = cls(
                format=fmt,
                version=props[_P + "version"],
                model=props[_P + "model"],
                context_length=int(props[_P + "context_length"]),
                horizon=int(props[_P + "horizon"]),
                freq=props[_P + "freq"],
                freq_seconds=int(props[_P + "freq_seconds"]),
                tz=props[_P + "tz"],
                inputs=json.loads(props[_P + "inputs"]),
                quantiles=tuple(json.loads(props[_P + "quantiles"])),
                median_index=int(props[_P + "median_index"]),
                capacity=json.loads(props[_P + "capacity"]),
                calendar=bool(json.loads(props[_P + "calendar"])),
                schema=json.loads(props[_P + "schema"]),
                config=json.loads(props[_P + "config"]),
                data_sha256=props.get(_P + "data_sha256", ""),
                created=props.get(_P + "created", ""),
                quantization=props.get(_P + "quantization", "none"),
                opset=int(props.get(_P + "opset", "0")),
                parity=json.loads(props.get(_P + "parity", "{}")),
                solar=json.loads(props.get(_P + "solar", "null")),
                calibration=json.loads(props.get(_P + "calibration", "null")),
                submission=json.loads(props.get(_P + "submission", "null")),
                torch_version=props.get(_P + "torch_version", ""),
                ranges=json.loads(props.get(_P + "ranges", "{}")),
                raw=dict(props),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ArtifactError(f"energyai metadata is incomplete or malformed: {exc}") from exc
        info.check()
        return info

    def check(self) -> None:
        """Raise :class:`ArtifactError` when the metadata contradicts itself (an edited file)."""
        problems = []
        if self.context_length < 1 or self.horizon < 1:
            problems.append(f"context_length {self.context_length} and horizon {self.horizon} must be positive")
        if self.freq_seconds < 1:
            problems.append(f"freq_seconds {self.freq_seconds} must be positive")
        q = list(self.quantiles)
        if not q or not all(isinstance(v, (int, float)) and 0 < v < 1 for v in q) \
                or any(b <= a for a, b in itertools.pairwise(q)):
            problems.append(f"quantiles {q} must be increasing levels in (0, 1)")
        elif not 0 <= self.median_index < len(q) or q[self.median_index] != 0.5:
            problems.append(f"median_index {self.median_index} does not point at the level 0.5 of {q}")
        if not isinstance(self.inputs, list) or not all(isinstance(i, dict) and "name" in i for i in self.inputs):
            problems.append("inputs must be a list of objects with a name")
        try:
            from energyai.timeutil import zone

            zone(self.tz)
        except Exception:  # any failure to resolve the zone is the same defect
            problems.append(f"time zone {self.tz!r} is unknown")
        if problems:
            raise ArtifactError("energyai metadata is inconsistent (" + "; ".join(problems) + "); the file was "
                                "edited or damaged: re-export the model")

    @property
    def optional(self) -> tuple[str, ...]:
        """Future covariates this model forecasts without (NaN or left out means missing)."""
        return tuple(self.config.get("optional_covariates") or ())

    def guard(self) -> Any:
        """The :class:`~energyai.limits.InputGuard` of this file's inputs."""
        from energyai.limits import InputGuard

        roles = ("past_covariates", "future_covariates", "static")
        ranges = {r: (v["mean"], v["std"]) for r, v in self.ranges.items() if r in roles and "mean" in v}
        bounds = {r: (v["low"], v["high"]) for r, v in self.ranges.items() if r in roles and "low" in v}
        return InputGuard(self.target, {r: self.columns(r) for r in roles}, ranges, optional=self.optional,
                          capacity=bool(self.capacity.get("input")), bounds=bounds)


def check_format(fmt: str | None) -> str:
    """The format gate: return ``fmt`` when this energyai reads it, else raise :class:`ArtifactError`."""
    if fmt is None:
        raise ArtifactError("this ONNX file has no energyai metadata; export it with energyai export")
    if fmt not in SUPPORTED_FORMATS:
        raise ArtifactError(f"artifact format {fmt!r} is not supported by this energyai (reads {SUPPORTED_FORMATS}); "
                            "upgrade energyai or re-export the model")
    return fmt


def parse_metadata(props: dict[str, str]) -> ModelInfo:
    """Build :class:`ModelInfo` from a file's metadata (same as :meth:`ModelInfo.from_metadata`).

    Parameters
    ----------
    props : dict of str to str
        The file's ``metadata_props`` (``session.get_modelmeta().custom_metadata_map``).

    Returns
    -------
    ModelInfo
        What the file says about itself, checked (:meth:`ModelInfo.check`).

    Raises
    ------
    ArtifactError
        No energyai metadata, an unsupported format, or missing or malformed keys.
    """
    return ModelInfo.from_metadata(props)
