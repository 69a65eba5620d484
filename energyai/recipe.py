"""Run recipes: a YAML file describes the data, the model and its training; this module reads it.

Used by the ``energyai`` CLI (``fit``, ``finetune``, ``tune``) and by :mod:`energyai.tuning`.
A run is described by one YAML file with four sections::

    data:                      # a registry dataset or a file
      dataset: kr_cnu_gwangju_buildings     # or  path: site.csv
      options: {mask_anomalies: true}       # loader options (registry datasets)
      schema: {target: energy_kwh, ...}     # Schema fields; required with path
      series: [A06_agri_bldg3_HV02]         # keep only these series
      rename: {temp_air: temperature}       # column names a base model expects (after schema)
      start: "2021-06-01"                   # keep rows at or after (local time)
      end: "2022-03-31"                     # keep rows before
    model:
      name: tide
      context_length: 168
      horizon: 24
      quantiles: [0.1, 0.5, 0.9]
      config: {hidden: 128}                 # the architecture's config dataclass
    trainer: {max_steps: 2000, batch_size: 256, learning_rate: 0.001}
    out: runs/tide-buildings

or, with a preset (:mod:`energyai.presets`) choosing the model and its training, a
``preset`` section instead of ``model`` (``model`` and ``trainer`` then override the
preset's choices; ``freq`` and ``tz`` default to the data's)::

    preset: {name: day-ahead-load, country: KR, issue_time: "10:00"}

Everything is checked (sections, keys, the model name and options, the columns of the
data) before training starts. The resolved configuration, with every default filled in,
is written next to the saved model as ``config.resolved.yaml``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from energyai.exceptions import ConfigError
from energyai.schema import Schema

__all__ = ["build_forecaster", "load_config", "load_data", "load_saved", "resolved_config"]

SECTIONS = {"data", "model", "trainer", "out", "preset"}
DATA_KEYS = {"dataset", "path", "data_dir", "options", "schema", "series", "start", "end", "rename"}
MODEL_KEYS = {"name", "context_length", "horizon", "quantiles", "config"}


def load_config(path: str | Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """Read a run configuration and apply ``section.key=value`` overrides (YAML values)."""
    from energyai.fileio import read_regular_bytes
    from energyai.yamlio import MAX_YAML_BYTES, load_yaml

    p = Path(path)
    if not p.exists():
        raise ConfigError(f"config file {p} does not exist")
    data = read_regular_bytes(p, "config file", ConfigError, limit=MAX_YAML_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot read config file {p}: {exc}") from None
    cfg = load_yaml(text, str(p)) or {}
    if not isinstance(cfg, dict):
        raise ConfigError(f"{p} must hold a mapping with sections {sorted(SECTIONS)}")
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"--set expects section.key=value, got {item!r}")
        key, value = item.split("=", 1)
        node = cfg
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: {part!r} is not a section")
        node[parts[-1]] = load_yaml(value, f"--set {key}")
    unknown = set(cfg) - SECTIONS
    if unknown:
        raise ConfigError(f"{p}: unknown section(s) {sorted(unknown)}; sections are {sorted(SECTIONS)}")
    return cfg


def _check_keys(section: dict[str, Any], allowed: set[str], name: str) -> None:
    if not isinstance(section, dict):
        raise ConfigError(f"section {name!r} must be a mapping")
    unknown = set(section) - allowed
    if unknown:
        raise ConfigError(f"section {name!r} has unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def load_data(data: dict[str, Any]) -> tuple[Any, Schema]:
    """Load and filter the frame a ``data`` section describes; validates the schema's columns."""
    import polars as pl

    from energyai.data.validate import resolve

    _check_keys(data, DATA_KEYS, "data")
    if bool(data.get("dataset")) == bool(data.get("path")):
        raise ConfigError("section 'data' needs exactly one of dataset: NAME or path: FILE")
    if data.get("dataset"):
        from energyai import datasets

        ds = datasets.load(data["dataset"], data.get("data_dir"), **(data.get("options") or {}))
        frame, schema = ds.frame, ds.schema
        if data.get("schema"):
            try:
                schema = schema.with_(**data["schema"])
            except TypeError as exc:
                raise ConfigError(f"data.schema: {exc}") from exc
    else:
        from energyai.data.io import read_table

        if not data.get("schema"):
            raise ConfigError("data.path needs data.schema with at least timestamp and target")
        try:
            schema = Schema(**data["schema"])
        except TypeError as exc:
            raise ConfigError(f"data.schema: {exc}") from exc
        frame = read_table(data["path"], schema)
    if data.get("rename"):
        frame, schema = _rename(frame, schema, data["rename"])
    if data.get("series"):
        if not schema.series_id:
            raise ConfigError("data.series filters series, but the schema has no series_id")
        wanted = [str(s) for s in data["series"]]
        known = set(frame[schema.series_id].cast(pl.Utf8).unique().to_list())
        missing = sorted(set(wanted) - known)
        if missing:
            raise ConfigError(f"data.series names unknown series {missing}; known: {sorted(known)[:20]}")
        frame = frame.filter(pl.col(schema.series_id).cast(pl.Utf8).is_in(wanted))
    frame, schema = resolve(frame, schema)
    tz = schema.tz or "UTC"
    for key, op in (("start", "ge"), ("end", "lt")):
        if data.get(key):
            when = _parse_time(data[key], key)
            bound = pl.lit(when).dt.replace_time_zone(tz)
            frame = frame.filter(pl.col(schema.timestamp) >= bound if op == "ge" else pl.col(schema.timestamp) < bound)
    if frame.height == 0:
        raise ConfigError("no rows left after data.series/start/end")
    return frame, schema


