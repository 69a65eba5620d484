"""Hyper-parameter search with optuna: TPE, pruning on the validation loss, RDB storage.

A study lives in an optuna storage (SQLite by default, PostgreSQL for many machines), so
it survives its process: run the same command again and it resumes. A trial whose
process died (SIGKILL, power cut) stops sending heartbeats and is marked FAIL by the next
worker; completed trials are never lost or recorded twice. Several workers may share one
study; together they finish exactly ``n_trials`` completed or pruned trials.
"""

from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from energyai._optional import import_optional
from energyai.config import Param, TrainConfig
from energyai.exceptions import ConfigError
from energyai.progress import Progress, progress_mode

__all__ = ["PRESETS", "TRAINER_SPACE", "TuneResult", "search_space", "tune"]

#: Trainer options searched for every model (declared on :class:`energyai.config.TrainConfig`).
TRAINER_SPACE: dict[str, Param] = TrainConfig.search_space()

#: Per-trial budgets. "cpu": a useful 8-trial search in about 10 minutes on 2 cores for
#: hourly data of a few series; "gpu": longer trials for a GPU worker.
PRESETS: dict[str, dict[str, Any]] = {
    "cpu": {"max_steps": 600, "batches_per_epoch": 50, "early_stopping_patience": 3, "max_val_windows": 1024},
    "gpu": {"max_steps": 5000, "batches_per_epoch": 200, "early_stopping_patience": 5, "max_val_windows": 8192},
}

METRICS = ("val_loss",)


@dataclass
class TuneResult:
    """What a search produced (files are written into ``out``)."""

    study_name: str
    storage: str
    best_value: float
    best_params: dict[str, Any]
    best_config: dict[str, Any]
    n_complete: int
    n_pruned: int
    n_failed: int
    out: Path


def search_space(model: str) -> dict[str, Param]:
    """The searched parameters of ``model``: its architecture space plus the trainer's (a tree
    model's own space only: the trainer's options, the networks' optimiser, do not reach it)."""
    from energyai.models import get_model

    spec = get_model(model)
    return dict(spec.search_space) if spec.kind == "trees" else {**spec.search_space, **TRAINER_SPACE}


def _apply(cfg: dict[str, Any], params: dict[str, Any], model: str) -> dict[str, Any]:
    """A run configuration with the trial's parameters written in (``energyai fit -c`` reads it)."""
    from energyai.models import get_model

    out = copy.deepcopy(cfg)
    arch = get_model(model).search_space
    out.setdefault("model", {}).setdefault("config", {})
    out.setdefault("trainer", {})
    for k, v in params.items():
        if k in arch:
            out["model"]["config"][k] = v
        else:
            out["trainer"][k] = v
    if not out["model"]["config"]:
        del out["model"]["config"]
    return out


def _open_study(optuna: Any, url: str, name: str, heartbeat: int, grace: int | None, seed: int,
                n_trials: int) -> Any:
    """Create or load the study; workers starting together race to create the schema, so retry."""
    import random

    from sqlalchemy.exc import IntegrityError, OperationalError

    last: Exception | None = None
    for attempt in range(8):
        try:
            rdb = optuna.storages.RDBStorage(
                url, heartbeat_interval=heartbeat, grace_period=grace or 2 * heartbeat,
                engine_kwargs={"connect_args": {"timeout": 60}} if url.startswith("sqlite") else None,
            )
            return optuna.create_study(
                study_name=name, storage=rdb, load_if_exists=True, direction="minimize",
                sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(4, n_trials)),
                pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
            )
        except (IntegrityError, OperationalError, optuna.exceptions.DuplicatedStudyError) as exc:
            last = exc
            time.sleep(0.5 + random.random() * (attempt + 1))
    raise ConfigError(f"cannot open study {name!r} in {url}: {last}")


class _Surplus(Exception):
    """A trial started after the study already had ``n_trials``; recorded as FAIL, not run."""


