"""Solar features inside the forecasting graph (PV sites)."""

from __future__ import annotations

import torch
from torch import nn

from energyai.physics.torch_solar import ClearSkyIrradiance

__all__ = ["SolarFeatures", "cloud_irradiance"]


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

    cloud : (int, float), optional
        ``(column, to_oktas)``: a raw future covariate holding total cloud cover and the
        factor that turns its units into oktas (tenths 0.8, oktas 1, percent 0.08, fraction
        8). A third feature is then the Kasten-Czeplak all-sky irradiance (Kasten and
        Czeplak 1980), ``GHI_clear * (1 - 0.75 * (N / 8) ** 3.4)`` / 1000 with N in oktas,
        for plants whose weather forecast gives cloud cover and no irradiance; 0 where the
        cloud cover is missing (NaN: an optional covariate, whose availability channel says
        so). Cloud cover outside 0..8 oktas is refused before the graph
        (:class:`energyai.limits.InputGuard` bounds).

    ``forward(utc_time (B, T) int64, site_override (B, 4) float32[, future_covariates (B, T, F)])
    -> (B, T, 2)`` (3 with ``cloud``);
    :meth:`daylight` gives the mask of steps with the sun above the horizon. The site is
    stored as buffers, so it travels with the weights and the exported graph. A finite
    row of ``site_override`` replaces it for that series (latitude, longitude, altitude,
    turbidity; NaN keeps the buffer's value): a base model trained across many plants
    computes each plant's own geometry.
    """

    n_features = 2
    site: torch.Tensor
    #: The contract inputs this feature is computed from.
    reads: tuple[str, ...] = ("utc_time", "site_override")
    #: The name under which an ensemble shares this feature between its members.
    kind = "solar"

    def __init__(self, latitude: float, longitude: float, altitude: float = 0.0,
                 linke_turbidity: float = 3.0, step: int = 0, cloud: tuple[int, float] | None = None) -> None:
        super().__init__()
        self.cloud = None if cloud is None else (int(cloud[0]), float(cloud[1]))
        if self.cloud is not None:
            self.n_features = 3
            self.reads = ("utc_time", "site_override", "future_covariates")
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
        if len(self.offsets) == 1:
            return [self._sky(utc_time + self.offsets[0], p)]
        # one evaluation over the offsets laid side by side, (B, n*T), then split: the sun's
        # position is a long chain of operations, and one copy of it per offset made the
        # exported graph five times larger and its export minutes slower
        t = utc_time.shape[1]
        ghi, zen = self._sky(torch.cat([utc_time + k for k in self.offsets], dim=1), p)
        return [(ghi[:, i * t:(i + 1) * t], zen[:, i * t:(i + 1) * t]) for i in range(len(self.offsets))]

    def clear_sky(self, utc_time: torch.Tensor,
                  site_override: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Clear-sky GHI / 1000 and cos(zenith), each (B, T), interval means."""
        ghi_sum, cos_sum = None, None
        for ghi, zen in self._samples(utc_time, site_override):
            cos_z = torch.clamp(torch.cos(zen * (torch.pi / 180.0)), min=0.0)
            ghi_sum = ghi if ghi_sum is None else ghi_sum + ghi
            cos_sum = cos_z if cos_sum is None else cos_sum + cos_z
        assert ghi_sum is not None and cos_sum is not None
        n = float(len(self.offsets))
        return ghi_sum / (1000.0 * n), cos_sum / n

    def forward(self, utc_time: torch.Tensor, site_override: torch.Tensor | None = None,
                future_covariates: torch.Tensor | None = None) -> torch.Tensor:
        clear, cos_z = self.clear_sky(utc_time, site_override)
        parts = [clear, cos_z]
        if self.cloud is not None:
            if future_covariates is None:
                raise ValueError("the cloud-cover irradiance needs future_covariates")
            parts.append(cloud_irradiance(clear, future_covariates[..., self.cloud[0]], self.cloud[1]))
        return torch.stack(parts, dim=-1)

    def daylight(self, utc_time: torch.Tensor, site_override: torch.Tensor | None = None) -> torch.Tensor:
        up = None
        for _, zen in self._samples(utc_time, site_override):
            up = zen < 90.0 if up is None else up | (zen < 90.0)
        assert up is not None
        return up


def cloud_irradiance(clear: torch.Tensor, cloud: torch.Tensor, to_oktas: float) -> torch.Tensor:
    """Kasten-Czeplak all-sky irradiance: ``clear * (1 - 0.75 * (N / 8) ** 3.4)``, N in oktas.

    ``clear`` and the result share units (the graph uses W/m² / 1000); ``cloud`` is in the
    column's own units, ``to_oktas`` turns them into oktas. NaN cloud gives 0. Kasten, F.
    and Czeplak, G. (1980) Solar and terrestrial radiation dependent on the amount and type
    of cloud. Solar Energy 24:177-189.
    """
    frac = torch.clamp(cloud * (to_oktas / 8.0), 0.0, 1.0)
    out = clear * (1.0 - 0.75 * torch.pow(frac, 3.4))
    return torch.where(torch.isnan(cloud), torch.zeros_like(out), out)
