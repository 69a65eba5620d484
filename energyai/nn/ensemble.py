"""Several forecasting members in one graph, combined by quantile averaging.

:class:`EnsembleNetwork` holds neural members (:class:`~energyai.nn.network.ForecastNetwork`,
each with its own architecture, seed and context length) and at most one gradient-boosted
member (:class:`~energyai.nn.boosted.BoostedMember`). The in-graph features (calendar,
holidays, solar geometry, wind curve) are computed once, over the longest context, by
modules the members share, and each member reads the last ``L_m + H`` steps. The members'
sorted quantiles are combined level by level (quantile averaging, "Vincentization")
with non-negative weights that sum to 1 at every lead and level (learnt on a validation
period by :mod:`energyai.training.ensemble`, or equal), sorted again, and finished like
a single network: calibration, then the clips at 0, the capacity and the night
(:class:`~energyai.nn.output.OutputStage`). It is one module, so saving, calibration, the
ONNX export and its parity gate treat it as any network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from energyai.contract import NAMES
from energyai.nn.output import OutputStage
from energyai.nn.scaling import FeatureScaler, InstanceScaler, covariate_ranges

__all__ = ["FEATURE_KINDS", "EnsembleNetwork"]

#: The in-graph feature modules an ensemble shares, by attribute name (= their ``kind``).
FEATURE_KINDS = ("calendar", "solar", "holiday", "wind")
#: Contract inputs laid out along the time axis of the context (and horizon).
_TIMED = ("past_target", "past_observed", "past_covariates", "future_covariates", "local_time", "utc_time",
          "holiday_override")


class EnsembleNetwork(OutputStage):
    """Raw inputs in (the contract, context ``L`` = the longest member's), quantiles out.

    Parameters
    ----------
    members : list of ForecastNetwork
        Trained neural members; their feature modules must agree (same kinds and state).
    contexts : list of int
        Context length of each neural member (at most ``context``).
    boosted : BoostedMember, optional
    context, horizon : int
    quantiles : tuple of float
        Output levels (every member's).
    weights : Tensor, shape (M, H, Q)
        Combination weights, members in order (neural, then boosted); non-negative, summing
        to 1 over M.
    n_inputs : (int, int, int)
        Raw past, future and static covariate counts.
    features : dict of str to nn.Module
        The shared feature modules by kind (taken from the first neural member when empty).
    scaler : str
        Instance scaling whose scale the calibration works in (as ``TrainConfig.scaler``).
    nonnegative : bool
    daylight_index : int
    optional : tuple of int
        Future covariates that may be NaN.
    """

    quantiles: torch.Tensor
    weights: torch.Tensor
    optional_index: torch.Tensor
    boosted: Any
    solar: Any
    calendar: Any
    holiday: Any
    wind: Any

    def __init__(self, members: Sequence[nn.Module], contexts: list[int], boosted: nn.Module | None, context: int,
                 horizon: int, quantiles: tuple[float, ...], weights: torch.Tensor, n_inputs: tuple[int, int, int],
                 *, features: dict[str, nn.Module] | None = None, scaler: str = "revin", nonnegative: bool = False,
                 daylight_index: int = -1, optional: tuple[int, ...] = ()) -> None:
        super().__init__()
        n_members = len(members) + (boosted is not None)
        if n_members == 0:
            raise ValueError("an ensemble needs at least one member")
        if len(contexts) != len(members) or any(not 0 < c <= context for c in contexts):
            raise ValueError(f"member contexts {contexts} must be in 1..{context}, one per neural member")
        if tuple(weights.shape) != (n_members, horizon, len(quantiles)):
            raise ValueError(f"weights have shape {tuple(weights.shape)}, expected {(n_members, horizon, len(quantiles))}")
        self.members = nn.ModuleList(members)
        self.contexts = [int(c) for c in contexts]
        self.boosted = boosted
        self.context, self.horizon = int(context), int(horizon)
        self.n_inputs = tuple(int(n) for n in n_inputs)
        self.register_buffer("quantiles", torch.tensor(quantiles, dtype=torch.float32))
        self.register_buffer("weights", weights.to(torch.float32).clone())
        self.register_buffer("calibration", None)
        self.register_buffer("calibration_mix", None)
        self.register_buffer("optional_index", torch.tensor(list(optional), dtype=torch.int64), persistent=False)
        self.median_index = next((j for j, q in enumerate(quantiles) if abs(q - 0.5) < 1e-9), None)
        self.nonnegative = bool(nonnegative)
        self.daylight_index = int(daylight_index)
        self.instance = InstanceScaler(scaler)
        self.past_scaler, self.future_scaler, self.static_scaler = (FeatureScaler(n) for n in self.n_inputs)
        shared = dict(features or {})
        if members and not shared:
            shared = {k: getattr(members[0], k) for k in FEATURE_KINDS if getattr(members[0], k) is not None}
        for k in FEATURE_KINDS:
            nn.Module.__setattr__(self, k, shared.get(k))  # type: ignore[arg-type]
        for m in members:
            check_same_features(self, m)
            for k in FEATURE_KINDS:  # one module per kind, shared: computed once, saved once per path
                if getattr(m, k) is not None:
                    nn.Module.__setattr__(m, k, shared[k])
            self._copy_ranges(m)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in FEATURE_KINDS and "members" in self._modules:  # localize() swaps a feature: keep it shared
            for m in self.members:
                if getattr(m, name) is not None or value is None:
                    nn.Module.__setattr__(m, name, value)
        super().__setattr__(name, value)

    def _copy_ranges(self, member: nn.Module) -> None:
        for name in ("past_scaler", "future_scaler", "static_scaler"):
            getattr(self, name).load_state_dict(getattr(member, name).state_dict())

    @property
    def features(self) -> list[Any]:
        """The shared in-graph feature modules, in the order members append them."""
        return [getattr(self, k) for k in FEATURE_KINDS if getattr(self, k) is not None]

    @property
    def n_members(self) -> int:
        return len(self.members) + (self.boosted is not None)

    def training_ranges(self) -> dict[str, dict[str, list[float | None]]]:
        """Training ``mean`` and ``std`` of every raw covariate column by contract role, and
        physical bounds where known (:func:`~energyai.nn.scaling.covariate_ranges`)."""
        return covariate_ranges(self.past_scaler, self.future_scaler, self.static_scaler, self.solar)

    def reads(self, capacity: bool = False) -> list[str]:
        """Names of the contract inputs any member reads, in contract order."""
        used: set[str] = set()
        for m in self.members:
            used |= set(m.reads(capacity))  # type: ignore[operator]
        if self.boosted is not None:
            used |= self.boosted.reads()
            used |= {name for f in self.features for name in f.reads if f.kind in self.boosted.features.kinds}
        if capacity or self.instance.mode == "capacity":
            used.add("capacity")
        if self.calibration is not None and self.calibration.dim() == 3:
            used.add("local_time")
        return [n for n in NAMES if n in used]

    @staticmethod
    def bind(inputs: tuple[Any, ...]) -> dict[str, Any]:
        if len(inputs) == 1 and isinstance(inputs[0], Mapping):
            return dict(inputs[0])
        return dict(zip(NAMES, inputs, strict=False))

    def _slice(self, x: dict[str, Any], context: int) -> dict[str, Any]:
        cut = self.context - context
        out = dict(x)
        if cut:
            for name in _TIMED:
                if out.get(name) is not None:
                    out[name] = out[name][:, cut:]
        return out

    def member_outputs(self, x: dict[str, Any]) -> list[torch.Tensor]:
        """Each member's sorted quantiles (B, H, Q), target units, before combination."""
        if x.get("future_covariates") is None and self.n_inputs[1] == 0:
            y = x["past_target"]
            x["future_covariates"] = y.new_zeros((y.shape[0], y.shape[1] + self.horizon, 0))
        shared = {f.kind: f(*(x.get(name) for name in f.reads)) for f in self.features}
        outs = []
        for m, ctx in zip(self.members, self.contexts, strict=True):
            xm = self._slice(x, ctx)
            xm["_shared"] = shared
            outs.append(m.raw_quantiles(xm)[0])  # type: ignore[operator]
        if self.boosted is not None:
            outs.append(self.boosted(self._slice(x, self.boosted.context), shared))
        return outs

    def forward(self, *inputs: Any) -> torch.Tensor:
        x = self.bind(inputs)
        outs = self.member_outputs(x)
        combined = outs[0] * self.weights[0]
        for k in range(1, len(outs)):
            combined = combined + outs[k] * self.weights[k]
        combined, _ = torch.sort(combined, dim=-1)
        return self.finish(combined, self.window_scale(x), x)

    def window_scale(self, *inputs: Any) -> torch.Tensor:
        """The instance scale of each window over the whole context, (B, 1) (the calibration's unit)."""
        x = self.bind(inputs)
        y, obs = x["past_target"], x["past_observed"]
        y = torch.where(obs > 0, y, torch.zeros_like(y))
        return self.instance.stats(y, obs, x.get("capacity"))[1]


def check_same_features(ensemble: nn.Module, member: nn.Module) -> None:
    """Raise ``ValueError`` unless ``member`` has the ensemble's feature kinds with equal state."""
    for k in FEATURE_KINDS:
        mine, theirs = getattr(ensemble, k), getattr(member, k)
        if (mine is None) != (theirs is None):
            raise ValueError(f"ensemble members differ in the {k} feature (one has it, another not)")
        if mine is None or mine is theirs:
            continue
        a, b = mine.state_dict(), theirs.state_dict()
        if a.keys() != b.keys() or any(a[n].shape != b[n].shape or not torch.equal(a[n], b[n]) for n in a):
            raise ValueError(f"ensemble members differ in the {k} feature's settings (site, table or curve)")
        if getattr(mine, "reads", None) != getattr(theirs, "reads", None):
            raise ValueError(f"ensemble members differ in the inputs of the {k} feature")
