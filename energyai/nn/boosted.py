"""A gradient-boosted member in the forecasting graph: feature rows, trees, quantiles.

:class:`BoostedMember` turns the contract inputs into one row per (window, lead)
(:class:`~energyai.nn.tabular.TabularFeatures`), runs one tree model per fitted quantile
level (:class:`~energyai.nn.trees.TreeEnsemble`, a direct multi-horizon quantile model:
the lead is a feature), multiplies by the window's level, sorts, and interpolates the
fitted levels to the model's output levels. It forecasts alone (``Forecaster("lightgbm")``)
or as a member of an :class:`~energyai.nn.ensemble.EnsembleNetwork`. It is fitted by
:mod:`energyai.training.boosted` (LightGBM); forecasting needs no tree library.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from energyai.nn.tabular import TabularFeatures
from energyai.nn.trees import TreeEnsemble

__all__ = ["BoostedMember", "interpolation_matrix"]


def interpolation_matrix(fitted: tuple[float, ...], levels: tuple[float, ...]) -> np.ndarray:
    """``(len(fitted), len(levels))`` weights of linear interpolation between fitted levels.

    A level below the first fitted one takes the first (above the last, the last), as
    ``numpy.interp`` does. Each column sums to 1 and has at most two non-zero weights.
    """
    f = np.asarray(fitted, np.float64)
    if f.ndim != 1 or len(f) == 0 or np.any(np.diff(f) <= 0):
        raise ValueError(f"fitted levels must be strictly increasing, got {fitted!r}")
    out = np.zeros((len(f), len(levels)), np.float64)
    for j, tau in enumerate(levels):
        if tau <= f[0]:
            out[0, j] = 1.0
        elif tau >= f[-1]:
            out[-1, j] = 1.0
        else:
            k = int(np.searchsorted(f, tau, side="right")) - 1
            w = (tau - f[k]) / (f[k + 1] - f[k])
            out[k, j], out[k + 1, j] = 1.0 - w, w
    return out


class BoostedMember(nn.Module):
    """``forward(x, shared) -> (B, H, Q)`` sorted quantiles in target units.

    Parameters
    ----------
    features : TabularFeatures
    trees : TreeEnsemble
        One output per fitted level, in the level units of the features (target / level).
    fitted_levels : tuple of float
        The levels the trees were fitted at, increasing.
    levels : tuple of float
        The output levels.
    """

    fitted: torch.Tensor
    interp: torch.Tensor
    features: TabularFeatures
    trees: TreeEnsemble

    def __init__(self, features: TabularFeatures, trees: TreeEnsemble, fitted_levels: tuple[float, ...],
                 levels: tuple[float, ...]) -> None:
        super().__init__()
        if trees.n_targets != len(fitted_levels):
            raise ValueError(f"{trees.n_targets} tree outputs for {len(fitted_levels)} fitted levels")
        self.features = features
        self.trees = trees
        self.context = features.context
        self.register_buffer("fitted", torch.tensor(fitted_levels, dtype=torch.float64))
        self.register_buffer("interp", torch.from_numpy(interpolation_matrix(fitted_levels, levels)
                                                        .astype(np.float32)))

    def reads(self) -> set[str]:
        """The contract inputs the feature rows are computed from."""
        f = self.features
        used = {"past_target", "past_observed", "local_time"}
        if f.solar_table.shape[1]:
            used.add("utc_time")
        for name, n in (("past_covariates", f.n_past), ("future_covariates", f.n_future), ("static", f.n_static)):
            if n:
                used.add(name)
        if f.level_mode == "capacity":
            used.add("capacity")
        return used

    def forward(self, x: dict[str, Any], shared: dict[str, torch.Tensor]) -> torch.Tensor:
        rows, level = self.features(x, shared)
        B, H, K = rows.shape
        q = self.trees(rows.reshape(B * H, K)).reshape(B, H, -1)
        q, _ = torch.sort(q * level.unsqueeze(-1), dim=-1)
        return torch.matmul(q, self.interp)
