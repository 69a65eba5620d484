"""energyai: forecasting electric load and renewable generation.

The core (``Schema``, metrics, exceptions) needs numpy only. Names that need an extra
are imported on first use, so ``import energyai`` stays light:

>>> import energyai as ea
>>> ea.Schema(timestamp="ts", target="load", freq="1h", tz="Asia/Seoul").tz
'Asia/Seoul'
"""

from __future__ import annotations

import importlib
from typing import Any

from energyai import exceptions, metrics
from energyai.exceptions import EnergyAIError
from energyai.frequency import Frequency, parse_freq
from energyai.schema import Schema

__version__ = "0.1.0"

# name -> module that defines it; imported lazily because they need optional extras
_LAZY = {
    "BacktestResult": "energyai.evaluation",
    "Climatology": "energyai.baselines",
    "DayAheadProtocol": "energyai.evaluation",
    "ETS": "energyai.baselines",
    "Forecaster": "energyai.forecaster",
    "Persistence": "energyai.baselines",
    "PersistenceEnsemble": "energyai.baselines",
    "SARIMAX": "energyai.baselines",
    "SeasonalNaive": "energyai.baselines",
    "VanillaMLR": "energyai.baselines",
    "backtest": "energyai.evaluation",
    "kpx_settlement": "energyai.evaluation",
    "physics": "energyai.physics",
    "presets": "energyai.presets",
    "tune": "energyai.tuning",
    "check": "energyai.data",
    "datasets": "energyai.datasets",
    "models": "energyai.models",
    "read_csv": "energyai.data",
    "read_parquet": "energyai.data",
    "regularize": "energyai.data",
    "validate": "energyai.data",
}

__all__ = [
    "ETS",
    "SARIMAX",
    "BacktestResult",
    "Climatology",
    "DayAheadProtocol",
    "EnergyAIError",
    "Forecaster",
    "Frequency",
    "Persistence",
    "PersistenceEnsemble",
    "Schema",
    "SeasonalNaive",
    "VanillaMLR",
    "__version__",
    "backtest",
    "check",
    "datasets",
    "exceptions",
    "kpx_settlement",
    "metrics",
    "models",
    "parse_freq",
    "physics",
    "presets",
    "read_csv",
    "read_parquet",
    "regularize",
    "tune",
    "validate",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'energyai' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if name in ("datasets", "models", "physics", "presets") else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
