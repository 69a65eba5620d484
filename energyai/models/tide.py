"""TiDE (Das et al. 2023, "Long-term Forecasting with TiDE: Time-series Dense Encoder").
A dense residual encoder reads the context, the projected known-future covariates and the
static attributes; a dense decoder emits a small vector per horizon step that a temporal
decoder combines with that step's projected covariates; a linear skip maps the context to
the horizon. Past-observed covariates are added to the encoder input (an extension; the
paper has none)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from energyai.models.base import ModelSpec, Param, positive, probability, register
from energyai.models.layers import ResidualBlock

__all__ = ["TiDE", "TiDEConfig"]


@dataclass(frozen=True)
class TiDEConfig:
    """Parameters
    ----------
    hidden : int
        Width of the encoder and decoder residual blocks.
    n_encoder_layers, n_decoder_layers : int
    decoder_output_dim : int
        Size of the per-step vector the dense decoder emits.
    temporal_width : int
        Size each step's future covariates are projected to.
    temporal_hidden : int
        Width of the temporal decoder.
    dropout : float
    layer_norm : bool
        LayerNorm at the output of the residual blocks.
    output_norm : bool
        LayerNorm also at the output of the temporal decoder, across the quantiles of a
        step. Off by default: that normalisation removes the step's level, so known-future
        covariates (holidays, weather) could move only the spread between quantiles and
        the level came from the linear skip of the context alone. True reproduces the
        first energyai TiDE (before 0.2).
    """

    hidden: int = 256
    n_encoder_layers: int = 2
    n_decoder_layers: int = 2
    decoder_output_dim: int = 8
    temporal_width: int = 4
    temporal_hidden: int = 64
    dropout: float = 0.2
    layer_norm: bool = True
    output_norm: bool = False

    def check(self) -> None:
        positive(self, "hidden", "n_encoder_layers", "n_decoder_layers", "decoder_output_dim", "temporal_width",
                 "temporal_hidden")
        probability(self, "dropout")


class TiDE(nn.Module):
    """TiDE with quantile outputs."""

    def __init__(self, cfg: TiDEConfig, context, horizon, n_quantiles, n_past, n_future, n_static) -> None:
        super().__init__()
        self.horizon, self.nq, self.p = horizon, n_quantiles, cfg.decoder_output_dim
        tw = cfg.temporal_width if n_future else 0
        self.project = ResidualBlock(n_future, cfg.hidden, tw, cfg.dropout, cfg.layer_norm) if n_future else None
        n_in = 2 * context + context * n_past + (context + horizon) * tw + n_static
        enc, width = [], n_in
        for _ in range(cfg.n_encoder_layers):
            enc.append(ResidualBlock(width, cfg.hidden, cfg.hidden, cfg.dropout, cfg.layer_norm))
            width = cfg.hidden
        dec = [ResidualBlock(cfg.hidden, cfg.hidden, cfg.hidden, cfg.dropout, cfg.layer_norm)
               for _ in range(cfg.n_decoder_layers - 1)]
        dec.append(ResidualBlock(cfg.hidden, cfg.hidden, horizon * self.p, cfg.dropout, cfg.layer_norm))
        self.encoder = nn.Sequential(*enc)
        self.decoder = nn.Sequential(*dec)
        self.temporal = ResidualBlock(self.p + tw, cfg.temporal_hidden, n_quantiles, cfg.dropout,
                                      cfg.layer_norm and cfg.output_norm)
        self.skip = nn.Linear(context, horizon * n_quantiles)

    def head_modules(self) -> list[nn.Module]:
        return [self.temporal, self.skip]

    def forward(self, y, observed, past, future, static):
        b = y.shape[0]
        parts = [y, observed, past.reshape(b, -1)]
        proj = None
        if self.project is not None:
            proj = self.project(future)  # (B, L + H, tw)
            parts.append(proj.reshape(b, -1))
        parts.append(static)
        g = self.decoder(self.encoder(torch.cat(parts, dim=1))).view(b, self.horizon, self.p)
        if proj is not None:
            g = torch.cat([g, proj[:, -self.horizon:]], dim=-1)
        return self.temporal(g) + self.skip(y).view(b, self.horizon, self.nq)


register(ModelSpec(
    "tide", TiDEConfig, TiDE, frozenset({"past", "future", "static"}),
    "TiDE: dense MLP encoder-decoder with covariates (Das et al. 2023)",
    search_space={"hidden": Param("categorical", choices=(64, 128, 256, 512)), "n_encoder_layers": Param("int", 1, 3),
                  "decoder_output_dim": Param("categorical", choices=(4, 8, 16)),
                  "dropout": Param("float", 0.0, 0.4)},
))
