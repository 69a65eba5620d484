"""The output stage every forecasting graph ends with: calibration, then the physical clips.

:class:`~energyai.nn.network.ForecastNetwork` and
:class:`~energyai.nn.ensemble.EnsembleNetwork` share it, so a single network and an
ensemble are calibrated, clipped and exported the same way.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from energyai.nn.calibration import apply_calibration, first_step_hour

__all__ = ["OutputStage"]


class OutputStage(nn.Module):
    """Mixin: ``finish(quantiles, scale, inputs)``, ``set_calibration`` and ``sun_up``.

    The host module sets ``calibration`` and ``calibration_mix`` (buffers, None when not
    calibrated), ``median_index``, ``nonnegative``, ``solar`` (a
    :class:`~energyai.nn.solar.SolarFeatures` or None) and ``daylight_index`` (-1: none).
    """

    calibration: torch.Tensor | None
    calibration_mix: torch.Tensor | None
    median_index: int | None
    nonnegative: bool
    solar: Any
    daylight_index: int

    def finish(self, out: torch.Tensor, scale: torch.Tensor, x: dict[str, Any]) -> torch.Tensor:
        """Calibration, then the clips: at 0, at the capacity, and 0 with the sun down."""
        if self.calibration is not None:  # per lead (and hour) and sorted level, in units of the window's scale
            hour = first_step_hour(x["local_time"], x["past_target"].shape[1]) if self.calibration.dim() == 3 else None
            out = apply_calibration(out, scale, self.calibration, self.calibration_mix, hour, self.median_index)
        # clips written with where(), which keeps NaN (ONNX Max/Clip would turn it into the bound,
        # a finite forecast from an overflow); the runtime refuses a non-finite output
        if self.nonnegative:
            out = torch.where(out < 0, torch.zeros_like(out), out)
        capacity = x.get("capacity")
        if capacity is not None:
            cap = capacity.unsqueeze(-1).expand_as(out)
            out = torch.where(out > cap, cap, out)
        day = self.sun_up(x, out.shape[1])
        if day is not None:  # no PV output with the sun below the horizon
            out = torch.where(day.unsqueeze(-1), out, torch.zeros_like(out))
        return out

    def set_calibration(self, shift: torch.Tensor | None, mix: torch.Tensor | None = None) -> Any:
        """Map each window's sorted quantiles by ``mix`` and add ``shift`` times its instance
        scale before they are sorted again and clipped (:mod:`energyai.nn.calibration`).

        ``shift`` is (H, Q), or (24, H, Q) for one row per local hour of the first forecast
        step; ``mix`` (the same leading shape, then (Q, Q)) or None for the identity. Buffers,
        so they are saved with the weights and exported inside the graph. ``None`` removes
        the calibration.
        """
        if shift is None:
            self.calibration, self.calibration_mix = None, None
            return self
        if mix is not None and tuple(mix.shape[:-1]) != tuple(shift.shape):
            raise ValueError(f"mix {tuple(mix.shape)} does not match shift {tuple(shift.shape)} (..., Q, Q)")
        self.calibration = shift.to(torch.float32)
        self.calibration_mix = None if mix is None else mix.to(torch.float32)
        return self

    def sun_up(self, x: dict[str, Any], horizon: int) -> torch.Tensor | None:
        """``(B, horizon)`` bool, True where the sun is up over the last ``horizon`` steps.

        From the site's sun position and/or the daylight column (both must say day);
        None when the network knows no night.
        """
        up = None
        if self.solar is not None:
            up = self.solar.daylight(x["utc_time"], x.get("site_override"))[:, -horizon:]
        if self.daylight_index >= 0:
            col = x["future_covariates"][:, -horizon:, self.daylight_index] > 0
            up = col if up is None else up & col
        return up
