"""Evaluation: rolling-origin backtests and their reports (the KPX settlement, filed under
:mod:`energyai.market`, is re-exported here as before)."""

from energyai.evaluation.backtest import BacktestResult, backtest
from energyai.evaluation.dayahead import DayAheadProtocol
from energyai.evaluation.scoring import score_frame, skill_table
from energyai.market.kpx import KPXRules, KPXSettlement, kpx_settlement

__all__ = ["BacktestResult", "DayAheadProtocol", "KPXRules", "KPXSettlement", "backtest", "kpx_settlement",
           "score_frame", "skill_table"]
