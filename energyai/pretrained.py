"""Released models by name: the model zoo's weights, found without knowing where they lie.

A released model is a saved :class:`~energyai.Forecaster` folder (``config.json``,
``model.safetensors``, ``checksums.json``...) at ``<zoo>/<name>/weights``, next to the
recipe and the model card. Zoo folders are searched in this order:

1. the folders in ``$ENERGYAI_MODELS`` (separated by ``os.pathsep``);
2. the ``models/`` folder of a source checkout (next to the ``energyai`` package);
3. ``energyai/zoo/`` inside an installed wheel (the released weights, model cards and example
   ``site.yaml`` files are package data), so a plain ``pip install`` finds them.

``energyai finetune --from NAME`` and ``Forecaster.from_pretrained(NAME)`` use it; a path to
a saved folder works wherever a name does.
"""

from __future__ import annotations

import os
from pathlib import Path

from energyai.exceptions import ArtifactError, ConfigError

__all__ = ["MODELS_ENV", "available", "example_config", "resolve", "zoo_folders"]

#: Environment variable naming extra zoo folders.
MODELS_ENV = "ENERGYAI_MODELS"


def zoo_folders() -> list[Path]:
    """The folders searched for released models, in order (existing ones only)."""
    out = [Path(p) for p in os.environ.get(MODELS_ENV, "").split(os.pathsep) if p]
    out.append(Path(__file__).resolve().parents[1] / "models")
    out.append(Path(__file__).resolve().parent / "zoo")
    return [p for p in out if p.is_dir()]


def example_config(name: str) -> Path | None:
    """The released model's example fine-tuning configuration (``site.yaml`` beside its weights), or None."""
    weights = available().get(str(name))
    if weights is None:
        return None
    site = weights.parent / "site.yaml"
    return site if site.is_file() else None


def available() -> dict[str, Path]:
    """Every released model name and its weights folder (the first zoo folder wins)."""
    found: dict[str, Path] = {}
    for zoo in zoo_folders():
        for card in sorted(zoo.iterdir()):
            weights = card / "weights"
            if (weights / "config.json").is_file() and card.name not in found:
                found[card.name] = weights
    return found


def resolve(name_or_path: str | os.PathLike[str]) -> Path:
    """The saved folder of a released model name, or ``name_or_path`` itself when it is a folder.

    A run folder (``RUN/model``) resolves to its model.

    Raises
    ------
    ArtifactError
        Neither a saved folder nor a released name; the message lists the released names.
    ConfigError
        Not a name or path at all (None, a number, an empty string).
    """
    if not isinstance(name_or_path, (str, os.PathLike)) or not str(name_or_path):
        raise ConfigError(f"give a released model name ({sorted(available())}) or a saved folder, got "
                          f"{name_or_path!r}")
    p = Path(name_or_path)
    if (p / "model" / "config.json").is_file():
        return p / "model"
    if (p / "config.json").is_file():
        return p
    zoo = available()
    if str(name_or_path) in zoo:
        return zoo[str(name_or_path)]
    names = sorted(zoo) or ["(none found)"]
    raise ArtifactError(
        f"{name_or_path!s} is neither a saved model folder nor a released model; released models: {names} "
        f"(searched {[str(z) for z in zoo_folders()]}; add folders with ${MODELS_ENV})"
    )
