"""DLinear and NLinear (Zeng et al. 2023, "Are Transformers Effective for Time Series
Forecasting?"): one linear map from the context to the horizon, after a trend/remainder
decomposition (DLinear) or after subtracting the last value (NLinear). Target only, as in
the paper."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from energyai.models.base import ModelSpec, Param, positive, register

__all__ = ["DLinear", "DLinearConfig", "NLinear", "NLinearConfig"]


@dataclass(frozen=True)
class DLinearConfig:
    """Parameters
    ----------
    kernel_size : int
        Width of the moving average that extracts the trend, in steps (odd).
    """

    kernel_size: int = 25

    def check(self) -> None:
        positive(self, "kernel_size")


@dataclass(frozen=True)
class NLinearConfig:
    """NLinear has no hyper-parameters besides the window lengths."""


class DLinear(nn.Module):
    """Trend (moving average) and remainder, each mapped linearly to the horizon."""

    def __init__(self, cfg: DLinearConfig, context: int, horizon: int, n_quantiles: int, *_: int) -> None:
        super().__init__()
        self.k = int(cfg.kernel_size)
        self.horizon, self.nq = horizon, n_quantiles
        self.pool = nn.AvgPool1d(self.k, stride=1)
        self.trend = nn.Linear(context, horizon * n_quantiles)
        self.season = nn.Linear(context, horizon * n_quantiles)
        for lin in (self.trend, self.season):
            nn.init.constant_(lin.weight, 1.0 / context)

    def head_modules(self) -> list[nn.Module]:
        return [self.trend, self.season]

    def forward(self, y, observed, past, future, static):
        left, right = (self.k - 1) // 2, self.k // 2
        padded = torch.cat([y[:, :1].expand(-1, left), y, y[:, -1:].expand(-1, right)], dim=1)
        trend = self.pool(padded.unsqueeze(1)).squeeze(1)
        out = self.trend(trend) + self.season(y - trend)
        return out.view(-1, self.horizon, self.nq)


class NLinear(nn.Module):
    """Subtract the last context value, map linearly, add it back."""

    def __init__(self, cfg: NLinearConfig, context: int, horizon: int, n_quantiles: int, *_: int) -> None:
        super().__init__()
        self.horizon, self.nq = horizon, n_quantiles
        self.linear = nn.Linear(context, horizon * n_quantiles)

    def head_modules(self) -> list[nn.Module]:
        return [self.linear]

    def forward(self, y, observed, past, future, static):
        last = y[:, -1:]
        out = self.linear(y - last).view(-1, self.horizon, self.nq)
        return out + last.unsqueeze(-1)


register(ModelSpec("dlinear", DLinearConfig, DLinear, frozenset(), "DLinear: decomposition + linear (Zeng et al. 2023)",
                   search_space={"kernel_size": Param("categorical", choices=(13, 25, 49))}))
register(ModelSpec("nlinear", NLinearConfig, NLinear, frozenset(), "NLinear: last-value normalisation + linear (Zeng et al. 2023)"))
