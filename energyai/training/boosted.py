"""Fitting the gradient-boosted member (LightGBM) on rows computed by the graph itself.

The rows come from :class:`~energyai.nn.tabular.TabularFeatures` run on the same panel
windows the neural members train on (so a feature means the same thing at fit, in
``predict`` and in the exported file); each level gets a LightGBM quantile model,
early-stopped on the validation windows; the boosters become
:class:`~energyai.nn.trees.TreeEnsemble` buffers. LightGBM is imported here only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from energyai._optional import import_optional
from energyai.exceptions import ConfigError, InsufficientDataError

__all__ = ["BoostedData", "fit_boosted", "fitted_levels", "tree_rows"]

#: Levels fitted when the output has too many to fit one model each (interpolated between).
LEVEL_GRID = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


def fitted_levels(levels: tuple[float, ...], max_levels: int) -> tuple[float, ...]:
    """Every output level when there are at most ``max_levels``, else :data:`LEVEL_GRID` within
    the output range plus its two ends and the median."""
    if len(levels) <= max_levels:
        return tuple(levels)
    lo, hi = min(levels), max(levels)
    grid = {q for q in LEVEL_GRID if lo <= q <= hi} | {lo, hi, 0.5}
    return tuple(sorted(grid))


@dataclass
class BoostedData:
    """Feature rows of a set of windows: ``X (n, K)`` float32, ``y (n,)`` target / level,
    ``weight (n,)``; ``window (n,)`` and ``lead (n,)`` locate each row."""

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    window: np.ndarray
    lead: np.ndarray
    names: list[str] = field(default_factory=list)


def tree_rows(features: Any, shared_modules: list[Any], batches: Any, daylight: Any = None,
              hide: float = 0.0, seed: int = 0) -> BoostedData:
    """Rows of every window in ``batches`` (an iterable of :class:`~energyai.contract.Batch`).

    Rows whose target is unobserved, and night steps when ``daylight`` (``x -> (B, H) bool``)
    says so, are left out. ``hide`` > 0 (the forecaster's ``context_dropout``): a seeded share
    of the windows is added a second time with its whole target context missing, so the
    trees also learn to forecast from the known-future inputs alone.
    """
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("X", "y", "w", "win", "lead")}
    seen = 0
    rng = np.random.default_rng([seed, 4099])
    with torch.no_grad():
        for batch in batches:
            x = {k: v for k, v in batch.inputs().items() if v is not None}
            shared = {f.kind: f(*(x.get(n) for n in f.reads)) for f in shared_modules}
            variants = [x]
            if hide > 0:
                pick = torch.from_numpy(rng.random(batch.past_target.shape[0]) < hide)
                if bool(pick.any()):
                    blind = {k: (v[pick] if torch.is_tensor(v) and v.shape[:1] == pick.shape else v)
                             for k, v in x.items()}
                    blind["past_observed"] = torch.zeros_like(blind["past_observed"])
                    blind["past_target"] = torch.zeros_like(blind["past_target"])
                    variants.append(blind)
            for v, sel in zip(variants, (None, pick if hide > 0 else None), strict=False):
                target = batch.future_target if sel is None else batch.future_target[sel]
                observed = batch.future_observed if sel is None else batch.future_observed[sel]
                weight = batch.weight if sel is None else batch.weight[sel]
                sh = shared if sel is None else {k: t[sel] for k, t in shared.items()}
                seen = _append(parts, features, v, sh, target, observed, weight, daylight, seen)
    if not parts["X"]:
        return BoostedData(np.zeros((0, features.n_features), np.float32), np.zeros(0), np.zeros(0),
                           np.zeros(0, np.int64), np.zeros(0, np.int64), list(features.names))
    return BoostedData(np.concatenate(parts["X"]).astype(np.float32), np.concatenate(parts["y"]).astype(np.float64),
                       np.concatenate(parts["w"]).astype(np.float64), np.concatenate(parts["win"]),
                       np.concatenate(parts["lead"]), list(features.names))


def _append(parts: dict[str, list[np.ndarray]], features: Any, x: dict[str, Any], shared: dict[str, Any],
            target: Any, observed: Any, weight: Any, daylight: Any, seen: int) -> int:
    rows, level = features(x, shared)
    B, H, _ = rows.shape
    y = (target / level).numpy()
    keep = observed.numpy() > 0
    if daylight is not None:
        up = daylight(x)
        if up is not None:
            keep &= up.numpy()
    keep &= np.isfinite(y)
    parts["X"].append(rows.numpy()[keep])
    parts["y"].append(y[keep])
    parts["w"].append(np.broadcast_to(weight.numpy()[:, None], (B, H))[keep])
    parts["win"].append(np.broadcast_to(np.arange(seen, seen + B)[:, None], (B, H))[keep])
    parts["lead"].append(np.broadcast_to(np.arange(1, H + 1)[None, :], (B, H))[keep])
    return seen + B


def _params(cfg: Any, seed: int, threads: int) -> dict[str, Any]:
    return {"objective": "quantile", "num_leaves": int(cfg.num_leaves), "max_depth": int(cfg.max_depth),
            "learning_rate": float(cfg.tree_learning_rate), "min_child_samples": int(cfg.min_child_samples),
            "feature_fraction": float(cfg.feature_fraction), "bagging_fraction": float(cfg.bagging_fraction),
            "bagging_freq": 1 if cfg.bagging_fraction < 1 else 0, "lambda_l2": float(cfg.lambda_l2),
            "zero_as_missing": False, "use_missing": True, "seed": int(seed), "num_threads": int(threads),
            "max_bin": int(cfg.max_bin),
            "verbose": -1, "deterministic": True, "force_col_wise": True}


#: The small grid :func:`fit_boosted` searches when ``search`` is on.
SEARCH_GRID = {"num_leaves": (15, 31, 63), "min_child_samples": (20, 100)}


def _search(lgb: Any, params: dict[str, Any], dtrain: Any, dval: Any, cfg: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``params`` with the grid's best ``num_leaves`` and ``min_child_samples`` for the median
    (validation quantile loss at the early-stopped round), and what was tried."""
    tried = []
    for leaves in SEARCH_GRID["num_leaves"]:
        for child in SEARCH_GRID["min_child_samples"]:
            p = {**params, "alpha": 0.5, "num_leaves": leaves, "min_child_samples": child}
            b = lgb.train(p, dtrain, int(cfg.max_rounds), valid_sets=[dval],
                          callbacks=[lgb.early_stopping(int(cfg.early_stopping_rounds), verbose=False)])
            score = float(next(iter(b.best_score["valid_0"].values())))
            tried.append({"num_leaves": leaves, "min_child_samples": child, "val_loss": score})
    best = min(tried, key=lambda r: r["val_loss"])
    return ({**params, "num_leaves": best["num_leaves"], "min_child_samples": best["min_child_samples"]},
            {"chosen": {k: best[k] for k in SEARCH_GRID}, "tried": tried})


def _check_rows(train: BoostedData, cfg: Any) -> None:
    """Refuse too few rows or non-finite scaled targets (typed errors naming the fix)."""
    if len(train.y) < 2 * int(cfg.min_child_samples):
        raise InsufficientDataError(f"the boosted member has {len(train.y)} training rows (window x lead with an "
                                    f"observed target), fewer than 2 x min_child_samples={cfg.min_child_samples}; "
                                    "add history or lower min_child_samples")
    if not np.isfinite(train.y).all():
        raise ConfigError("boosted member: non-finite training targets after scaling by the window level")


def fit_boosted(features: Any, levels: tuple[float, ...], cfg: Any, train: BoostedData, val: BoostedData | None,
                *, seed: int = 0, threads: int = 0, progress: Any = None) -> tuple[Any, Any, dict[str, Any]]:
    """LightGBM quantile models on ``train`` rows, early-stopped on ``val``.

    Returns the member (refitted on train and validation rows when ``cfg.refit``), the
    member as early-stopped on the training rows alone (the same object without a refit:
    its validation forecasts are out of sample), and a report.

    Parameters
    ----------
    features : TabularFeatures
        The module that made the rows (it becomes part of the member).
    levels : tuple of float
        The member's output levels.
    cfg : LightGBMConfig
    train, val : BoostedData
        From :func:`tree_rows`; without validation rows, ``cfg.max_rounds // 3`` rounds.
    threads : int
        LightGBM threads (0: torch's intra-op thread count).
    progress : callable, optional
        Called with a line of text after each level.

    Raises
    ------
    InsufficientDataError
        Fewer than ``2 * cfg.min_child_samples`` training rows.
    """
    lgb = import_optional("lightgbm", "the gradient-boosted member (pip install 'energyai[boost]')")
    from energyai.nn.boosted import BoostedMember
    from energyai.nn.trees import TreeEnsemble, from_lightgbm

    _check_rows(train, cfg)
    fit_at = fitted_levels(levels, int(cfg.max_levels))
    params = _params(cfg, seed, threads or torch.get_num_threads())
    dtrain = lgb.Dataset(train.X, train.y, weight=train.weight, feature_name=train.names, free_raw_data=False)
    dval = None
    if val is not None and len(val.y):
        dval = lgb.Dataset(val.X, val.y, weight=val.weight, reference=dtrain)
    t0 = time.perf_counter()
    searched = None
    if cfg.search and dval is not None:
        params, searched = _search(lgb, params, dtrain, dval, cfg)
    dall = None
    if cfg.refit and dval is not None:
        dall = lgb.Dataset(np.concatenate([train.X, val.X]), np.concatenate([train.y, val.y]),  # type: ignore[union-attr]
                           weight=np.concatenate([train.weight, val.weight]), feature_name=train.names)  # type: ignore[union-attr]
    boosters, early, rounds = [], [], []
    for q in fit_at:
        p = {**params, "alpha": float(q)}
        if dval is not None:
            b = lgb.train(p, dtrain, int(cfg.max_rounds), valid_sets=[dval],
                          callbacks=[lgb.early_stopping(int(cfg.early_stopping_rounds), verbose=False)])
            n = max(int(b.best_iteration or cfg.max_rounds), 1)
            early.append(b.dump_model(num_iteration=n))
            if dall is not None:
                b = lgb.train(p, dall, n)
        else:
            n = max(int(cfg.max_rounds) // 3, 1)
            b = lgb.train(p, dtrain, n)
        boosters.append(b.dump_model(num_iteration=n))
        rounds.append(n)
        if progress is not None:
            progress(f"boosted member: level {q:g}, {n} rounds ({time.perf_counter() - t0:.0f} s)")
    trees = TreeEnsemble.from_arrays(from_lightgbm(boosters, train.X.shape[1]), train.X.shape[1])
    member = BoostedMember(features, trees, fit_at, levels)
    unseen = member
    if dall is not None:  # the early-stopped trees, which never saw the validation rows: the ensemble's
        import copy  # weights are learnt from their validation forecasts, not from in-sample ones

        unseen = BoostedMember(copy.deepcopy(features),
                               TreeEnsemble.from_arrays(from_lightgbm(early, train.X.shape[1]), train.X.shape[1]),
                               fit_at, levels)
    report = {"fitted_levels": list(fit_at), "rounds": rounds, "train_rows": len(train.y), "searched": searched,
              "refit_on_validation": dall is not None,
              "val_rows": 0 if val is None else len(val.y), "features": list(train.names),
              "nodes": int(trees.leaf.numel()), "fit_seconds": round(time.perf_counter() - t0, 3)}
    return member, unseen, report