def _rename(frame: Any, schema: Schema, mapping: Any) -> tuple[Any, Schema]:
    """Rename columns of the frame and of the schema (``data.rename: {old: new}``), so a site's
    columns take the names a base model was trained with (``temp_air: temperature``)."""
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ConfigError(f"data.rename must map column names to new names, got {mapping!r}")
    missing = sorted(set(mapping) - set(frame.columns))
    if missing:
        raise ConfigError(f"data.rename names columns {missing} that the data does not have; it has {frame.columns}")
    clash = sorted(set(mapping.values()) & (set(frame.columns) - set(mapping)))
    if clash:
        raise ConfigError(f"data.rename would give columns {clash} a name the data already uses")

    def new(c: Any) -> Any:
        return mapping.get(c, c) if isinstance(c, str) else c

    fields = {"timestamp": new(schema.timestamp), "target": new(schema.target), "series_id": new(schema.series_id),
              "capacity": new(schema.capacity)}
    for role in ("past_covariates", "future_covariates", "static_covariates"):
        fields[role] = tuple(new(c) for c in getattr(schema, role))
    return frame.rename(mapping), schema.with_(**fields)


def _parse_time(value: Any, key: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"data.{key} must be a date or datetime like 2021-06-01, got {value!r}") from exc


def build_forecaster(cfg: dict[str, Any], base_params: dict[str, Any] | None = None,
                     schema: Schema | None = None) -> Any:
    """A Forecaster from the ``preset``, ``model`` and ``trainer`` sections (checked, not yet fitted).

    ``schema``: the data's, whose ``freq`` and ``tz`` a preset takes unless its section gives them.
    """
    from energyai.config import TrainConfig
    from energyai.forecaster import Forecaster

    model = cfg.get("model") or {}
    trainer = dict(cfg.get("trainer") or {})
    _check_keys(model, MODEL_KEYS, "model")
    _check_keys(trainer, set(TrainConfig.names()), "trainer")
    trainer.setdefault("progress_bar", "auto")
    if cfg.get("preset") and base_params is None:
        return _from_preset(cfg["preset"], model, trainer, schema)
    if base_params is not None:  # fine-tuning: the architecture comes from the base model
        params = dict(base_params)
        for key in ("name", "context_length", "horizon", "quantiles"):
            if key in model:
                theirs = params["model" if key == "name" else key]
                mine = model[key]
                if (list(mine) if isinstance(mine, (list, tuple)) else mine) != (
                        list(theirs) if isinstance(theirs, (list, tuple)) else theirs):
                    raise ConfigError(f"model.{key} is {mine!r} but the base model has {theirs!r}; "
                                      "fine-tuning keeps the architecture (drop model.{key})")
        if model.get("config"):
            raise ConfigError("fine-tuning keeps the base architecture; remove model.config")
        params.update({"max_steps": None, "max_epochs": None})
        # the base's per-series holiday countries name the base's training series, not the site's
        params.pop("series_holidays", None)
        params.pop("series_sites", None)
        params.update(trainer)
    else:
        if "name" not in model:
            raise ConfigError("section 'model' needs name: one of energyai.models.available_models()")
        # options the YAML leaves out take the Forecaster's own defaults (declared once, there)
        params = {"model": model["name"], **{k: model[k] for k in ("context_length", "horizon") if k in model}}
        if "quantiles" in model:
            params["quantiles"] = tuple(model["quantiles"] or ())
        params.update({**(model.get("config") or {}), **trainer})
    return Forecaster(**params).check()  # unknown model, options and bad values fail here, before any data work


