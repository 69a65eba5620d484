"""Masked training losses. Missing targets contribute nothing; series can be weighted."""

from __future__ import annotations

import torch

__all__ = ["LOSSES", "masked_loss"]

LOSSES = ("pinball", "mse", "mae")


def masked_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    quantiles: torch.Tensor,
    kind: str = "pinball",
    weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean loss over observed (window, step) pairs.

    Parameters
    ----------
    pred : Tensor, shape (B, H, Q)
        Forecasts (any consistent scale). For ``mse``/``mae`` only the quantile closest to
        0.5 is scored.
    target : Tensor, shape (B, H)
    mask : Tensor, shape (B, H)
        1 where the target was observed.
    quantiles : Tensor, shape (Q,)
    kind : {"pinball", "mse", "mae"}
        ``pinball`` averages the quantile (pinball) loss over the Q levels.
    weight : Tensor, shape (B,), optional
        Per-window weight (the weight of its series).

    Returns
    -------
    Tensor, scalar
        ``sum(w * m * loss) / sum(w * m)``; 0 when nothing is observed.
    """
    if kind == "pinball":
        diff = target.unsqueeze(-1) - pred
        per = torch.maximum(quantiles * diff, (quantiles - 1.0) * diff).mean(dim=-1)
    else:
        mid = int(torch.argmin((quantiles - 0.5).abs()))
        err = pred[..., mid] - target
        per = err * err if kind == "mse" else err.abs()
    m = mask
    if weight is not None:
        m = m * weight.unsqueeze(-1)
    return (per * m).sum() / m.sum().clamp_min(1e-12)
