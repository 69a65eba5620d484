"""Solar features inside the forecasting graph (PV sites)."""

from __future__ import annotations

import torch
from torch import nn

from energyai.physics.torch_solar import ClearSkyIrradiance

__all__ = ["SolarFeatures"]


class SolarFeatures(nn.Module):
    """Clear-sky GHI (/1000 W/m²) and cos(apparent zenith) of a fixed site, from UTC time.

    Parameters
    ----------
    latitude, longitude, altitude : float
        Degrees (north, east positive) and metres.
    linke_turbidity : float
        For the Ineichen-Perez clear sky.
    step : int
        Length of a step in seconds. A timestamp labels the *start* of its interval
        (the data contract), so the features are the means over the interval (sampled
        at its start, quarter points and end) and a step is daylight when the sun is up
        at any of those instants; a plant producing in the hour of sunrise is not
        forced to 0. 0: the instant of the timestamp only.

    ``forward(utc_time (B, T) int64, site_override (B, 4) float32) -> (B, T, 2)``;
    :meth:`daylight` gives the mask of steps with the sun above the horizon. The site is
    stored as buffers, so it travels with the weights and the exported graph. A finite
    row of ``site_override`` replaces it for that series (latitude, longitude, altitude,
    turbidity; NaN keeps the buffer's value): a base model trained across many plants
    computes each plant's own geometry.
    """

    n_features = 2
    site: torch.Tensor
    #: The contract inputs this feature is computed from.
    reads = ("utc_time", "site_override")

    def __init__(self, latitude: float, longitude: float, altitude: float = 0.0,
                 linke_turbidity: float = 3.0, step: int = 0) -> None:
        super().__init__()
        self.offsets = [0] if step <= 0 else [round(k * step / 4) for k in range(5)]
        self.clearsky = ClearSkyIrradiance()
        self.register_buffer("site", torch.tensor([latitude, longitude, altitude, linke_turbidity],
                                                  dtype=torch.float32))

    def _site(self, b: int, site_override: torch.Tensor | None) -> torch.Tensor:
        p = self.site.unsqueeze(0).expand(b, 4)
        if site_override is None:
            return p
        return torch.where(torch.isnan(site_override), p, site_override)

    def _sky(self, utc_time: torch.Tensor, p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        ghi, _, _, zen = self.clearsky(utc_time, p[:, 0], p[:, 1], p[:, 2], p[:, 3])
        return ghi, zen

    def _samples(self, utc_time: torch.Tensor,
                 site_override: torch.Tensor | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        p = self._site(utc_time.shape[0], site_override)
        return [self._sky(utc_time + k, p) for k in self.offsets]

    def forward(self, utc_time: torch.Tensor, site_override: torch.Tensor | None = None) -> torch.Tensor:
        ghi_sum, cos_sum = None, None
        for ghi, zen in self._samples(utc_time, site_override):
            cos_z = torch.clamp(torch.cos(zen * (torch.pi / 180.0)), min=0.0)
            ghi_sum = ghi if ghi_sum is None else ghi_sum + ghi
            cos_sum = cos_z if cos_sum is None else cos_sum + cos_z
        assert ghi_sum is not None and cos_sum is not None
        n = float(len(self.offsets))
        return torch.stack([ghi_sum / (1000.0 * n), cos_sum / n], dim=-1)

    def daylight(self, utc_time: torch.Tensor, site_override: torch.Tensor | None = None) -> torch.Tensor:
        up = None
        for _, zen in self._samples(utc_time, site_override):
            up = zen < 90.0 if up is None else up | (zen < 90.0)
        assert up is not None
        return up
