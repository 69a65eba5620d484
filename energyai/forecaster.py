"""The neural forecaster facade: ``Forecaster(model, ...).fit(df, schema).predict(df)``.

It follows the estimator contract of the baselines (``__init__`` stores, ``fit`` returns
``self``, learned state ends in ``_``), so :func:`energyai.backtest` treats both alike.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import math
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from energyai._optional import import_optional
from energyai.base import BaseForecaster, check_quantiles, quantile_column
from energyai.exceptions import ArtifactError, ConfigError, DataError, InsufficientDataError, NotFittedError
from energyai.schema import Schema

pl = import_optional("polars", "neural forecasting")
torch = import_optional("torch", "neural forecasting")

__all__ = ["Forecaster"]

FORMAT = "energyai.forecaster/1"

#: Trainer and recipe options with their defaults; ``model_config`` takes the rest.
TRAINING_DEFAULTS: dict[str, Any] = {
    "loss": "pinball",
    "batch_size": 256,
    "learning_rate": 1e-3,
    "weight_decay": 0.0,
    "schedule": "cosine",
    "warmup_fraction": 0.05,
    "scaler": "revin",
    "affine": False,
    "calendar": "auto",
    "val_size": 0.1,
    "early_stopping_patience": 10,
    "batches_per_epoch": 100,
    "max_val_windows": 4096,
    "gradient_clip": 1.0,
    "accelerator": "auto",
    "devices": "auto",
    "strategy": "auto",
    "num_nodes": 1,
    "precision": "auto",
    "compile": False,
    "seed": 0,
    "deterministic": False,
    "num_workers": 0,
    "progress_bar": False,
    "series_weights": None,
    "solar_site": None,
    "linke_turbidity": 3.0,
}

DEFAULT_MAX_STEPS = 3000


class Forecaster(BaseForecaster):
    """A global neural forecaster trained with Lightning.

    Parameters
    ----------
    model : str
        Architecture name, one of :func:`energyai.models.available_models`.
    context_length : int
        Input window L, in steps.
    horizon : int
        Forecast steps H.
    quantiles : sequence of float
        Output quantile levels. The median (0.5) is always trained; it is the
        ``forecast`` column. Use ``()`` with ``loss="mse"`` or ``"mae"`` for a point model.
    max_steps : int, optional
        Optimiser steps (default 3,000 when ``max_epochs`` is also None).
    max_epochs : int, optional
        Epochs of ``batches_per_epoch`` batches each.
    loss : {"pinball", "mse", "mae"}
    batch_size : int
        Windows per step.
    learning_rate, weight_decay : float
        AdamW settings.
    schedule : {"cosine", "constant"}
        Linear warm-up then cosine decay to 5% of the peak, or constant.
    warmup_fraction : float
    scaler : {"revin", "mean", "none"}
        Instance scaling of the target inside the network.
    affine : bool
        Learnable affine parameters of the instance scaler.
    calendar : bool or "auto"
        Add time-of-day, day-of-week and time-of-year features computed from timestamps
        inside the network. "auto": on for sub-daily data when the model reads
        known-future covariates.
    val_size : float or int
        The last part of every series whose windows validate (fraction of its length, or
        steps). 0 disables validation and early stopping.
    early_stopping_patience : int
        Validations without improvement before stopping; the best weights are restored.
    batches_per_epoch : int
        Training batches between validations.
    max_val_windows : int
        Evenly spaced validation windows scored at each validation.
    gradient_clip : float
        Gradient norm clipping (0 disables).
    accelerator, devices, strategy, num_nodes, precision :
        Passed to ``lightning.Trainer``. ``precision="auto"`` is bf16 mixed precision on
        CUDA and float32 elsewhere.
    compile : bool
        ``torch.compile`` the network before training.
    seed : int
    deterministic : bool
        Deterministic algorithms (``Trainer(deterministic=True)``).
    num_workers : int
        DataLoader worker processes (0: batches are gathered in the training process).
    progress_bar : bool
    series_weights : dict, optional
        Loss weight per series id.
    solar_site : tuple of float, optional
        ``(latitude, longitude[, altitude])`` of a PV plant (degrees, metres). Adds the
        clear-sky GHI and the cosine of the solar zenith, computed inside the network
        from UTC time, as known-future features, keeps night steps out of the loss and
        forces the forecast to 0 at night. Needs a model that reads future covariates.
    linke_turbidity : float
        Linke turbidity of the clear-sky model (with ``solar_site``).
    **model_config
        Options of the architecture's config dataclass (see ``energyai.models``).
    """

    def __init__(
        self,
        model: str = "nhits",
        context_length: int = 96,
        horizon: int = 24,
        quantiles: Any = (0.1, 0.5, 0.9),
        max_steps: int | None = None,
        max_epochs: int | None = None,
        **options: Any,
    ) -> None:
        self.model = model
        self.context_length = context_length
        self.horizon = horizon
        self.quantiles = quantiles
        self.max_steps = max_steps
        self.max_epochs = max_epochs
        training = {k: options.pop(k) for k in list(options) if k in TRAINING_DEFAULTS}
        self._training = {**TRAINING_DEFAULTS, **training}
        self.model_config = dict(options)

    # ----------------------------------------------------------------- params
    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Every constructor argument, the architecture options included (flat)."""
        out = {
            "model": self.model, "context_length": self.context_length, "horizon": self.horizon,
            "quantiles": self.quantiles, "max_steps": self.max_steps, "max_epochs": self.max_epochs,
        }
        out.update(self._training)
        out.update(self.model_config)
        return out

    def set_params(self, **params: Any) -> Forecaster:
        """Set constructor arguments; unknown architecture options fail at ``fit``."""
        for key, value in params.items():
            if key in ("model", "context_length", "horizon", "quantiles", "max_steps", "max_epochs"):
                setattr(self, key, value)
            elif key in TRAINING_DEFAULTS:
                self._training[key] = value
            else:
                self.model_config[key] = value
        return self

    def __getattr__(self, name: str) -> Any:
        training = self.__dict__.get("_training", {})
        if name in training:
            return training[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    # --------------------------------------------------------------- checking
    def _resolved(self) -> dict[str, Any]:
        """Check every parameter; return derived settings. Runs before any training."""
        from energyai.models import get_model, make_config
        from energyai.nn.losses import LOSSES

        spec = get_model(self.model)
        cfg = make_config(self.model, **self.model_config)
        for name in ("context_length", "horizon"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{name} must be a positive int, got {v!r}")
        t = self._training
        if t["loss"] not in LOSSES:
            raise ConfigError(f"loss must be one of {LOSSES}, got {t['loss']!r}")
        qs = check_quantiles(self.quantiles) if self.quantiles else ()
        if t["loss"] == "pinball":
            levels = tuple(sorted(set(qs) | {0.5}))
        else:
            if qs:
                raise ConfigError(
                    f"loss={t['loss']!r} trains a point forecast; pass quantiles=() or use loss='pinball'"
                )
            levels = (0.5,)
        for name in ("max_steps", "max_epochs"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise ConfigError(f"{name} must be a positive int or None, got {v!r}")
        for name in ("batch_size", "batches_per_epoch", "max_val_windows", "early_stopping_patience"):
            if not isinstance(t[name], int) or t[name] < 1:
                raise ConfigError(f"{name} must be a positive int, got {t[name]!r}")
        if not (isinstance(t["learning_rate"], (int, float)) and t["learning_rate"] > 0):
            raise ConfigError(f"learning_rate must be > 0, got {t['learning_rate']!r}")
        if t["scaler"] not in ("revin", "mean", "none"):
            raise ConfigError(f"scaler must be 'revin', 'mean' or 'none', got {t['scaler']!r}")
        if t["schedule"] not in ("cosine", "constant"):
            raise ConfigError(f"schedule must be 'cosine' or 'constant', got {t['schedule']!r}")
        if t["calendar"] not in (True, False, "auto"):
            raise ConfigError(f"calendar must be True, False or 'auto', got {t['calendar']!r}")
        site = t["solar_site"]
        if site is not None:
            ok = isinstance(site, (tuple, list)) and len(site) in (2, 3) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in site)
            if not ok or abs(site[0]) > 90 or abs(site[1]) > 180:
                raise ConfigError(f"solar_site must be (latitude, longitude[, altitude]) in degrees and metres, "
                                  f"got {site!r}")
            if not (isinstance(t["linke_turbidity"], (int, float)) and t["linke_turbidity"] > 0):
                raise ConfigError(f"linke_turbidity must be > 0, got {t['linke_turbidity']!r}")
        vs = t["val_size"]
        if isinstance(vs, bool) or not isinstance(vs, (int, float)) or vs < 0 or (isinstance(vs, float) and vs >= 1):
            raise ConfigError(f"val_size must be a fraction in [0, 1) or a number of steps, got {vs!r}")
        solar = None
        if site is not None:
            if "future" not in spec.supports:
                raise ConfigError(f"solar features are known-future covariates, which {spec.name!r} does not read; "
                                  "use nhits, tide or lstm")
            solar = (float(site[0]), float(site[1]), float(site[2]) if len(site) > 2 else 0.0,
                     float(t["linke_turbidity"]))
        return {"spec": spec, "cfg": cfg, "levels": levels, "quantiles": qs, "solar": solar}

    def _check_roles(self, spec: Any, schema: Schema) -> None:
        for role, cols in (("past", schema.past_covariates), ("future", schema.future_covariates),
                           ("static", schema.static_covariates)):
            if cols and role not in spec.supports:
                users = "nhits, tide or lstm"
                raise ConfigError(
                    f"model {spec.name!r} does not read {role} covariates, but the schema declares {list(cols)}; "
                    f"drop them from the schema or use a model that reads them ({users})"
                )

    def _use_calendar(self, spec: Any, schema: Schema) -> bool:
        cal = self._training["calendar"]
        if cal == "auto":
            return "future" in spec.supports and schema.frequency.seconds < 86400  # type: ignore[union-attr]
        if cal and "future" not in spec.supports:
            raise ConfigError(f"calendar features are known-future covariates, which {spec.name!r} does not read")
        return bool(cal)

    # -------------------------------------------------------------------- fit
    def fit(
        self, df: Any, schema: Schema, *, val_start: Any = None, init_from: Any = None, freeze: str | None = None,
        callbacks: list[Any] | None = None,
    ) -> Forecaster:
        """Validate ``df``, cut training and validation windows, and train.

        Parameters
        ----------
        df : polars.DataFrame or polars.LazyFrame
            Long-format history of every series. A LazyFrame (``pl.scan_parquet(path)``,
            filters included) is read one covariate column at a time, so the whole table
            is never held in memory next to the training arrays.
        schema : Schema
        val_start : datetime, optional
            Windows whose forecast origin is at or after this time validate; training
            windows end before it. Default: the last ``val_size`` of every series.
        init_from : Forecaster or path, optional
            Fine-tune: start from this fitted model's weights and covariate scalers (weights
            only; the optimiser and schedule start fresh). Architecture, window lengths,
            quantiles and covariates must match.
        freeze : {None, "backbone"}
            With ``init_from``: train only the architecture's output head (and the instance
            scaler's affine parameters).
        callbacks : list of lightning.Callback, optional
            Extra callbacks for the trainer (``energyai.tune`` adds its pruning callback).

        Returns
        -------
        Forecaster
            ``self``, with ``network_``, ``schema_``, ``history_`` and ``manifest_`` set.
        """
        import lightning as L

        from energyai.data.lazy import panel_from_lazy
        from energyai.data.panel import build_panel
        from energyai.data.validate import resolve
        from energyai.nn.network import ForecastNetwork
        from energyai.training import BestWeights, EpochSetter, ForecastModule, WindowBatches, WindowDataModule
        from energyai.training.data import sample_windows
        from energyai.windows import build_window_index

        r = self._resolved()
        spec, t = r["spec"], self._training
        if isinstance(df, pl.LazyFrame):
            # column by column: the whole table is never held next to the panel
            panel, schema, n_rows = panel_from_lazy(df, schema, t["series_weights"])
            self._check_roles(spec, schema)
        else:
            if isinstance(df, pl.DataFrame):  # columns the schema does not name are not carried (no copy)
                df = df.select([c for c in df.columns if c in schema.required_columns])
            frame, schema = resolve(df, schema)
            self._check_roles(spec, schema)
            panel = build_panel(frame, schema, t["series_weights"])
            n_rows = frame.height
            del frame
        calendar = self._use_calendar(spec, schema)
        L_, H = self.context_length, self.horizon
        lengths = panel.lengths
        val_first = self._val_origins(panel, schema, val_start)
        bad = panel.missing_covariates()
        train_index = build_window_index(panel.offsets, panel.observed, L_, H, bad=bad,
                                         last_origin=val_first - H)
        if len(train_index) == 0:
            need = L_ + H
            raise InsufficientDataError(
                f"no training window of context_length + horizon = {need} steps with observed targets and complete "
                f"covariates (series lengths {lengths.min()}..{lengths.max()} steps, validation takes the last "
                f"{int((lengths - val_first).max())}); shorten context_length, reduce val_size or add history"
            )
        val_index = None
        if np.any(val_first < lengths):
            val_index = build_window_index(panel.offsets, panel.observed, L_, H, bad=bad, first_origin=val_first)
            if len(val_index) == 0:
                val_index = None

        seed = int(t["seed"])
        L.seed_everything(seed, workers=True, verbose=False)
        n_future = panel.future.shape[1] + (6 if calendar else 0) + (2 if r["solar"] else 0)
        core = spec.build(r["cfg"], L_, H, len(r["levels"]), panel.past.shape[1], n_future, panel.static.shape[1])
        network = ForecastNetwork(
            core, r["levels"], panel.past.shape[1], panel.future.shape[1], panel.static.shape[1],
            calendar=calendar, scaler=t["scaler"], affine=bool(t["affine"]), nonnegative=schema.nonnegative,
            solar=r["solar"],
        )
        if init_from is not None:
            base = init_from if isinstance(init_from, Forecaster) else Forecaster.load(init_from)
            self._check_compatible(base, r["levels"], calendar, (panel.past.shape[1], panel.future.shape[1],
                                                                  panel.static.shape[1]))
            network.load_state_dict(base.network_.state_dict())
        else:
            train_rows = self._train_rows(panel, val_first)
            network.past_scaler.fit(panel.past, rows=train_rows)
            network.future_scaler.fit(panel.future, rows=train_rows)
            network.static_scaler.fit(panel.static)
        if freeze is not None:
            if freeze != "backbone":
                raise ConfigError(f"freeze must be None or 'backbone', got {freeze!r}")
            if init_from is None:
                raise ConfigError("freeze='backbone' needs init_from= (a trained model to fine-tune)")
            head = {id(p) for m in core.head_modules() for p in m.parameters()}
            for p in core.parameters():
                p.requires_grad_(id(p) in head)

        per_epoch = t["batches_per_epoch"] if self.max_steps is None else min(t["batches_per_epoch"], self.max_steps)
        train = WindowBatches(panel, train_index, L_, H, t["batch_size"], n_batches=per_epoch,
                              shuffle=True, seed=seed)
        val = None
        if val_index is not None:
            val = WindowBatches(panel, val_index, L_, H, max(t["batch_size"], 512), shuffle=False,
                                max_windows=t["max_val_windows"])
        module = ForecastModule(network, t["loss"], float(t["learning_rate"]), float(t["weight_decay"]),
                                float(t["warmup_fraction"]), t["schedule"])
        if t["compile"]:
            module.network.core = torch.compile(module.network.core)
        best = BestWeights()
        callbacks: list[Any] = [EpochSetter(train), best, *(callbacks or [])]
        if val is not None:
            callbacks.append(L.pytorch.callbacks.EarlyStopping("val_loss", patience=t["early_stopping_patience"],
                                                               strict=False))
        max_steps, max_epochs = self.max_steps, self.max_epochs
        if max_steps is None and max_epochs is None:
            max_steps = DEFAULT_MAX_STEPS
        with _quiet_lightning(not t["progress_bar"]):
            trainer = self._trainer(L, t, max_steps, max_epochs, callbacks, val is not None)
        t0 = time.perf_counter()
        with _quiet_lightning(not t["progress_bar"]):
            trainer.fit(module, datamodule=WindowDataModule(train, val, t["num_workers"]))
        fit_seconds = time.perf_counter() - t0
        if t["compile"]:
            module.network.core = getattr(module.network.core, "_orig_mod", module.network.core)
        network = module.network.cpu().eval()

        self.network_ = network
        self.schema_ = schema
        self.levels_ = r["levels"]
        self.calendar_ = calendar
        self.series_ids_ = panel.series_ids
        self.n_inputs_ = (panel.past.shape[1], panel.future.shape[1], panel.static.shape[1])
        self.history_ = {
            "train_windows": len(train_index),
            "val_windows": 0 if val_index is None else len(val_index),
            "steps": int(trainer.global_step),
            "world_size": int(trainer.world_size),
            "epochs": int(trainer.current_epoch),
            "best_val_loss": None if best.state is None else best.best,
            "best_step": best.best_step,
            "val_curve": best.history,
            "fit_seconds": round(fit_seconds, 3),
            "windows_per_second": round(trainer.global_step * t["batch_size"] / max(fit_seconds, 1e-9), 1),
        }
        self.parity_windows_ = sample_windows(panel, train_index, L_, H, n=64, seed=seed)
        self.manifest_ = self._manifest(panel.sha256(), n_rows)
        if init_from is not None:
            self.manifest_["finetuned_from"] = {
                "data_sha256": base.manifest_.get("data_sha256"), "freeze": freeze,
            }
        return self

    def _check_compatible(self, base: Forecaster, levels: tuple[float, ...], calendar: bool,
                          n_inputs: tuple[int, int, int]) -> None:
        base._check_fitted()
        mine = {"model": str(self.model).lower(), "context_length": self.context_length, "horizon": self.horizon,
                "quantile levels": tuple(levels), "calendar": calendar, "covariates (past, future, static)": n_inputs,
                **{k: v for k, v in self.model_config.items()}}
        theirs = {"model": str(base.model).lower(), "context_length": base.context_length, "horizon": base.horizon,
                  "quantile levels": tuple(base.levels_), "calendar": base.calendar_,
                  "covariates (past, future, static)": tuple(base.n_inputs_),
                  **{k: base.model_config.get(k) for k in self.model_config}}
        diff = {k: (theirs[k], mine[k]) for k in mine if theirs.get(k) != mine[k]}
        if diff:
            raise ConfigError(
                "cannot fine-tune from a model with a different shape; (base, new): "
                + ", ".join(f"{k}: {a!r} vs {b!r}" for k, (a, b) in diff.items())
            )

    def _trainer(self, L: Any, t: dict[str, Any], max_steps: Any, max_epochs: Any, callbacks: list[Any],
                 validate: bool) -> Any:
        return L.Trainer(
            accelerator=t["accelerator"], devices=t["devices"], strategy=t["strategy"], num_nodes=t["num_nodes"],
            precision=self._precision(t["precision"], t["accelerator"]),
            max_steps=max_steps if max_steps is not None else -1,
            max_epochs=max_epochs if max_epochs is not None else -1,
            gradient_clip_val=t["gradient_clip"] or None,
            deterministic=bool(t["deterministic"]),
            callbacks=callbacks,
            enable_checkpointing=False, logger=False,
            enable_progress_bar=bool(t["progress_bar"]), enable_model_summary=False,
            num_sanity_val_steps=0, limit_val_batches=1.0 if validate else 0,
        )

    @staticmethod
    def _precision(precision: Any, accelerator: str) -> Any:
        if precision != "auto":
            return precision
        if accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available():
            return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
        return "32-true"

    def _val_origins(self, panel: Any, schema: Schema, val_start: Any) -> np.ndarray:
        """Per series, the first validation origin as a position inside the series."""
        lengths = panel.lengths
        if val_start is not None:
            from energyai.data.split import _as_aware

            cut = _utc64(_as_aware(val_start, schema))
            out = np.empty(panel.n_series, np.int64)
            for s in range(panel.n_series):
                utc = panel.utc[panel.offsets[s]:panel.offsets[s + 1]]
                out[s] = np.searchsorted(utc, cut, side="left")
            return out
        vs = self._training["val_size"]
        if vs == 0:
            return lengths.copy()
        n_val = np.round(lengths * vs).astype(np.int64) if isinstance(vs, float) else np.full_like(lengths, int(vs))
        n_val = np.maximum(n_val, self.horizon) if vs else n_val
        return np.maximum(lengths - n_val, 0)

    @staticmethod
    def _train_rows(panel: Any, val_first: np.ndarray) -> np.ndarray:
        rows = np.zeros(panel.target.shape[0], dtype=bool)
        for lo, n in zip(panel.offsets[:-1].tolist(), np.minimum(val_first, panel.lengths).tolist(), strict=True):
            rows[lo:lo + max(int(n), 0)] = True
        return rows

    def _manifest(self, data_sha: str, rows: int) -> dict[str, Any]:
        import platform

        import lightning

        import energyai

        return {
            "format": FORMAT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data_sha256": data_sha,
            "data_rows": rows,
            "seed": self._training["seed"],
            "params": _jsonable(self.get_params()),
            "versions": {
                "energyai": energyai.__version__, "torch": torch.__version__, "lightning": lightning.__version__,
                "numpy": np.__version__, "polars": pl.__version__, "python": platform.python_version(),
            },
            "history": _jsonable(self.history_),
        }

    # ---------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if "network_" not in self.__dict__:
            raise NotFittedError("Forecaster is not fitted; call fit(df, schema) or Forecaster.load(path) first")

    def predict(self, df: Any, future: Any = None) -> pl.DataFrame:
        """Forecast ``horizon`` steps after the last timestamp of every series in ``df``.

        Only the last ``context_length`` steps of each series are read (and validated).

        Parameters
        ----------
        df : polars.DataFrame
            History up to the forecast origin, same columns as at ``fit``.
        future : polars.DataFrame, optional
            Known-future covariates of the ``horizon`` steps after each series' last
            timestamp (series id, timestamp, covariates). Required when the schema has
            future covariates.

        Returns
        -------
        polars.DataFrame
            Series id, timestamp, ``forecast`` (the median) and one ``q<level>`` column per
            requested quantile, in target units, sorted and clipped.

        Notes
        -----
        A clean window of one series (regular steps, no missing values, no future or
        static covariates) takes a numpy-only fast path of about 1 ms; anything else
        goes through full validation and regularisation, with the same result.
        """
        from energyai.data.fast_window import fast_window

        self._check_fitted()
        schema = self.schema_
        if future is None:
            win = fast_window(df, schema, self.context_length, self.horizon)
            if win is not None:  # a clean regular single-series window: numpy checks only
                F = self.n_inputs_[1]
                L_, H = self.context_length, self.horizon
                pred = self.predict_arrays(
                    win.past_target, win.past_observed, win.past_covariates, np.zeros((1, L_ + H, F), np.float32),
                    win.local_time, np.zeros((1, 0), np.float32), win.capacity, utc_time=win.utc_time,
                )
                return self._frame(pred, [win.series], [win.future_times], df)
        return self._predict_general(df, future)

    def _predict_general(self, df: Any, future: Any) -> pl.DataFrame:
        """Validate, regularise and forecast (gaps, many series, covariates)."""
        from energyai.data.validate import validate

        schema = self.schema_
        if isinstance(df, pl.DataFrame) and schema.timestamp in df.columns:
            keys = [schema.series_id] if schema.series_id else []
            tail = df.sort([*keys, schema.timestamp])
            tail = tail.group_by(keys, maintain_order=True).tail(self.context_length) if keys \
                else tail.tail(self.context_length)
        else:
            tail = df
        frame = validate(tail, schema)
        return self._predict_frame(frame, future)

    def _predict_frame(self, frame: pl.DataFrame, future: Any) -> pl.DataFrame:
        from energyai.data.panel import block_of
        from energyai.data.regularize import regularize

        schema = self.schema_
        sid, ts = schema.series_id, schema.timestamp
        if schema.future_covariates and future is None:
            raise DataError(
                f"this model reads the future covariates {list(schema.future_covariates)}; pass future= with their "
                f"values for the {self.horizon} steps after each series' last timestamp"
            )
        reg = regularize(frame, schema, observed="__observed__")
        keys = [sid] if sid else []
        reg = reg.group_by(keys, maintain_order=True).tail(self.context_length) if keys \
            else reg.tail(self.context_length)
        fut_frame = self._check_future(future, reg) if future is not None else None
        groups = reg.partition_by(sid, maintain_order=True, as_dict=True) if sid else {(None,): reg}
        L_, H = self.context_length, self.horizon
        B = len(groups)
        P, F, S = self.n_inputs_
        pt = np.zeros((B, L_), np.float32)
        po = np.zeros((B, L_), np.float32)
        pc = np.zeros((B, L_, P), np.float32)
        fc = np.zeros((B, L_ + H, F), np.float32)
        lt = np.zeros((B, L_ + H), np.int64)
        ut = np.zeros((B, L_ + H), np.int64)
        st = np.zeros((B, S), np.float32)
        cap = np.full((B, H), np.inf, np.float32)
        out_ids, out_times = [], []
        step = schema.frequency.seconds  # type: ignore[union-attr]
        for b, (key, g) in enumerate(groups.items()):
            n = g.height
            if not g["__observed__"].any():
                raise InsufficientDataError(f"series {key[0]!r} has no observed target in its last {L_} steps")
            y = g[schema.target].cast(pl.Float32).to_numpy()
            obs = g["__observed__"].to_numpy()
            pt[b, L_ - n:] = np.where(obs, y, 0.0)
            po[b, L_ - n:] = obs
            if P:
                block = block_of(g, schema.past_covariates)
                if np.isnan(block).any():
                    self._missing_cov(g, schema.past_covariates, key[0], ts)
                pc[b, L_ - n:] = block
            fg = fut_frame.filter(pl.col(sid) == key[0]) if (fut_frame is not None and sid) else fut_frame
            ftimes = fg[ts] if fg is not None else self._future_times(g[ts])
            if F:
                hist = block_of(g, schema.future_covariates)
                if np.isnan(hist).any():
                    self._missing_cov(g, schema.future_covariates, key[0], ts)
                fc[b, L_ - n:L_] = hist
                fc[b, L_:] = block_of(fg, schema.future_covariates)
            all_t = pl.concat([g[ts], ftimes])
            local = all_t.dt.convert_time_zone(schema.tz or "UTC").dt.replace_time_zone(None).dt.epoch("s").to_numpy()
            lt[b, L_ - n:] = local
            ut[b, L_ - n:] = all_t.dt.epoch("s").to_numpy()
            if n < L_:  # left-pad the calendar with whole steps; those targets are masked
                lt[b, :L_ - n] = local[0] - step * np.arange(L_ - n, 0, -1)
                ut[b, :L_ - n] = ut[b, L_ - n] - step * np.arange(L_ - n, 0, -1)
            if S:
                st[b] = block_of(g.head(1), schema.static_covariates)[0]
            if schema.capacity is not None:
                if isinstance(schema.capacity, str):
                    c = g[schema.capacity].drop_nulls()
                    value = float(c[-1]) if c.len() else np.inf
                    if fg is not None and schema.capacity in fg.columns:
                        cap[b] = fg[schema.capacity].cast(pl.Float32).to_numpy()
                    else:
                        cap[b] = value
                else:
                    cap[b] = float(schema.capacity)
            out_ids.append(key[0])
            out_times.append(ftimes)
        pred = self.predict_arrays(pt, po, pc, fc, lt, st, cap, utc_time=ut)
        return self._frame(pred, out_ids, out_times, frame)

    @staticmethod
    def _missing_cov(g: pl.DataFrame, cols: tuple[str, ...], series: Any, ts: str) -> None:
        bad = g.filter(pl.any_horizontal(pl.col(list(cols)).cast(pl.Float64).fill_nan(None).is_null()))
        raise DataError(
            f"covariates {list(cols)} of series {series!r} are missing in the context window at "
            f"{bad.head(3)[ts].to_list()}; the model needs complete covariates "
            "(fill them from a source you trust; energyai does not interpolate)"
        )

    def predict_arrays(
        self,
        past_target: np.ndarray,
        past_observed: np.ndarray,
        past_covariates: np.ndarray,
        future_covariates: np.ndarray,
        local_time: np.ndarray,
        static: np.ndarray,
        capacity: np.ndarray,
        batch_size: int = 1024,
        utc_time: np.ndarray | None = None,
    ) -> np.ndarray:
        """Run the network on prepared arrays (the tensor contract); returns (B, H, Q).

        ``utc_time`` (B, L + H) int64 UTC seconds is needed by models with ``solar_site``.
        """
        self._check_fitted()
        net = self.network_
        outs = []
        if utc_time is None:
            if net.solar is not None:
                raise ConfigError("this model computes solar features from UTC time; pass utc_time=")
            utc_time = np.zeros_like(local_time)
        arrays = [a if a.flags.writeable else a.copy() for a in (
            past_target, past_observed, past_covariates, future_covariates, local_time, static, capacity, utc_time)]
        with torch.inference_mode():
            for i in range(0, past_target.shape[0], batch_size):
                sl = slice(i, i + batch_size)
                outs.append(net(*(torch.from_numpy(a[sl]) for a in arrays)).numpy())
        return np.concatenate(outs) if outs else np.zeros((0, self.horizon, len(self.levels_)), np.float32)

    def _frame(self, pred: np.ndarray, ids: list[Any], times: list[pl.Series], like: pl.DataFrame) -> pl.DataFrame:
        schema = self.schema_
        H = self.horizon
        cols: dict[str, Any] = {}
        if schema.series_id:
            cols[schema.series_id] = pl.Series(np.repeat(np.array(ids, dtype=object), H).tolist()).cast(
                like.schema[schema.series_id])
        cols[schema.timestamp] = pl.concat(times)
        mid = self.levels_.index(0.5)
        cols["forecast"] = pred[:, :, mid].reshape(-1).astype(np.float64)
        for q in (check_quantiles(self.quantiles) if self.quantiles else ()):
            cols[quantile_column(q)] = pred[:, :, self.levels_.index(q)].reshape(-1).astype(np.float64)
        return pl.DataFrame(cols)

    # --------------------------------------------------------------- backtest
    def forecast_origins(self, df: Any, cutoffs: list[Any], future: Any = None) -> pl.DataFrame:
        """Forecast from many origins in one batched pass (no refit).

        The known-future covariates of every horizon come from ``df`` itself, except the
        columns that ``future`` holds: a table with ``cutoff``, the timestamp (and the
        series id) and covariate values per origin, such as
        :meth:`energyai.data.vintages.Vintages.for_origins` builds. Used by
        :func:`energyai.backtest`, which checks the table for leakage first.

        Returns
        -------
        polars.DataFrame
            Series id, ``cutoff``, timestamp, ``lead``, ``actual``, ``forecast`` and quantiles.
        """
        from energyai.data.panel import build_panel
        from energyai.data.validate import validate
        from energyai.training.data import make_batch
        from energyai.windows import gather

        self._check_fitted()
        schema = self.schema_
        frame = validate(df, schema)
        panel = build_panel(frame, schema)
        L_, H = self.context_length, self.horizon
        cut = np.array([_utc64(c) for c in cutoffs])
        starts, series, cut_idx = [], [], []
        for s in range(panel.n_series):
            lo, hi = int(panel.offsets[s]), int(panel.offsets[s + 1])
            origin = np.searchsorted(panel.utc[lo:hi], cut, side="right")  # first step after the cutoff
            ok = (origin >= L_) & (origin + H <= hi - lo)
            starts.append(lo + origin[ok] - L_)
            series.append(np.full(int(ok.sum()), s))
            cut_idx.append(np.flatnonzero(ok))
        starts_a = np.concatenate(starts).astype(np.int64)
        series_a = np.concatenate(series).astype(np.int64)
        cut_a = np.concatenate(cut_idx).astype(np.int64)
        if not len(starts_a):
            raise InsufficientDataError(f"no cutoff leaves {L_} steps of context and {H} steps ahead in the data")
        # a window reads past covariates over its context and future ones over context + horizon
        c_bad = np.concatenate([[0], np.cumsum(panel.missing_covariates(), dtype=np.int64)])
        bad = np.flatnonzero(c_bad[starts_a + L_ + H] - c_bad[starts_a] > 0)
        if bad.size:
            raise DataError(
                f"covariates are missing inside {bad.size} backtest windows, first for cutoff {cutoffs[cut_a[bad[0]]]}; "
                "complete them or drop those cutoffs"
            )
        override = self._origin_covariates(future, panel, frame, cut, cut_a, series_a, starts_a) \
            if future is not None else None
        preds = []
        step = 1024  # windows per pass: the transient memory stays a few tens of MB
        for i in range(0, len(starts_a), step):
            pt, po, pc, fc, lt, st, _, _, _, ut = (x.numpy() for x in make_batch(
                panel, starts_a[i:i + step], series_a[i:i + step], L_, H))
            if override is not None:
                idx, values = override
                fc[:, L_:, idx] = values[i:i + step]
            cap = np.full((len(pt), H), np.inf, np.float32)
            if panel.capacity is not None:
                cap = gather(panel.capacity, starts_a[i:i + step] + L_, H)
            preds.append(self.predict_arrays(pt, po, pc, fc, lt, st, cap, utc_time=ut))
        pred = np.concatenate(preds)
        pos = starts_a[:, None] + L_ + np.arange(H)[None, :]
        actual = np.where(panel.observed[pos], panel.target[pos], np.nan).astype(np.float64)
        utc = panel.utc[pos].reshape(-1)
        cols: dict[str, Any] = {}
        if schema.series_id:
            cols[schema.series_id] = pl.Series([panel.series_ids[s] for s in np.repeat(series_a, H)]).cast(
                frame.schema[schema.series_id])
        cols["cutoff"] = pl.Series(np.repeat(cut[cut_a], H)).dt.replace_time_zone("UTC").dt.convert_time_zone(
            schema.tz or "UTC")
        cols[schema.timestamp] = pl.Series(utc).dt.replace_time_zone("UTC").dt.convert_time_zone(schema.tz or "UTC")
        cols["lead"] = np.tile(np.arange(1, H + 1, dtype=np.int32), len(starts_a))
        cols["actual"] = actual.reshape(-1)
        mid = self.levels_.index(0.5)
        cols["forecast"] = pred[:, :, mid].reshape(-1).astype(np.float64)
        for q in (check_quantiles(self.quantiles) if self.quantiles else ()):
            cols[quantile_column(q)] = pred[:, :, self.levels_.index(q)].reshape(-1).astype(np.float64)
        return pl.DataFrame(cols).with_columns(pl.col("actual").fill_nan(None))

    def _origin_covariates(self, future: Any, panel: Any, frame: Any, cut: np.ndarray, cut_a: np.ndarray,
                           series_a: np.ndarray, starts_a: np.ndarray) -> tuple[list[int], np.ndarray]:
        """Per-window horizon values of the future covariates that ``future`` holds, (N, H, k)."""
        schema = self.schema_
        sid, ts = schema.series_id, schema.timestamp
        cols = [c for c in schema.future_covariates if c in future.columns]
        if not cols:
            raise ConfigError(f"future= holds none of the model's future covariates {list(schema.future_covariates)}")
        H, L_ = self.horizon, self.context_length
        pos = starts_a[:, None] + L_ + np.arange(H)[None, :]
        want = {"cutoff": np.repeat(cut[cut_a], H), "_utc": panel.utc[pos].reshape(-1)}
        wanted = pl.DataFrame(want).with_row_index("_row")
        if sid:
            wanted = wanted.with_columns(pl.Series(sid, [panel.series_ids[s] for s in np.repeat(series_a, H)]).cast(
                frame.schema[sid]))
        table = future.select(*([sid] if sid else []), "cutoff", ts, *cols).with_columns(
            pl.col("cutoff").dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us")),
            pl.col(ts).dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(pl.Datetime("us")).alias("_utc"),
        ).drop(ts)
        wanted = wanted.with_columns(pl.col("cutoff", "_utc").cast(pl.Datetime("us")))
        got = wanted.join(table, on=[*([sid] if sid else []), "cutoff", "_utc"], how="left").sort("_row")
        values = got.select(cols).to_numpy().astype(np.float32).reshape(len(starts_a), H, len(cols))
        if np.isnan(values).any():
            w = int(np.argwhere(np.isnan(values))[0][0])
            raise DataError(f"future= lacks {cols} for cutoff {cut[cut_a[w]]} UTC; every horizon step needs a value")
        return [list(schema.future_covariates).index(c) for c in cols], values

    # ------------------------------------------------------------- save/load
    def save(self, path: str | Path) -> Path:
        """Write ``config.json``, ``model.safetensors`` and ``manifest.json`` into ``path``."""
        from safetensors.torch import save_file

        self._check_fitted()
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        config = {
            "format": FORMAT,
            "params": _jsonable(self.get_params()),
            "schema": self.schema_.to_dict(),
            "levels": list(self.levels_),
            "calendar": self.calendar_,
            "n_inputs": list(self.n_inputs_),
            "series_ids": _jsonable(self.series_ids_),
        }
        (out / "config.json").write_text(json.dumps(config, indent=2))
        state = {k: v.detach().cpu().contiguous() for k, v in self.network_.state_dict().items()}
        save_file(state, str(out / "model.safetensors"), metadata={"format": FORMAT})
        (out / "manifest.json").write_text(json.dumps(_jsonable(self.manifest_), indent=2))
        windows = getattr(self, "parity_windows_", None)
        if windows is not None:  # real training windows for the ONNX export parity gate
            from safetensors.numpy import save_file as save_arrays

            save_arrays({k: np.ascontiguousarray(v) for k, v in windows.items()}, str(out / "parity.safetensors"))
        return out

    @classmethod
    def load(cls, path: str | Path) -> Forecaster:
        """Rebuild a saved forecaster (no pickle: JSON config and a safetensors state dict)."""
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
        model._restore(config, load_file(str(src / "model.safetensors")))
        manifest = src / "manifest.json"
        model.manifest_ = json.loads(manifest.read_text()) if manifest.exists() else {}
        model.history_ = model.manifest_.get("history", {})
        parity = src / "parity.safetensors"
        if parity.exists():
            from safetensors.numpy import load_file as load_arrays

            model.parity_windows_ = load_arrays(str(parity))
        return model

    # ----------------------------------------------------------------- export
    def export(self, path: str | Path, *, quantize: str | None = None, opset: int | None = None,
               target_ort: str | None = None, data: Any = None, max_metric_change: float = 0.01) -> Any:
        """Write one self-contained ONNX file (scaling, calendar, network, clipping inside).

        Runs the parity gate (onnxruntime against torch on real training windows at batch
        1, 7 and 64, a window with NaN and a flat series); a file that fails is not written.
        See :func:`energyai.export.export_onnx` for the parameters.

        Returns
        -------
        energyai.export.ExportReport
        """
        from energyai.export import export_onnx

        return export_onnx(self, path, quantize=quantize, opset=opset, target_ort=target_ort, data=data,
                           max_metric_change=max_metric_change)

    def _restore(self, config: dict[str, Any], state: dict[str, Any]) -> None:
        from energyai.nn.network import ForecastNetwork

        r = self._resolved()
        schema = Schema.from_dict(config["schema"])
        P, F, S = config["n_inputs"]
        calendar = bool(config["calendar"])
        levels = tuple(config["levels"])
        core = r["spec"].build(r["cfg"], self.context_length, self.horizon, len(levels), P,
                               F + (6 if calendar else 0) + (2 if r["solar"] else 0), S)
        net = ForecastNetwork(core, levels, P, F, S, calendar=calendar, scaler=self._training["scaler"],
                              affine=bool(self._training["affine"]), nonnegative=schema.nonnegative,
                              solar=r["solar"])
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise ArtifactError(f"the saved weights do not match the saved config: {exc}") from exc
        self.network_ = net.eval()
        self.schema_ = schema
        self.levels_ = levels
        self.calendar_ = calendar
        self.n_inputs_ = (P, F, S)
        self.series_ids_ = config.get("series_ids", [])


def _utc64(when: Any) -> np.datetime64:
    """A tz-aware datetime, or a ``numpy.datetime64`` taken as UTC, as naive UTC ``datetime64[us]``."""
    if isinstance(when, np.datetime64):
        return when.astype("datetime64[us]")
    if isinstance(when, datetime.datetime) and when.tzinfo is None:
        raise DataError(f"cutoff {when} has no time zone; give a tz-aware datetime (or numpy.datetime64 in UTC)")
    return np.datetime64(when.astimezone(datetime.timezone.utc).replace(tzinfo=None), "us")


@contextlib.contextmanager
def _quiet_lightning(quiet: bool) -> Any:
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
            warnings.filterwarnings("ignore", message=".*(does not have many workers|litlogger|LitLogger|treespec).*")
            yield
    finally:
        for lg, lvl in zip(loggers, levels, strict=True):
            lg.setLevel(lvl)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
