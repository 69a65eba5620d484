"""The KPX submission chosen inside the forecast graph (the in-graph form of
:func:`energyai.market.kpx.best_submission`).

For each window and step, from the sorted quantiles ``q`` (Q,) and the capacity ``C``:

1. ``n`` equally weighted points of the forecast distribution: the quantile function at
   ``(k - 0.5) / n``, linear between the levels and beyond the outermost two, clipped to
   ``[0, C]`` (a fixed matrix times ``q``, as :func:`~energyai.market.submission.predictive_samples`);
2. candidates: the median and ``grid`` values evenly spaced over ``[0, C]``;
3. the expected incentive of each candidate, ``mean_k price(|s - y_k| / C) × y_k ×
   1{y_k >= m C}`` under the tiered rule;
4. the best candidate; among those within a relative ``1e-5`` of the best (float32
   noise), the one closest to the median.

The units cancel: the chosen value does not depend on whether ``q`` is in kW or MW.
Memory per call is ``B × H × (grid + 1) × n`` floats (64 × 24 × 102 × 100 × 4 bytes =
63 MB at the defaults), so a device forecasting one plant's day uses about 1 MB.
"""

from __future__ import annotations

import torch
from torch import nn

from energyai.market.submission import sample_weights

__all__ = ["SubmissionHead"]


class SubmissionHead(nn.Module):
    """``forward(quantiles (B, H, Q), capacity (B, H)) -> submission (B, H)`` (module notes).

    Parameters
    ----------
    levels : tuple of float
        The Q sorted levels of the quantiles; must include 0.5.
    tiers : tuple of (max_error_percent, krw_per_kwh)
        As :class:`~energyai.market.kpx.KPXRules`.
    min_output_share : float
        Hours whose output is under this share of capacity pay nothing.
    grid : int
        Evenly spaced candidates over ``[0, C]`` (the median is always one).
    n_samples : int
        Points of the forecast distribution.
    """

    weights: torch.Tensor
    steps: torch.Tensor

    def __init__(self, levels: tuple[float, ...], tiers: tuple[tuple[float, float], ...], min_output_share: float,
                 grid: int = 101, n_samples: int = 100) -> None:
        super().__init__()
        self.levels = tuple(float(q) for q in levels)
        self.median = next(j for j, q in enumerate(levels) if abs(q - 0.5) < 1e-9)
        self.register_buffer("weights", torch.tensor(sample_weights(levels, n_samples).T, dtype=torch.float32))
        self.register_buffer("steps", torch.linspace(0.0, 1.0, grid))
        self.tiers = tuple((float(a), float(b)) for a, b in tiers)
        self.min_output_share = float(min_output_share)

    def forward(self, quantiles: torch.Tensor, capacity: torch.Tensor) -> torch.Tensor:
        cap = capacity.unsqueeze(-1)  # (B, H, 1)
        y = torch.matmul(quantiles, self.weights)  # (B, H, n)
        y = torch.where(y < 0, torch.zeros_like(y), y)
        y = torch.where(y > cap, cap.expand_as(y), y)
        med = quantiles[..., self.median : self.median + 1]  # (B, H, 1)
        med = torch.where(med < 0, torch.zeros_like(med), med)
        med = torch.where(med > cap, cap, med)
        cand = torch.cat([med, self.steps * cap], dim=-1)  # (B, H, G)
        err = torch.abs(cand.unsqueeze(-1) - y.unsqueeze(-2)) * 100.0 / cap.unsqueeze(-1)  # (B, H, G, n)
        price = torch.zeros_like(err)
        for limit, krw in reversed(self.tiers):  # the first tier that the error does not exceed pays
            price = torch.where(err <= limit, torch.full_like(err, krw), price)
        paid = torch.where(y >= self.min_output_share * cap, y, torch.zeros_like(y)).unsqueeze(-2)
        expected = (price * paid).mean(dim=-1)  # (B, H, G), in KRW per unit of the target
        top = expected.max(dim=-1, keepdim=True).values
        near = expected >= top - 1e-5 * torch.clamp(top, min=1.0)
        dist = torch.where(near, torch.abs(cand - med), torch.full_like(cand, float("inf")))
        k = torch.argmin(dist, dim=-1, keepdim=True)
        return torch.gather(cand, -1, k).squeeze(-1)
