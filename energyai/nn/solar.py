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

    ``forward(utc_time (B, T) int64) -> (B, T, 2)``; :meth:`daylight` gives the mask of
    steps with the sun above the horizon. The site is stored as buffers, so it travels
    with the weights and the exported graph.
    """

    n_features = 2
    site: torch.Tensor
    #: The contract inputs this feature is computed from.
    reads = ("utc_time",)

    def __init__(self, latitude: float, longitude: float, altitude: float = 0.0,
                 linke_turbidity: float = 3.0) -> None:
        super().__init__()
        self.clearsky = ClearSkyIrradiance()
        self.register_buffer("site", torch.tensor([latitude, longitude, altitude, linke_turbidity],
                                                  dtype=torch.float32))

    def _sky(self, utc_time: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = utc_time.shape[0]
        p = self.site.unsqueeze(0).expand(b, 4)
        ghi, _, _, zen = self.clearsky(utc_time, p[:, 0], p[:, 1], p[:, 2], p[:, 3])
        return ghi, zen

    def forward(self, utc_time: torch.Tensor) -> torch.Tensor:
        ghi, zen = self._sky(utc_time)
        cos_z = torch.clamp(torch.cos(zen * (torch.pi / 180.0)), min=0.0)
        return torch.stack([ghi / 1000.0, cos_z], dim=-1)

    def daylight(self, utc_time: torch.Tensor) -> torch.Tensor:
        _, zen = self._sky(utc_time)
        return zen < 90.0
