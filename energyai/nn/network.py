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

    Inputs (all float32 except ``local_time``)
    ------------------------------------------
    past_target : (B, L) raw units, any value where not observed
    past_observed : (B, L) 1/0
    past_covariates : (B, L, P)
    future_covariates : (B, L + H, F)
    local_time : (B, L + H) int64, local wall-clock seconds since 1970
    static : (B, S)
    capacity : (B, H) upper bound in target units (``inf`` for none)

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

    def _inputs(self, past_target, past_observed, past_covariates, future_covariates, local_time, static):
        observed = past_observed > 0
        y = torch.where(observed, past_target, torch.zeros_like(past_target))
        loc, scale = self.instance.stats(y, past_observed)
        z = torch.where(observed, self.instance.normalize(y, loc, scale), torch.zeros_like(y))
        fut = self.future_scaler(future_covariates)
        if self.calendar is not None:
            fut = torch.cat([fut, self.calendar(local_time)], dim=-1)
        return z, loc, scale, self.past_scaler(past_covariates), fut, self.static_scaler(static)

    def normalized(self, past_target, past_observed, past_covariates, future_covariates, local_time, static, future_target):
        """Forecast and target on the instance-normalised scale, for the loss.

        Returns
        -------
        pred : (B, H, Q)
        target : (B, H)
        """
        z, loc, scale, pc, fc, st = self._inputs(
            past_target, past_observed, past_covariates, future_covariates, local_time, static
        )
        pred = self.core(z, past_observed, pc, fc, st)
        target = self.instance.normalize(future_target, loc, scale)
        return pred, target

    def forward(self, past_target, past_observed, past_covariates, future_covariates, local_time, static, capacity):
        z, loc, scale, pc, fc, st = self._inputs(
            past_target, past_observed, past_covariates, future_covariates, local_time, static
        )
        out = self.instance.denormalize(self.core(z, past_observed, pc, fc, st), loc, scale)
        out, _ = torch.sort(out, dim=-1)
        if self.nonnegative:
            out = torch.clamp(out, min=0.0)
        return torch.minimum(out, capacity.unsqueeze(-1))
