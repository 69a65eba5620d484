"""Fitting an ensemble (or a tree model alone) into one :class:`~energyai.nn.ensemble.EnsembleNetwork`.

The data is validated and cut into windows once; every neural member trains on the same
windows (its own context: the last ``L_m`` steps of each), the gradient-boosted member
fits on rows the graph computes from them, and the combination weights are learnt on the
validation windows from the members' raw quantiles (:func:`learn_weights`). The result
is one network: saved, calibrated, exported and forecast like any other.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from energyai.exceptions import ConfigError

__all__ = ["fit_ensemble", "learn_weights", "member_params", "pinball"]


def member_params(model: Any) -> list[dict[str, Any]]:
    """The full ``Forecaster`` parameters of each member of ``model``'s ensemble.

    A member overrides the forecaster's parameters; one with another architecture keeps
    only its own architecture options. A tree model alone (``model="lightgbm"``) is an
    ensemble of one.

    Raises
    ------
    ConfigError
        A member's context longer than the forecaster's (the window the ensemble reads).
    """
    from energyai.config import TrainConfig
    from energyai.models import get_model

    base = model.get_params()
    base["ensemble"] = None
    members = model.train_config.ensemble or [{}]
    out = []
    for k, m in enumerate(members):
        p = dict(base)
        name = str(m.get("model", base["model"])).lower()
        if name != str(base["model"]).lower():
            for key in model.model_config:
                p.pop(key, None)
            if get_model(name).kind == "trees":  # the networks' optimiser step is not the trees'
                p["learning_rate"] = TrainConfig.defaults()["learning_rate"]
        p.update(m)
        ctx = p["context_length"]
        if not isinstance(ctx, int) or isinstance(ctx, bool) or not 0 < ctx <= model.context_length:
            raise ConfigError(f"ensemble member {k} has context_length={ctx!r}; members read the last steps of the "
                              f"forecaster's window, so use 1..{model.context_length} (or raise context_length)")
        out.append(p)
    return out


def pinball(pred: np.ndarray, y: np.ndarray, mask: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Mean pinball loss per level: ``pred (N, H, Q)``, ``y``/``mask (N, H)``; returns (Q,)."""
    d = y[..., None] - pred
    loss = np.maximum(levels * d, (levels - 1.0) * d) * mask[..., None]
    return loss.sum(axis=(0, 1)) / max(float(mask.sum()), 1.0)  # type: ignore[no-any-return]


#: How far the learnt share of the boosted member is pulled back towards an even split.
SHRINK = 0.5


def _blend_share(neural: np.ndarray, boosted: np.ndarray, y: np.ndarray, mask: np.ndarray,
                 levels: np.ndarray) -> tuple[float, float]:
    """The boosted member's share ``a`` of ``(1 - a) * neural + a * boosted`` that minimises the
    validation pinball summed over ``levels`` (a grid of 0.05), and that share pulled
    :data:`SHRINK` of the way to 0.5."""
    grid = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    losses = [float(pinball(np.sort((1 - a) * neural + a * boosted, axis=-1), y, mask, levels).sum()) for a in grid]
    best = float(grid[int(np.argmin(losses))])
    return best, (1 - SHRINK) * best + SHRINK * 0.5


