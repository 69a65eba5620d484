"""The similar-day feature: what the target did at the same time on the last day of the same kind.

Utilities have long forecast a holiday from the last Sunday and a working day from the
last working day ("similar day" methods). Inside the graph this becomes a known-future
feature: for each horizon step, the scaled target at the same local time of day on the
most recent context day of the same kind (day off or working day), with a flag saying
whether one was found. It is computed from the context alone, so it is known at the
forecast origin and identical in training, in Python and in an exported file.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SimilarDay"]

_DAY = 86400


class SimilarDay(nn.Module):
    """``forward(z (B, L), observed (B, L), local_time (B, L + H) int64, off (B, L + H) bool) -> (B, L + H, 2)``.

    ``z`` is the instance-scaled context, ``off`` marks days off (weekends and holidays).
    Channel 0 is the scaled target of the similar context step (0 where none), channel 1
    is 1 where one was found; both are 0 over the context.
    """

    n_features = 2

    def forward(self, z: torch.Tensor, observed: torch.Tensor, local_time: torch.Tensor,
                off: torch.Tensor) -> torch.Tensor:
        n = z.shape[1]
        tod = torch.remainder(local_time, _DAY)
        same_time = tod[:, n:].unsqueeze(-1) == tod[:, :n].unsqueeze(1)  # (B, H, L)
        same_kind = off[:, n:].unsqueeze(-1) == off[:, :n].unsqueeze(1)
        ok = same_time & same_kind & (observed > 0).unsqueeze(1)
        position = torch.arange(1, n + 1, device=z.device, dtype=torch.int64).view(1, 1, n)
        best = torch.amax(torch.where(ok, position, torch.zeros_like(position)), dim=-1)  # (B, H); 0: none
        found = best > 0
        value = torch.gather(z, 1, torch.clamp(best - 1, min=0))
        value = torch.where(found, value, torch.zeros_like(value))
        horizon = torch.stack([value, found.to(z.dtype)], dim=-1)
        return torch.cat([horizon.new_zeros((z.shape[0], n, 2)), horizon], dim=1)


def weekend(local_time: torch.Tensor) -> torch.Tensor:
    """True on Saturdays and Sundays of the local calendar (1970-01-01 was a Thursday)."""
    dow = torch.remainder(torch.div(local_time, _DAY, rounding_mode="floor") + 3, 7)
    return dow >= 5
