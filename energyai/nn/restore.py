"""Rebuilding a saved ensemble's empty network, so that its state dict can be loaded into it.

The structure comes from the saved parameters (the members), the fitted schema, and the
shapes of the saved tensors (holiday table rows, tree sizes, fitted levels); nothing is
pickled.
"""

from __future__ import annotations

from typing import Any

__all__ = ["rebuild_ensemble"]


def rebuild_ensemble(model: Any, resolved: dict[str, Any], schema: Any, n_inputs: tuple[int, int, int],
                     calendar: bool, levels: tuple[float, ...], state: dict[str, Any]) -> Any:
    """An :class:`~energyai.nn.ensemble.EnsembleNetwork` of ``model``'s members, shaped like ``state``.

    Raises
    ------
    ArtifactError
        The saved tensors do not describe the members the parameters name.
    """
    from energyai.exceptions import ArtifactError
    from energyai.nn.build import build_for, daylight_index, optional_index
    from energyai.nn.ensemble import FEATURE_KINDS, EnsembleNetwork
    from energyai.training.ensemble import member_params

    t = resolved["train"]
    nets: list[Any] = []
    contexts: list[int] = []
    boosted_member = None
    for p in member_params(model):
        member = type(model)(**p)
        r = member._resolved()
        if r["spec"].kind == "trees":
            boosted_member = member
            continue
        table = state.get(f"members.{len(nets)}.holiday.table")
        nets.append(build_for(r["train"], r["spec"], r["cfg"], member.context_length, member.horizon, levels,
                              n_inputs, schema, calendar=calendar,
                              holiday_days=0 if table is None else int(table.shape[0])))
        contexts.append(member.context_length)
    if nets:
        shared = {k: getattr(nets[0], k) for k in FEATURE_KINDS if getattr(nets[0], k) is not None}
    else:
        shared = _features(t, schema, calendar, state)
    boosted = None if boosted_member is None else _boosted(boosted_member, t, schema, n_inputs, shared, levels, state)
    if "weights" not in state:
        raise ArtifactError("the saved weights hold no ensemble combination ('weights'); the folder is not an ensemble")
    fc = schema.future_covariates
    return EnsembleNetwork(nets, contexts, boosted, model.context_length, model.horizon, levels,
                           state["weights"].clone(), n_inputs, features=shared, scaler=t.scaler,
                           nonnegative=schema.nonnegative, daylight_index=daylight_index(t.daylight_column, fc),
                           optional=optional_index(t.optional_covariates, fc))


def _features(t: Any, schema: Any, calendar: bool, state: dict[str, Any]) -> dict[str, Any]:
    from energyai.nn.build import cloud_spec, wind_spec
    from energyai.nn.network import make_features

    fc = schema.future_covariates
    table = state.get("holiday.table")
    return make_features(calendar, t.solar(), schema.frequency.seconds,
                         cloud_spec(t.cloud_column, t.cloud_units, fc, t.solar() is not None),
                         0 if table is None else int(table.shape[0]), wind_spec(t.wind_columns, t.power_curve, fc))


def _boosted(member: Any, t: Any, schema: Any, n_inputs: tuple[int, int, int], shared: dict[str, Any],
             levels: tuple[float, ...], state: dict[str, Any]) -> Any:
    from energyai.exceptions import ArtifactError
    from energyai.nn.boosted import BoostedMember
    from energyai.nn.build import cloud_spec
    from energyai.nn.tabular import TabularFeatures
    from energyai.nn.trees import TreeEnsemble

    try:
        n_nodes, n_trees = int(state["boosted.trees.feature"].shape[0]), int(state["boosted.trees.roots"].shape[0])
        fitted = tuple(float(v) for v in state["boosted.fitted"].tolist())
    except KeyError as exc:
        raise ArtifactError(f"the saved weights lack the boosted member's {exc}; the folder is damaged") from exc
    step = schema.frequency.seconds
    fc = schema.future_covariates
    feats = TabularFeatures(member.context_length, member.horizon, max(86400 // step, 1), step, *n_inputs,
                            kinds=tuple(shared), level="capacity" if t.scaler == "capacity" else "mean",
                            cloud=cloud_spec(t.cloud_column, t.cloud_units, fc, t.solar() is not None))
    trees = TreeEnsemble(n_nodes, n_trees, len(fitted), feats.n_features)
    return BoostedMember(feats, trees, fitted, levels)
