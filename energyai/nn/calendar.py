"""Calendar features computed from timestamps inside the graph."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["CalendarFeatures"]

_DAY = 86400
_WEEK = 7 * _DAY
_YEAR = 31556952  # mean Gregorian year, seconds


class CalendarFeatures(nn.Module):
    """Sine and cosine of the time of day, day of week and time of year.

    Input is local wall-clock time as int64 seconds since 1970-01-01 (so DST and time
    zones are resolved by the caller). The remainders are taken in int64 before the cast
    to float, so float32 keeps full precision.

    Output shape: (B, T, 6) for input (B, T).
    """

    n_features = 6
    #: The name under which an ensemble shares this feature between its members.
    kind = "calendar"
    #: The contract inputs this feature is computed from.
    reads = ("local_time",)

    def forward(self, local_time: torch.Tensor) -> torch.Tensor:
        # 1970-01-01 was a Thursday: shift so Monday 00:00 is phase 0
        day = torch.remainder(local_time, _DAY).to(torch.float32) / _DAY
        week = torch.remainder(local_time + 3 * _DAY, _WEEK).to(torch.float32) / _WEEK
        year = torch.remainder(local_time, _YEAR).to(torch.float32) / _YEAR
        phases = torch.stack([day, week, year], dim=-1) * (2 * math.pi)
        return torch.cat([torch.sin(phases), torch.cos(phases)], dim=-1)
