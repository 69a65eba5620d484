"""Electricity markets, numpy only: KPX's forecast-incentive rules and settlement, the bid
that maximises the expected incentive, and portfolio quantiles of several plants.

Nothing here imports polars, torch or onnxruntime, so the torch submission head, the
exporter and a device can use it alone (``tests/test_market.py``).
"""

from energyai.market.kpx import KPXSettlement, kpx_settlement
from energyai.market.kpx_rules import TO_KW, KPXRules
from energyai.market.portfolio import portfolio_quantiles
from energyai.market.submission import Submission, best_submission, expected_incentive

__all__ = ["TO_KW", "KPXRules", "KPXSettlement", "Submission", "best_submission", "expected_incentive",
           "kpx_settlement", "portfolio_quantiles"]
