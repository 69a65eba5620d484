"""The fuzz harness with a small budget (``benchmarks/fuzz.py --cases 50000`` runs the large one)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

from tests.fuzz.harness import TARGETS, run


@pytest.mark.slow
def test_every_generated_case_ends_in_a_finite_forecast_or_a_typed_error(tmp_path):
    tallies = run(cases=70 * len(TARGETS), seed=1, workdir=tmp_path, weights={})  # 70 cases each
    failures = {t: tally.failures for t, tally in tallies.items() if tally.failures}
    assert not failures, failures
    for target, tally in tallies.items():
        assert tally.counts["untyped"] == 0 and tally.counts["nonfinite"] == 0, target
        # the generator reaches both outcomes on every target (a harness that only ever
        # produced errors, or never produced one, would prove little)
        assert tally.counts["typed"] > 0, (target, tally.counts)
        if target not in ("onnx_load",):
            assert tally.counts["ok"] > 0, (target, tally.counts)
