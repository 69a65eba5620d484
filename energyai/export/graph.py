"""The exported graph: raw inputs in, raw-unit quantiles out.

:class:`ExportGraph` wraps a trained :class:`~energyai.nn.network.ForecastNetwork` (which
already holds instance and covariate scaling, calendar features, the architecture, the
inverse scaling, quantile sorting and clipping) and adds what a device should not have to
do: it derives the observed mask from NaN in ``past_target`` and supplies the inputs
the model does not use. Only the inputs the model reads become graph inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

__all__ = ["ExportGraph", "InputSpec", "input_specs"]


@dataclass(frozen=True)
class InputSpec:
    """One graph input: name, shape (``"batch"`` is dynamic), dtype, units and columns."""

    name: str
    shape: tuple[Any, ...]
    dtype: str
    units: str
    columns: tuple[str, ...] = ()
    nan_allowed: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["columns"] = list(self.columns)
        return d


def input_specs(schema: Any, context: int, horizon: int, calendar: bool, solar: bool = False) -> list[InputSpec]:
    """The graph inputs of a model fitted with ``schema``, in graph order."""
    L, H = context, horizon
    units = schema.units or "target units"
    specs = [InputSpec("past_target", ("batch", L), "float32", units, (schema.target,), nan_allowed=True)]
    if schema.past_covariates:
        specs.append(InputSpec("past_covariates", ("batch", L, len(schema.past_covariates)), "float32",
                               "raw covariate units", tuple(schema.past_covariates)))
    if schema.future_covariates:
        specs.append(InputSpec("future_covariates", ("batch", L + H, len(schema.future_covariates)), "float32",
                               "raw covariate units; context then horizon", tuple(schema.future_covariates)))
    if calendar:
        specs.append(InputSpec("local_time", ("batch", L + H), "int64",
                               f"local wall-clock seconds since 1970-01-01 in {schema.tz or 'UTC'}; context then horizon"))
    if schema.static_covariates:
        specs.append(InputSpec("static", ("batch", len(schema.static_covariates)), "float32",
                               "raw static covariate values", tuple(schema.static_covariates)))
    if solar:
        specs.append(InputSpec("utc_time", ("batch", L + H), "int64",
                               "UTC seconds since 1970-01-01; context then horizon (solar geometry)"))
    if schema.capacity is not None:
        specs.append(InputSpec("capacity", ("batch", H), "float32", f"{units}; upper bound of every quantile"))
    return specs


class ExportGraph(nn.Module):
    """``forward(past_target, **used_inputs) -> quantiles (batch, H, Q)`` in target units.

    Parameters
    ----------
    network : ForecastNetwork
        The trained network, in eval mode.
    context, horizon : int
    n_inputs : tuple of int
        Numbers of past, future and static covariates.
    """

    def __init__(self, network: nn.Module, context: int, horizon: int, n_inputs: tuple[int, int, int]) -> None:
        super().__init__()
        self.network = network
        self.context, self.horizon = context, horizon
        self.n_past, self.n_future, self.n_static = n_inputs

    def forward(self, past_target: torch.Tensor, past_covariates: torch.Tensor | None = None,
                future_covariates: torch.Tensor | None = None, local_time: torch.Tensor | None = None,
                static: torch.Tensor | None = None, capacity: torch.Tensor | None = None,
                utc_time: torch.Tensor | None = None) -> torch.Tensor:
        L, H = self.context, self.horizon
        b = past_target.shape[0]
        observed = torch.isfinite(past_target)
        y = torch.where(observed, past_target, torch.zeros_like(past_target))
        pc = past_covariates if past_covariates is not None else y.new_zeros((b, L, self.n_past))
        fc = future_covariates if future_covariates is not None else y.new_zeros((b, L + H, self.n_future))
        lt = local_time if local_time is not None else torch.zeros((b, L + H), dtype=torch.int64,
                                                                     device=y.device)
        st = static if static is not None else y.new_zeros((b, self.n_static))
        cap = capacity if capacity is not None else y.new_full((b, H), float("inf"))
        return self.network(y, observed.to(y.dtype), pc, fc, lt, st, cap, utc_time)
