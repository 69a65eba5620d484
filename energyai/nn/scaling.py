"""Scaling modules that live inside the network, so the exported graph contains them.

:class:`InstanceScaler` is reversible instance normalisation (RevIN, Kim et al. 2022):
each window's target is standardised with the mean and standard deviation of its
*observed* context values, and the output is mapped back. :class:`FeatureScaler` holds a
per-column mean and standard deviation learned from the training panel as buffers.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["FeatureScaler", "InstanceScaler", "covariate_ranges"]


class InstanceScaler(nn.Module):
    """Masked reversible instance normalisation of the target.

    Parameters
    ----------
    mode : {"revin", "mean", "none"}
        ``revin``: subtract the masked mean, divide by the masked standard deviation.
        ``mean``: divide by the masked mean absolute value (DeepAR-style).
        ``none``: identity (the data must be scaled beforehand).
        ``capacity``: divide by the window's capacity (its first horizon step), so the
        network sees the capacity factor; for generation, where the context's mean and
        spread say more about the night than about the plant. Needs the ``capacity``
        input and a schema with a capacity.
    affine : bool
        Learn a per-model scale and shift applied after standardisation (RevIN's affine).
    eps : float
        Smallest scale relative to the window's largest magnitude (in target units for an
        all-zero window), so constant windows do not divide by zero and a series of 1e-30
        or 1e15 keeps its size.
    """

    def __init__(self, mode: str = "revin", affine: bool = False, eps: float = 1e-5) -> None:
        super().__init__()
        self.mode = mode
        self.eps = eps
        self.affine = affine and mode != "none"
        if self.affine:
            self.weight = nn.Parameter(torch.ones(1))
            self.bias = nn.Parameter(torch.zeros(1))

    def stats(self, y: torch.Tensor, mask: torch.Tensor,
              capacity: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Location and scale, each (B, 1), from the observed part of ``y`` (B, L)
        (or from ``capacity`` (B, H) in ``capacity`` mode)."""
        n = mask.sum(dim=1, keepdim=True).clamp_min(1.0)
        if self.mode == "capacity":
            if capacity is None:
                raise ValueError("scaler='capacity' needs the capacity input")
            scale = capacity[:, :1].clamp_min(self.eps)
            return torch.zeros_like(scale), scale
        if self.mode == "none":
            return torch.zeros_like(n), torch.ones_like(n)
        # Statistics of y / m with m the window's largest magnitude, multiplied back: squares
        # of values near 1e19 and above overflow float32, squares of 1e-20 underflow to 0.
        yo = y * mask
        m = yo.abs().amax(dim=1, keepdim=True)
        m = torch.where(m > 0, m, torch.ones_like(m))
        u = yo / m
        floor = self.eps * m  # the smallest scale, relative: constant windows keep their size
        if self.mode == "mean":
            scale = (u.abs().sum(dim=1, keepdim=True) / n) * m
            return torch.zeros_like(scale), torch.maximum(scale, floor)
        loc_u = u.sum(dim=1, keepdim=True) / n
        var_u = (((u - loc_u) * mask) ** 2).sum(dim=1, keepdim=True) / n
        return loc_u * m, torch.maximum(torch.sqrt(var_u) * m, floor)

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

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    @torch.no_grad()
    def fit(self, values: torch.Tensor | np.ndarray, rows: np.ndarray | None = None,
            chunk: int = 1 << 20) -> FeatureScaler:
        """Learn mean and population standard deviation per column, ignoring NaN.

        Parameters
        ----------
        values : Tensor or ndarray, shape (N, C)
        rows : ndarray of bool, shape (N,), optional
            Only these rows count (the training part of a panel), without copying them out.
        chunk : int
            Rows per chunk; one pass in float64 over chunks keeps the transient memory at a
            few chunks whatever N is (the panel's covariates can be gigabytes).
        """
        x = values.numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
        if x.shape[-1] == 0:
            return self
        n_col = x.shape[1]
        count = np.zeros(n_col)
        mean = np.zeros(n_col)
        m2 = np.zeros(n_col)
        for lo in range(0, x.shape[0], chunk):  # one pass; chunks merged as Chan et al. (1979)
            part = _take(x, rows, lo, chunk).astype(np.float64)
            finite = np.isfinite(part)
            if finite.all():
                n_b = np.full(n_col, float(part.shape[0]))
                mean_b = part.mean(0) if part.shape[0] else np.zeros(n_col)
                m2_b = ((part - mean_b) ** 2).sum(0)
            else:
                n_b = finite.sum(0).astype(np.float64)
                mean_b = np.where(finite, part, 0.0).sum(0) / np.maximum(n_b, 1)
                m2_b = (np.where(finite, part - mean_b, 0.0) ** 2).sum(0)
            n_ab = count + n_b
            delta = mean_b - mean
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(n_ab > 0, mean + delta * n_b / n_ab, 0.0)
                m2 = np.where(n_ab > 0, m2 + m2_b + delta ** 2 * count * n_b / n_ab, 0.0)
            count = n_ab
        std = np.sqrt(m2 / np.maximum(count, 1))
        self.mean.copy_(torch.from_numpy(mean.astype(np.float32)))
        self.std.copy_(torch.from_numpy(np.where(std > 1e-8, std, 1.0).astype(np.float32)))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] == 0:
            return x
        return (x - self.mean) / self.std


def _take(x: np.ndarray, rows: np.ndarray | None, lo: int, chunk: int) -> np.ndarray:
    part = x[lo:lo + chunk]
    return part if rows is None else part[rows[lo:lo + chunk]]


def covariate_ranges(past: FeatureScaler, future: FeatureScaler, static: FeatureScaler,
                     solar: nn.Module | None = None) -> dict[str, dict[str, list[float | None]]]:
    """Training ``mean`` and ``std`` of every raw covariate column by contract role (from the
    feature scalers), and the physical ``low``/``high`` bounds of future covariates that have
    them (a cloud-cover column: 0 .. 8 oktas in its units; None elsewhere), for
    :class:`energyai.limits.InputGuard`."""
    out: dict[str, dict[str, list[float | None]]] = {}
    for role, scaler in (("past_covariates", past), ("future_covariates", future), ("static", static)):
        if scaler.mean.numel():
            out[role] = {"mean": [float(v) for v in scaler.mean.tolist()],
                         "std": [float(v) for v in scaler.std.tolist()]}
    cloud = getattr(solar, "cloud", None)
    if cloud is not None and "future_covariates" in out:
        n = len(out["future_covariates"]["mean"])
        low: list[float | None] = [None] * n
        high: list[float | None] = [None] * n
        low[cloud[0]], high[cloud[0]] = 0.0, 8.0 / cloud[1]
        out["future_covariates"].update(low=low, high=high)
    return out
