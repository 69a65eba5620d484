"""The model registry and the contract every architecture follows.

An architecture is a frozen config dataclass plus a pure ``nn.Module``. The module's
``forward`` takes positional tensors in the *normalised* space produced by
:class:`~energyai.nn.network.ForecastNetwork`:

=============  ==============  ==============================================
argument       shape           meaning
=============  ==============  ==============================================
``y``          (B, L)          scaled target context, 0 where not observed
``observed``   (B, L)          1 where the target was observed
``past``       (B, L, P)       scaled past-observed covariates
``future``     (B, L + H, F)   scaled known-future covariates (and calendar)
``static``     (B, S)          scaled static covariates
=============  ==============  ==============================================

and returns (B, H, Q). Models declare which covariate roles they read in ``supports``;
the facade refuses covariates a model would ignore rather than dropping them silently.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from energyai.config import Param
from energyai.exceptions import ConfigError

__all__ = ["ModelSpec", "Param", "available_models", "get_model", "make_config", "register"]

ROLES = ("past", "future", "static")


@dataclass(frozen=True)
class ModelSpec:
    """A registered architecture.

    Attributes
    ----------
    name : str
    config : type
        Frozen dataclass of the architecture's hyper-parameters (all with defaults).
    build : callable
        ``build(config, context, horizon, n_quantiles, n_past, n_future, n_static) -> nn.Module``.
    supports : frozenset of str
        Covariate roles the architecture reads: a subset of ``{"past", "future", "static"}``.
    summary : str
        One line, with the paper.
    int8 : bool
        Whether dynamic int8 quantisation helps this architecture on CPU (it does for
        MLP, transformer and recurrent layers; it makes convolutional nets slower).
    search_space : dict of str to Param
        The architecture options worth tuning, with their ranges (next to the config,
        so defaults and ranges live in one place).
    kind : {"neural", "trees"}
        ``neural``: ``build`` makes an ``nn.Module`` core trained by gradient descent;
        ``trees``: a gradient-boosted member fitted by :mod:`energyai.training.boosted`
        (``build`` is not used).
    """

    name: str
    config: type
    build: Callable[..., nn.Module]
    supports: frozenset[str]
    summary: str
    int8: bool = True
    search_space: dict[str, Param] = dataclasses.field(default_factory=dict)
    kind: str = "neural"


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add an architecture to the registry (names are lower case and unique)."""
    if spec.name in _REGISTRY:
        raise ConfigError(f"model {spec.name!r} is already registered")
    if not spec.supports <= set(ROLES):
        raise ConfigError(f"supports must be a subset of {ROLES}, got {sorted(spec.supports)}")
    _REGISTRY[spec.name] = spec
    return spec


#: Modules of ``energyai/models/`` that hold no architecture.
NOT_ARCHITECTURES = frozenset({"base", "layers"})


def builtin_modules() -> list[str]:
    """Names of the built-in architecture modules: every module of ``energyai/models/`` except
    :data:`NOT_ARCHITECTURES`, found on disk (adding a model is adding a file that calls
    :func:`register`; no list to edit)."""
    import pkgutil
    from pathlib import Path

    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                  if m.name not in NOT_ARCHITECTURES and not m.name.startswith("_"))


def _load_builtin() -> None:
    import importlib

    for name in builtin_modules():
        importlib.import_module(f"energyai.models.{name}")  # each registers its architecture on import


def available_models(kind: str | None = None) -> list[str]:
    """Names of every registered architecture, sorted; ``kind="neural"`` or ``"trees"`` selects."""
    _load_builtin()
    return sorted(n for n, s in _REGISTRY.items() if kind is None or s.kind == kind)


def get_model(name: str) -> ModelSpec:
    """Look up an architecture; unknown names raise :class:`ConfigError` listing the known ones."""
    _load_builtin()
    key = str(name).lower()
    if key not in _REGISTRY:
        raise ConfigError(f"unknown model {name!r}; available models: {sorted(_REGISTRY)}")
    return _REGISTRY[key]


def make_config(name: str, **values: Any) -> Any:
    """Build the config dataclass of ``name``; unknown or ill-typed keys raise :class:`ConfigError`."""
    spec = get_model(name)
    fields = {f.name: f for f in dataclasses.fields(spec.config)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"model {name!r} has no option(s) {unknown}; its options are {sorted(fields)}")
    clean = {}
    for key, value in values.items():
        default = fields[key].default
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        if isinstance(default, bool) != isinstance(value, bool) or (
            isinstance(default, (int, float)) and not isinstance(default, bool)
            and not isinstance(value, (int, float))
        ):
            raise ConfigError(f"model {name!r} option {key!r} must be like {default!r}, got {value!r}")
        if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float):
            if not value.is_integer():
                raise ConfigError(f"model {name!r} option {key!r} must be an integer, got {value!r}")
            value = int(value)
        clean[key] = value
    cfg = spec.config(**clean)
    check = getattr(cfg, "check", None)
    if check is not None:
        check()
    return cfg


def positive(cfg: Any, *names: str) -> None:
    """Raise :class:`ConfigError` unless every named field of ``cfg`` is finite and > 0 (NaN and
    inf would pass a bare ``v <= 0`` test)."""
    for n in names:
        v = getattr(cfg, n)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise ConfigError(f"{type(cfg).__name__}.{n} must be finite and > 0, got {v!r}")


def probability(cfg: Any, *names: str) -> None:
    """Raise :class:`ConfigError` unless every named field lies in [0, 1)."""
    for n in names:
        v = getattr(cfg, n)
        if not isinstance(v, (int, float)) or not 0 <= v < 1:
            raise ConfigError(f"{type(cfg).__name__}.{n} must lie in [0, 1), got {v!r}")
