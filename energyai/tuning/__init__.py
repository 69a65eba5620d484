"""Hyper-parameter search with optuna (``tune`` extra): ``energyai tune`` and :func:`tune`."""

from energyai.tuning.study import PRESETS, TRAINER_SPACE, TuneResult, search_space, tune

__all__ = ["PRESETS", "TRAINER_SPACE", "TuneResult", "search_space", "tune"]