def learn_weights(preds: np.ndarray, y: np.ndarray, mask: np.ndarray, levels: tuple[float, ...],
                  mode: str = "weights", boosted: bool = False) -> np.ndarray:
    """Combination weights ``(M, H, Q)`` (non-negative, summing to 1 over members).

    The neural members (seeds, architectures, context lengths) are exchangeable draws of
    one kind of model and are averaged with equal weights; what is learnt is the share of
    the gradient-boosted member (the last one when ``boosted``) against their mean, on the
    validation windows, pulled halfway back to an even split. Validation periods are short
    and one member's luck there is not skill: weights fitted freely on them were seen to
    pick a single member (KR load, 179 windows) and lose to the plain mean on later data,
    the "forecast combination puzzle" (Stock and Watson 2004; Claeskens et al. 2016).

    Parameters
    ----------
    preds : (M, N, H, Q)
        Each member's quantiles on N validation windows.
    y, mask : (N, H)
        The actual values and where they count (observed, daytime).
    levels : tuple of float
    mode : {"weights", "weights_by_level", "mean"}
        The boosted share learnt once for all levels, once per level, or every member
        weighted equally.
    boosted : bool
        Whether the last member is the gradient-boosted one.
    """
    M, _, H, Q = preds.shape
    equal = np.full((M, H, Q), 1.0 / M)
    if mode not in ("weights", "weights_by_level", "mean"):
        raise ConfigError(f"combine must be 'weights', 'weights_by_level' or 'mean', got {mode!r}")
    if mode == "mean" or M == 1:
        return equal
    n_neural = M - 1 if boosted else M
    out = np.zeros((M, H, Q))
    if not boosted or n_neural == 0 or mask.sum() == 0:
        return equal if not boosted else _split(out, n_neural, np.full(Q, 0.5))
    lv = np.asarray(levels, np.float64)
    y = np.where(mask > 0, y, 0.0)
    neural = preds[:n_neural].mean(axis=0)
    if mode == "weights":
        share = np.full(Q, _blend_share(neural, preds[-1], y, mask, lv)[1])
    else:
        share = np.array([_blend_share(neural[..., j:j + 1], preds[-1][..., j:j + 1], y, mask, lv[j:j + 1])[1]
                          for j in range(Q)])
    return _split(out, n_neural, share)


def _split(out: np.ndarray, n_neural: int, share: np.ndarray) -> np.ndarray:
    """Weights with ``share`` (Q,) on the last member and the rest split evenly over the neural ones."""
    out[-1] = share[None, :]
    out[:n_neural] = ((1.0 - share) / n_neural)[None, None, :]
    return out


