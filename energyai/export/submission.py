"""The optional KPX submission output of an exported file: its head and its parity check."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from energyai.exceptions import ConfigError, ExportError

__all__ = ["submission_head", "submission_parity"]

#: The largest relative shortfall in expected incentive of onnxruntime's choice against
#: torch's, on the same quantiles. Near-ties between grid candidates may go either way in
#: float32; a choice that earns less than this is a real difference.
MAX_SHORTFALL = 1e-4


def submission_head(forecaster: Any, names: list[str], rules: Any) -> tuple[Any, dict[str, Any] | None]:
    """The :class:`~energyai.nn.submission.SubmissionHead` for ``rules`` (or None) and the
    metadata entry that describes it."""
    if rules is None:
        return None, None
    from energyai.market.kpx import KPXRules
    from energyai.nn.submission import SubmissionHead

    if not isinstance(rules, KPXRules):
        raise ConfigError(f"submission= takes energyai.market.kpx.KPXRules, got {type(rules).__name__}")
    if "capacity" not in names:
        raise ConfigError("a KPX submission is chosen against the plant's capacity, and this model has none; fit it "
                          "with Schema(capacity=...)")
    levels = tuple(forecaster.levels_)
    if len(levels) < 2 or not any(abs(q - 0.5) < 1e-9 for q in levels):
        raise ConfigError(f"a KPX submission needs quantiles around a median (0.5 and at least one other level), "
                          f"got {list(levels)}")
    head = SubmissionHead(levels, rules.tiers, rules.min_output_share).eval()
    rule = {"tiers": [list(t) for t in rules.tiers], "min_output_share": rules.min_output_share,
            "grid": len(head.steps), "n_samples": len(head.weights.T)}
    return head, rule


def submission_parity(head: Any, session: Any, windows: dict[str, np.ndarray], names: list[str]) -> dict[str, float]:
    """onnxruntime's submissions against the torch head's on onnxruntime's own quantiles.

    Scored by expected incentive, not by value: two candidates that earn the same within
    float32 noise are both right.

    Raises
    ------
    ExportError
        A choice earning more than ``MAX_SHORTFALL`` less than torch's.
    """
    from energyai.market.submission import expected_incentive, predictive_samples

    feeds = {k: windows[k] for k in names}
    quant, chosen = session.run(None, feeds)
    with torch.inference_mode():
        ref = head(torch.from_numpy(quant), torch.from_numpy(feeds["capacity"])).numpy()
    q = quant.reshape(-1, quant.shape[-1]).astype(np.float64)
    cap = feeds["capacity"].reshape(-1).astype(np.float64)
    levels = np.asarray(head.levels, np.float64)
    samples = predictive_samples(np.sort(q, axis=1), levels, 200, 0.0, cap)
    from energyai.market.kpx import KPXRules

    rules = KPXRules(tiers=head.tiers, min_output_share=head.min_output_share)
    cand = np.stack([chosen.reshape(-1), ref.reshape(-1)], axis=1).astype(np.float64)
    pay = expected_incentive(cand, samples, cap, rules, "kW")
    shortfall = (pay[:, 1] - pay[:, 0]) / np.maximum(np.abs(pay[:, 1]), 1e-12)
    worst = float(shortfall.max())
    if worst > MAX_SHORTFALL:
        raise ExportError(f"parity gate, submission: onnxruntime's choice earns {worst:.2e} less than torch's in "
                          "expected incentive on a gate window; the file was not written")
    return {"same_value_share": float(np.mean(np.isclose(cand[:, 0], cand[:, 1], rtol=1e-5, atol=1e-6))),
            "max_relative_shortfall": worst}

