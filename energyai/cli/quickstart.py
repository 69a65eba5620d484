"""``energyai quickstart``: the main job, end to end, on the shipped load data.

1. Load ``taylor_uk_demand_2000`` (England and Wales demand, half-hourly) and validate it.
2. Select a model: every candidate baseline is backtested on a validation window of
   14 day-ahead forecasts; the lowest MAE wins.
3. Train a small neural model (DLinear over one week of context, quantile outputs) on
   the data before the test window, early-stopped on the validation days.
4. Backtest the neural model, the selected baseline and the seasonal naive reference
   (same time last week) on the final 14 days, each fitted only on data before them.
5. Export the neural model to one ONNX file (parity-checked), run it through the
   torch-free runtime and print both forecasts side by side with their latency.
6. Print the table and write ``metrics.json``, ``forecast.png``, ``model.onnx`` and ``report.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from energyai import __version__
from energyai.evaluation import BacktestResult, backtest

HORIZON = 48          # one day of half-hours
DAYS_VALIDATION = 14
DAYS_TEST = 14
REFERENCE = "seasonal_naive_week"
NEURAL = "dlinear_neural"


def neural_model() -> Any:
    """The quickstart's neural model: DLinear (Zeng et al. 2023) over one week of
    half-hourly context with reversible instance normalisation, trained with the pinball
    loss for quantiles 0.1/0.5/0.9 (48 x 336 x 3 x 2 weights, about 97 k). Twelve weeks of
    data are too few for the larger architectures (N-HiTS and TiDE scored worse than
    seasonal naive here)."""
    from energyai.forecaster import Forecaster

    return Forecaster(
        "dlinear", context_length=7 * HORIZON, horizon=HORIZON, quantiles=(0.1, 0.5, 0.9),
        max_steps=1500, batch_size=128, batches_per_epoch=100, learning_rate=3e-3, seed=0,
    )


def _export_and_compare(model: Any, history: Any, out: Path, say: Any) -> dict[str, Any] | None:
    """Export the neural model to ONNX, run it through the torch-free runtime, compare."""
    try:
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        say('  ONNX export skipped: pip install "energyai[train]" brings onnx, onnxscript and onnxruntime')
        return None
    import numpy as np

    from energyai._timing import median_ms
    from energyai.runtime import OnnxForecaster

    path = out / "model.onnx"
    report = model.export(path)
    worst = max(v["max_err_over_limit"] for v in report.parity.checks.values())
    say(f"\nONNX: wrote {path} ({report.bytes / 1e6:.2f} MB, one file), parity gate passed "
        f"(worst error {worst:.2g} of the limit)")
    runtime = OnnxForecaster(path, threads=1)
    schema = model.schema_
    tail = history.tail(model.context_length)
    y = tail[schema.target].to_numpy()
    t = tail[schema.timestamp].dt.convert_time_zone("UTC").dt.replace_time_zone(None).to_numpy()
    by_torch = model.predict(tail)
    by_onnx = runtime.predict_arrays(y, t)
    ms_torch = median_ms(lambda: model.predict(tail), 20, 3)
    ms_onnx = median_ms(lambda: runtime.predict_arrays(y, t), 200, 20)
    diff = float(np.abs(by_torch["forecast"].to_numpy() - by_onnx.median[0]).max())
    say(f"  next day from {tail[schema.timestamp][-1]}: torch (Forecaster.predict) vs onnxruntime (energyai.runtime)")
    say(f"  {'time':26s} {'torch':>10s} {'onnx':>10s} {'onnx q0.1':>10s} {'onnx q0.9':>10s}")
    for i in range(0, model.horizon, 8):
        say(f"  {by_torch[schema.timestamp][i]!s:26s} {by_torch['forecast'][i]:10.1f} {by_onnx.median[0, i]:10.1f} "
            f"{by_onnx.quantile(0.1)[0, i]:10.1f} {by_onnx.quantile(0.9)[0, i]:10.1f}")
    say(f"  max |torch - onnx| = {diff:.3g} {schema.units}; one forecast: torch {ms_torch:.2f} ms, "
        f"onnxruntime {ms_onnx:.3f} ms (validation included, 1 thread)")
    return {"file": str(path), "bytes": report.bytes, "sha256": report.sha256, "max_abs_diff": diff,
            "torch_predict_ms": round(ms_torch, 3), "onnx_predict_ms": round(ms_onnx, 4)}


def candidates() -> dict[str, Any]:
    """The models the quickstart chooses from (all with the same fit/predict contract)."""
    from energyai import baselines as b

    return {
        REFERENCE: b.SeasonalNaive(HORIZON, season="week"),
        "seasonal_naive_day": b.SeasonalNaive(HORIZON, season="day"),
        "persistence_ensemble": b.PersistenceEnsemble(HORIZON),
        "climatology_weekday": b.Climatology(HORIZON, by_weekday=True),
        "ets_daily": b.ETS(HORIZON, season="day"),
        "sarimax_weekly_diff": b.SARIMAX(HORIZON, order=(2, 0, 1), season_diff="week"),
    }


def _day_cutoffs(last: dt.datetime, days: int, skip_days: int = 0) -> list[dt.datetime]:
    """Origins at the last step of each day, so each forecast covers a whole local day."""
    end = last - dt.timedelta(days=skip_days)
    return [end - dt.timedelta(days=k) for k in range(days, 0, -1)]


def _plot(result: BacktestResult, reference: BacktestResult, path: Path, units: str, name: str) -> None:
    from energyai._optional import import_optional

    mpl = import_optional("matplotlib", "the quickstart plot")
    mpl.use("Agg")
    plt = import_optional("matplotlib.pyplot", "the quickstart plot")
    f = result.forecasts.tail(7 * HORIZON)
    r = reference.forecasts.tail(7 * HORIZON)
    ts = f["timestamp"].to_list()
    fig, ax = plt.subplots(figsize=(11, 4.2), dpi=110)
    ax.fill_between(ts, f["q0.1"].to_numpy(), f["q0.9"].to_numpy(), color="tab:blue", alpha=0.2,
                    label=f"{name} 10-90 % interval")
    ax.plot(ts, f["actual"].to_numpy(), color="black", lw=1.2, label="actual")
    ax.plot(ts, f["forecast"].to_numpy(), color="tab:blue", lw=1.2, label=f"{name} forecast")
    ax.plot(ts, r["forecast"].to_numpy(), color="tab:orange", lw=1.0, ls="--", label="seasonal naive (last week)")
    ax.set_ylabel(f"demand [{units}]")
    ax.set_title("England and Wales demand: day-ahead forecasts, last 7 test days")
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _neural(df: Any, schema: Any, test_cutoffs: list[Any], val_cutoffs: list[Any], rows: dict[str, Any],
            out: Path, say: Any) -> tuple[Any, dict[str, Any] | None]:
    """Train, backtest and export the neural model (when the training extra is installed); adds its row."""
    try:
        import lightning  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        say('\nneural model skipped: install the training extra with pip install "energyai[train]"')
        return None, None
    say(f"\nneural model: DLinear, context {7 * HORIZON} steps (one week), trained on data before the test "
        f"window, early-stopped on the {DAYS_VALIDATION} validation days")
    neural = neural_model()
    train = df.filter(df[schema.timestamp] <= test_cutoffs[0])
    neural.fit(train, schema, val_start=val_cutoffs[0] + dt.timedelta(minutes=30))
    h = neural.history_
    say(f"  {h['steps']} steps in {h['fit_seconds']} s, best validation loss {h['best_val_loss']:.4f}")
    baselines = dict(rows)
    rows.clear()  # the neural model's row first, then the baselines'
    rows[NEURAL] = backtest(neural, df, schema, cutoffs=test_cutoffs, fit=False)
    rows.update(baselines)
    onnx_result = _export_and_compare(neural, df.filter(df[schema.timestamp] <= test_cutoffs[-1]), out, say)
    return neural, onnx_result


def _write_report(out: Path, ds: Any, val_cutoffs: list[Any], test_cutoffs: list[Any], val_scores: dict[str, float],
                  metrics: dict[str, dict[str, float]], result: dict[str, Any]) -> None:
    """``report.md``: data, task, validation and test tables, the figure."""
    winner, best = result["best_on_test"], result["selected_model"]
    skill, skill_baseline = result["skill_mae_vs_reference"], result["skill_mae_selected_baseline_vs_reference"]
    lines = [
        "# energyai quickstart report",
        "",
        f"Data: **{ds.info.name}**, {ds.info.description} Source: {ds.info.citation} Licence: {ds.info.licence}.",
        "",
        f"Task: day-ahead ({HORIZON} half-hours) forecasts from the last half-hour of each day.",
        f"Model selection on {DAYS_VALIDATION} validation days ({val_cutoffs[0]} .. {val_cutoffs[-1]}), "
        f"test on the final {DAYS_TEST} days; every model is fitted only on data before its window.",
        "",
        "## Validation MAE",
        "",
        "| model | MAE [MW] |", "|---|---|",
        *[f"| {k} | {v:.1f} |" for k, v in sorted(val_scores.items(), key=lambda kv: kv[1])],
        "",
        "## Test",
        "",
        "| model | MAE | RMSE | MAPE % | CV(RMSE) % | pinball | 10-90 % coverage |", "|---|---|---|---|---|---|---|",
        *[f"| {k} | {m['mae']:.1f} | {m['rmse']:.1f} | {m['mape']:.2f} | {m['cv_rmse']:.2f} | {m['pinball']:.1f} | {m['coverage']:.2f} |"
          for k, m in metrics.items()],
        "",
        f"Best on test: **{winner}**, skill against {REFERENCE} on MAE **{skill:+.3f}** "
        f"(the selected baseline {best}: {skill_baseline:+.3f}).",
        "",
        neural_verdict(metrics, best, ds.schema.units or ""),
        "",
        "![forecast](forecast.png)",
        "",
        f"energyai {__version__}; wall time {result['wall_seconds']} s.",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")


def neural_verdict(metrics: dict[str, dict[str, float]], best: str, units: str) -> str:
    """One plain sentence: does the neural model beat the selected baseline on test MAE?"""
    if NEURAL not in metrics or best == NEURAL:
        return ""
    mine, theirs = metrics[NEURAL]["mae"], metrics[best]["mae"]
    word = "beats" if mine < theirs else "does NOT beat"
    return (f"The neural model {word} the selected baseline {best} on test MAE ({mine:.1f} against "
            f"{theirs:.1f} {units}).")


def _sayer(verbose: bool, t_start: float) -> Any:
    """``say(*parts)``: print when verbose; a new stage (a message starting with a blank line)
    gets the seconds since ``t_start``."""

    def say(*parts: Any) -> None:
        if verbose:
            msg = " ".join(str(p) for p in parts)
            print(f"\n[{time.perf_counter() - t_start:5.1f} s] {msg[1:]}" if msg.startswith("\n") else msg, flush=True)

    return say


def run_quickstart(out: str | Path = "energyai-quickstart", verbose: bool = True) -> dict[str, Any]:
    """Run the quickstart and return what it wrote to ``metrics.json``."""
    from energyai import datasets
    from energyai.data.validate import check

    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = _sayer(verbose, t_start)

    ds = datasets.load("taylor_uk_demand_2000")
    report = check(ds.frame, ds.schema)
    report.raise_if_problems()
    say(f"data: {ds.info.name} — {ds.info.description}")
    say("validated: " + ", ".join(f"{k}={v}" for k, v in report.stats.items()))
    df, schema = report.frame, report.schema
    last = df[schema.timestamp].max()
    # the final DAYS_TEST days are the test window; the DAYS_VALIDATION before it select the model
    last_origin = last - dt.timedelta(days=1)
    test_cutoffs = _day_cutoffs(last_origin + dt.timedelta(days=1), DAYS_TEST)
    val_cutoffs = _day_cutoffs(test_cutoffs[0] + dt.timedelta(days=1), DAYS_VALIDATION, skip_days=1)

    say(f"\nmodel selection: {DAYS_VALIDATION} day-ahead forecasts from {val_cutoffs[0]} to {val_cutoffs[-1]}")
    val_scores: dict[str, float] = {}
    for name, model in candidates().items():
        res = backtest(model, df.filter(df[schema.timestamp] <= val_cutoffs[-1] + dt.timedelta(days=1)),
                       schema, cutoffs=val_cutoffs)
        val_scores[name] = res.metrics["mae"][0]
        say(f"  {name:24s} validation MAE {val_scores[name]:9.1f} {schema.units}")
    best = min(val_scores, key=val_scores.__getitem__)
    say(f"selected: {best}")

    models = candidates()
    test_best = backtest(models[best], df, schema, cutoffs=test_cutoffs)
    test_ref = test_best if best == REFERENCE else backtest(models[REFERENCE], df, schema, cutoffs=test_cutoffs)
    rows, keys = {best: test_best, REFERENCE: test_ref}, ["mae", "rmse", "mape", "cv_rmse", "pinball", "coverage"]
    neural, onnx_result = _neural(df, schema, test_cutoffs, val_cutoffs, rows, out, say)
    winner = min(rows, key=lambda k: rows[k].metrics["mae"][0])
    test_best = rows[winner]
    metrics = {name: {k: float(r.metrics[k][0]) for k in keys} for name, r in rows.items()}
    skill = 1.0 - metrics[winner]["mae"] / metrics[REFERENCE]["mae"]
    skill_baseline = 1.0 - metrics[best]["mae"] / metrics[REFERENCE]["mae"]

    say(f"\ntest: {DAYS_TEST} day-ahead forecasts, origins {test_cutoffs[0]} .. {test_cutoffs[-1]}")
    say(f"{'model':26s} {'MAE':>9s} {'RMSE':>9s} {'MAPE %':>7s} {'CV(RMSE)':>8s} {'pinball':>8s} {'cover':>6s}")
    for name, m in metrics.items():
        say(f"{name:26s} {m['mae']:9.1f} {m['rmse']:9.1f} {m['mape']:7.2f} {m['cv_rmse']:8.2f} {m['pinball']:8.1f} {m['coverage']:6.2f}")
    say(f"best on test: {winner}; skill against {REFERENCE} (MAE): {skill:+.3f} "
        f"(selected baseline {best}: {skill_baseline:+.3f})")
    say(neural_verdict(metrics, best, schema.units or "") or "(no neural model: the train extra is missing)")

    _plot(test_best, test_ref, out / "forecast.png", schema.units or "", winner)
    result = {
        "energyai_version": __version__,
        "dataset": ds.info.name,
        "dataset_citation": ds.info.citation,
        "horizon_steps": HORIZON,
        "freq": schema.freq,
        "validation_cutoffs": [c.isoformat() for c in (val_cutoffs[0], val_cutoffs[-1])],
        "test_cutoffs": [c.isoformat() for c in (test_cutoffs[0], test_cutoffs[-1])],
        "validation_mae": val_scores,
        "selected_model": best,
        "neural_model": None if neural is None else {
            "name": NEURAL, "params": {k: v for k, v in neural.get_params().items() if v is not None
                                       and k in ("model", "context_length", "horizon", "max_steps", "hidden")},
            "steps": neural.history_["steps"], "fit_seconds": neural.history_["fit_seconds"]},
        "onnx": onnx_result,
        "best_on_test": winner,
        "reference_model": REFERENCE,
        "test": metrics,
        "skill_mae_vs_reference": skill,
        "skill_mae_selected_baseline_vs_reference": skill_baseline,
        "units": schema.units,
        "wall_seconds": round(time.perf_counter() - t_start, 2),
    }
    (out / "metrics.json").write_text(json.dumps(result, indent=2))
    _write_report(out, ds, val_cutoffs, test_cutoffs, val_scores, metrics, result)
    onnx_note = f", {out / 'model.onnx'}" if onnx_result else ""
    say(f"\nwrote {out / 'metrics.json'}, {out / 'forecast.png'}, {out / 'report.md'}{onnx_note}")
    return result
