"""N-HiTS (Challu et al. 2023, "N-HiTS: Neural Hierarchical Interpolation for Time Series
Forecasting"). Stacks of MLP blocks; each block reads a max-pooled view of the residual
context, emits a backcast and a coarse forecast (few knots) that is linearly interpolated
to the horizon. Past, future and static covariates enter every block's MLP, flattened, as
in the paper's exogenous variant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    pool_covariates : bool
        Also max-pool the past and future covariates over time with each stack's kernel
        (multi-rate sampling of the covariates too, as darts' N-HiTS does on its flattened
        input). Fewer inputs per block: less computation and fewer weights. Default False:
        covariates enter every block unpooled, as in the paper and neuralforecast.
    """

    pool_kernels: tuple[int, ...] = (2, 2, 1)
    downsample: tuple[int, ...] = (4, 2, 1)
    n_blocks: int = 1
    hidden: int = 512
    n_layers: int = 2
    dropout: float = 0.0
    pool_covariates: bool = False

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
        self.n_own = 2 * n_pooled
        body: Any = mlp(self.n_own + n_exog, cfg.hidden, cfg.n_layers, cfg.dropout)
        # The first layer reads [pooled residual, pooled mask, covariates]. It is kept as two
        # Linear maps, initialised from one (the same function and initial values as a
        # single layer over the concatenation), so that autograd never forms the gradient
        # with respect to the covariates, which are data and need none.
        first = body[0]
        # skip_init: filled from `first` below, drawing nothing from the random stream
        self.own = nn.utils.skip_init(nn.Linear, self.n_own, cfg.hidden)
        self.exog = nn.utils.skip_init(nn.Linear, n_exog, cfg.hidden, bias=False) if n_exog else None
        with torch.no_grad():
            self.own.weight.copy_(first.weight[:, : self.n_own])
            self.own.bias.copy_(first.bias)
            if self.exog is not None:
                self.exog.weight.copy_(first.weight[:, self.n_own:])
        self.body = nn.Sequential(*list(body)[1:])
        self.theta = nn.Linear(cfg.hidden, context + self.knots * nq)
        self.context = context

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # weights saved before the split hold one first layer, body.0
        old = prefix + "body.0.weight"
        if old in state_dict:
            w = state_dict.pop(old)
            state_dict[prefix + "own.weight"] = w[:, : self.n_own]
            state_dict[prefix + "own.bias"] = state_dict.pop(prefix + "body.0.bias")
            if self.exog is not None:
                state_dict[prefix + "exog.weight"] = w[:, self.n_own:]
            for key in [k for k in state_dict if k.startswith(prefix + "body.")]:
                layer, rest = key[len(prefix + "body."):].split(".", 1)
                state_dict[f"{prefix}body.{int(layer) - 1}.{rest}"] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, resid, observed, exog, backcast_needed: bool = True):
        if self.pool_k > 1:
            pooled = F.max_pool1d(resid.unsqueeze(1), self.pool_k, self.pool_k, ceil_mode=True).squeeze(1)
            obs = F.max_pool1d(observed.unsqueeze(1), self.pool_k, self.pool_k, ceil_mode=True).squeeze(1)
        else:
            pooled, obs = resid, observed
        h = self.own(torch.cat([pooled, obs], dim=1))
        if self.exog is not None:
            h = h + self.exog(exog)
        h = self.body(h)
        if backcast_needed:
            theta = self.theta(h)
            backcast = theta[:, : self.context]
            knots = theta[:, self.context:]
        else:  # the last block's backcast is never read: compute the forecast rows only
            backcast = None
            knots = F.linear(h, self.theta.weight[self.context:], self.theta.bias[self.context:])
        knots = knots.reshape(-1, self.nq, self.knots)
        if self.knots != self.horizon:
            knots = F.interpolate(knots, size=self.horizon, mode="linear", align_corners=False)
        return backcast, knots.transpose(1, 2)


class NHiTS(nn.Module):
    """N-HiTS over the normalised target with flattened covariates."""

    def __init__(self, cfg: NHiTSConfig, context, horizon, n_quantiles, n_past, n_future, n_static) -> None:
        super().__init__()
        self.pool_covariates = bool(cfg.pool_covariates)
        self.kernels = [int(p) if self.pool_covariates else 1 for p in cfg.pool_kernels for _ in range(cfg.n_blocks)]

        def n_exog(k: int) -> int:
            return -(-context // k) * n_past + -(-(context + horizon) // k) * n_future + n_static

        self.blocks = nn.ModuleList(
            _Block(context, horizon, n_quantiles, int(p), int(d),
                   n_exog(int(p) if self.pool_covariates else 1), cfg)
            for p, d in zip(cfg.pool_kernels, cfg.downsample, strict=True)
            for _ in range(cfg.n_blocks)
        )

    def head_modules(self) -> list[nn.Module]:
        return [b.theta for b in self.blocks]  # type: ignore[misc]

    def forward(self, y, observed, past, future, static):
        b = y.shape[0]
        exogs: dict[int, torch.Tensor] = {}  # the flattened covariates, once per pooling kernel

        def exog(k: int) -> torch.Tensor:
            if k not in exogs:
                p, f = (x if k == 1 or x.shape[2] == 0 else
                        F.max_pool1d(x.transpose(1, 2), k, k, ceil_mode=True).transpose(1, 2) for x in (past, future))
                exogs[k] = torch.cat([p.reshape(b, -1), f.reshape(b, -1), static], dim=1)
            return exogs[k]

        resid = y
        forecast = None
        last = len(self.blocks) - 1
        for i, block in enumerate(self.blocks):
            back, fc = block(resid, observed, exog(self.kernels[i]), i < last)
            if back is not None:
                resid = (resid - back) * observed
            forecast = fc if forecast is None else forecast + fc
        return forecast


register(ModelSpec(
    "nhits", NHiTSConfig, NHiTS, frozenset({"past", "future", "static"}),
    "N-HiTS: hierarchical interpolation MLP stacks (Challu et al. 2023)",
    search_space={"hidden": Param("categorical", choices=(128, 256, 512)), "n_blocks": Param("int", 1, 2),
                  "dropout": Param("float", 0.0, 0.3)},
))