def fit_ensemble(model: Any, df: Any, schema: Any, resolved: dict[str, Any], *, val_start: Any = None,
                 callbacks: list[Any] | None = None, future: Any = None) -> None:
    """Fit every member of ``model``'s ensemble on one set of windows and combine them.

    Sets the learned state on ``model`` (as :func:`energyai.training.fit.fit_forecaster`):
    ``network_`` is an :class:`~energyai.nn.ensemble.EnsembleNetwork`; ``history_["members"]``
    holds each member's history and ``history_["weights"]`` the combination.
    """
    from energyai.training.data import sample_windows
    from energyai.training.fit import manifest, prepare_data

    t0 = time.perf_counter()
    t = resolved["train"]
    members = [(p, type(model)(**p)) for p in member_params(model)]
    specs = [m._resolved() for _, m in members]
    data = prepare_data(model, df, schema, resolved["spec"], t, val_start, future)
    for r in specs:
        from energyai.training.fit import check_roles

        check_roles(r["spec"], data.schema)
    panel = data.panel
    n_inputs = (panel.past.shape[1], panel.future.shape[1], panel.static.shape[1])
    calendar = _common_calendar(specs, data.schema)
    nets, early, contexts, histories = [], [], [], []
    boosted, unseen, boost_report = None, None, None
    for k, ((_, member), r) in enumerate(zip(members, specs, strict=True)):
        if _progress(t):
            print(f"ensemble member {k + 1}/{len(members)}: {member.model} (seed {member.seed}, context "
                  f"{member.context_length}), {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        if r["spec"].kind == "trees":
            continue
        net, first, hist = _train_member(member, r, data, calendar, n_inputs, callbacks, model.context_length)
        nets.append(net)
        early.append(first)
        contexts.append(member.context_length)
        histories.append(hist)
    from energyai.nn.ensemble import FEATURE_KINDS

    shared = {k: getattr(early[0], k) for k in FEATURE_KINDS if getattr(early[0], k) is not None} if nets else {}
    if not nets:
        shared = _standalone_features(model, resolved, data, calendar)
    for (_, member), r in zip(members, specs, strict=True):
        if r["spec"].kind == "trees":
            boosted, unseen, boost_report = _fit_boosted(member, r, data, shared, n_inputs, model)
            histories.append({"model": "lightgbm", **boost_report})
    # weights from the forecasts of members that never saw the validation windows, then the refitted members
    ens = _assemble(model, resolved, data, early, contexts, unseen, shared, n_inputs)
    combine = _combine(ens, model, data, resolved["levels"], t.combine)
    final = ens
    if any(a is not b for a, b in zip(nets, early, strict=True)) or boosted is not unseen:
        final = _assemble(model, resolved, data, nets, contexts, boosted, shared, n_inputs)
        final.weights.copy_(ens.weights)
    from energyai.training.calibrated import apply_validation_calibration

    calibration = apply_validation_calibration(final, ens, model, data, resolved["levels"],
                                               resolved.get("calibration"))
    ens = final
    model.network_ = ens
    model.schema_ = data.schema
    model.levels_ = resolved["levels"]
    model.calendar_ = calendar
    model.series_ids_ = panel.series_ids
    model.target_range_ = panel.target_range()
    model.n_inputs_ = n_inputs
    seconds = time.perf_counter() - t0
    model.history_ = _history(histories, combine, data, seconds)
    model.parity_windows_ = sample_windows(panel, data.train_index, model.context_length, model.horizon, n=64,
                                           seed=int(t.seed))
    model.manifest_ = manifest(model, panel.sha256(), data.n_rows)
    if calibration is not None:
        model.history_["calibration"] = calibration
        model.manifest_["calibration"] = calibration


def _common_calendar(specs: list[dict[str, Any]], schema: Any) -> bool:
    from energyai.training.fit import use_calendar

    values = {use_calendar(r["train"], r["spec"], schema) for r in specs}
    if len(values) > 1:
        raise ConfigError("ensemble members differ in their calendar features (an architecture that reads no "
                          "known-future covariates, such as dlinear, cannot join one that does)")
    return values.pop()


def _shifted(data: Any, context: int, full: int) -> Any:
    """``data`` with its window indexes moved to read the last ``context`` of ``full`` steps."""
    from energyai.windows import WindowIndex

    cut = full - context
    if cut == 0:
        return data

    def move(ix: Any) -> Any:
        return None if ix is None else WindowIndex(ix.run_start + cut, ix.run_series, ix.cum, ix.stride)

    return dataclasses.replace(data, train_index=move(data.train_index), val_index=move(data.val_index))


def _train_member(member: Any, r: dict[str, Any], data: Any, calendar: bool, n_inputs: tuple[int, int, int],
                  callbacks: list[Any] | None, full: int) -> tuple[Any, Any, dict[str, Any]]:
    """One neural member: the network to keep (refitted on every window with ``refit``), the
    early-stopped network (whose validation forecasts are out of sample), and its history."""
    import lightning as L

    from energyai.training.fit import build_network, fit_history, refit_network, stopped_by, train_network

    t = r["train"]
    shifted = _shifted(data, member.context_length, full)
    L.seed_everything(int(t.seed), workers=True, verbose=False)
    network, _ = build_network(member, r, shifted, calendar, n_inputs, None, None)
    run = train_network(member, t, shifted, network, callbacks, None)
    hist = fit_history(shifted, run["trainer"], run["best"], run["seconds"], t.batch_size)
    hist.update(model=member.model, seed=int(t.seed), context_length=member.context_length,
                stopped_by=stopped_by(run["trainer"], t, run["max_steps"], run["seconds"]),
                budget={"max_steps": run["max_steps"], "max_epochs": t.max_epochs, "auto": t.max_steps == "auto",
                        "max_time": t.max_time})
    if not t.refit or shifted.val_index is None:
        return run["network"], run["network"], hist
    again = refit_network(member, r, shifted, calendar, n_inputs, run, callbacks)
    hist["refit"] = {k: v for k, v in again.items() if k != "network"}
    return again["network"], run["network"], hist


def _standalone_features(model: Any, resolved: dict[str, Any], data: Any, calendar: bool) -> dict[str, Any]:
    """The in-graph feature modules of an ensemble with no neural member (a tree model alone)."""
    from energyai.nn.build import cloud_spec, wind_spec
    from energyai.nn.network import make_features
    from energyai.training.fit import holiday_table_for

    t = resolved["train"]
    fc = data.schema.future_covariates
    table = holiday_table_for(t, data.panel) if t.holidays else None
    feats = make_features(calendar, t.solar(), data.schema.frequency.seconds,
                          cloud_spec(t.cloud_column, t.cloud_units, fc, t.solar() is not None),
                          0 if table is None else len(table[1]), wind_spec(t.wind_columns, t.power_curve, fc))
    if table is not None:
        feats["holiday"].set_table(*table)  # type: ignore[operator]
    return feats


def _fit_boosted(member: Any, r: dict[str, Any], data: Any, shared: dict[str, Any], n_inputs: tuple[int, int, int],
                 model: Any) -> tuple[Any, Any, dict[str, Any]]:
    from energyai.contract import NAMES
    from energyai.nn.build import cloud_spec
    from energyai.nn.output import OutputStage
    from energyai.nn.tabular import TabularFeatures
    from energyai.training.boosted import fit_boosted, tree_rows
    from energyai.training.data import WindowBatches

    t, cfg = r["train"], r["cfg"]
    schema = data.schema
    H, L_b = member.horizon, member.context_length
    step = schema.frequency.seconds
    cloud = cloud_spec(t.cloud_column, t.cloud_units, schema.future_covariates, t.solar() is not None)
    feats = TabularFeatures(L_b, H, max(86400 // step, 1), step, *n_inputs, kinds=tuple(shared),
                            level="capacity" if t.scaler == "capacity" else "mean", cloud=cloud)
    if "solar" in shared:
        feats.set_solar_table(shared["solar"])
    probe = SimpleNamespace(solar=shared.get("solar"), daylight_index=_daylight(t, schema))
    names = {"past_target", "past_observed", "local_time", "utc_time", "past_covariates", "future_covariates",
             "static", "capacity"} | {n for f in shared.values() for n in f.reads}
    reads = tuple(n for n in NAMES if n in names)
    shifted = _shifted(data, L_b, model.context_length)
    cap = max(int(cfg.max_rows) // H, 1)

    def rows(index: Any) -> Any:
        if index is None:
            return None
        batches = WindowBatches(data.panel, index, L_b, H, 1024, shuffle=False, max_windows=cap, names=reads)
        return tree_rows(feats, list(shared.values()), (batches[i] for i in range(len(batches))),
                         lambda x: OutputStage.sun_up(probe, x, H),  # type: ignore[arg-type]
                         hide=float(t.context_dropout), seed=int(t.seed))

    train, val = rows(shifted.train_index), rows(shifted.val_index)
    say = None if not _progress(t) else (lambda line: print(line, file=sys.stderr, flush=True))
    return fit_boosted(feats, tuple(r["levels"]), cfg, train, val, seed=int(t.seed), progress=say)


def _daylight(t: Any, schema: Any) -> int:
    from energyai.nn.build import daylight_index

    return daylight_index(t.daylight_column, schema.future_covariates)


def _progress(t: Any) -> bool:
    from energyai.progress import progress_mode

    return progress_mode(t.progress_bar) != "off"


def _assemble(model: Any, resolved: dict[str, Any], data: Any, nets: list[Any], contexts: list[int], boosted: Any,
              shared: dict[str, Any], n_inputs: tuple[int, int, int]) -> Any:
    from energyai.data.split import train_rows
    from energyai.nn.build import optional_index
    from energyai.nn.ensemble import EnsembleNetwork

    t = resolved["train"]
    levels = resolved["levels"]
    M = len(nets) + (boosted is not None)
    w = torch.full((M, model.horizon, len(levels)), 1.0 / M)
    ens = EnsembleNetwork(nets, contexts, boosted, model.context_length, model.horizon, levels, w, n_inputs,
                          features=shared, scaler=t.scaler, nonnegative=data.schema.nonnegative,
                          daylight_index=_daylight(t, data.schema),
                          optional=optional_index(t.optional_covariates, data.schema.future_covariates))
    if not nets:  # the covariate ranges the input guard checks, from the training rows
        rows = train_rows(data.panel, data.val_first)
        ens.past_scaler.fit(data.panel.past, rows=rows)
        ens.future_scaler.fit(data.panel.future, rows=rows)
        ens.static_scaler.fit(data.panel.static)
    return ens.eval()


def _combine(ens: Any, model: Any, data: Any, levels: tuple[float, ...], mode: str) -> dict[str, Any]:
    """Learn the combination weights on the validation windows; a report of what was chosen."""
    from energyai.training.data import WindowBatches

    if ens.n_members == 1:
        return {"mode": "single member", "weights": [1.0]}
    if data.val_index is None:
        return {"mode": "mean (no validation windows to learn weights on)", "weights": [1.0 / ens.n_members]
                * ens.n_members}
    t = model.train_config
    reads = tuple(ens.reads(capacity=data.schema.capacity is not None))
    batches = WindowBatches(data.panel, data.val_index, model.context_length, model.horizon, 512, shuffle=False,
                            max_windows=t.max_val_windows, names=reads)
    preds, ys, masks = [], [], []
    with torch.no_grad():
        for i in range(len(batches)):
            b = batches[i]
            x = {k: v for k, v in b.inputs().items() if v is not None}
            preds.append(np.stack([o.numpy() for o in ens.member_outputs(dict(x))]))
            m = b.future_observed.numpy()
            up = ens.sun_up(x, model.horizon)
            ys.append(b.future_target.numpy())
            masks.append(m if up is None else m * up.numpy())
    P, Y, Mk = np.concatenate(preds, axis=1), np.concatenate(ys), np.concatenate(masks)
    w = learn_weights(P.astype(np.float64), Y.astype(np.float64), Mk.astype(np.float64), levels, mode,
                      boosted=ens.boosted is not None)
    ens.weights.copy_(torch.from_numpy(w.astype(np.float32)))
    lv, Y0 = np.asarray(levels), np.where(Mk > 0, Y, 0)
    scores = [float(pinball(P[k], Y0, Mk, lv).mean()) for k in range(P.shape[0])]
    combined = float(pinball(np.sort((w[:, None] * P).sum(axis=0), axis=-1), Y0, Mk, lv).mean())
    report = {"mode": mode, "weights": w[:, 0, :].mean(axis=1).round(4).tolist(), "val_windows": int(P.shape[1]),
              "member_val_pinball": [round(s, 6) for s in scores], "combined_val_pinball": round(combined, 6)}
    if ens.boosted is not None and len(ens.members) and mode == "weights":
        report["boosted_share_best_on_validation"] = _blend_share(P[:-1].mean(axis=0), P[-1], Y0, Mk, lv)[0]
    return report


def _history(members: list[dict[str, Any]], combine: dict[str, Any], data: Any, seconds: float) -> dict[str, Any]:
    neural = [h for h in members if h.get("model") != "lightgbm"]
    out = {"budget": neural[0]["budget"]} if neural else {}  # the first network's, as a single model reports it
    return {**out, "members": members, "combine": combine, "fit_seconds": round(seconds, 3),
            "train_windows": len(data.train_index),
            "val_windows": 0 if data.val_index is None else len(data.val_index),
            "steps": int(sum(h.get("steps", 0) for h in neural)),
            "data_end": str(np.max(data.panel.utc[data.panel.offsets[1:] - 1]).astype("datetime64[s]")) + "Z",
            "stopped_by": "members"}
