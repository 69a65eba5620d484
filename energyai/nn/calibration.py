"""The calibration step of the forecast graph: a fixed map of each window's sorted quantiles.

Fitted by :mod:`energyai.calibration` and stored as buffers of the
:class:`~energyai.nn.network.ForecastNetwork`, so ``save``, ``export`` and the runtime all
carry it. For sorted quantiles ``q`` (B, H, Q) and each window's instance scale ``s``
(B, 1), the calibrated quantiles are

    widen(M[g, h] @ q[b, h] + δ[g, h] · s[b])

with ``M`` (Q, Q) a level map (identity for the conformal method; interpolation weights in
normal-score space for the isotonic one) and ``δ`` (Q,) shifts in units of ``s``. The group
``g`` is 0 when the calibration is by lead, and the local hour of day (0-23) of the
window's first forecast step when it is by lead and hour.

``widen`` restores the order outward from the median: each level above it is raised to the
one below where a shift left it lower, and each level under it is lowered likewise. Unlike
a sort, it never moves an inner level, so a calibrated inner interval keeps the coverage
it was calibrated to, and an outer one only grows (a conformal guarantee survives it). A
sort had cost the 10-90 % band of a model with nearly equal raw 0.9 and 0.95 quantiles
four points of coverage. Without a median level the quantiles are sorted instead.
"""

from __future__ import annotations

import torch

__all__ = ["apply_calibration", "first_step_hour", "widen"]

_DAY, _HOUR = 86_400, 3_600


def first_step_hour(local_time: torch.Tensor, context: int) -> torch.Tensor:
    """Local hour of day (0-23, int64) of each window's first forecast step.

    Parameters
    ----------
    local_time : torch.Tensor, shape (B, L + H), int64
        Local wall-clock seconds since 1970-01-01 (the network's ``local_time`` input).
    context : int
        ``L``: the forecast starts at index ``L``.
    """
    return torch.div(torch.remainder(local_time[:, context], _DAY), _HOUR, rounding_mode="floor")


def widen(out: torch.Tensor, median: int | None) -> torch.Tensor:
    """Quantiles (..., Q) made non-decreasing outward from level index ``median`` (module
    notes); a plain sort when ``median`` is None. NaN stays NaN."""
    if median is None:
        return torch.sort(out, dim=-1)[0]
    cols: list[torch.Tensor] = [out[..., j] for j in range(out.shape[-1])]
    for j in range(median + 1, len(cols)):  # where(a < b, b, a) keeps a NaN in a (Max may not)
        cols[j] = torch.where(cols[j] < cols[j - 1], cols[j - 1], cols[j])
    for j in range(median - 1, -1, -1):
        cols[j] = torch.where(cols[j] > cols[j + 1], cols[j + 1], cols[j])
    return torch.stack(cols, dim=-1)


def apply_calibration(out: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor, mix: torch.Tensor | None,
                      hour: torch.Tensor | None, median: int | None = None) -> torch.Tensor:
    """Calibrated, sorted quantiles.

    Parameters
    ----------
    out : torch.Tensor, shape (B, H, Q)
        Sorted quantiles in target units.
    scale : torch.Tensor, shape (B, 1)
        Each window's instance scale, in target units.
    shift : torch.Tensor, shape (H, Q) or (24, H, Q)
        Shifts in units of ``scale``; three dimensions when grouped by hour.
    mix : torch.Tensor or None, shape (H, Q, Q) or (24, H, Q, Q)
        Level map applied before the shift; None is the identity.
    hour : torch.Tensor or None, shape (B,), int64
        Each window's group (:func:`first_step_hour`); needed when ``shift`` has three dimensions.
    median : int or None
        Index of the 0.5 level, from which :func:`widen` restores the order.

    Returns
    -------
    torch.Tensor, shape (B, H, Q)
    """
    if shift.dim() == 3:
        if hour is None:
            raise ValueError("an hourly calibration needs each window's hour (local_time)")
        shift = torch.index_select(shift, 0, hour)  # (B, H, Q)
        mix = None if mix is None else torch.index_select(mix, 0, hour)  # (B, H, Q, Q)
    if mix is not None:
        out = torch.matmul(mix, out.unsqueeze(-1)).squeeze(-1)
    return widen(out + shift * scale.unsqueeze(-1), median)
