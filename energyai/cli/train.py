"""``energyai fit``, ``finetune``, ``predict`` and the saved-model ``backtest``.

The run configuration (YAML) is read by :mod:`energyai.recipe`; see its docstring for the
sections and keys.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from energyai.exceptions import ConfigError
from energyai.recipe import build_forecaster, load_config, load_data, load_saved, resolved_config
from energyai.schema import Schema

__all__ = ["backtest_saved", "load_saved", "run_finetune", "run_fit", "run_predict"]


def _write_run(out: Path, cfg: dict[str, Any], model: Any, schema: Schema) -> None:
    import yaml

    model.save(out / "model")
    (out / "config.resolved.yaml").write_text(yaml.safe_dump(resolved_config(cfg, model, schema), sort_keys=False))
    (out / "history.json").write_text(json.dumps(model.manifest_.get("history", {}), indent=2))


def _train(args: argparse.Namespace, base: Any = None) -> tuple[Any, Path]:
    """Build, check, fit and save the model a run configuration describes."""
    cfg = load_config(args.config, args.set)
    if getattr(args, "preset", None):
        section = cfg.get("preset") or {}
        if not isinstance(section, dict):
            section = {}
        cfg["preset"] = {**section, "name": args.preset}
    out = Path(args.out or cfg.get("out") or ("energyai-run" if base is None else "energyai-finetune"))
    if cfg.get("preset") and base is None:  # the preset takes the data's step and time zone
        frame, schema = load_data(cfg.get("data") or {})
        model = build_forecaster(cfg, None, schema)
    else:
        model = build_forecaster(cfg, None if base is None else base.get_params())
        frame, schema = load_data(cfg.get("data") or {})
    if base is None:
        every = getattr(args, "checkpoint_every", None)
        if model.get_params().get("checkpoint_dir") is None:
            model.set_params(checkpoint_dir=str(out / "checkpoints"))
        if every is not None:
            model.set_params(checkpoint_every=int(every))
        elif not model.get_params().get("checkpoint_every"):
            model.set_params(checkpoint_every=100)
        model.fit(frame, schema, resume=True if getattr(args, "resume", False) else None)
    else:
        model.fit(frame, schema, init_from=base, freeze=args.freeze)
    _write_run(out, cfg, model, schema)
    return model, out


def run_fit(args: argparse.Namespace) -> int:
    model, out = _train(args)
    h = model.history_
    if model.preset_name:
        print(f"preset {model.preset_name}: {model.model}, context {model.context_length}, horizon {model.horizon}, "
              f"budget {h['budget']['max_steps']} steps ({'sized from the data' if h['budget']['auto'] else 'fixed'})")
    if "members" in h:  # an ensemble: members, weights and calibration; the first network's loss curve
        print(model.summary())
        neural = [m for m in h["members"] if m.get("model") != "lightgbm"]
        curve_of = neural[0] if neural else {}
    else:
        print(f"trained {model.model}: {h['steps']} steps, {h['train_windows']} training windows, "
              f"best validation loss {h['best_val_loss']}, {h['fit_seconds']} s")
        curve_of = h
    from energyai.cli.figures import loss_curve

    curve = loss_curve(curve_of, out / "loss.png", f"{model.model}: training and validation loss")
    print(f"saved {out / 'model'}, {out / 'config.resolved.yaml'}" + (f" and {curve}" if curve else ""))
    return 0


def run_finetune(args: argparse.Namespace) -> int:
    if args.config is None:
        from energyai.pretrained import example_config

        example = example_config(args.from_)
        if example is None:
            raise ConfigError(f"give -c site.yaml: {args.from_!r} is not a released model with an example "
                              "configuration (energyai.pretrained.available())")
        print(f"using the example configuration of {args.from_}: {example}")
        args.config = str(example)
    model, out = _train(args, load_saved(args.from_))
    h = model.history_
    best = h.get("best_val_loss")
    print(f"fine-tuned {model.model} from {args.from_} (freeze={args.freeze}): {h['steps']} steps, "
          + (f"best validation loss {best:.5f}" if best is not None else "no validation windows (val_size=0)"))
    print(f"saved {out / 'model'}")
    return 0


def parse_site(text: str | None) -> tuple[float, ...] | None:
    """``"35.2,126.9[,50]"`` as (latitude, longitude[, altitude]); a ConfigError names a bad one."""
    if text is None:
        return None
    try:
        site = tuple(float(v) for v in text.split(","))
    except ValueError:
        site = ()
    if len(site) not in (2, 3):
        raise ConfigError(f"--site must be LAT,LON or LAT,LON,ALT in degrees and metres (35.18,126.91,50), got {text!r}")
    return site


def run_predict(args: argparse.Namespace) -> int:
    from energyai.data.io import read_table

    model = load_saved(args.model, verify=not getattr(args, "no_verify", False))
    site = parse_site(getattr(args, "site", None))
    if getattr(args, "tz", None) or getattr(args, "holidays", None) or site is not None:
        model = model.localize(tz=args.tz, holidays=args.holidays, solar_site=site)
    schema = model.schema_
    history = read_table(args.data, schema)
    future = read_table(args.future, schema) if args.future else None
    pred = model.predict(history, future, fallback=getattr(args, "fallback", "seasonal"))
    from energyai.cli.tables import render, write_csv

    if args.out:
        write_csv(pred, args.out)
        print(f"wrote {pred.height} rows to {args.out}")
    else:
        print(render(pred))
    return 0


def backtest_saved(args: argparse.Namespace, df: Any, schema: Schema | None) -> Any:
    """Score a saved model over rolling origins without refitting it.

    The data are read in the model's zone (timestamps in another zone are converted). Origins
    start after the model's training data unless ``args.in_sample``; an in-sample score is
    labelled so in every output.
    """
    import datetime as dt

    import polars as pl

    from energyai.evaluation import backtest

    model = load_saved(args.model)
    schema = model.schema_ if schema is None else schema
    ts = schema.timestamp
    zone = getattr(df.schema[ts], "time_zone", None) if isinstance(df, pl.DataFrame) and ts in df.columns else None
    if zone not in (None, schema.tz):
        df = df.with_columns(pl.col(ts).dt.convert_time_zone(schema.tz or "UTC"))
    end = (model.history_ or {}).get("data_end")
    start = None
    if not getattr(args, "in_sample", False) and end:
        start = dt.datetime.fromisoformat(str(end).rstrip("Z")).replace(tzinfo=dt.timezone.utc)
        last: Any = df[ts].max() if isinstance(df, pl.DataFrame) else None
        step = dt.timedelta(seconds=schema.frequency.seconds * model.horizon) if schema.frequency else dt.timedelta(0)
        if last is not None and last - step < start:
            raise ConfigError(f"the data end at {last}, but {args.model} was trained on data up to {end}: no origin "
                              "after its training leaves a whole horizon to score. Give later data, or pass "
                              "--in-sample to score on the training period (labelled in-sample)")
    return backtest(model, df, schema, step=args.step, n_folds=args.n_folds, start=start,
                    fit=False, min_train=model.context_length, oracle=getattr(args, "oracle", False),
                    known_future=getattr(args, "known_future", ()))
