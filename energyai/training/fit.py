"""Fitting a :class:`~energyai.Forecaster`: panel, windows, network, Lightning trainer.

``Forecaster.fit`` checks its options and calls :func:`fit_forecaster`, which sets the
learned state (``network_``, ``schema_``, ``levels_``, ``calendar_``, ``series_ids_``,
``n_inputs_``, ``history_``, ``parity_windows_``, ``manifest_``) on the forecaster.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from energyai.config import DEFAULT_MAX_STEPS, TrainConfig
from energyai.exceptions import ConfigError, InsufficientDataError
from energyai.progress import progress_enabled, progress_mode
from energyai.schema import Schema
from energyai.training.runs import check_compatible, manifest, refit_network

__all__ = ["fit_forecaster", "precision_for", "quiet_lightning"]


@dataclass
class _Data:
    panel: Any
    schema: Schema
    n_rows: int
    train_index: Any
    val_index: Any
    val_first: np.ndarray
    bad: Any = None
    issued: Any = None

    def all_windows(self, context: int, horizon: int) -> Any:
        """Every usable window, validation included (for a refit after early stopping)."""
        from energyai.windows import build_window_index

        return build_window_index(self.panel.offsets, self.panel.observed, context, horizon, bad=self.bad,
                                  allowed_last=self.issued)


def fit_forecaster(model: Any, df: Any, schema: Schema, resolved: dict[str, Any], *, val_start: Any = None,
                   init_from: Any = None, freeze: str | None = None, callbacks: list[Any] | None = None,
                   future: Any = None, resume: Any = None) -> None:
    """Validate ``df``, cut windows, build the network and train it; state goes onto ``model``.

    Parameters
    ----------
    model : energyai.Forecaster
    df : polars.DataFrame or polars.LazyFrame
    schema : Schema
    resolved : dict
        ``Forecaster._resolved()``: the model spec, its config, levels and the train config.
    val_start, init_from, freeze, callbacks, future, resume :
        As :meth:`energyai.Forecaster.fit`.
    """
    import lightning as L

    from energyai.training.data import sample_windows

    spec, t = resolved["spec"], resolved["train"]
    if t.ensemble is not None or spec.kind == "trees":
        from energyai.training.ensemble import fit_ensemble

        if init_from is not None or freeze is not None or resume is not None:
            raise ConfigError("init_from, freeze and resume are for one neural network; an ensemble or a tree model "
                              "is fitted from scratch (fine-tune a single-model base instead)")
        fit_ensemble(model, df, schema, resolved, val_start=val_start, callbacks=callbacks, future=future)
        return
    data = prepare_data(model, df, schema, spec, t, val_start, future)
    panel = data.panel
    calendar = use_calendar(t, spec, data.schema)
    L.seed_everything(int(t.seed), workers=True, verbose=False)
    n_inputs = (panel.past.shape[1], panel.future.shape[1], panel.static.shape[1])
    network, base = build_network(model, resolved, data, calendar, n_inputs, init_from, freeze)
    run = train_network(model, t, data, network, callbacks, resume)
    trainer, best, seconds, max_steps, ckpt = run["trainer"], run["best"], run["seconds"], run["max_steps"], run["ckpt"]
    refit = None
    unseen = run["network"]
    if t.refit and data.val_index is not None:
        if init_from is not None:
            raise ConfigError("refit trains again from the initial weights; it does not apply to fine-tuning")
        refit = refit_network(model, resolved, data, calendar, n_inputs, run, callbacks)
        run["network"] = refit.pop("network")
    model.network_ = run["network"]
    from energyai.training.calibrated import apply_validation_calibration

    calibration = apply_validation_calibration(model.network_, unseen, model, data, resolved["levels"],
                                               resolved.get("calibration"))
    model.schema_ = data.schema
    model.levels_ = resolved["levels"]
    model.calendar_ = calendar
    model.series_ids_ = panel.series_ids
    model.target_range_ = panel.target_range()
    model.n_inputs_ = n_inputs
    model.history_ = fit_history(data, trainer, best, seconds, t.batch_size)
    model.history_["budget"] = {"max_steps": max_steps, "max_epochs": t.max_epochs, "auto": t.max_steps == "auto",
                                "max_time": t.max_time}
    model.history_["stopped_by"] = stopped_by(trainer, t, max_steps, seconds)
    if refit is not None:
        model.history_["refit"] = refit
    if calibration is not None:
        model.history_["calibration"] = calibration
    model.parity_windows_ = sample_windows(panel, data.train_index, model.context_length, model.horizon, n=64,
                                           seed=int(t.seed))
    model.manifest_ = manifest(model, run["data_sha"], data.n_rows)
    if calibration is not None:
        model.manifest_["calibration"] = calibration
    if ckpt is not None:
        model.history_["resumed_from"] = str(ckpt)
    if base is not None:
        model.manifest_["finetuned_from"] = {"data_sha256": base.manifest_.get("data_sha256"), "freeze": freeze}


def train_network(model: Any, t: TrainConfig, data: _Data, network: Any, callbacks: list[Any] | None = None,
                  resume: Any = None) -> dict[str, Any]:
    """Train ``network`` on ``data``'s windows (``model``'s context and horizon) with Lightning.

    Returns
    -------
    dict
        ``network`` (trained, CPU, eval mode), ``trainer``, ``best`` (the BestWeights
        callback), ``seconds``, ``max_steps``, ``ckpt`` (the checkpoint resumed from, or
        None) and ``data_sha`` (the panel's hash).
    """
    import lightning as L

    from energyai.persist import jsonable
    from energyai.training import BestWeights, EpochSetter, ForecastModule, WindowBatches, WindowDataModule
    from energyai.training.checkpoint import Checkpointer, StepSeed, resolve_resume

    panel = data.panel
    max_steps = _steps(t, len(data.train_index))
    per_epoch = t.batches_per_epoch if max_steps is None else min(t.batches_per_epoch, max_steps)
    L_, H = model.context_length, model.horizon
    reads = tuple(network.reads())  # batches carry only what the network reads
    train = WindowBatches(panel, data.train_index, L_, H, t.batch_size, n_batches=per_epoch, shuffle=True,
                          seed=int(t.seed), names=reads, context_dropout=float(t.context_dropout),
                          optional=tuple(network.optional_index.tolist()), covariate_dropout=float(t.covariate_dropout))
    val = None
    if data.val_index is not None:
        val = WindowBatches(panel, data.val_index, L_, H, max(t.batch_size, 512), shuffle=False,
                            max_windows=t.max_val_windows, names=reads)
    module = ForecastModule(network, t.loss, float(t.learning_rate), float(t.weight_decay),
                            float(t.warmup_fraction), t.schedule)
    if t.compile:
        module.network.core = _torch().compile(module.network.core)
    best = BestWeights()
    extra: list[Any] = [EpochSetter(train), best, StepSeed(int(t.seed)), *(callbacks or [])]
    ckpt = resolve_resume(resume, t.checkpoint_dir)
    data_sha = panel.sha256()
    if t.checkpoint_every or ckpt is not None:
        folder = t.checkpoint_dir or (ckpt.parent if ckpt is not None else ".")
        same = {k: v for k, v in model.get_params().items() if k not in _NOT_FINGERPRINTED}
        fingerprint = {"data_sha256": data_sha, "params": json.dumps(jsonable(same), sort_keys=True)}
        extra.append(Checkpointer(folder, int(t.checkpoint_every), train, fingerprint))
    if val is not None:
        extra.append(L.pytorch.callbacks.EarlyStopping("val_loss", patience=t.early_stopping_patience, strict=False))
    if progress_mode(t.progress_bar) == "lines":  # logs, notebooks, CI: a line every 30 s instead of a bar
        from energyai.training.module import LineProgress

        extra.append(LineProgress(f"fit {model.model}", max_steps))
    with quiet_lightning(True):  # device banners and tips: the history and the progress bar say what matters
        trainer = _trainer(L, t, max_steps, extra, val is not None)
    t0 = time.perf_counter()
    with quiet_lightning(True):
        trainer.fit(module, datamodule=WindowDataModule(train, val, t.num_workers),
                    ckpt_path=None if ckpt is None else str(ckpt), weights_only=True)
    seconds = time.perf_counter() - t0
    if t.compile:
        module.network.core = getattr(module.network.core, "_orig_mod", module.network.core)
    return {"network": module.network.cpu().eval(), "trainer": trainer, "best": best, "seconds": seconds,
            "max_steps": max_steps, "ckpt": ckpt, "data_sha": data_sha}


def prepare_data(model: Any, df: Any, schema: Schema, spec: Any, t: TrainConfig, val_start: Any,
             future: Any = None) -> _Data:
    """Validate, build the panel and the training and validation window indexes."""
    import polars as pl

    from energyai.data.lazy import panel_from_lazy
    from energyai.data.panel import build_panel
    from energyai.data.split import val_origins
    from energyai.data.validate import resolve
    from energyai.nn.build import optional_index
    from energyai.windows import build_window_index

    if isinstance(df, pl.LazyFrame):  # column by column: the whole table is never held next to the panel
        panel, schema, n_rows = panel_from_lazy(df, schema, t.series_weights)
    else:
        if isinstance(df, pl.DataFrame):  # columns the schema does not name are not carried (no copy)
            df = df.select([c for c in df.columns if c in schema.required_columns])
        frame, schema = resolve(df, schema)
        panel = build_panel(frame, schema, t.series_weights)
        n_rows = frame.height
        del frame
    check_roles(spec, schema)
    if t.scaler == "capacity" and schema.capacity is None:
        raise ConfigError("scaler='capacity' trains on the capacity factor, but the schema has no capacity; "
                          "set Schema(capacity=<number or column>) or use scaler='revin'")
    L_, H = model.context_length, model.horizon
    lengths = panel.lengths
    val_first = val_origins(panel, schema, t.val_size, H, val_start)
    if t.series_holidays:
        from energyai.training.series_holidays import series_holiday_override

        panel.holiday_override = series_holiday_override(panel, t.series_holidays, holiday_years_for(t, panel))
    if t.series_sites:
        from energyai.training.series_holidays import series_site_override

        panel.site_override = series_site_override(panel, t.series_sites, float(t.linke_turbidity))
    bad = panel.missing_covariates(optional_index(t.optional_covariates, schema.future_covariates))
    issued = issue_mask(panel, t.origin_time)
    if t.min_context_observed > 0:
        enough = context_observed_mask(panel, L_, float(t.min_context_observed))
        issued = enough if issued is None else issued & enough
    if future is not None:
        from energyai.data.vintages import Vintages
        from energyai.training.vintaged import horizon_vintages

        if not isinstance(future, Vintages):
            raise ConfigError(f"fit(future=...) takes a Vintages table of weather runs, got {type(future).__name__}")
        panel.vintaged = horizon_vintages(panel, schema, future, H, issued)
        complete = panel.vintaged.complete(len(panel.target))
        issued = complete if issued is None else issued & complete
    train_index = build_window_index(panel.offsets, panel.observed, L_, H, bad=bad, last_origin=val_first - H,
                                     allowed_last=issued)
    if len(train_index) == 0 and future is not None:
        raise InsufficientDataError(
            "no training window has a weather run covering its whole horizon at its origin (fit(future=...)); "
            "check that the runs' issue times precede the origins and their leads reach the horizon")
    if len(train_index) == 0 and t.origin_time is not None:
        raise InsufficientDataError(
            f"no training window ends at origin_time={t.origin_time!r} local time with observed targets and complete "
            "covariates; check the data's time zone and step (the issue time must fall on a step), or set "
            "origin_time=None to train on every origin")
    if len(train_index) == 0:
        raise InsufficientDataError(
            f"no training window of context_length + horizon = {L_ + H} steps with observed targets and complete "
            f"covariates{f' and {t.min_context_observed:.0%} of its context observed' if t.min_context_observed else ''}"
            f" (series lengths {lengths.min()}..{lengths.max()} steps, validation takes the last "
            f"{int((lengths - val_first).max())}); shorten context_length, reduce val_size or add history"
        )
    val_index = None
    if np.any(val_first < lengths):
        val_index = build_window_index(panel.offsets, panel.observed, L_, H, bad=bad, first_origin=val_first,
                                       allowed_last=issued)
        if len(val_index) == 0:
            val_index = None
    return _Data(panel, schema, n_rows, train_index, val_index, val_first, bad, issued)


def context_observed_mask(panel: Any, context: int, share: float) -> np.ndarray:
    """True at panel positions whose ``context`` steps up to and including them hold at least
    ``ceil(share * context)`` observed targets (positions too early in a series are False)."""
    need = int(np.ceil(share * context))
    out = np.zeros(len(panel.observed), dtype=bool)
    for s in range(panel.n_series):
        lo, hi = int(panel.offsets[s]), int(panel.offsets[s + 1])
        if hi - lo < context:
            continue
        cs = np.concatenate([[0], np.cumsum(panel.observed[lo:hi], dtype=np.int64)])
        counts = cs[context:] - cs[:-context]  # observed in (t - context, t], for t = lo + context - 1 ..
        out[lo + context - 1:hi] = counts >= need
    return out


def issue_mask(panel: Any, issue_time: str | None) -> np.ndarray | None:
    """True at panel positions whose local time of day is ``issue_time`` (None: no restriction)."""
    from energyai.config import issue_seconds

    if issue_time is None:
        return None
    want = issue_seconds(issue_time)
    local = np.asarray(panel.local_time[0:len(panel.local_time)], dtype=np.int64)
    return np.mod(local, 86400) == want


def build_network(model: Any, resolved: dict[str, Any], data: _Data, calendar: bool, n_inputs: tuple[int, int, int],
             init_from: Any, freeze: str | None) -> tuple[Any, Any]:
    """The network, initialised from ``init_from`` or with covariate scalers fitted on training rows."""
    from energyai.data.split import train_rows
    from energyai.nn.build import build_for

    t: TrainConfig = resolved["train"]
    table = holiday_table_for(t, data.panel) if t.holidays else None
    network = build_for(t, resolved["spec"], resolved["cfg"], model.context_length, model.horizon,
                        resolved["levels"], n_inputs, data.schema, calendar=calendar,
                        holiday_days=0 if table is None else len(table[1]))
    if table is not None and network.holiday is not None:
        network.holiday.set_table(*table)  # type: ignore[operator]
    base = None
    if init_from is not None:
        base = init_from if not isinstance(init_from, (str, bytes)) and hasattr(init_from, "network_") \
            else type(model).from_pretrained(init_from)
        check_compatible(model, base, resolved["levels"], calendar, n_inputs)
        theirs = base.network_.holiday
        state = base.network_.state_dict()
        if network.solar is not None and base.network_.solar is not None:
            state["solar.site"] = network.solar.site.clone()  # the plant being fitted, not the base's
        if network.holiday is not None and theirs is not None and model.holidays != base.holidays:
            # another country: the flags mean the same (holiday, bridge, festival, days off in a
            # row), so the weights carry over and the site's own table replaces the base's
            state.update({f"holiday.{k}": v for k, v in network.holiday.state_dict().items()})
        elif network.holiday is not None and theirs is not None and theirs.table.shape != network.holiday.table.shape:
            from energyai.nn.holidays import HolidayFeatures

            network.holiday = HolidayFeatures(int(theirs.table.shape[0]))  # fine-tuning keeps the base's table
        state.pop("calibration", None)  # a calibration belongs to the weights it was fitted on
        state.pop("calibration_mix", None)
        network.load_state_dict(state)
    else:
        rows = train_rows(data.panel, data.val_first)
        network.past_scaler.fit(data.panel.past, rows=rows)
        network.future_scaler.fit(data.panel.future, rows=rows)
        network.static_scaler.fit(data.panel.static)
    if freeze is not None:
        if freeze != "backbone":
            raise ConfigError(f"freeze must be None or 'backbone', got {freeze!r}")
        if init_from is None:
            raise ConfigError("freeze='backbone' needs init_from= (a trained model to fine-tune)")
        core: Any = network.core
        head = {id(p) for m in core.head_modules() for p in m.parameters()}
        for p in network.core.parameters():
            p.requires_grad_(id(p) in head)
    return network, base


def holiday_table_for(t: TrainConfig, panel: Any) -> tuple[int, np.ndarray]:
    """The day table of ``t.holidays`` over ``t.holiday_years`` or, by default, the year before
    the data to ``max(2050, the data's last year + 1)``."""
    from energyai.calendar.holidays import holiday_table

    years = holiday_years_for(t, panel)
    return holiday_table(str(t.holidays), (int(years[0]), int(years[1])))


def holiday_years_for(t: TrainConfig, panel: Any) -> tuple[int, int]:
    """``t.holiday_years``, or the year before the data to ``max(2050, the data's last year + 1)``."""
    if t.holiday_years is not None:
        return int(t.holiday_years[0]), int(t.holiday_years[1])
    local = np.concatenate([panel.local_time.take(panel.offsets[:-1]), panel.local_time.take(panel.offsets[1:] - 1)])
    first, last = (int(str(np.datetime64(int(v), "s"))[:4]) for v in (local.min(), local.max()))
    return max(first - 1, 1970), min(max(2050, last + 1), 2100)


def _steps(t: TrainConfig, n_windows: int) -> int | None:
    """The step budget: ``max_steps``, sized from the data when "auto", the default when unset."""
    from energyai.training.budget import auto_steps

    if t.max_steps == "auto":
        gpu = t.accelerator in ("gpu", "cuda") or (t.accelerator == "auto" and _torch().cuda.is_available())
        return auto_steps(n_windows, int(t.batch_size), gpu=gpu)
    if t.max_steps is None and t.max_epochs is None:
        return DEFAULT_MAX_STEPS
    return None if t.max_steps is None else int(t.max_steps)


def stopped_by(trainer: Any, t: TrainConfig, max_steps: int | None, seconds: float) -> str:
    if t.max_time is not None and seconds >= float(t.max_time):
        return "time"
    if max_steps is not None and trainer.global_step >= max_steps:
        return "steps"
    if t.max_epochs is not None and trainer.current_epoch >= t.max_epochs:
        return "epochs"
    return "early_stopping"


#: Options that may differ between a killed run and its resumption.
_NOT_FINGERPRINTED = ("progress_bar", "checkpoint_every", "checkpoint_dir", "num_workers", "max_time")


def _trainer(L: Any, t: TrainConfig, max_steps: int | None, callbacks: list[Any], validate: bool) -> Any:
    import datetime as dt

    max_epochs = t.max_epochs
    return L.Trainer(
        accelerator=t.accelerator, devices=t.devices, strategy=t.strategy, num_nodes=t.num_nodes,
        precision=precision_for(t.precision, t.accelerator),
        max_steps=max_steps if max_steps is not None else -1,
        max_epochs=max_epochs if max_epochs is not None else -1,
        max_time=None if t.max_time is None else dt.timedelta(seconds=float(t.max_time)),
        gradient_clip_val=t.gradient_clip or None,
        deterministic=bool(t.deterministic),
        callbacks=callbacks,
        enable_checkpointing=False, logger=False,
        enable_progress_bar=progress_enabled(t.progress_bar), enable_model_summary=False,
        num_sanity_val_steps=0, limit_val_batches=1.0 if validate else 0,
    )


def fit_history(data: _Data, trainer: Any, best: Any, seconds: float, batch_size: int) -> dict[str, Any]:
    return {
        "train_windows": len(data.train_index),
        "val_windows": 0 if data.val_index is None else len(data.val_index),
        "steps": int(trainer.global_step),
        "world_size": int(trainer.world_size),
        "epochs": int(trainer.current_epoch),
        "best_val_loss": None if best.state is None else best.best,
        "best_step": best.best_step,
        "val_curve": best.history,
        # (step, epoch-mean training loss) pairs, for the loss curve
        "train_curve": [list(p) for p in getattr(trainer.lightning_module, "train_curve", [])],
        "fit_seconds": round(seconds, 3),
        "windows_per_second": round(trainer.global_step * batch_size / max(seconds, 1e-9), 1),
        # the last instant trained on (validation included): calibration must come after it
        "data_end": str(np.max(data.panel.utc[data.panel.offsets[1:] - 1]).astype("datetime64[s]")) + "Z",
    }


def _torch() -> Any:
    import torch

    return torch


def precision_for(precision: Any, accelerator: str) -> Any:
    """``"auto"``: bf16 mixed precision on CUDA (fp16 where bf16 is missing), float32 elsewhere."""
    if precision != "auto":
        return precision
    torch = _torch()
    if accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    return "32-true"


def check_roles(spec: Any, schema: Schema) -> None:
    """Refuse covariates the architecture would ignore (rather than dropping them silently)."""
    for role, cols in (("past", schema.past_covariates), ("future", schema.future_covariates),
                       ("static", schema.static_covariates)):
        if cols and role not in spec.supports:
            raise ConfigError(
                f"model {spec.name!r} does not read {role} covariates, but the schema declares {list(cols)}; "
                "drop them from the schema or use a model that reads them (nhits, tide or lstm)"
            )


def use_calendar(t: TrainConfig, spec: Any, schema: Schema) -> bool:
    """Whether the network computes calendar features (``calendar="auto"`` resolved)."""
    if t.calendar == "auto":
        return "future" in spec.supports and schema.frequency.seconds < 86400  # type: ignore[union-attr]
    if t.calendar and "future" not in spec.supports:
        raise ConfigError(f"calendar features are known-future covariates, which {spec.name!r} does not read")
    return bool(t.calendar)


@contextlib.contextmanager
def quiet_lightning(quiet: bool) -> Iterator[None]:
    """Silence Lightning's informational logging (device banners, tips) when ``quiet``."""
    if not quiet:
        yield
        return
    loggers = [logging.getLogger(n) for n in ("lightning", "lightning.pytorch", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(does not have many workers|litlogger|LitLogger|treespec|resuming from a checkpoint that ended before the epoch).*")
            yield
    finally:
        for lg, lvl in zip(loggers, levels, strict=True):
            lg.setLevel(lvl)
