"""Implementations of the data verbs: validate, datasets, backtest."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from energyai.exceptions import ConfigError
from energyai.schema import Schema


def _split(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def _schema(args: argparse.Namespace) -> Schema:
    capacity: Any = args.capacity
    if capacity is not None:
        try:
            capacity = float(capacity)
        except ValueError:
            pass
    return Schema(
        timestamp=args.timestamp, target=args.target, series_id=args.series_id, freq=args.freq,
        tz=args.tz, past_covariates=tuple(_split(args.past_covariates)),
        future_covariates=tuple(_split(args.future_covariates)), capacity=capacity,
        nonnegative=not args.allow_negative,
    )


def run_validate(args: argparse.Namespace) -> int:
    """Print every problem of a file; exit 1 if there are any, 0 if it is clean."""
    from energyai.data.io import read_table
    from energyai.data.validate import check

    schema = _schema(args)
    kwargs = {"timestamp_format": args.timestamp_format} if args.timestamp_format else {}
    if str(args.data).lower().endswith((".parquet", ".pq")):
        kwargs = {}
    df = read_table(args.data, schema, **kwargs)
    report = check(df, schema)
    if report.ok:
        stats = ", ".join(f"{k}={v}" for k, v in report.stats.items())
        print(f"OK {args.data}: {stats}")
        return 0
    print(f"{len(report.problems)} problem(s) in {args.data}:")
    for i, problem in enumerate(report.problems, 1):
        print(f"{i}. {problem}")
    return 2  # bad data: the documented exit code of DataError (energyai --help)


def run_datasets(args: argparse.Namespace) -> int:
    from energyai import datasets

    if args.action == "info":
        card = datasets.info(args.name)
        for key, value in card.__dict__.items():
            print(f"{key}: {value}")
        return 0
    rows = datasets.list_datasets(args.domain)
    width = max(len(d.name) for d in rows)
    print(f"{'name':{width}}  {'domain':6}  {'freq':4}  {'where':8}  licence")
    for d in rows:
        where = "shipped" if d.shipped else "external"
        print(f"{d.name:{width}}  {d.domain:6}  {d.freq:4}  {where:8}  {d.licence}")
    print(f"\n{len(rows)} datasets. External ones load from $ENERGYAI_DATA/<name>/ (or data_dir=).")
    return 0


def run_presets(args: argparse.Namespace) -> int:
    """``energyai presets list`` and ``energyai presets show NAME --set option=value``."""
    from energyai.presets import available_presets, preset_params
    from energyai.yamlio import load_yaml

    if args.action == "list":
        for p in available_presets():
            print(f"{p.name}\n  {p.summary}")
            for opt, doc in p.options.items():
                print(f"    {opt}: {doc}")
        print("\nUse: Forecaster.preset(NAME, option=value, any Forecaster parameter=value), or "
              "energyai fit --preset NAME -c run.yaml (a preset: section gives the options)")
        return 0
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set expects option=value, got {item!r}")
        overrides[key] = load_yaml(value, f"--set {key}")
    params = preset_params(args.name, **overrides)
    width = max(len(k) for k in params)
    for k, v in params.items():
        print(f"{k:{width}}  {v!r}")
    return 0


def make_baseline(name: str, horizon: int, season: str | int = "day") -> Any:
    """Build a baseline by its CLI name."""
    from energyai import baselines as b

    if isinstance(season, str) and season.isdigit():
        season = int(season)
    factories = {
        "persistence": lambda: b.Persistence(horizon),
        "seasonal_naive": lambda: b.SeasonalNaive(horizon, season=season),
        "persistence_ensemble": lambda: b.PersistenceEnsemble(horizon),
        "climatology": lambda: b.Climatology(horizon, by_weekday=True),
        "ets": lambda: b.ETS(horizon, season=season),
        "sarimax": lambda: b.SARIMAX(horizon, order=(2, 0, 1), season_diff=season),
        "vanilla_mlr": lambda: b.VanillaMLR(horizon),
    }
    if name not in factories:
        raise ConfigError(f"unknown model {name!r}; choose one of {sorted(factories)}")
    return factories[name]()


BASELINE_NAMES = ["climatology", "ets", "persistence", "persistence_ensemble", "sarimax", "seasonal_naive", "vanilla_mlr"]


def _write_reliability(res: Any, out: Path) -> None:
    """Reliability tables (overall and per lead) and the reliability/PIT figure of a quantile model."""
    if len(res.quantiles) < 2:
        return
    res.reliability().write_csv(out / "reliability.csv")
    res.reliability(by_lead=True).write_csv(out / "reliability_by_lead.csv")
    from energyai.exceptions import MissingDependencyError

    try:
        res.plot_reliability(out / "reliability.png")
    except MissingDependencyError as exc:
        print(f"reliability.png not written: {exc}")
        return
    print(f"wrote {out / 'reliability.csv'}, {out / 'reliability_by_lead.csv'} and {out / 'reliability.png'}")


def run_backtest(args: argparse.Namespace) -> int:
    from energyai.evaluation import backtest, skill_table

    if args.list_models:
        print("\n".join(BASELINE_NAMES))
        return 0
    if args.dataset:
        from energyai import datasets

        ds = datasets.load(args.dataset, args.data_dir)
        df, schema = ds.frame, ds.schema
    elif args.data:
        from energyai.data.io import read_table

        schema = _schema(args)
        if Path(args.model).is_dir():  # a saved model: its columns and zone read the file
            from energyai.recipe import load_saved

            schema = load_saved(args.model).schema_
        df = read_table(args.data, schema)
    else:
        raise ConfigError("give --data FILE or --dataset NAME")
    results = {}
    saved = Path(args.model).is_dir()
    for name in dict.fromkeys([args.model, args.reference]):
        if saved and name == args.model:
            from energyai.cli.train import backtest_saved

            results[name] = res = backtest_saved(args, df, None)
            args.horizon = res.forecasts["lead"].max()
            first = res.cutoffs[0] if res.cutoffs else None
            print("IN-SAMPLE (--in-sample): origins inside the model's training data, scores are optimistic"
                   if args.in_sample else f"out of sample: origins from {first}, after the model's training data")
            continue
        model = make_baseline(name, args.horizon, args.season)
        results[name] = backtest(model, df, schema, step=args.step, n_folds=args.n_folds, refit=args.refit,
                                 cutoffs=results[args.model].cutoffs if saved else None, oracle=args.oracle,
                                 known_future=args.known_future)
    from energyai.cli.tables import render, write_csv

    table = skill_table(results, reference=args.reference)
    import polars as pl

    if saved and args.in_sample:
        table = table.with_columns(pl.lit(True).alias("in_sample"))
    print(render(table, getattr(args, "format", "table")))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        forecasts = results[args.model].forecasts
        if saved and args.in_sample:
            forecasts = forecasts.with_columns(pl.lit(True).alias("in_sample"))
        write_csv(forecasts, out / "forecasts.csv")
        (out / "metrics.json").write_text(json.dumps(table.to_dicts(), indent=2, default=str))
        print(f"wrote {out / 'forecasts.csv'} and {out / 'metrics.json'}")
        _write_reliability(results[args.model], out)
    if getattr(args, "plot", None):
        print(f"wrote {results[args.model].plot(args.plot)}")
    return 0
