"""A recurrent encoder with a direct multi-horizon MLP decoder (the "RNN + MLP decoder"
of MQ-RNN, Wen et al. 2017). The LSTM reads the context with the observed mask, past
and known-future covariates and the static attributes; the decoder maps its final state,
each horizon step's known-future covariates and a learned horizon-position embedding to
the quantiles. No recursion, so errors do not compound over the horizon."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from energyai.models.base import ModelSpec, Param, positive, probability, register
from energyai.models.layers import mlp

__all__ = ["LSTMConfig", "LSTMForecaster"]


@dataclass(frozen=True)
class LSTMConfig:
    """Parameters
    ----------
    hidden : int
        LSTM state size.
    n_layers : int
        Stacked LSTM layers.
    decoder_hidden : int
        Width of the decoder MLP.
    position_dim : int
        Size of the horizon-position embedding.
    dropout : float
        Between LSTM layers and in the decoder.
    """

    hidden: int = 128
    n_layers: int = 2
    decoder_hidden: int = 128
    position_dim: int = 16
    dropout: float = 0.1

    def check(self) -> None:
        positive(self, "hidden", "n_layers", "decoder_hidden", "position_dim")
        probability(self, "dropout")


class LSTMForecaster(nn.Module):
    """LSTM encoder, MLP decoder per horizon step."""

    def __init__(self, cfg: LSTMConfig, context, horizon, n_quantiles, n_past, n_future, n_static) -> None:
        super().__init__()
        self.horizon = horizon
        self.lstm = nn.LSTM(
            2 + n_past + n_future + n_static, cfg.hidden, cfg.n_layers, batch_first=True,
            dropout=cfg.dropout if cfg.n_layers > 1 else 0.0,
        )
        self.position = nn.Parameter(torch.randn(horizon, cfg.position_dim) * 0.1)
        self.decoder = mlp(cfg.hidden + n_future + cfg.position_dim, cfg.decoder_hidden, 1, cfg.dropout)
        self.out = nn.Linear(cfg.decoder_hidden, n_quantiles)

    def head_modules(self) -> list[nn.Module]:
        return [self.decoder, self.out]

    def forward(self, y, observed, past, future, static):
        b, length = y.shape
        steps = [y.unsqueeze(-1), observed.unsqueeze(-1), past, future[:, :length],
                 static.unsqueeze(1).expand(b, length, static.shape[1])]
        _, (h, _) = self.lstm(torch.cat(steps, dim=-1))
        state = h[-1].unsqueeze(1).expand(b, self.horizon, h.shape[-1])
        pos = self.position.unsqueeze(0).expand(b, -1, -1)
        dec = self.decoder(torch.cat([state, future[:, length:], pos], dim=-1))
        return self.out(dec)


register(ModelSpec(
    "lstm", LSTMConfig, LSTMForecaster, frozenset({"past", "future", "static"}),
    "LSTM encoder + direct MLP decoder (MQ-RNN style, Wen et al. 2017)",
    search_space={"hidden": Param("categorical", choices=(64, 128, 256)), "n_layers": Param("int", 1, 3),
                  "dropout": Param("float", 0.0, 0.3)},
))
