"""The exported graph: raw inputs in, raw-unit quantiles out.

:class:`ExportGraph` wraps a trained :class:`~energyai.nn.network.ForecastNetwork` (which
already holds instance and covariate scaling, in-graph features, the architecture, the
inverse scaling, quantile sorting and clipping) and adds what a device should not have to
do: it derives the observed mask from NaN in ``past_target``. Its inputs are the contract
inputs the network reads (:meth:`ForecastNetwork.reads`), in contract order; nothing here
names an input, so a new one declared in :mod:`energyai.contract` is exported as it is.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from energyai import contract

__all__ = ["ExportGraph", "input_specs"]


def input_specs(network: Any, schema: Any, context: int, horizon: int) -> list[dict[str, Any]]:
    """The graph inputs of ``network`` fitted with ``schema``, in graph order (metadata entries)."""
    names = network.reads(capacity=schema.capacity is not None)
    return [contract.input_spec(i, schema, context, horizon) for i in contract.graph_inputs(names)]


class ExportGraph(nn.Module):
    """``forward(*graph_inputs) -> quantiles (batch, H, Q)`` in target units, or
    ``(quantiles, submission (batch, H))`` with a submission head.

    Parameters
    ----------
    network : ForecastNetwork
        The trained network, in eval mode.
    names : list of str
        The graph inputs, in order (from :func:`input_specs`).
    """

    def __init__(self, network: nn.Module, names: list[str], submission: nn.Module | None = None) -> None:
        super().__init__()
        self.network = network
        self.names = list(names)
        self.submission = submission  # energyai.nn.submission.SubmissionHead: a second output

    def forward(self, *inputs: torch.Tensor) -> Any:
        x = dict(zip(self.names, inputs, strict=True))
        y = x["past_target"]
        observed = torch.isfinite(y)
        x["past_target"] = torch.where(observed, y, torch.zeros_like(y))
        x["past_observed"] = observed.to(y.dtype)
        out = self.network(x)
        if self.submission is None:
            return out
        return out, self.submission(out, x["capacity"])
