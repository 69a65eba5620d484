"""Baselines with the same fit/predict contract as every energyai model."""

from energyai.baselines.mlr import VanillaMLR
from energyai.baselines.naive import Climatology, Persistence, PersistenceEnsemble, SeasonalNaive
from energyai.baselines.solar import SmartPersistence
from energyai.baselines.statistical import ETS, SARIMAX

__all__ = [
    "ETS",
    "SARIMAX",
    "Climatology",
    "Persistence",
    "PersistenceEnsemble",
    "SeasonalNaive",
    "SmartPersistence",
    "VanillaMLR",
]
