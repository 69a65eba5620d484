"""The neural forecaster facade: ``Forecaster(model, ...).fit(df, schema).predict(df)``.

It follows the estimator contract of the baselines (``__init__`` stores, ``fit`` returns
``self``, learned state ends in ``_``), so :func:`energyai.backtest` treats both alike.
The work is delegated: options are a :class:`~energyai.config.TrainConfig`, the network is
built by :mod:`energyai.nn.build`, training lives in :mod:`energyai.training.fit`,
forecasting in :mod:`energyai.inference` (through the one window assembler), files in
:mod:`energyai.persist` and :mod:`energyai.export`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from energyai._optional import import_optional
from energyai.base import check_quantiles
from energyai.config import TrainConfig
from energyai.exceptions import ConfigError, NotFittedError
from energyai.schema import Schema

if TYPE_CHECKING:
    import polars as pl
else:
    pl = import_optional("polars", "neural forecasting")
if TYPE_CHECKING:
    import torch
else:
    torch = import_optional("torch", "neural forecasting")

__all__ = ["Forecaster"]

_OWN = ("model", "context_length", "horizon", "quantiles", "max_steps", "max_epochs")
_TRAIN = frozenset(TrainConfig.names()) - {"max_steps", "max_epochs"}


class Forecaster:
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
    max_steps, max_epochs : int, optional
        Training budget (default 3,000 steps when both are None); ``max_steps="auto"``
        sizes it from the number of training windows (:mod:`energyai.training.budget`).
    **options
        Training options (the fields of :class:`energyai.config.TrainConfig`: ``loss``,
        ``batch_size``, ``learning_rate``, ``calendar``, ``val_size``, ``accelerator``,
        ``precision``, ``solar_site``, ...) and the options of the architecture's config
        dataclass (see ``energyai.models``).
    """

    def __init__(self, model: str = "nhits", context_length: int = 96, horizon: int = 24,
                 quantiles: Any = (0.1, 0.5, 0.9), max_steps: int | None = None, max_epochs: int | None = None,
                 **options: Any) -> None:
        self.model = model
        self.context_length = context_length
        self.horizon = horizon
        self.quantiles = quantiles
        self.max_steps = max_steps
        self.max_epochs = max_epochs
        training = {k: options.pop(k) for k in list(options) if k in _TRAIN}
        self._training = {**{k: v for k, v in TrainConfig.defaults().items() if k in _TRAIN}, **training}
        self.model_config = dict(options)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> Forecaster:
        """A forecaster configured by preset ``name`` (``"day-ahead-load"``, ...; see
        :mod:`energyai.presets` and ``energyai presets list``).

        ``overrides`` are the preset's options (``country=``, ``issue_time=``, ...) and any
        ``Forecaster`` parameter, which replaces the preset's choice. Every choice is a
        parameter of the returned forecaster, shown by ``repr`` and saved with it.
        """
        from energyai.presets import preset_params

        return cls(**preset_params(name, **overrides)).check()

    @classmethod
    def from_pretrained(cls, name: str | Path, *, verify: bool = True, tz: str | None = None,
                        holidays: str | None = None, solar_site: tuple[float, ...] | None = None) -> Forecaster:
        """A released model by name (``energyai.pretrained.available()``), or a saved folder.

        Fine-tune it with ``Forecaster(...).fit(df, schema, init_from=model)`` or
        ``energyai finetune --from NAME``; its files are checked against their checksums.
        ``tz`` and ``holidays`` point a base model at a site for zero-shot forecasts
        (:meth:`localize`): ``from_pretrained("load-base", tz="Asia/Seoul", holidays="KR")``;
        ``solar_site`` a PV base at a plant: ``from_pretrained("solar-base",
        solar_site=(35.2, 126.9, 50))``.
        """
        from energyai.pretrained import resolve

        model = cls.load(resolve(name), verify=verify)
        if tz or holidays or solar_site is not None:
            return model.localize(tz=tz, holidays=holidays, solar_site=solar_site)
        return model

    def localize(self, tz: str | None = None, holidays: str | None = None,
                 holiday_years: tuple[int, int] | None = None,
                 solar_site: tuple[float, ...] | None = None) -> Forecaster:
        """A copy of this fitted model that reads another site's local clock and holidays.

        The calendar and holiday features of a model are functions of local time; a base
        trained on local wall-clock time across zones (``load-base``) is applied zero-shot
        to a site by giving the site's zone and holiday country. Fine-tuning
        (``fit(..., init_from=)``) does the same from the site's data and schema.

        Parameters
        ----------
        tz : str, optional
            IANA zone of the site's timestamps (``"Asia/Seoul"``); None keeps the model's.
        holidays : str, optional
            Holiday country (``"KR"``, ``"US"``); the model must have been trained with a
            holiday table. None keeps the model's table; with ``tz`` that is refused
            unless the table is the zone's country's (``zone.tab``), so a model never keeps
            another country's holidays by accident: pass the model's country to keep it.
        holiday_years : (int, int), optional
            First and last year of the new table (default 1990..2050).
        solar_site : (latitude, longitude[, altitude]), optional
            The PV plant's site (degrees, metres) for the in-graph clear sky and sun
            position of a solar model. None keeps the model's.

        Raises
        ------
        ConfigError
            An unknown zone, a bad site, or ``holidays`` / ``solar_site`` for a model
            without those features.
        """
        from energyai.localize import localize

        return localize(self, tz, holidays, holiday_years, solar_site)

    # ----------------------------------------------------------------- params
    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """Every constructor argument, the architecture options included (flat)."""
        out = {name: getattr(self, name) for name in _OWN}
        out.update(self._training)
        out.update(self.model_config)
        return out

    def set_params(self, **params: Any) -> Forecaster:
        """Set constructor arguments; unknown architecture options fail at ``fit``."""
        for key, value in params.items():
            if key in _OWN:
                setattr(self, key, value)
            elif key in _TRAIN:
                self._training[key] = value
            else:
                self.model_config[key] = value
        return self

    def __getattr__(self, name: str) -> Any:
        training = self.__dict__.get("_training", {})
        if name in training:
            return training[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"

    @property
    def train_config(self) -> TrainConfig:
        """The training options as a checked :class:`TrainConfig`."""
        return TrainConfig(max_steps=self.max_steps, max_epochs=self.max_epochs, **self._training).check()

    def _resolved(self) -> dict[str, Any]:
        """Check every parameter; return the model spec, its config, the levels and the train config."""
        from energyai.models import get_model, make_config

        spec = get_model(self.model)
        cfg = make_config(self.model, **self.model_config)
        for name in ("context_length", "horizon"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ConfigError(f"{name} must be a positive int, got {v!r}")
        t = self.train_config
        qs = check_quantiles(self.quantiles) if self.quantiles else ()
        if t.loss != "pinball" and qs:
            raise ConfigError(f"loss={t.loss!r} trains a point forecast; pass quantiles=() or use loss='pinball'")
        levels = tuple(sorted(set(qs) | {0.5})) if t.loss == "pinball" else (0.5,)
        if spec.kind == "trees" and t.learning_rate != TrainConfig.defaults()["learning_rate"]:
            raise ConfigError(f"learning_rate={t.learning_rate!r} is the networks' optimiser step, which "
                              f"{spec.name!r} does not read; set the trees' rate with tree_learning_rate=")
        for option, what in (("solar_site", "solar"), ("holidays", "holiday"), ("similar_day", "similar-day"),
                             ("wind_columns", "wind"), ("daylight_column", "daylight")):
            if getattr(t, option) not in (None, False) and "future" not in spec.supports:
                raise ConfigError(f"{what} features are known-future covariates, which {spec.name!r} does not read; "
                                  "use nhits, tide or lstm")
        return {"spec": spec, "cfg": cfg, "levels": levels, "quantiles": qs, "train": t,
                "solar": t.solar()}

    def check(self) -> Forecaster:
        """Check every option now (``fit`` does it too, before reading any data); return ``self``."""
        self._resolved()
        return self

    # -------------------------------------------------------------------- fit
    def fit(self, df: Any, schema: Schema, *, val_start: Any = None, init_from: Any = None,
            freeze: str | None = None, callbacks: list[Any] | None = None, future: Any = None,
            resume: Any = None, calibrate: Any = "default") -> Forecaster:
        """Validate ``df``, cut training and validation windows, and train.

        Parameters
        ----------
        df : polars.DataFrame or polars.LazyFrame
            Long-format history of every series. A LazyFrame is read one covariate column
            at a time, so the whole table is never held in memory next to the training arrays.
        schema : Schema
        val_start : datetime, optional
            Windows whose forecast origin is at or after this time validate; training
            windows end before it. Default: the last ``val_size`` of every series.
        init_from : Forecaster or path, optional
            Fine-tune: start from this fitted model's weights and covariate scalers.
            Architecture, window lengths, quantiles and covariates must match.
        freeze : {None, "backbone"}
            With ``init_from``: train only the architecture's output head.
        callbacks : list of lightning.Callback, optional
        future : energyai.data.vintages.Vintages, optional
            Weather forecasts by run: every training and validation window then reads,
            over its horizon, the run available at its origin (the rule of forecast time),
            so the model learns how forecast error grows with lead. The frame's columns
            of the same names give the contexts (use ``Vintages.as_history``). Windows
            whose horizon no run covers are left out, never filled.
        resume : bool, str or Path, optional
            Continue a killed run from its last checkpoint: True (the ``checkpoint_dir``
            option's ``last.ckpt``), a checkpoint folder or a ``.ckpt`` file. Data and
            options must be the run's; in deterministic mode the result equals an
            uninterrupted run's. Checkpoints are written with ``checkpoint_every``.
        calibrate : None, "auto" or dict, optional
            Hold out the most recent weeks, fit on the rest and calibrate the quantiles on
            the held-out origins (:mod:`energyai.training.calibrated`); replaces the
            ``calibration`` option for this and later fits (the presets default to "auto",
            a plain ``Forecaster`` to None).

        Returns
        -------
        Forecaster
            ``self``, with ``network_``, ``schema_``, ``history_`` and ``manifest_`` set.
        """
        from energyai.training.calibrated import fit_model

        if not (isinstance(calibrate, str) and calibrate == "default"):
            self.set_params(calibration=calibrate)
        fit_model(self, df, schema, val_start=val_start, init_from=init_from, freeze=freeze, callbacks=callbacks,
                  future=future, resume=resume)
        return self

    def summary(self) -> str:
        """What the fit produced, in a few lines: the members and their weights, fit seconds,
        and the calibration with the central intervals' coverage on the validation windows
        before the shifts (the after-shift coverage there is nominal by construction; judge
        it on later data, as ``benchmarks/presets.py`` does)."""
        from energyai.training.summary import fit_summary

        self._check_fitted()
        return fit_summary(self)

    def describe(self) -> str:
        """The columns (with units), step, zone and optional inputs this fitted model expects,
        and the shape of the history and future frames ``predict`` takes; then :meth:`summary`."""
        from energyai.training.summary import describe_inputs, fit_summary

        self._check_fitted()
        return describe_inputs(self) + "\n" + fit_summary(self)

    # ---------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if "network_" not in self.__dict__:
            raise NotFittedError("Forecaster is not fitted; call fit(df, schema) or Forecaster.load(path) first")

    def _check_clock(self) -> None:
        """Refuse to forecast with a base model trained on floating local time until it is told the
        site's zone and holidays: its timestamps would otherwise be read as its training clock,
        a forecast shifted by the zone offset that looks right."""
        manifest = getattr(self, "manifest_", {})
        if manifest.get("clock") == "floating":
            raise ConfigError(
                "this base model was trained on local wall-clock time; give the site's zone and holidays first: "
                "Forecaster.from_pretrained(name, tz='Asia/Seoul', holidays='KR') or model.localize(tz=..., "
                "holidays=...) (energyai predict: --tz and --holidays), or fine-tune it on the site "
                "(fit(..., init_from=model))")
        if manifest.get("site") == "per-plant":
            raise ConfigError(
                "this base model was trained across PV plants, each at its own site; give the plant's site first: "
                "Forecaster.from_pretrained(name, solar_site=(latitude, longitude, altitude)) or "
                "model.localize(solar_site=...) (energyai predict: --site), or fine-tune it on the plant "
                "(fit(..., init_from=model)); its clear sky and night zeros would otherwise be another place's")

    def predict(self, df: Any, future: Any = None, *, fallback: str = "seasonal",
                min_observed: float = 0.5) -> Any:
        """Forecast ``horizon`` steps after the last timestamp of every series in ``df``.

        Only the last ``context_length`` steps of each series are read (and validated).
        The same rules as :class:`energyai.runtime.OnnxForecaster`: a series with fewer
        than ``context_length`` steps of history is refused, and one whose context is too
        gappy gets a flagged fallback forecast.

        Parameters
        ----------
        df : polars.DataFrame
            History up to the forecast origin, same columns as at ``fit``. Naive
            timestamps are local time in the schema's zone (``docs/data-contract.md``).
        future : polars.DataFrame, optional
            Known-future covariates of the ``horizon`` steps after each series' last
            timestamp (series id, timestamp, covariates). Required when the schema has
            future covariates.
        fallback : {"seasonal", "climatology", "persistence", "none", "raise"}
            For a series with less than ``min_observed`` of its context observed: forecast
            it with a simple method and flag it (see :mod:`energyai.runtime.fallback`), use
            the model anyway (``"none"``), or raise :class:`InsufficientDataError`.
        min_observed : float
            Smallest observed share of the context before the fallback applies.

        Returns
        -------
        polars.DataFrame
            Series id, timestamp, ``forecast`` (the median), one ``q<level>`` column per
            requested quantile, in target units, sorted and clipped, and ``fallback``
            (True where the row comes from the fallback method, not the model).

        Raises
        ------
        InsufficientDataError
            A series has fewer than ``context_length`` steps from its first row to its
            origin, or (``fallback="raise"``) too gappy a context.
        """
        from energyai.runtime.fallback import check_fallback

        check_fallback(fallback, min_observed)
        from energyai.inference import predict_frame

        self._check_fitted()
        self._check_clock()
        return predict_frame(self, df, future, fallback=fallback, min_observed=float(min_observed))

    def predict_arrays(self, *inputs: np.ndarray, batch_size: int = 1024, **named: np.ndarray) -> np.ndarray:
        """Run the network on contract arrays; returns ``(B, H, Q)`` in target units.

        Parameters
        ----------
        *inputs, **named : ndarray
            The inputs of :data:`energyai.contract.INPUTS`, positionally in that order
            (``past_target (B, L)``, ``past_observed (B, L)``, ``past_covariates (B, L, P)``,
            ``future_covariates (B, L + H, F)``, ``local_time (B, L + H)`` int64,
            ``static (B, S)``, ``capacity (B, H)``, ``utc_time (B, L + H)`` int64, then any
            later input) or by name. Inputs left out are made by the window assembler
            where they can be: ``past_observed`` from NaN in ``past_target``,
            ``local_time`` from ``utc_time``, ``capacity`` from the schema's constant,
            ``holiday_override`` as "no override".
        batch_size : int
            Windows per network pass.
        """
        from energyai.inference import predict_arrays

        self._check_fitted()
        self._check_clock()
        return predict_arrays(self, inputs, named, batch_size)

    def _check_shapes(self, feeds: dict[str, np.ndarray]) -> None:
        """Raise :class:`ConfigError` for a contract input of the wrong shape or kind."""
        L_, H = self.context_length, self.horizon
        P, F, S = self.n_inputs_
        if "past_target" not in feeds:
            raise ConfigError("predict_arrays needs past_target (B, context_length)")
        B = feeds["past_target"].shape[0] if feeds["past_target"].ndim else 0
        want = {"past_target": (B, L_), "past_observed": (B, L_), "past_covariates": (B, L_, P),
                "future_covariates": (B, L_ + H, F), "local_time": (B, L_ + H), "utc_time": (B, L_ + H),
                "static": (B, S), "capacity": (B, H)}
        for name, arr in feeds.items():
            shape = want.get(name)
            if shape is not None and tuple(arr.shape) != shape:
                raise ConfigError(f"{name} has shape {tuple(arr.shape)}; this model takes {shape} "
                                  f"(batch, context_length {L_}, horizon {H}, covariates {P}/{F}/{S})")
            kinds = "iu" if name in ("local_time", "utc_time") else "fiub"
            if arr.dtype.kind not in kinds:
                raise ConfigError(f"{name} has dtype {arr.dtype}; expected {'integers' if kinds == 'iu' else 'numbers'}")

    def _input_guard(self) -> Any:
        """The magnitude and training-range checks of this model's inputs (:class:`energyai.limits.InputGuard`)."""
        from energyai.limits import InputGuard

        s = self.schema_
        columns = {"past_covariates": s.past_covariates, "future_covariates": s.future_covariates,
                   "static": s.static_covariates}
        trained = self.network_.training_ranges()
        ranges = {r: (v["mean"], v["std"]) for r, v in trained.items()}
        bounds = {r: (v["low"], v["high"]) for r, v in trained.items() if "low" in v}
        # the option as stored (checked at fit): building a TrainConfig here cost 0.2 ms a forecast
        return InputGuard(s.target, columns, ranges, optional=tuple(self._training.get("optional_covariates") or ()),
                          capacity=s.capacity is not None, bounds=bounds)

    def _optional_positions(self) -> tuple[int, ...]:
        """Positions of the optional covariates among the fitted schema's future covariates."""
        from energyai.nn.build import optional_index

        return optional_index(self.train_config.optional_covariates, self.schema_.future_covariates)

    def forecast_origins(self, df: Any, cutoffs: list[Any], future: Any = None) -> Any:
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
        from energyai.inference import forecast_origins

        self._check_fitted()
        self._check_clock()
        return forecast_origins(self, df, cutoffs, future)

    def calibrate(self, df: Any, cutoffs: list[Any], *, method: str = "conformal", by: str = "lead",
                  future: Any = None, min_windows: int = 30) -> Forecaster:
        """A copy whose quantiles are conformally calibrated on origins after the training data.

        The shifts (one per lead and level, in units of each window's scale) live in the
        network, so ``predict``, ``export`` and the runtime apply them; see
        :func:`energyai.calibration.calibrate` for the parameters and the method.
        """
        from energyai.calibration import calibrate

        self._check_clock()
        return calibrate(self, df, cutoffs, method=method, by=by, future=future,  # type: ignore[no-any-return]
                         min_windows=min_windows)

    # ------------------------------------------------------------- save/load
    def save(self, path: str | Path) -> Path:
        """Write ``config.json``, ``model.safetensors`` and ``manifest.json`` into ``path``."""
        from energyai.persist import save_forecaster

        return save_forecaster(self, path)

    @classmethod
    def load(cls, path: str | Path, *, verify: bool = True) -> Forecaster:
        """Rebuild a saved forecaster (no pickle: JSON config and a safetensors state dict).

        ``verify``: check every file against the folder's ``checksums.json`` and refuse a
        partial, mixed or edited folder with :class:`~energyai.exceptions.IntegrityError`.
        """
        from energyai.persist import load_forecaster

        model: Forecaster = load_forecaster(cls, path, verify=verify)
        return model

    def export(self, path: str | Path, *, quantize: str | None = None, opset: int | None = None,
               target_ort: str | None = None, data: Any = None, max_metric_change: float = 0.01,
               submission: Any = None, progress: Any = "auto") -> Any:
        """Write one self-contained ONNX file (scaling, features, network, clipping inside).

        Runs the parity gate (onnxruntime against torch on real training windows at batch
        1, 7 and 64, a window with NaN and a flat series); a file that fails is not written.
        ``submission=KPXRules()`` adds an output with the value to submit to KPX, chosen in
        the graph. See :func:`energyai.export.export_onnx` for the parameters.

        Returns
        -------
        energyai.export.ExportReport
        """
        from energyai.export import export_onnx

        self._check_fitted()
        self._check_clock()
        return export_onnx(self, path, quantize=quantize, opset=opset, target_ort=target_ort, data=data,
                           max_metric_change=max_metric_change, submission=submission, progress=progress)


