"""N-HiTS (Challu et al. 2023, "N-HiTS: Neural Hierarchical Interpolation for Time Series
Forecasting"). Stacks of MLP blocks; each block reads a max-pooled view of the residual
context, emits a backcast and a coarse forecast (few knots) that is linearly interpolated
to the horizon. Past, future and static covariates enter every block's MLP, flattened, as
in the paper's exogenous variant."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from energyai.exceptions import ConfigError
from energyai.models.base import ModelSpec, Param, positive, probability, register
from energyai.models.layers import mlp

__all__ = ["NHiTS", "NHiTSConfig"]


@dataclass(frozen=True)
class NHiTSConfig:
    """Parameters
    ----------
    pool_kernels : tuple of int
        Max-pool kernel of each stack (one entry per stack).
    downsample : tuple of int
        Forecast knots of each stack are ``horizon // downsample`` (at least 1).
    n_blocks : int
        Blocks per stack.
    hidden : int
        Width of the MLP layers.
    n_layers : int
        Hidden layers per block.
    dropout : float
        Dropout after each hidden layer.
    """

    pool_kernels: tuple[int, ...] = (2, 2, 1)
    downsample: tuple[int, ...] = (4, 2, 1)
    n_blocks: int = 1
    hidden: int = 512
    n_layers: int = 2
    dropout: float = 0.0

    def check(self) -> None:
        positive(self, "n_blocks", "hidden", "n_layers")
        probability(self, "dropout")
        if len(self.pool_kernels) != len(self.downsample) or not self.pool_kernels:
            raise ConfigError("NHiTSConfig.pool_kernels and downsample need one entry per stack, same length")
        if any(int(k) < 1 for k in (*self.pool_kernels, *self.downsample)):
            raise ConfigError("NHiTSConfig.pool_kernels and downsample entries must be >= 1")


class _Block(nn.Module):
    def __init__(self, context, horizon, nq, pool, down, n_exog, cfg: NHiTSConfig) -> None:
        super().__init__()
        self.pool_k = pool
        self.horizon, self.nq = horizon, nq
        self.knots = max(horizon // down, 1)
        n_pooled = -(-context // pool)  # ceil_mode pooling
        self.body = mlp(2 * n_pooled + n_exog, cfg.hidden, cfg.n_layers, cfg.dropout)
        self.theta = nn.Linear(cfg.hidden, context + self.knots * nq)
        self.context = context

    def forward(self, resid, observed, exog):
        if self.pool_k > 1:
            pooled = F.max_pool1d(resid.unsqueeze(1), self.pool_k, self.pool_k, ceil_mode=True).squeeze(1)
            obs = F.max_pool1d(observed.unsqueeze(1), self.pool_k, self.pool_k, ceil_mode=True).squeeze(1)
        else:
            pooled, obs = resid, observed
        theta = self.theta(self.body(torch.cat([pooled, obs, exog], dim=1)))
        backcast = theta[:, : self.context]
        knots = theta[:, self.context:].reshape(-1, self.nq, self.knots)
        if self.knots != self.horizon:
            knots = F.interpolate(knots, size=self.horizon, mode="linear", align_corners=False)
        return backcast, knots.transpose(1, 2)


class NHiTS(nn.Module):
    """N-HiTS over the normalised target with flattened covariates."""

    def __init__(self, cfg: NHiTSConfig, context, horizon, n_quantiles, n_past, n_future, n_static) -> None:
        super().__init__()
        n_exog = context * n_past + (context + horizon) * n_future + n_static
        self.blocks = nn.ModuleList(
            _Block(context, horizon, n_quantiles, int(p), int(d), n_exog, cfg)
            for p, d in zip(cfg.pool_kernels, cfg.downsample, strict=True)
            for _ in range(cfg.n_blocks)
        )

    def head_modules(self) -> list[nn.Module]:
        return [b.theta for b in self.blocks]

    def forward(self, y, observed, past, future, static):
        b = y.shape[0]
        exog = torch.cat([past.reshape(b, -1), future.reshape(b, -1), static], dim=1)
        resid = y
        forecast = None
        for block in self.blocks:
            back, fc = block(resid, observed, exog)
            resid = (resid - back) * observed
            forecast = fc if forecast is None else forecast + fc
        return forecast


register(ModelSpec(
    "nhits", NHiTSConfig, NHiTS, frozenset({"past", "future", "static"}),
    "N-HiTS: hierarchical interpolation MLP stacks (Challu et al. 2023)",
    search_space={"hidden": Param("categorical", choices=(128, 256, 512)), "n_blocks": Param("int", 1, 2),
                  "dropout": Param("float", 0.0, 0.3)},
))
