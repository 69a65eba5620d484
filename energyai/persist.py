"""Saving and loading a fitted :class:`~energyai.Forecaster` folder (no pickle).

A folder holds ``config.json`` (options, schema, quantile levels, input counts),
``model.safetensors`` (the network's state dict), ``manifest.json`` (what produced it),
when known ``parity.safetensors`` (real training windows for the export parity gate), and
``checksums.json`` (the sha256 of each of those files).

Saves are atomic: the folder is written beside the target under a temporary name, every
file fsynced, ``checksums.json`` written last, and the whole folder renamed into place, so
an interrupted save leaves the old model intact. :func:`load_forecaster` checks every
file against ``checksums.json`` and refuses a partial, mixed or edited folder.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from energyai.exceptions import ArtifactError, ConfigError, IntegrityError
from energyai.fileio import replace_dir, sha256_file, staging_dir
from energyai.schema import Schema

__all__ = ["CHECKSUMS", "FORMAT", "jsonable", "load_forecaster", "save_forecaster", "verify_folder",
           "write_checksums"]

FORMAT = "energyai.forecaster/1"
#: The file listing every other file's sha256; written last.
CHECKSUMS = "checksums.json"
#: Files a save writes (anything else in an existing target folder stops the save).
FILES = ("config.json", "model.safetensors", "manifest.json", "parity.safetensors", CHECKSUMS)
_REQUIRED = ("config.json", "model.safetensors", "manifest.json")  # the manifest carries guards (the clock)


def write_checksums(folder: str | Path) -> Path:
    """Write ``checksums.json`` with the sha256 of every other file of ``folder``."""
    src = Path(folder)
    files = {f.name: sha256_file(f) for f in sorted(src.iterdir()) if f.is_file() and f.name != CHECKSUMS}
    out = src / CHECKSUMS
    out.write_text(json.dumps({"format": "energyai.checksums/1", "sha256": files}, indent=2))
    return out


def verify_folder(folder: str | Path) -> dict[str, str]:
    """Check a saved folder against its ``checksums.json``; return the listed sha256s.

    Raises
    ------
    IntegrityError
        No ``checksums.json`` (an interrupted or pre-0.9 save), a listed file missing or
        different, or a model file present but not listed (a mixed folder).
    """
    src = Path(folder)
    path = src / CHECKSUMS
    if not path.exists():
        raise IntegrityError(
            f"{src} has no {CHECKSUMS}: its save was interrupted, or an older energyai wrote it. Save the model "
            "again, or load it with verify=False if you trust it"
        )
    try:
        listed = json.loads(path.read_text())["sha256"]
        listed = {str(k): str(v) for k, v in listed.items()}
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise IntegrityError(f"{path} is damaged ({exc}); save the model again") from exc
    outside = [n for n in listed if not n or n in (".", "..") or "/" in n or "\\" in n or Path(n).is_absolute()]
    if outside:
        raise IntegrityError(f"{path} lists {outside}, which are not files of this folder (a path, '..' or an absolute "
                             "name); a saved model lists only its own files. Do not use this folder")
    for name in _REQUIRED:
        if name not in listed:
            raise IntegrityError(f"{path} does not list {name}; the folder is not a complete energyai model")
    for name, sha in listed.items():
        f = src / name
        if not f.is_file():
            raise IntegrityError(f"{src} lacks {name}, which {CHECKSUMS} lists; the folder is incomplete")
        if sha256_file(f) != sha:
            raise IntegrityError(
                f"{f} does not match the sha256 in {CHECKSUMS}: it was changed, or mixed with another save. "
                "Do not use this folder; save the model again"
            )
    extra = [n for n in FILES if n != CHECKSUMS and n not in listed and (src / n).exists()]
    if extra:
        raise IntegrityError(f"{src} holds {extra}, which {CHECKSUMS} does not list: a mixed folder; save again")
    return listed


def save_forecaster(model: Any, path: str | Path) -> Path:
    """Write ``config.json``, ``model.safetensors`` and ``manifest.json`` into ``path``."""
    from safetensors.torch import save_file

    model._check_fitted()
    out = Path(path)
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"cannot save into {out}: it is a file; give a folder path")
        other = sorted(f.name for f in out.iterdir() if f.name not in FILES)
        if other:
            raise ConfigError(f"cannot save into {out}: it holds other files {other[:5]}, which a save would remove; "
                              "give a new or empty folder")
    stage = staging_dir(out)
    try:
        _write(model, stage, save_file)
        write_checksums(stage)
        replace_dir(stage, out)
    except BaseException:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)
        raise
    return out


def _write(model: Any, out: Path, save_file: Any) -> None:
    config = {
        "format": FORMAT,
        "params": jsonable(model.get_params()),
        "schema": model.schema_.to_dict(),
        "levels": list(model.levels_),
        "calendar": model.calendar_,
        "n_inputs": list(model.n_inputs_),
        "series_ids": jsonable(model.series_ids_),
        "target_range": jsonable(getattr(model, "target_range_", None)),
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))
    # clone: an ensemble's members share their feature modules, and safetensors refuses shared storage
    state = {k: v.detach().cpu().clone().contiguous() for k, v in model.network_.state_dict().items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": FORMAT})
    (out / "manifest.json").write_text(json.dumps(jsonable(model.manifest_), indent=2))
    windows = getattr(model, "parity_windows_", None)
    if windows is not None:  # real training windows for the ONNX export parity gate
        from safetensors.numpy import save_file as save_arrays

        save_arrays({k: np.ascontiguousarray(v) for k, v in windows.items()}, str(out / "parity.safetensors"))


def load_forecaster(cls: type, path: str | Path, verify: bool = True) -> Any:
    """Rebuild a saved forecaster of class ``cls`` from its folder.

    ``verify``: check every file against ``checksums.json`` first (see :func:`verify_folder`).
    """
    src = Path(path)
    if not src.is_dir():
        aside = sorted(src.parent.glob(f".{src.name}.*.old")) if src.parent.is_dir() else []
        hint = f"; an interrupted save left the previous model at {aside[-1]}: rename it back" if aside else ""
        raise ArtifactError(f"{src} is not a folder holding a saved Forecaster{hint}")
    cfg_path = src / "config.json"
    if not cfg_path.exists():
        raise ArtifactError(f"{src} is not a saved Forecaster: config.json is missing")
    if verify:
        verify_folder(src)
    try:
        config = json.loads(cfg_path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{cfg_path} is not valid JSON ({exc}); the folder is damaged") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        fmt = config.get("format") if isinstance(config, dict) else None
        raise ArtifactError(f"{cfg_path} has format {fmt!r}; this energyai reads {FORMAT!r}")
    try:
        return _build(cls, src, config)
    except (ArtifactError, ConfigError):
        raise
    except Exception as exc:  # safetensors, json and constructor errors of a damaged folder
        raise ArtifactError(f"cannot rebuild the model saved in {src}: {type(exc).__name__}: {exc}") from exc


def _build(cls: type, src: Path, config: dict[str, Any]) -> Any:
    from safetensors.torch import load_file

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
    from energyai.nn.build import build_for

    r = model._resolved()
    t = r["train"]
    schema = Schema.from_dict(config["schema"])
    P, F, S = config["n_inputs"]
    calendar = bool(config["calendar"])
    levels = tuple(config["levels"])
    if t.ensemble is not None or r["spec"].kind == "trees":
        from energyai.nn.restore import rebuild_ensemble

        net = rebuild_ensemble(model, r, schema, (P, F, S), calendar, levels, state)
    else:
        table = state.get("holiday.table")
        net = build_for(t, r["spec"], r["cfg"], model.context_length, model.horizon, levels, (P, F, S), schema,
                        calendar=calendar, holiday_days=0 if table is None else int(table.shape[0]))
    if "calibration" in state:
        mix = state.get("calibration_mix")
        net.set_calibration(state["calibration"].clone(), None if mix is None else mix.clone())
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
    model.target_range_ = _target_range(config.get("target_range"))


def _target_range(value: Any) -> dict[str, float] | None:
    """The saved training range, or None (folders saved before energyai recorded it)."""
    if value is None:
        return None
    try:
        lo, hi = float(value["min"]), float(value["max"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"config.json: target_range must be {{'min': number, 'max': number}}, got {value!r}") from exc
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ArtifactError(f"config.json: target_range {value!r} is not a finite interval")
    return {"min": lo, "max": hi}


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