def _from_preset(section: Any, model: dict[str, Any], trainer: dict[str, Any], schema: Schema | None) -> Any:
    """A Forecaster from a ``preset`` section, with ``model`` and ``trainer`` overriding its choices."""
    from energyai.forecaster import Forecaster
    from energyai.presets import PRESETS

    if not isinstance(section, dict) or "name" not in section:
        raise ConfigError(f"section 'preset' needs name: one of {sorted(PRESETS)}, got {section!r}")
    options = {k: v for k, v in section.items() if k != "name"}
    name = section["name"]
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; presets are {sorted(PRESETS)}")
    _check_keys(options, set(PRESETS[name].options), "preset")
    if schema is not None:
        if "freq" in PRESETS[name].options and schema.frequency is not None:
            options.setdefault("freq", schema.frequency.name)
        if "tz" in PRESETS[name].options and schema.tz:
            options.setdefault("tz", schema.tz)
    overrides = {**(model.get("config") or {}), **trainer}
    if "name" in model:
        overrides["model"] = model["name"]
    for key in ("context_length", "horizon"):
        if key in model:
            overrides[key] = model[key]
    if "quantiles" in model:
        overrides["quantiles"] = tuple(model["quantiles"] or ())
    return Forecaster.preset(name, **options, **overrides)


def resolved_config(cfg: dict[str, Any], model: Any, schema: Schema) -> dict[str, Any]:
    """The configuration with every default filled in, as written next to the model."""
    from energyai.config import TrainConfig
    from energyai.persist import jsonable as _jsonable

    params = model.get_params()
    out = {
        "data": {**(cfg.get("data") or {}), "schema": _jsonable(schema.to_dict())},
        "model": {
            "name": params["model"], "context_length": params["context_length"], "horizon": params["horizon"],
            "quantiles": list(params["quantiles"] or ()),
            "config": _jsonable(model.model_config),
        },
        "trainer": _jsonable({k: params[k] for k in TrainConfig.names()}),
        "out": str(cfg.get("out")),
    }
    if cfg.get("preset"):
        out["preset"] = dict(cfg["preset"])
    return out


def load_saved(path: str | Path, verify: bool = True) -> Any:
    """A saved Forecaster from a model folder, a run folder (``RUN/model``) or a released model's
    name (:mod:`energyai.pretrained`), checksums verified."""
    from energyai.forecaster import Forecaster
    from energyai.pretrained import resolve

    return Forecaster.load(resolve(path), verify=verify)
