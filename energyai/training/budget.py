"""Training budgets sized from the data: ``max_steps="auto"``.

A fixed number of steps is wrong at both ends: 3,000 steps of 256 windows is hundreds of
passes over one small building and a fraction of one pass over a national panel. The
automatic budget aims at a number of passes over the training windows, within bounds
that keep a CPU fit of one series-year to a couple of minutes and let a GPU go further.
"""

from __future__ import annotations

import math

__all__ = ["AUTO_BOUNDS", "AUTO_PASSES", "auto_steps"]

#: Target passes over the training windows.
AUTO_PASSES = 80
#: (fewest, most) steps on CPU and on an accelerator.
AUTO_BOUNDS = {"cpu": (300, 3000), "gpu": (1000, 20000)}


def auto_steps(n_windows: int, batch_size: int, *, gpu: bool, world_size: int = 1) -> int:
    """Optimiser steps for ``AUTO_PASSES`` passes over ``n_windows``, within :data:`AUTO_BOUNDS`.

    Parameters
    ----------
    n_windows : int
        Training windows.
    batch_size : int
        Windows per step and device.
    gpu : bool
        Whether training runs on an accelerator (larger bounds).
    world_size : int
        Devices times nodes: each step sees ``batch_size * world_size`` windows.

    Returns
    -------
    int
    """
    lo, hi = AUTO_BOUNDS["gpu" if gpu else "cpu"]
    per_step = max(1, batch_size * max(1, world_size))
    want = math.ceil(AUTO_PASSES * max(1, n_windows) / per_step)
    return int(min(max(want, lo), hi))
