"""Layers shared by several architectures."""

from __future__ import annotations

from torch import nn

__all__ = ["ResidualBlock", "mlp"]


def mlp(n_in: int, hidden: int, n_layers: int, dropout: float) -> nn.Sequential:
    """``n_layers`` Linear + ReLU (+ dropout) layers of width ``hidden``."""
    layers: list[nn.Module] = []
    width = n_in
    for _ in range(n_layers):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """TiDE's residual block: Linear-ReLU-Linear-dropout plus a linear skip, then LayerNorm."""

    def __init__(self, n_in: int, hidden: int, n_out: int, dropout: float, layer_norm: bool = True) -> None:
        super().__init__()
        self.dense = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out), nn.Dropout(dropout))
        self.skip = nn.Linear(n_in, n_out)
        self.norm = nn.LayerNorm(n_out) if layer_norm else nn.Identity()

    def forward(self, x):
        return self.norm(self.dense(x) + self.skip(x))
