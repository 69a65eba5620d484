"""The full forecasting graph: scaling, calendar features, the architecture, inverse
scaling, quantile sorting and physical clipping, all in one ``nn.Module``.

Training calls :meth:`ForecastNetwork.normalized` (the loss is computed on the
instance-normalised scale, so series of different size weigh alike); prediction and
export call :meth:`ForecastNetwork.forward`, which returns raw units. Both go through the
same modules, so Python and an exported graph agree by construction.
"""

from __future__ import annotations

import torch
from torch import nn

from energyai.nn.calendar import CalendarFeatures
from energyai.nn.scaling import FeatureScaler, InstanceScaler

__all__ = ["ForecastNetwork"]


class ForecastNetwork(nn.Module):
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
    scaler : {"revin", "mean", "none"}
        Instance scaling of the target.
    affine : bool
        Learnable affine of the instance scaler.
    nonnegative : bool
        Clip outputs at 0.
    solar : tuple of float, optional
        ``(latitude, longitude, altitude, linke_turbidity)`` of a PV site: appends the
        clear-sky GHI (/1000 W/m²) and the cosine of the apparent zenith, computed in the
        graph from ``utc_time``, to the known-future covariates, and forces the forecast
        to 0 while the sun is below the horizon.

    Inputs (all float32 except ``local_time``)
    ------------------------------------------
    past_target : (B, L) raw units, any value where not observed
    past_observed : (B, L) 1/0
    past_covariates : (B, L, P)
    future_covariates : (B, L + H, F)
    local_time : (B, L + H) int64, local wall-clock seconds since 1970
    static : (B, S)
    capacity : (B, H) upper bound in target units (``inf`` for none)
    utc_time : (B, L + H) int64 UTC seconds since 1970 (read only with ``solar``)

    Output: (B, H, Q) in target units.
    """

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
    ) -> None:
        super().__init__()
        self.core = core
        self.register_buffer("quantiles", torch.tensor(quantiles, dtype=torch.float32))
        self.instance = InstanceScaler(scaler, affine=affine)
        self.past_scaler = FeatureScaler(n_past)
        self.future_scaler = FeatureScaler(n_future)
        self.static_scaler = FeatureScaler(n_static)
        self.calendar = CalendarFeatures() if calendar else None
        self.nonnegative = nonnegative
        self.solar = None
        if solar is not None:
            from energyai.nn.solar import SolarFeatures

            self.solar = SolarFeatures(*solar)

    def _inputs(self, past_target, past_observed, past_covariates, future_covariates, local_time, static,
                utc_time=None):
        observed = past_observed > 0
        y = torch.where(observed, past_target, torch.zeros_like(past_target))
        loc, scale = self.instance.stats(y, past_observed)
        z = torch.where(observed, self.instance.normalize(y, loc, scale), torch.zeros_like(y))
        fut = self.future_scaler(future_covariates)
        if self.calendar is not None:
            fut = torch.cat([fut, self.calendar(local_time)], dim=-1)
        if self.solar is not None:
            fut = torch.cat([fut, self.solar(utc_time)], dim=-1)
        return z, loc, scale, self.past_scaler(past_covariates), fut, self.static_scaler(static)

    def normalized(self, past_target, past_observed, past_covariates, future_covariates, local_time, static, future_target,
                   utc_time=None):
        """Forecast and target on the instance-normalised scale, for the loss.

        Returns
        -------
        pred : (B, H, Q)
        target : (B, H)
        """
        z, loc, scale, pc, fc, st = self._inputs(
            past_target, past_observed, past_covariates, future_covariates, local_time, static, utc_time
        )
        pred = self.core(z, past_observed, pc, fc, st)
        target = self.instance.normalize(future_target, loc, scale)
        return pred, target

    def forward(self, past_target, past_observed, past_covariates, future_covariates, local_time, static, capacity,
                utc_time=None):
        z, loc, scale, pc, fc, st = self._inputs(
            past_target, past_observed, past_covariates, future_covariates, local_time, static, utc_time
        )
        out = self.instance.denormalize(self.core(z, past_observed, pc, fc, st), loc, scale)
        out, _ = torch.sort(out, dim=-1)
        if self.nonnegative:
            out = torch.clamp(out, min=0.0)
        out = torch.minimum(out, capacity.unsqueeze(-1))
        if self.solar is not None:  # no PV output with the sun below the horizon
            day = self.daylight(utc_time)[:, -out.shape[1]:].unsqueeze(-1)
            out = torch.where(day, out, torch.zeros_like(out))
        return out

    def daylight(self, utc_time: torch.Tensor) -> torch.Tensor:
        """True where the sun is above the horizon (solar models only), shape of ``utc_time``."""
        return self.solar.daylight(utc_time)
