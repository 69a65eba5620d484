"""Scaling modules that live inside the network, so the exported graph contains them.

:class:`InstanceScaler` is reversible instance normalisation (RevIN, Kim et al. 2022):
each window's target is standardised with the mean and standard deviation of its
*observed* context values, and the output is mapped back. :class:`FeatureScaler` holds a
per-column mean and standard deviation learned from the training panel as buffers.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["FeatureScaler", "InstanceScaler"]


class InstanceScaler(nn.Module):
    """Masked reversible instance normalisation of the target.

    Parameters
    ----------
    mode : {"revin", "mean", "none"}
        ``revin``: subtract the masked mean, divide by the masked standard deviation.
        ``mean``: divide by the masked mean absolute value (DeepAR-style).
        ``none``: identity (the data must be scaled beforehand).
    affine : bool
        Learn a per-model scale and shift applied after standardisation (RevIN's affine).
    eps : float
        Smallest scale, in target units, so constant windows do not divide by zero.
    """

    def __init__(self, mode: str = "revin", affine: bool = False, eps: float = 1e-5) -> None:
        super().__init__()
        self.mode = mode
        self.eps = eps
        self.affine = affine and mode != "none"
        if self.affine:
            self.weight = nn.Parameter(torch.ones(1))
            self.bias = nn.Parameter(torch.zeros(1))

    def stats(self, y: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Location and scale, each (B, 1), from the observed part of ``y`` (B, L)."""
        n = mask.sum(dim=1, keepdim=True).clamp_min(1.0)
        if self.mode == "none":
            return torch.zeros_like(n), torch.ones_like(n)
        if self.mode == "mean":
            scale = ((y.abs() * mask).sum(dim=1, keepdim=True) / n).clamp_min(self.eps)
            return torch.zeros_like(scale), scale
        loc = (y * mask).sum(dim=1, keepdim=True) / n
        var = (((y - loc) * mask) ** 2).sum(dim=1, keepdim=True) / n
        return loc, torch.sqrt(var).clamp_min(self.eps)

    def normalize(self, y: torch.Tensor, loc: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        z = (y - loc) / scale
        if self.affine:
            z = z * self.weight + self.bias
        return z

    def denormalize(self, z: torch.Tensor, loc: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`normalize`; ``z`` is (B, H, Q), ``loc``/``scale`` (B, 1)."""
        if self.affine:
            z = (z - self.bias) / (self.weight + self.eps * self.eps)
        return z * scale.unsqueeze(-1) + loc.unsqueeze(-1)


class FeatureScaler(nn.Module):
    """Per-column standardisation with buffers learned from the training data.

    Parameters
    ----------
    n_features : int
    """

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    @torch.no_grad()
    def fit(self, values: torch.Tensor) -> FeatureScaler:
        """Learn mean and standard deviation from ``values`` (N, C), ignoring NaN."""
        if values.shape[-1] == 0:
            return self
        finite = torch.isfinite(values)
        n = finite.sum(0).clamp_min(1)
        x = torch.where(finite, values, torch.zeros_like(values)).double()
        mean = x.sum(0) / n
        var = (torch.where(finite, x - mean, torch.zeros_like(x)) ** 2).sum(0) / n
        std = torch.sqrt(var)
        self.mean.copy_(mean.float())
        self.std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)).float())
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] == 0:
            return x
        return (x - self.mean) / self.std
