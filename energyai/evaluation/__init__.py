"""Evaluation: rolling-origin backtests and their reports."""

from energyai.evaluation.backtest import BacktestResult, backtest
from energyai.evaluation.scoring import score_frame, skill_table

__all__ = ["BacktestResult", "backtest", "score_frame", "skill_table"]
