"""The full forecasting graph: scaling, calendar features, the architecture, inverse
scaling, quantile sorting and physical clipping, all in one ``nn.Module``.

Training calls :meth:`ForecastNetwork.normalized` (the loss is computed on the
instance-normalised scale, so series of different size weigh alike); prediction and
export call :meth:`ForecastNetwork.forward`, which returns raw units. Both go through the
same modules, so Python and an exported graph agree by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from energyai.contract import NAMES
from energyai.nn.calendar import CalendarFeatures
from energyai.nn.output import OutputStage
from energyai.nn.scaling import FeatureScaler, InstanceScaler, covariate_ranges

__all__ = ["ForecastNetwork", "make_features"]


def make_features(calendar: bool, solar: tuple[float, ...] | None = None, solar_step: int = 0,
                  cloud: tuple[int, float] | None = None, holiday_days: int = 0,
                  wind: tuple[int, int, int, Any] | None = None) -> dict[str, nn.Module]:
    """The in-graph known-future feature modules by kind (see :class:`ForecastNetwork` for the
    arguments); kinds that are off are absent."""
    out: dict[str, nn.Module] = {}
    if calendar:
        out["calendar"] = CalendarFeatures()
    if solar is not None:
        from energyai.nn.solar import SolarFeatures

        lat, lon, alt, turbidity = (float(v) for v in solar)
        out["solar"] = SolarFeatures(lat, lon, alt, turbidity, step=solar_step, cloud=cloud)
    if holiday_days:
        from energyai.nn.holidays import HolidayFeatures

        out["holiday"] = HolidayFeatures(holiday_days)
    if wind is not None:
        from energyai.nn.wind import WindFeatures

        out["wind"] = WindFeatures(*wind)
    return out


class ForecastNetwork(OutputStage):
    """Raw inputs in, raw-unit sorted and clipped quantiles out.

    Parameters
    ----------
    core : nn.Module
        An architecture following :mod:`energyai.models.base`.
    quantiles : sequence of float
        Output levels, sorted.
    n_past, n_future, n_static : int
        Numbers of raw covariates (before calendar features).
    calendar : bool
        Append :class:`CalendarFeatures` to the known-future covariates.
    scaler : {"revin", "mean", "none", "capacity"}
        Instance scaling of the target (``capacity``: the capacity factor).
    affine : bool
        Learnable affine of the instance scaler.
    nonnegative : bool
        Clip outputs at 0.
    solar : tuple of float, optional
        ``(latitude, longitude, altitude, linke_turbidity)`` of a PV site: appends the
        clear-sky GHI (/1000 W/m²) and the cosine of the apparent zenith, computed in the
        graph from ``utc_time``, to the known-future covariates, and forces the forecast
        to 0 while the sun is below the horizon.
    holiday_days : int
        Rows of an in-graph holiday day table (0: none), filled with
        :meth:`HolidayFeatures.set_table`; appends holiday, bridge, festival and off-run
        features by local date, overridable through the ``holiday_override`` input.
    wind : (u, v, speed, curve), optional
        :class:`~energyai.nn.wind.WindFeatures` from raw future-covariate columns.
    solar_step : int
        Step length in seconds for the solar features' interval means (see
        :class:`~energyai.nn.solar.SolarFeatures`); 0: at the timestamps.
    similar_day : bool
        Append :class:`~energyai.nn.similar_day.SimilarDay`: the scaled target at the same
        local time on the last context day of the same kind (day off or working day; days
        off from the holiday table when there is one, else weekends).
    daylight_index : int
        Index of a raw future covariate that is positive exactly while the sun is up (an
        NWP top-of-atmosphere or downward solar radiation of the step); the forecast is
        forced to 0 where it is not, and those steps stay out of the loss. -1: none.
    optional : tuple of int
        Positions of future covariates that may be NaN (missing): a missing value becomes 0
        after scaling and one availability channel per such column (1 present, 0 missing)
        is appended to the known-future features. NaN in any other column stays NaN.
    clearsky_index : bool
        The core forecasts the clear-sky index; the output is that index times the
        site's clear-sky GHI / 1000 over each horizon step (the capacity factor), so the
        season and the hour come from the geometry. Needs ``solar``, ``scaler="capacity"``
        and no affine.
    cloud : (int, float), optional
        ``(column, to_oktas)`` of a raw future covariate with total cloud cover: with
        ``solar``, the Kasten-Czeplak irradiance from it and the clear sky is one more
        feature (:class:`~energyai.nn.solar.SolarFeatures`).

    Inside an ensemble (:class:`~energyai.nn.ensemble.EnsembleNetwork`) the in-graph
    features are computed once for all members and given as ``x["_shared"]`` (by each
    module's ``kind``); a member takes the last ``L + H`` steps of each.

    Inputs
    ------
    The inputs of :data:`energyai.contract.INPUTS`, positionally in that order or as one
    mapping by name: ``past_target (B, L)``, ``past_observed (B, L)``, ``past_covariates
    (B, L, P)``, ``future_covariates (B, L + H, F)``, ``local_time (B, L + H)`` int64,
    ``static (B, S)``, ``capacity (B, H)`` and ``utc_time (B, L + H)`` int64. Inputs the
    network does not read (:meth:`reads`) may be None or left out.

    Output: (B, H, Q) in target units.
    """

    quantiles: torch.Tensor
    optional_index: torch.Tensor
    optional_mask: torch.Tensor

    calibration: torch.Tensor | None
    calibration_mix: torch.Tensor | None

    def __init__(
        self,
        core: nn.Module,
        quantiles: tuple[float, ...],
        n_past: int,
        n_future: int,
        n_static: int,
        *,
        calendar: bool,
        scaler: str = "revin",
        affine: bool = False,
        nonnegative: bool = False,
        solar: tuple[float, float, float, float] | None = None,
        horizon: int | None = None,
        holiday_days: int = 0,
        similar_day: bool = False,
        solar_step: int = 0,
        wind: tuple[int, int, int, Any] | None = None,
        daylight_index: int = -1,
        optional: tuple[int, ...] = (),
        clearsky_index: bool = False,
        cloud: tuple[int, float] | None = None,
    ) -> None:
        super().__init__()
        self.horizon = horizon
        self.core = core
        self.register_buffer("quantiles", torch.tensor(quantiles, dtype=torch.float32))
        #: index of the 0.5 level (the calibration restores order outward from it), or None
        self.median_index = next((j for j, q in enumerate(quantiles) if abs(q - 0.5) < 1e-9), None)
        self.instance = InstanceScaler(scaler, affine=affine)
        self.past_scaler = FeatureScaler(n_past)
        self.future_scaler = FeatureScaler(n_future)
        self.static_scaler = FeatureScaler(n_static)
        self.n_inputs = (n_past, n_future, n_static)
        feats = make_features(calendar, solar, solar_step, cloud, holiday_days, wind)
        self.calendar = feats.get("calendar")
        self.nonnegative = nonnegative
        self.solar = feats.get("solar")
        if clearsky_index and (self.solar is None or scaler != "capacity" or affine):
            raise ValueError("clearsky_index needs a solar site, scaler='capacity' and affine=False")
        self.clearsky_index = bool(clearsky_index)
        # energyai.nn.calibration: shifts (H, Q) or (24, H, Q) and an optional level map; None: not in the state dict
        self.register_buffer("calibration", None)
        self.register_buffer("calibration_mix", None)
        self.holiday = feats.get("holiday")
        self.wind = feats.get("wind")
        if daylight_index >= n_future:
            raise ValueError(f"daylight_index {daylight_index} is not one of the {n_future} future covariates")
        self.daylight_index = int(daylight_index)
        if any(not 0 <= i < n_future for i in optional) or len(set(optional)) != len(optional):
            raise ValueError(f"optional covariate positions {optional} are not distinct future covariates of {n_future}")
        self.n_optional = len(optional)
        # derived from the config, so not saved with the weights (older saved folders load unchanged)
        self.register_buffer("optional_index", torch.tensor(list(optional), dtype=torch.int64), persistent=False)
        mask = torch.zeros(n_future, dtype=torch.bool)
        mask[list(optional)] = True
        self.register_buffer("optional_mask", mask, persistent=False)
        self.similar = None
        if similar_day:
            from energyai.nn.similar_day import SimilarDay

            self.similar = SimilarDay()

    @property
    def features(self) -> list[Any]:
        """The in-graph known-future feature modules, in the order their columns are appended."""
        return [m for m in (self.calendar, self.solar, self.holiday, self.wind) if m is not None]

    def training_ranges(self) -> dict[str, dict[str, list[float | None]]]:
        """Training ``mean`` and ``std`` of every raw covariate column by contract role, and
        physical bounds where known (:func:`~energyai.nn.scaling.covariate_ranges`)."""
        return covariate_ranges(self.past_scaler, self.future_scaler, self.static_scaler, self.solar)

    def reads(self, capacity: bool = False) -> list[str]:
        """Names of the contract inputs this network reads, in contract order.

        ``capacity``: whether the caller clips at a capacity (the schema has one).
        """
        n_past, n_future, n_static = self.n_inputs
        used = {"past_target", "past_observed"} | {name for f in self.features for name in f.reads}
        if self.similar is not None or (self.calibration is not None and self.calibration.dim() == 3):
            used.add("local_time")
        used |= {name for name, n in (("past_covariates", n_past), ("future_covariates", n_future),
                                      ("static", n_static)) if n}
        if capacity or self.instance.mode == "capacity":
            used.add("capacity")
        return [n for n in NAMES if n in used]

    @staticmethod
    def bind(inputs: tuple[Any, ...]) -> dict[str, Any]:
        """Inputs by name from positional arguments in contract order, or from one mapping."""
        if len(inputs) == 1 and isinstance(inputs[0], Mapping):
            return dict(inputs[0])
        if len(inputs) > len(NAMES):
            raise TypeError(f"ForecastNetwork takes at most {len(NAMES)} inputs {NAMES}, got {len(inputs)}")
        return dict(zip(NAMES, inputs, strict=False))

    def _fill(self, x: dict[str, Any]) -> None:
        """Zero-width covariate blocks for the roles a model has no columns of (left out by callers)."""
        y = x["past_target"]
        b, n = y.shape
        for name, count in zip(("past_covariates", "future_covariates", "static"), self.n_inputs, strict=True):
            if x.get(name) is not None:
                continue
            if count:
                raise ValueError(f"this network reads {name} ({count} columns); pass them")
            if name == "static":
                x[name] = y.new_zeros((b, 0))
            elif name == "past_covariates":
                x[name] = y.new_zeros((b, n, 0))
            else:
                readers = [f.reads[0] for f in self.features] + (["local_time"] if self.similar is not None else [])
                span = next((x[name].shape[1] for name in readers), None)
                if span is None:
                    if self.horizon is None:
                        raise ValueError("future_covariates are needed to know the horizon; pass them")
                    span = n + self.horizon
                x[name] = y.new_zeros((b, span, 0))

    def _inputs(self, x: dict[str, Any]) -> tuple[torch.Tensor, ...]:
        """Scaled target and covariates; ``x["clearsky"]`` gets the solar features when present."""
        self._fill(x)
        past_target, past_observed = x["past_target"], x["past_observed"]
        observed = past_observed > 0
        y = torch.where(observed, past_target, torch.zeros_like(past_target))
        loc, scale = self.instance.stats(y, past_observed, x.get("capacity"))
        z = torch.where(observed, self.instance.normalize(y, loc, scale), torch.zeros_like(y))
        raw = x["future_covariates"]
        fut = self.future_scaler(raw)
        parts, holiday = [fut], None
        if self.n_optional:  # missing optional covariates: 0 on the scaled axis plus an availability channel
            nan = torch.isnan(raw)
            parts[0] = torch.where(nan & self.optional_mask, torch.zeros_like(fut), fut)
            parts.append((~torch.index_select(nan, 2, self.optional_index)).to(fut.dtype))
        shared = x.get("_shared") or {}
        for feature in self.features:
            given = shared.get(feature.kind)
            parts.append(feature(*(x.get(name) for name in feature.reads)) if given is None
                         else given[:, given.shape[1] - raw.shape[1]:])
            if feature is self.holiday:
                holiday = parts[-1]
            if feature is self.solar:
                x["clearsky"] = parts[-1][..., :1]  # clear-sky GHI / 1000, (B, L+H, 1)
        if self.similar is not None:
            from energyai.nn.similar_day import weekend

            local = x["local_time"]
            off = holiday[..., 3] > 0 if holiday is not None else weekend(local)  # off_run > 0: a day off
            parts.append(self.similar(z, past_observed, local, off))
        fut = torch.cat(parts, dim=-1)
        return z, loc, scale, self.past_scaler(x["past_covariates"]), fut, self.static_scaler(x["static"])

    def normalized(self, *inputs: Any, future_target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Forecast and target on the instance-normalised scale, for the loss.

        Returns
        -------
        pred : (B, H, Q)
        target : (B, H)
        """
        x = self.bind(inputs)
        z, loc, scale, pc, fc, st = self._inputs(x)
        pred = self._index(self.core(z, x["past_observed"], pc, fc, st), x)
        target = self.instance.normalize(future_target, loc, scale)
        return pred, target

    def forward(self, *inputs: Any) -> torch.Tensor:
        x = self.bind(inputs)
        out, scale = self.raw_quantiles(x)
        return self.finish(out, scale, x)

    def raw_quantiles(self, x: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """Sorted quantiles (B, H, Q) in target units before calibration and clipping, and the
        window's instance scale (B, 1). ``x``: the inputs by name (completed in place)."""
        z, loc, scale, pc, fc, st = self._inputs(x)
        out = self.instance.denormalize(self._index(self.core(z, x["past_observed"], pc, fc, st), x), loc, scale)
        out, _ = torch.sort(out, dim=-1)
        return out, scale

    def window_scale(self, *inputs: Any) -> torch.Tensor:
        """The instance scale of each window, (B, 1): residuals divided by it are on the axis
        the calibration shifts live on."""
        x = self.bind(inputs)
        self._fill(x)
        y = torch.where(x["past_observed"] > 0, x["past_target"], torch.zeros_like(x["past_target"]))
        return self.instance.stats(y, x["past_observed"], x.get("capacity"))[1]

    def _index(self, pred: torch.Tensor, x: dict[str, Any]) -> torch.Tensor:
        """With ``clearsky_index``, the core's output (B, H, Q) is the clear-sky index:
        times the clear-sky GHI / 1000 of each horizon step it is the capacity factor."""
        if not self.clearsky_index:
            return pred
        return pred * x["clearsky"][:, -pred.shape[1]:]
