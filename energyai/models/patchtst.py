"""PatchTST (Nie et al. 2023, "A Time Series is Worth 64 Words"): the context is cut
into overlapping patches, embedded, passed through a Transformer encoder, and a flat
linear head maps all patch embeddings to the horizon. Channel-independent and target
only, as in the paper: a multivariate frame is modelled as one series per channel."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from energyai.exceptions import ConfigError
from energyai.models.base import ModelSpec, Param, positive, probability, register

__all__ = ["PatchTST", "PatchTSTConfig"]


@dataclass(frozen=True)
class PatchTSTConfig:
    """Parameters
    ----------
    patch_len, stride : int
        Patch length and step, in time steps.
    d_model, n_heads, n_layers, d_ff : int
        Transformer width, attention heads, encoder layers, feed-forward width.
    dropout : float
        Dropout inside the encoder.
    head_dropout : float
        Dropout before the flat head.
    """

    patch_len: int = 16
    stride: int = 8
    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 3
    d_ff: int = 128
    dropout: float = 0.2
    head_dropout: float = 0.0

    def check(self) -> None:
        positive(self, "patch_len", "stride", "d_model", "n_heads", "n_layers", "d_ff")
        probability(self, "dropout", "head_dropout")
        if self.d_model % self.n_heads:
            raise ConfigError(f"PatchTSTConfig.d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")


class PatchTST(nn.Module):
    """Patching + Transformer encoder + flatten head."""

    def __init__(self, cfg: PatchTSTConfig, context, horizon, n_quantiles, *_: int) -> None:
        super().__init__()
        if cfg.patch_len > context:
            raise ConfigError(f"PatchTST patch_len ({cfg.patch_len}) exceeds context_length ({context})")
        self.patch_len, self.stride = cfg.patch_len, cfg.stride
        self.horizon, self.nq = horizon, n_quantiles
        n_patches = (context + cfg.stride - cfg.patch_len) // cfg.stride + 1
        self.embed = nn.Linear(cfg.patch_len, cfg.d_model)
        self.position = nn.Parameter(torch.empty(n_patches, cfg.d_model).uniform_(-0.02, 0.02))
        layer = nn.TransformerEncoderLayer(
            cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.drop = nn.Dropout(cfg.head_dropout)
        self.head = nn.Linear(n_patches * cfg.d_model, horizon * n_quantiles)

    def head_modules(self) -> list[nn.Module]:
        return [self.head]

    def forward(self, y, observed, past, future, static):
        padded = torch.cat([y, y[:, -1:].expand(-1, self.stride)], dim=1)
        patches = padded.unfold(1, self.patch_len, self.stride)  # (B, N, patch_len)
        h = self.encoder(self.embed(patches) + self.position)
        out = self.head(self.drop(h.flatten(1)))
        return out.view(-1, self.horizon, self.nq)


register(ModelSpec("patchtst", PatchTSTConfig, PatchTST, frozenset(), "PatchTST: patched Transformer encoder (Nie et al. 2023)",
                   search_space={"d_model": Param("categorical", choices=(32, 64, 128)),
                                 "n_layers": Param("int", 1, 3), "dropout": Param("float", 0.0, 0.4)}))
