"""Import optional dependencies with an error that says which extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from energyai.exceptions import MissingDependencyError

#: Which extra provides each optional top-level module.
EXTRA_OF: dict[str, str] = {
    "polars": "data",
    "statsmodels": "baselines",
    "scipy": "baselines",
    "matplotlib": "plot",
    "onnxruntime": "runtime",
    "torch": "train",
    "lightning": "train",
    "onnx": "train",
    "optuna": "tune",
    "holidays": "calendar",
    "pandas": "all",
    "pyarrow": "all",
    "cryptography": "sign",
}


def import_optional(name: str, purpose: str | None = None) -> ModuleType:
    """Import ``name`` or raise :class:`MissingDependencyError` with the install command.

    Parameters
    ----------
    name : str
        Module to import, for example ``"polars"`` or ``"statsmodels.api"``.
    purpose : str, optional
        What the module is needed for, quoted in the message.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        extra = EXTRA_OF.get(top, "all")
        why = f" for {purpose}" if purpose else ""
        raise MissingDependencyError(
            f"energyai needs the optional package {top!r}{why}, which is not installed. "
            f'Install it with: pip install "energyai[{extra}]"'
        ) from exc
