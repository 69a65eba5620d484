"""Wind features inside the forecasting graph: speed and direction from NWP components, and a power curve.

A weather forecast gives the wind as components (u, v) or as a speed. Power follows the
turbine's curve, roughly the cube of the speed between cut-in and rated speed and flat
above it, so the network is given the speed, the direction and the curve's value as
known-future features, computed from the raw covariates inside the graph (an exported
file needs nothing else).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from energyai.physics.torch_wind import PowerCurveModule

__all__ = ["GENERIC_CURVE", "WindFeatures"]

#: A generic normalised power curve (speed m/s, capacity factor): cut-in 3 m/s, rated
#: 12 m/s, cut-out 25 m/s, cubic-like in between (the shape of common 2-3 MW turbines).
GENERIC_CURVE = ((0.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 25.0),
                 (0.0, 0.0, 0.03, 0.08, 0.15, 0.25, 0.38, 0.53, 0.70, 0.86, 1.0, 1.0))


class WindFeatures(nn.Module):
    """``forward(future_covariates (B, T, F)) -> (B, T, 4)``: speed / 10 m/s, the unit
    direction (u / speed, v / speed; 0 when only a speed is given) and the power curve's
    capacity factor at that speed.

    Parameters
    ----------
    u, v : int
        Columns of the u and v components (m/s) in the raw future covariates, or -1.
    speed : int
        Column of the wind speed (m/s) when no components are given, or -1.
    curve : (speeds, capacity factors)
        Piecewise-linear power curve; 0 outside its speed range (below cut-in, above cut-out).
    """

    n_features = 4
    #: The name under which an ensemble shares this feature between its members.
    kind = "wind"
    #: The contract inputs this feature is computed from.
    reads = ("future_covariates",)

    def __init__(self, u: int = -1, v: int = -1, speed: int = -1, curve: Any = GENERIC_CURVE) -> None:
        super().__init__()
        if (u < 0) != (v < 0) or (u < 0 and speed < 0):
            raise ValueError("give the u and v columns, or a speed column")
        self.u, self.v, self.speed = int(u), int(v), int(speed)
        self.curve = PowerCurveModule(*curve)

    def forward(self, future_covariates: torch.Tensor) -> torch.Tensor:
        if self.u >= 0:
            u, v = future_covariates[..., self.u], future_covariates[..., self.v]
            s = torch.sqrt(u * u + v * v)
            safe = torch.clamp(s, min=1e-6)
            du, dv = u / safe, v / safe
        else:
            s = future_covariates[..., self.speed]
            du = dv = torch.zeros_like(s)
        return torch.stack([s / 10.0, du, dv, self.curve(s)], dim=-1)