class _Pruning:
    """Lightning callback: report the validation loss to optuna, stop hopeless trials."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial

    def make(self) -> Any:
        import lightning as L

        trial = self.trial
        optuna = import_optional("optuna", "tuning")

        class Pruning(L.Callback):
            def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
                if trainer.sanity_checking:
                    return
                value = trainer.callback_metrics.get("val_loss")
                if value is None:
                    return
                trial.report(float(value), step=int(trainer.global_step))
                if trial.should_prune():
                    raise optuna.TrialPruned(f"val_loss {float(value):.5g} at step {trainer.global_step}")

        return Pruning()


def tune(
    config: dict[str, Any] | str | Path,
    n_trials: int = 8,
    *,
    timeout: float | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    metric: str = "val_loss",
    seed: int = 0,
    preset: str = "cpu",
    out: str | Path | None = None,
    worker: int = 0,
    heartbeat_interval: int = 30,
    grace_period: int | None = None,
    data: Any = None,
    progress: Any = "auto",
) -> TuneResult:
    """Search a model's hyper-parameters for the data of a run configuration.

    Parameters
    ----------
    config : dict or path
        A run configuration as ``energyai fit -c`` reads it (data, model, trainer, out).
    n_trials : int
        Completed or pruned trials the study should hold in the end (across resumes and
        workers).
    timeout : float, optional
        Seconds after which this worker starts no new trial.
    storage : str, optional
        optuna RDB URL; default ``sqlite:///<out>/study.db``. Use PostgreSQL
        (``postgresql://user:pw@host/db``) for workers on several machines.
    study_name : str, optional
        Default: the config's ``out`` folder name.
    metric : {"val_loss"}
        The objective (minimised): the best validation loss of the trial.
    seed : int
        Sampler seed (``seed + worker``) and the model seed of every trial.
    preset : {"cpu", "gpu"}
        Per-trial budget, unless the config's trainer section sets those keys.
    out : path, optional
        Where to write ``best.yaml``, ``trials.csv`` and the plots; default
        ``<config out>-tune``.
    worker : int
        Index of this worker (seeds differ across workers sharing a study).
    heartbeat_interval, grace_period : int
        Seconds; a RUNNING trial without a heartbeat for ``grace_period`` (default two
        intervals) is marked FAIL when any worker starts.
    data : tuple, optional
        ``(frame, schema)`` to use instead of the config's data section.
    progress : bool or "auto"
        A trial counter on standard error; "auto" shows it on a terminal only.

    Returns
    -------
    TuneResult
    """
    optuna = import_optional("optuna", "tuning")
    import warnings

    with warnings.catch_warnings():
        # heartbeats and fail_stale_trials are marked experimental in optuna
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        return _tune(config, n_trials, timeout, storage, study_name, metric, seed, preset, out, worker,
                     heartbeat_interval, grace_period, data, progress)


def _tune(config: Any, n_trials: int, timeout: float | None, storage: str | None, study_name: str | None,
          metric: str, seed: int, preset: str, out: Any, worker: int, heartbeat_interval: int,
          grace_period: int | None, data: Any, progress: Any = "auto") -> TuneResult:
    optuna = import_optional("optuna", "tuning")
    from energyai.recipe import build_forecaster, load_config, load_data

    if metric not in METRICS:
        raise ConfigError(f"metric must be one of {METRICS}, got {metric!r}")
    if preset not in PRESETS:
        raise ConfigError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    if not isinstance(n_trials, int) or n_trials < 1:
        raise ConfigError(f"n_trials must be a positive int, got {n_trials!r}")
    cfg = load_config(config) if isinstance(config, (str, Path)) else copy.deepcopy(config)
    model_name = str(build_forecaster(cfg).model)  # unknown model, options or bad values fail before any trial
    trainer = cfg.setdefault("trainer", {})
    for key, value in PRESETS[preset].items():
        trainer.setdefault(key, value)
    trainer.setdefault("seed", seed)
    trainer["progress_bar"] = False
    space = search_space(model_name)
    out_dir = Path(out or f"{cfg.get('out') or 'energyai-run'}-tune")
    out_dir.mkdir(parents=True, exist_ok=True)
    storage_url = storage or f"sqlite:///{(out_dir / 'study.db').resolve()}"
    name = study_name or Path(str(cfg.get("out") or "energyai-run")).name
    frame, schema = data if data is not None else load_data(cfg.get("data") or {})

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = _open_study(optuna, storage_url, name, heartbeat_interval, grace_period, seed + worker, n_trials)
    study.set_user_attr("model", model_name)
    optuna.storages.fail_stale_trials(study)
    done_states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)

    def objective(trial: Any) -> float:
        # another worker may have started the last trial between the count and this one
        others = [t for t in study.get_trials(deepcopy=False) if t.number < trial.number]
        if sum(t.state in (*done_states, optuna.trial.TrialState.RUNNING) for t in others) >= n_trials:
            trial.set_user_attr("surplus", True)
            raise _Surplus(f"trial {trial.number} is beyond n_trials={n_trials}")
        params = {k: p.suggest(trial, k) for k, p in space.items()}
        trial.set_user_attr("worker", worker)
        trial.set_user_attr("pid", os.getpid())
        model = build_forecaster(_apply(cfg, params, model_name))
        model.fit(frame, schema, callbacks=[_Pruning(trial).make()])
        value = model.history_.get("best_val_loss")
        if value is None or not math.isfinite(value):
            raise ConfigError("the trial produced no validation loss; the config needs trainer.val_size > 0")
        trial.set_user_attr("steps", model.history_["steps"])
        return float(value)

    start = time.monotonic()
    with Progress(n_trials, f"tune {model_name} trials", progress_mode(progress)) as bar:
        while True:
            if timeout is not None and time.monotonic() - start > timeout:
                break
            trials = study.get_trials(deepcopy=False)
            finished = sum(t.state in done_states for t in trials)
            running = sum(t.state == optuna.trial.TrialState.RUNNING for t in trials)
            bar.set(finished)
            if finished + running >= n_trials:
                if running == 0:
                    break
                time.sleep(min(2.0, heartbeat_interval / 2))  # other workers are finishing the last ones
                optuna.storages.fail_stale_trials(study)
                continue
            # one trial through study.optimize, which keeps the trial's heartbeat alive (a
            # killed worker's trial is then detected and failed by the next worker)
            study.optimize(objective, n_trials=1, catch=(_Surplus,), gc_after_trial=False)
    return _report(study, cfg, model_name, out_dir, storage_url)


def _report(study: Any, cfg: dict[str, Any], model_name: str, out_dir: Path, storage_url: str) -> TuneResult:
    import yaml

    optuna = import_optional("optuna", "tuning")
    trials = study.get_trials(deepcopy=False)
    states = optuna.trial.TrialState
    complete = [t for t in trials if t.state == states.COMPLETE]
    if not complete:
        raise ConfigError(f"study {study.study_name!r} has no completed trial yet")
    best = study.best_trial
    best_cfg = _apply(cfg, best.params, model_name)
    best_cfg.get("trainer", {}).pop("progress_bar", None)
    header = (f"# best of study {study.study_name!r} (trial {best.number}, val_loss {best.value:.6g}); "
              f"{len(complete)} complete trials\n# energyai fit -c {out_dir / 'best.yaml'}\n")
    (out_dir / "best.yaml").write_text(header + yaml.safe_dump(best_cfg, sort_keys=False))
    keys = sorted({k for t in trials for k in t.params})
    lines = ["number,state,value,worker," + ",".join(keys)]
    for t in trials:
        vals = [str(t.params.get(k, "")) for k in keys]
        lines.append(f"{t.number},{t.state.name},{'' if t.value is None else t.value},{t.user_attrs.get('worker', '')},"
                     + ",".join(vals))
    (out_dir / "trials.csv").write_text("\n".join(lines) + "\n")
    _plots(study, out_dir, len(complete))
    return TuneResult(
        study_name=study.study_name, storage=storage_url, best_value=float(best.value), best_params=dict(best.params),
        best_config=best_cfg, n_complete=len(complete), n_pruned=sum(t.state == states.PRUNED for t in trials),
        n_failed=sum(t.state == states.FAIL for t in trials), out=out_dir,
    )


def _plots(study: Any, out_dir: Path, n_complete: int) -> None:
    import warnings

    try:
        import matplotlib
    except ImportError:  # plots are optional
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as vis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna marks its matplotlib backend experimental
        ax = vis.plot_optimization_history(study)
        fig: Any = ax.figure
        fig.tight_layout()
        fig.savefig(out_dir / "history.png", dpi=100)
        plt.close(fig)
        if n_complete >= 2:
            try:
                ax = vis.plot_param_importances(study)
                fig = ax.figure
                fig.tight_layout()
                fig.savefig(out_dir / "importance.png", dpi=100)
                plt.close(fig)
            except (RuntimeError, ValueError):  # importances need variation among completed trials
                pass
