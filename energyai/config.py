"""Training options, declared once: :class:`TrainConfig` and searchable :class:`Param` ranges.

Standard library only. Each option is a field with its default, its allowed values and,
where worth tuning, its search range. ``Forecaster``, the CLI's ``trainer:`` YAML section
and ``energyai tune`` all read these fields; nothing else repeats a default.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Any

from energyai.exceptions import ConfigError
from energyai.fitoptions import CALIBRATION_DEFAULTS, FIT_CHOICES, calibration_options, check_ensemble

__all__ = ["CALIBRATION_DEFAULTS", "DEFAULT_MAX_STEPS", "Param", "TrainConfig", "calibration_options", "issue_seconds"]

#: Optimiser steps when neither ``max_steps`` nor ``max_epochs`` is given.
DEFAULT_MAX_STEPS = 3000


@dataclass(frozen=True)
class Param:
    """One searchable hyper-parameter (used by :mod:`energyai.tuning` through optuna).

    ``kind`` is ``"int"``, ``"float"`` or ``"categorical"``; ``low``/``high``/``log`` for
    numbers, ``choices`` for categories.
    """

    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any, name: str) -> Any:
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)
        if self.kind == "float":
            return trial.suggest_float(name, float(self.low), float(self.high), log=self.log)
        if self.kind == "categorical":
            return trial.suggest_categorical(name, list(self.choices))
        raise ConfigError(f"unknown parameter kind {self.kind!r}")


def _opt(default: Any, *, kind: str = "any", low: float | None = None, high: float | None = None,
         open_low: bool = False, open_high: bool = False, choices: tuple[Any, ...] | None = None,
         none: bool = False, search: Param | None = None, rank: int = 0) -> Any:
    """A ``dataclasses.field`` with its rule: ``kind`` in {"int", "float", "bool", "any"},
    bounds, choices, and the search range (``rank`` orders the searched options)."""
    rule = {"kind": kind, "low": low, "high": high, "open_low": open_low, "open_high": open_high,
            "choices": choices, "none": none, "search": search, "rank": rank}
    return field(default=default, metadata={"rule": rule})


@dataclass(frozen=True)
class TrainConfig:
    """Training and recipe options of a neural :class:`~energyai.Forecaster`.

    Attributes
    ----------
    max_steps, max_epochs : int or None
        Optimiser steps, or epochs of ``batches_per_epoch`` batches
        (default :data:`DEFAULT_MAX_STEPS` steps when both are None). ``max_steps="auto"``
        sizes the budget from the data at ``fit`` (:func:`energyai.training.budget.auto_steps`:
        a number of passes over the training windows, within bounds that depend on CPU or
        GPU); the steps chosen are written to ``history_["budget"]``.
    max_time : float, optional
        Wall-clock limit of training in seconds (a safety net: training stops at the
        first step past it and keeps the best weights; ``history_["stopped_by"]`` says
        ``"time"``). Runs stopped by time are not reproducible step for step.
    origin_time : str, optional
        ``"HH:MM"`` local time of day at which forecasts are issued (``"10:00"`` is KPX's
        day-ahead gate): training and validation windows are only those whose last
        context step falls at that time, as at forecast time. None: every origin.
    loss : {"pinball", "mse", "mae"}
    batch_size : int
        Windows per step.
    learning_rate, weight_decay : float
        AdamW settings.
    schedule : {"cosine", "constant"}
        Linear warm-up then cosine decay to 5% of the peak, or constant.
    warmup_fraction : float
        Share of the steps spent warming up, in [0, 1].
    scaler : {"revin", "mean", "none", "capacity"}
        Instance scaling of the target inside the network; ``capacity`` trains on the
        capacity factor (target / the schema's capacity) and multiplies back in the graph.
    affine : bool
        Learnable affine parameters of the instance scaler.
    calendar : bool or "auto"
        Time-of-day, day-of-week and time-of-year features computed from timestamps in
        the network. "auto": on for sub-daily data when the model reads known-future
        covariates.
    val_size : float or int
        The last part of every series whose windows validate (a fraction in [0, 1) of
        its length, or steps). 0 disables validation and early stopping.
    early_stopping_patience : int
        Validations without improvement before stopping; the best weights are restored.
    batches_per_epoch : int
        Training batches between validations.
    max_val_windows : int
        Evenly spaced validation windows scored at each validation.
    gradient_clip : float
        Gradient norm clipping (0 disables).
    accelerator, devices, strategy, num_nodes, precision :
        Passed to ``lightning.Trainer``; ``precision="auto"`` is bf16 mixed precision on
        CUDA and float32 elsewhere.
    compile : bool
        ``torch.compile`` the network before training.
    seed : int
    deterministic : bool
        Deterministic algorithms (``Trainer(deterministic=True)``).
    num_workers : int
        DataLoader worker processes (0: batches are gathered in the training process).
    progress_bar : bool or "auto"
        Lightning's progress bar; "auto" shows it when standard error is a terminal and
        ``CI`` is not set (:func:`energyai.progress.progress_enabled`).
    series_weights : dict, optional
        Loss weight per series id.
    solar_site : tuple of float, optional
        ``(latitude, longitude[, altitude])`` of a PV plant (degrees, metres): clear-sky
        GHI and cos(zenith) in the network, night steps out of the loss, night forecasts 0.
    linke_turbidity : float
        Linke turbidity of the clear-sky model (with ``solar_site``).
    similar_day : bool
        The similar-day feature in the network (:class:`energyai.nn.similar_day.SimilarDay`):
        for each horizon step, the target at the same local time on the last context day
        of the same kind (day off or working day), so a holiday starts from the last
        Sunday. Needs sub-daily data and a model that reads known-future covariates.
    wind_columns : (str, str) or (str,), optional
        Future covariates holding the forecast wind as ``(u, v)`` components or as
        ``(speed,)`` in m/s: speed, direction and a power-curve feature are computed from
        them inside the network (:class:`energyai.nn.wind.WindFeatures`).
    power_curve : (speeds, capacity factors), optional
        The turbine or farm curve for that feature (default: a generic 3/12/25 m/s curve,
        :data:`energyai.nn.wind.GENERIC_CURVE`).
    daylight_column : str, optional
        A future covariate that is positive exactly while the sun is up over the step (an
        NWP top-of-atmosphere net solar radiation, say): PV forecasts are 0 where it is
        not, and those steps stay out of the loss. For sites whose coordinates are not
        known; with ``solar_site`` both must say day.
    clearsky_index : bool
        The network forecasts the *clear-sky index* and the graph multiplies it by the
        site's clear-sky GHI (W/m², interval mean, divided by 1000), so the capacity
        factor is ``index × clear-sky``: the network learns weather, the graph supplies the
        season and the hour. Needs ``solar_site`` and ``scaler="capacity"``.
    checkpoint_every : int
        Optimiser steps between training checkpoints (0: none); epoch ends are saved too
        (:mod:`energyai.training.checkpoint`). ``fit(..., resume=True)`` continues a killed run.
    checkpoint_dir : str, optional
        Folder of the checkpoints (``last.ckpt``); needed with ``checkpoint_every``.
    context_dropout : float
        Share of training windows whose whole target context is hidden (as if the meter
        had been down), so the model also learns to forecast from its known-future
        inputs alone (weather forecasts, clear sky, calendar); validation is unchanged.
    preset_name : str, optional
        The name of the preset that chose these options (:mod:`energyai.presets`), for
        the record; it changes nothing by itself.
    holidays : str, optional
        Country code of the ``holidays`` package (``"KR"``, ``"DE"``; ``"US-CA"`` for a
        subdivision): holiday, bridge-day, festival and days-off-in-a-row features looked
        up inside the network from a day table by local date, so an exported file needs
        no ``holidays`` package. The ``holiday_override`` input replaces table values (a
        holiday declared by decree after training).
    holiday_years : (int, int), optional
        First and last year of the table (default: the year before the data to
        ``max(2050, the data's last year + 1)``). Dates outside give a typed error.
    series_holidays : dict, optional
        Holiday country per series id for training (``{"zone_1": "US", "C14": "KR"}``):
        those series' training windows read the holiday flags of their own country
        through ``holiday_override`` (a model trained across countries); series left out
        use the ``holidays`` table. Needs ``holidays``. Forecasts read the model's table.
    optional_covariates : tuple of str, optional
        Known-future covariates that may be missing (null in a frame, NaN in the graph
        input), such as temperature for sites without a weather feed: inside the network a
        missing value becomes 0 on the scaled axis and an availability channel (1 present,
        0 missing) per column is appended, so one model forecasts with and without them.
        Windows are kept when only these columns are missing.
    covariate_dropout : float
        Share of training windows whose ``optional_covariates`` are all hidden (set
        missing) over the whole window, so the model learns to forecast without them.
    series_sites : dict, optional
        PV site per series id for training, ``{id: (latitude, longitude[, altitude])}``
        (degrees, metres): with ``solar_site``, those series' training windows compute
        clear sky and sun position at their own site (the ``site_override`` input), so
        one model trains across plants; forecasts use the model's ``solar_site`` (or
        ``localize(solar_site=)``, or fine-tuning with the plant's own).
    min_context_observed : float
        Share of a window's context that must hold observed targets for it to train or
        validate (0: any window with one observation). A context with one or two
        observations gives the instance scaler no scale, and its loss swamps the rest;
        forecasting refuses such contexts by default (``min_observed=0.5`` falls back).
    ensemble : list of dict, optional
        Train several members and combine them in one model (one saved folder, one ONNX
        file; :mod:`energyai.training.ensemble`). Each dict overrides this forecaster's
        parameters for one member: ``{}`` is the forecaster itself, ``{"seed": 1}`` the same
        with another seed, ``{"model": "nhits", "context_length": 96}`` another
        architecture (its own options only), ``{"model": "lightgbm"}`` the gradient-boosted
        member. Members share the inputs, quantile levels and in-graph features; a member
        cannot change those (``horizon``, ``quantiles``, ``holidays``, ``solar_site``, ...).
    refit : bool
        After training with early stopping, train each neural network again from its
        initial weights on the training and validation windows together, for the steps
        early stopping chose, so the model also learns the most recent history (the
        practice of the benchmarks' gradient-boosting reference). About doubles the
        neural training time. An ensemble learns its weights from the first fit's
        validation forecasts, which the refit has not seen.
    combine : {"weights", "weights_by_level", "mean"}
        How an ensemble combines its members' quantiles: weights learnt on the validation
        windows (one set for all levels and leads, or one per level), or the plain mean.
    cloud_column : str, optional
        A future covariate with total cloud cover (a weather forecast without
        irradiance): with ``solar_site``, the Kasten-Czeplak all-sky irradiance from it and
        the site's clear sky is computed in the graph (:func:`energyai.nn.solar.cloud_irradiance`).
    cloud_units : {"tenths", "oktas", "percent", "fraction"}
        Units of ``cloud_column`` (KMA reports tenths); values outside 0..10 tenths (8
        oktas, 100 %, 1) are refused.
    calibration : None, "auto" or dict
        Calibrate the quantiles as part of ``fit`` (``fit(..., calibrate=)`` sets it;
        :mod:`energyai.training.calibrated`). "auto" (:data:`CALIBRATION_DEFAULTS`): conformal
        shifts by lead learnt on the validation windows, from the forecasts of networks that
        were early-stopped on them but never trained on them (with ``refit``, the refitted
        networks get the shifts). A dict overrides ``method``, ``by``, ``min_windows``, and
        ``origins="holdout"`` with ``weeks``: hold out the last weeks instead, fit on the
        rest and calibrate there (``refit_all``: fit again on everything and keep the
        calibration). Off (None) for a plain ``Forecaster``, "auto" for the presets.
    fit_choices : tuple of str, optional
        Options a preset chooses from the training data at ``fit`` (:func:`energyai.presets.choose_at_fit`),
        among :data:`FIT_CHOICES`; the choice replaces the option's
        value, so it is saved, shown by ``repr`` and recorded in ``history_["chosen_at_fit"]``.
        An option passed explicitly is never chosen.
    """

    max_steps: Any = _opt(None, none=True)
    max_epochs: int | None = _opt(None, kind="int", low=1, none=True)
    loss: str = _opt("pinball", choices=("pinball", "mse", "mae"))
    batch_size: int = _opt(256, kind="int", low=1, search=Param("categorical", choices=(64, 128, 256)),
                           rank=3)
    learning_rate: float = _opt(1e-3, kind="float", low=0, open_low=True, search=Param("float", 1e-4, 1e-2, log=True),
                                  rank=1)
    weight_decay: float = _opt(0.0, kind="float", low=0, search=Param("categorical", choices=(0.0, 1e-4, 1e-3, 1e-2)),
                                 rank=2)
    schedule: str = _opt("cosine", choices=("cosine", "constant"))
    warmup_fraction: float = _opt(0.05, kind="float", low=0, high=1)
    scaler: str = _opt("revin", choices=("revin", "mean", "none", "capacity"))
    affine: bool = _opt(False, kind="bool")
    calendar: Any = _opt("auto", choices=(True, False, "auto"))
    val_size: Any = _opt(0.1)
    early_stopping_patience: int = _opt(10, kind="int", low=1)
    batches_per_epoch: int = _opt(100, kind="int", low=1)
    max_val_windows: int = _opt(4096, kind="int", low=1)
    gradient_clip: float = _opt(1.0, kind="float", low=0)
    accelerator: str = _opt("auto")
    devices: Any = _opt("auto")
    strategy: Any = _opt("auto")
    num_nodes: int = _opt(1, kind="int", low=1)
    precision: Any = _opt("auto")
    compile: bool = _opt(False, kind="bool")
    seed: int = _opt(0, kind="int")
    deterministic: bool = _opt(False, kind="bool")
    num_workers: int = _opt(0, kind="int", low=0)
    progress_bar: Any = _opt("auto", choices=(True, False, "auto"))
    series_weights: dict[Any, float] | None = _opt(None, none=True)
    solar_site: tuple[float, ...] | None = _opt(None, none=True)
    linke_turbidity: float = _opt(3.0, kind="float", low=0, open_low=True)
    holidays: str | None = _opt(None, none=True)
    holiday_years: tuple[int, int] | None = _opt(None, none=True)
    max_time: float | None = _opt(None, kind="float", low=0, open_low=True, none=True)
    origin_time: str | None = _opt(None, none=True)
    preset_name: str | None = _opt(None, none=True)
    similar_day: bool = _opt(False, kind="bool")
    context_dropout: float = _opt(0.0, kind="float", low=0, high=1, open_high=True)
    wind_columns: tuple[str, ...] | None = _opt(None, none=True)
    power_curve: tuple[tuple[float, ...], tuple[float, ...]] | None = _opt(None, none=True)
    daylight_column: str | None = _opt(None, none=True)
    clearsky_index: bool = _opt(False, kind="bool")
    checkpoint_every: int = _opt(0, kind="int", low=0)
    checkpoint_dir: str | None = _opt(None, none=True)
    series_holidays: dict[Any, str] | None = _opt(None, none=True)
    optional_covariates: tuple[str, ...] | None = _opt(None, none=True)
    covariate_dropout: float = _opt(0.0, kind="float", low=0, high=1, open_high=True)
    min_context_observed: float = _opt(0.0, kind="float", low=0, high=1)
    series_sites: dict[Any, tuple[float, ...]] | None = _opt(None, none=True)
    ensemble: Any = _opt(None, none=True)
    refit: bool = _opt(False, kind="bool")
    combine: str = _opt("weights", choices=("weights", "weights_by_level", "mean"))
    cloud_column: str | None = _opt(None, none=True)
    cloud_units: str = _opt("tenths", choices=("tenths", "oktas", "percent", "fraction"))
    fit_choices: tuple[str, ...] | None = _opt(None, none=True)
    calibration: Any = _opt(None, none=True)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every option name, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every option with its default."""
        return {f.name: f.default for f in dataclasses.fields(cls)}

    @classmethod
    def search_space(cls) -> dict[str, Param]:
        """The options worth tuning for every model, with their ranges."""
        searched = [f for f in dataclasses.fields(cls) if f.metadata["rule"]["search"] is not None]
        return {f.name: f.metadata["rule"]["search"] for f in sorted(searched, key=lambda f: f.metadata["rule"]["rank"])}

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.names()}

    def check(self) -> TrainConfig:
        """Check every option against its declared rule; return ``self``.

        Raises
        ------
        ConfigError
            Naming the option, its value and what is allowed.
        """
        for f in dataclasses.fields(self):
            _check_rule(f.name, getattr(self, f.name), f.metadata["rule"])
        ms = self.max_steps
        if ms is not None and ms != "auto" and (isinstance(ms, bool) or not isinstance(ms, int) or ms < 1):
            raise ConfigError(f"max_steps must be a positive int, 'auto' or None, got {ms!r}")
        if self.origin_time is not None:
            issue_seconds(self.origin_time, "origin_time")
        vs = self.val_size
        if isinstance(vs, bool) or not isinstance(vs, (int, float)) or vs < 0 or (isinstance(vs, float) and vs >= 1):
            raise ConfigError(f"val_size must be a fraction in [0, 1) or a number of steps, got {vs!r}")
        site = self.solar_site
        if site is not None:
            if not _site_ok(site):
                raise ConfigError(f"solar_site must be (latitude, longitude[, altitude]) in degrees and metres, "
                                  f"got {site!r}")
        if self.holidays is not None and (not isinstance(self.holidays, str) or not self.holidays):
            raise ConfigError(f"holidays must be a country code such as 'KR' (or 'US-CA'), got {self.holidays!r}")
        wc = self.wind_columns
        if wc is not None and not (isinstance(wc, (tuple, list)) and len(wc) in (1, 2)
                                   and all(isinstance(c, str) for c in wc)):
            raise ConfigError(f"wind_columns must be (u, v) or (speed,) column names, got {wc!r}")
        if self.checkpoint_every and not self.checkpoint_dir:
            raise ConfigError("checkpoint_every needs checkpoint_dir, the folder to write last.ckpt to")
        if self.daylight_column is not None and (not isinstance(self.daylight_column, str)
                                                 or not self.daylight_column):
            raise ConfigError(f"daylight_column must be a future-covariate name, got {self.daylight_column!r}")
        if self.clearsky_index and (self.solar_site is None or self.scaler != "capacity" or self.affine):
            raise ConfigError("clearsky_index multiplies the forecast by the site's clear sky: it needs solar_site=, "
                              f"scaler='capacity' and affine=False (got solar_site={self.solar_site!r}, "
                              f"scaler={self.scaler!r}, affine={self.affine!r})")
        pc = self.power_curve
        if pc is not None:
            ok = isinstance(pc, (tuple, list)) and len(pc) == 2 and len(pc[0]) == len(pc[1]) >= 2
            xs = [float(v) for v in pc[0]] if ok else []
            if not ok or any(b <= a for a, b in itertools.pairwise(xs)) or min(pc[1]) < 0:
                raise ConfigError("power_curve must be (speeds, capacity factors) of equal length >= 2, speeds "
                                  f"strictly increasing and factors >= 0; got {pc!r}")
        sh = self.series_holidays
        if sh is not None:
            if not isinstance(sh, dict) or not all(isinstance(c, str) and c for c in sh.values()):
                raise ConfigError(f"series_holidays must map series ids to country codes such as 'KR', got {sh!r}")
            if self.holidays is None:
                raise ConfigError("series_holidays needs holidays= (the model's own table, used at forecast time)")
        ss = self.series_sites
        if ss is not None:
            if self.solar_site is None:
                raise ConfigError("series_sites needs solar_site= (the model's own site, used at forecast time)")
            if not isinstance(ss, dict) or not all(_site_ok(v) for v in ss.values()):
                raise ConfigError("series_sites must map series ids to (latitude, longitude[, altitude]) in degrees "
                                  f"and metres, got {ss!r}")
        oc = self.optional_covariates
        if oc is not None and not (isinstance(oc, (tuple, list)) and oc and all(isinstance(c, str) and c for c in oc)
                                   and len(set(oc)) == len(oc)):
            raise ConfigError(f"optional_covariates must be distinct future-covariate names, got {oc!r}")
        if self.covariate_dropout and not oc:
            raise ConfigError("covariate_dropout hides optional_covariates; name them with optional_covariates=")
        if self.cloud_column is not None and (not isinstance(self.cloud_column, str) or not self.cloud_column):
            raise ConfigError(f"cloud_column must be a future-covariate name, got {self.cloud_column!r}")
        if self.cloud_column is not None and self.solar_site is None:
            raise ConfigError("cloud_column turns cloud cover into irradiance with the site's clear sky: it needs "
                              "solar_site=(latitude, longitude[, altitude])")
        check_ensemble(self.ensemble)
        calibration_options(self.calibration)
        fcs = self.fit_choices
        if fcs is not None and not (isinstance(fcs, (tuple, list)) and set(fcs) <= set(FIT_CHOICES)):
            raise ConfigError(f"fit_choices must name options among {list(FIT_CHOICES)}, got {fcs!r}")
        years = self.holiday_years
        if years is not None and not (isinstance(years, (tuple, list)) and len(years) == 2
                                      and all(isinstance(y, int) and not isinstance(y, bool) for y in years)
                                      and 1970 <= years[0] <= years[1] <= 2100):
            raise ConfigError(f"holiday_years must be (first, last) years within 1970..2100, got {years!r}")
        return self

    def solar(self) -> tuple[float, float, float, float] | None:
        """``(latitude, longitude, altitude, linke_turbidity)`` of the PV site, or None."""
        site = self.solar_site
        if site is None:
            return None
        return (float(site[0]), float(site[1]), float(site[2]) if len(site) > 2 else 0.0, float(self.linke_turbidity))


def _site_ok(site: Any) -> bool:
    """``(latitude, longitude[, altitude])`` numbers within -90..90 and -180..180 degrees."""
    ok = isinstance(site, (tuple, list)) and len(site) in (2, 3) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in site)
    return ok and abs(site[0]) <= 90 and abs(site[1]) <= 180


def issue_seconds(value: Any, name: str = "issue_time") -> int:
    """Seconds after local midnight of ``"HH:MM"`` (or ``"HH:MM:SS"``).

    Raises
    ------
    ConfigError
        Naming the value and the expected form.
    """
    parts = value.split(":") if isinstance(value, str) else []
    ok = len(parts) in (2, 3) and all(p.isdigit() and len(p) == 2 for p in parts)
    nums = [int(p) for p in parts] if ok else []
    if not ok or nums[0] > 23 or nums[1] > 59 or (len(nums) == 3 and nums[2] > 59):
        raise ConfigError(f"{name} must be a local time of day 'HH:MM' such as '10:00', got {value!r}")
    return nums[0] * 3600 + nums[1] * 60 + (nums[2] if len(nums) == 3 else 0)


def _check_rule(name: str, value: Any, rule: dict[str, Any]) -> None:
    if value is None and rule["none"]:
        return
    kind = rule["kind"]
    if rule["choices"] is not None:
        if not any(value is c or (type(value) is type(c) and value == c) for c in rule["choices"]):
            raise ConfigError(f"{name} must be one of {list(rule['choices'])}, got {value!r}")
        return
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool" and not isinstance(value, bool):
        raise ConfigError(f"{name} must be True or False, got {value!r}")
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        allowed = "a positive int" if rule["low"] == 1 else "an int"
        raise ConfigError(f"{name} must be {allowed}{' or None' if rule['none'] else ''}, got {value!r}")
    if kind == "float" and not numeric:
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if kind in ("int", "float"):
        low, high = rule["low"], rule["high"]
        below = low is not None and (value <= low if rule["open_low"] else value < low)
        above = high is not None and (value >= high if rule["open_high"] else value > high)
        if below or above:
            lo = "-inf" if low is None else ("(" if rule["open_low"] else "[") + f"{low:g}"
            hi = "inf" if high is None else f"{high:g}" + (")" if rule["open_high"] else "]")
            lo = lo if low is not None else "(-inf"
            hi = hi if high is not None else "inf)"
            if rule["low"] == 1 and kind == "int" and high is None:
                raise ConfigError(f"{name} must be a positive int{' or None' if rule['none'] else ''}, got {value!r}")
            raise ConfigError(f"{name} must lie in {lo}, {hi}, got {value!r}")
