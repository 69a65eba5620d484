"""A gradient-boosted tree model (LightGBM) on the same tensor contract as the neural models.

Each (window, lead) becomes one row of features computed in the graph
(:class:`~energyai.nn.tabular.TabularFeatures`); one LightGBM quantile model per level is
fitted on those rows (a direct multi-horizon model: the lead is a feature) by
:mod:`energyai.training.boosted`, and the fitted trees become buffers of the graph, one
ONNX-ML ``TreeEnsembleRegressor`` node in an exported file. LightGBM is needed to fit
(``pip install "energyai[boost]"``), never to forecast. Use it alone
(``Forecaster("lightgbm", ...)``) or as an ensemble member (``ensemble=[{}, {"model":
"lightgbm"}]``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from energyai.exceptions import ConfigError
from energyai.models.base import ModelSpec, Param, positive, register

__all__ = ["LightGBMConfig"]


@dataclass(frozen=True)
class LightGBMConfig:
    """Parameters
    ----------
    num_leaves : int
        Leaves per tree.
    max_depth : int
        Deepest split path (bounds the forecast's cost: every tree is walked this deep).
    tree_learning_rate : float
        LightGBM's ``learning_rate`` (shrinkage per round). Named apart from the training
        option ``learning_rate``, the networks' optimiser step, which trees do not read.
    max_rounds : int
        Boosting rounds at most per level; early stopping on the validation windows picks
        fewer (without validation windows, ``max_rounds // 3``).
    early_stopping_rounds : int
    min_child_samples : int
        Rows per leaf at least.
    feature_fraction, bagging_fraction : float
        Share of features per tree and of rows per round (in (0, 1]).
    lambda_l2 : float
        L2 penalty on leaf values.
    max_bin : int
        Histogram bins per feature (LightGBM's ``max_bin``; fewer fit faster).
    max_rows : int
        Training rows (window x lead) at most; windows are drawn at random (seeded) beyond.
    max_levels : int
        Fit every output level when there are at most this many, else a grid of levels
        (0.01, 0.05, 0.1 .. 0.9, 0.95, 0.99 within the output range, with its ends and the
        median) interpolated to the output levels in the graph.
    search : bool
        Before fitting the levels, choose ``num_leaves`` among (15, 31, 63) and
        ``min_child_samples`` among (20, 100) by the median model's validation loss (as the
        benchmarks' independent reference does); the options above are then ignored for
        those two. Needs validation windows.
    refit : bool
        After early stopping, fit each level again on the training and validation rows
        together for the rounds validation chose, so the trees also learn the most recent
        part of the history (the reference's practice; the neural members are not refitted).
    """

    num_leaves: int = 31
    max_depth: int = 8
    tree_learning_rate: float = 0.05
    max_rounds: int = 1500
    early_stopping_rounds: int = 50
    min_child_samples: int = 20
    feature_fraction: float = 0.9
    bagging_fraction: float = 0.9
    lambda_l2: float = 0.0
    max_bin: int = 255
    max_rows: int = 400_000
    max_levels: int = 15
    search: bool = True
    refit: bool = True

    def check(self) -> None:
        positive(self, "num_leaves", "max_depth", "tree_learning_rate", "max_rounds", "early_stopping_rounds",
                 "min_child_samples", "max_rows", "max_levels", "max_bin")
        if self.num_leaves < 2:
            raise ConfigError(f"LightGBMConfig.num_leaves must be at least 2, got {self.num_leaves!r}")
        for name in ("feature_fraction", "bagging_fraction"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise ConfigError(f"LightGBMConfig.{name} must lie in (0, 1], got {v!r}")
        if not 0 < self.tree_learning_rate <= 1:
            raise ConfigError(f"LightGBMConfig.tree_learning_rate must lie in (0, 1], got {self.tree_learning_rate!r}")
        if not math.isfinite(self.lambda_l2) or self.lambda_l2 < 0:
            raise ConfigError(f"LightGBMConfig.lambda_l2 must be finite and >= 0, got {self.lambda_l2!r}")


def _not_a_network(*args: object) -> None:
    raise ConfigError("lightgbm is a tree model: it is fitted by energyai.training.boosted, not built as a network")


register(ModelSpec(
    "lightgbm", LightGBMConfig, _not_a_network, frozenset({"past", "future", "static"}),  # type: ignore[arg-type]
    "LightGBM quantile trees on in-graph features, one ONNX-ML tree ensemble (Ke et al. 2017)",
    int8=False, kind="trees",
    search_space={"num_leaves": Param("categorical", choices=(15, 31, 63)),
                  "tree_learning_rate": Param("float", 0.02, 0.1, log=True),
                  "min_child_samples": Param("categorical", choices=(10, 20, 50, 100))},
))
