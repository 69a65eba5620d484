"""Saving and loading a fitted :class:`~energyai.Forecaster` folder (no pickle).

A folder holds ``config.json`` (options, schema, quantile levels, input counts),
``model.safetensors`` (the network's state dict), ``manifest.json`` (what produced it) and,
when known, ``parity.safetensors`` (real training windows for the export parity gate).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from energyai.exceptions import ArtifactError
from energyai.schema import Schema

__all__ = ["FORMAT", "jsonable", "load_forecaster", "save_forecaster"]

FORMAT = "energyai.forecaster/1"


def save_forecaster(model: Any, path: str | Path) -> Path:
    """Write ``config.json``, ``model.safetensors`` and ``manifest.json`` into ``path``."""
    from safetensors.torch import save_file

    model._check_fitted()
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    config = {
        "format": FORMAT,
        "params": jsonable(model.get_params()),
        "schema": model.schema_.to_dict(),
        "levels": list(model.levels_),
        "calendar": model.calendar_,
        "n_inputs": list(model.n_inputs_),
        "series_ids": jsonable(model.series_ids_),
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    state = {k: v.detach().cpu().contiguous() for k, v in model.network_.state_dict().items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": FORMAT})
    (out / "manifest.json").write_text(json.dumps(jsonable(model.manifest_), indent=2))
    windows = getattr(model, "parity_windows_", None)
    if windows is not None:  # real training windows for the ONNX export parity gate
        from safetensors.numpy import save_file as save_arrays

        save_arrays({k: np.ascontiguousarray(v) for k, v in windows.items()}, str(out / "parity.safetensors"))
    return out


def load_forecaster(cls: type, path: str | Path) -> Any:
    """Rebuild a saved forecaster of class ``cls`` from its folder."""
    from safetensors.torch import load_file

    src = Path(path)
    cfg_path = src / "config.json"
    if not cfg_path.exists():
        raise ArtifactError(f"{src} is not a saved Forecaster: config.json is missing")
    config = json.loads(cfg_path.read_text())
    if config.get("format") != FORMAT:
        raise ArtifactError(f"{cfg_path} has format {config.get('format')!r}; this energyai reads {FORMAT!r}")
    params = dict(config["params"])
    if isinstance(params.get("quantiles"), list):
        params["quantiles"] = tuple(params["quantiles"])
    model = cls(**params)
    _restore(model, config, load_file(str(src / "model.safetensors")))
    manifest = src / "manifest.json"
    model.manifest_ = json.loads(manifest.read_text()) if manifest.exists() else {}
    model.history_ = model.manifest_.get("history", {})
    parity = src / "parity.safetensors"
    if parity.exists():
        from safetensors.numpy import load_file as load_arrays

        model.parity_windows_ = load_arrays(str(parity))
    return model


def _restore(model: Any, config: dict[str, Any], state: dict[str, Any]) -> None:
    from energyai.nn.build import build_network, daylight_index, wind_spec

    r = model._resolved()
    t = r["train"]
    schema = Schema.from_dict(config["schema"])
    P, F, S = config["n_inputs"]
    calendar = bool(config["calendar"])
    levels = tuple(config["levels"])
    table = state.get("holiday.table")
    net = build_network(r["spec"], r["cfg"], model.context_length, model.horizon, levels, (P, F, S),
                        calendar=calendar, solar=t.solar(), scaler=t.scaler, affine=bool(t.affine),
                        nonnegative=schema.nonnegative, holiday_days=0 if table is None else int(table.shape[0]),
                        similar_day=bool(t.similar_day),
                        solar_step=schema.frequency.seconds if schema.frequency else 0,
                        wind=wind_spec(t.wind_columns, t.power_curve, schema.future_covariates),
                        daylight_index=daylight_index(t.daylight_column, schema.future_covariates))
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ArtifactError(f"the saved weights do not match the saved config: {exc}") from exc
    model.network_ = net.eval()
    model.schema_ = schema
    model.levels_ = levels
    model.calendar_ = calendar
    model.n_inputs_ = (P, F, S)
    model.series_ids_ = config.get("series_ids", [])


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars as Python numbers, tuples as lists, non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
