"""Evaluation: rolling-origin backtests and their reports."""

from energyai.evaluation.backtest import BacktestResult, backtest
from energyai.evaluation.dayahead import DayAheadProtocol
from energyai.evaluation.kpx import KPXRules, KPXSettlement, kpx_settlement
from energyai.evaluation.scoring import score_frame, skill_table

__all__ = ["BacktestResult", "DayAheadProtocol", "KPXRules", "KPXSettlement", "backtest", "kpx_settlement", "score_frame", "skill_table"]
