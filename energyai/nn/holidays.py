"""Holiday features inside the forecasting graph: a day table looked up from local time.

The table (built at fit by :func:`energyai.calendar.holidays.holiday_table`) travels with
the weights and the exported file, so a device never needs the ``holidays`` package. A
holiday declared after the model was built is given through the ``holiday_override``
graph input (NaN keeps the table's value).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["HolidayFeatures"]

_DAY = 86400


class HolidayFeatures(nn.Module):
    """``holiday``, ``bridge``, ``festival`` (0/1) and ``off_run`` (days off in a row / 7) by local date.

    Parameters
    ----------
    n_days : int
        Rows of the day table (filled by :meth:`set_table` or loaded with the weights).

    ``forward(local_time (B, T) int64, holiday_override (B, T, 4) float32) -> (B, T, 4)``.
    Local dates outside the table give NaN features (so the forecast is not finite and
    the callers raise), never a silent zero.
    """

    n_features = 4
    #: The name under which an ensemble shares this feature between its members.
    kind = "holiday"
    #: The contract inputs this feature is computed from.
    reads = ("local_time", "holiday_override")
    first_day: torch.Tensor
    table: torch.Tensor

    def __init__(self, n_days: int) -> None:
        super().__init__()
        self.register_buffer("first_day", torch.zeros((), dtype=torch.int64))
        self.register_buffer("table", torch.zeros((n_days, 4), dtype=torch.uint8))

    def set_table(self, first_day: int, table: np.ndarray) -> HolidayFeatures:
        """Fill the table: row 0 is local date ``first_day`` (days since 1970-01-01)."""
        if table.shape != tuple(self.table.shape):
            raise ValueError(f"table has shape {table.shape}, expected {tuple(self.table.shape)}")
        self.first_day.fill_(int(first_day))
        self.table.copy_(torch.from_numpy(np.ascontiguousarray(table, dtype=np.uint8)))
        return self

    def forward(self, local_time: torch.Tensor, holiday_override: torch.Tensor) -> torch.Tensor:
        day = torch.div(local_time, _DAY, rounding_mode="floor") - self.first_day
        inside = (day >= 0) & (day < self.table.shape[0])
        rows = self.table[torch.clamp(day, 0, self.table.shape[0] - 1)].to(torch.float32)
        scale = torch.tensor([1.0, 1.0, 1.0, 1.0 / 7.0], dtype=torch.float32, device=rows.device)
        flags = torch.where(inside.unsqueeze(-1), rows * scale, torch.full_like(rows, float("nan")))
        return torch.where(torch.isnan(holiday_override), flags, holiday_override)
