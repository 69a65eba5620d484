"""Torch twin of :class:`energyai.physics.wind.PowerCurve`, built from ONNX-friendly ops."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["PowerCurveModule"]


class PowerCurveModule(nn.Module):
    """Piecewise-linear curve as a sum of clamped ramps (no search, no gather).

    ``f(v) = y0 + sum_i slope_i * (clamp(v, x_i, x_{i+1}) - x_i)`` inside ``[x_0, x_last]``
    and 0 outside, which exports to ONNX with Clip, Mul and Sum only.
    """

    lo: torch.Tensor
    hi: torch.Tensor
    slope: torch.Tensor

    def __init__(self, x: Any, y: Any) -> None:
        super().__init__()
        x = np.asarray(x, np.float64)
        y = np.asarray(y, np.float64)
        self.register_buffer("lo", torch.tensor(x[:-1], dtype=torch.float32))
        self.register_buffer("hi", torch.tensor(x[1:], dtype=torch.float32))
        self.register_buffer("slope", torch.tensor(np.diff(y) / np.diff(x), dtype=torch.float32))
        self.y0 = float(y[0])
        self.x0, self.x1 = float(x[0]), float(x[-1])

    def forward(self, wind_speed: torch.Tensor) -> torch.Tensor:
        v = wind_speed.unsqueeze(-1)
        ramps = (torch.minimum(torch.maximum(v, self.lo), self.hi) - self.lo) * self.slope
        out = self.y0 + ramps.sum(dim=-1)
        inside = (wind_speed >= self.x0) & (wind_speed <= self.x1)
        return torch.where(inside, out, torch.zeros_like(out))
