"""Registry of real energy datasets, with loaders that check sha256 and validate.

Two small datasets ship inside the package (``taylor_uk_demand_2000`` for load and
``pvfleets_system50_2012`` for solar with weather). The others are read from a folder
with one sub-folder per dataset, named as in the registry: ``data_dir`` when given, else
the ``ENERGYAI_DATA`` environment variable, else ``../shared/datasets`` from the current
directory when that exists (the layout of a checkout beside the shared data;
:func:`default_data_dir`).

>>> from energyai import datasets
>>> ds = datasets.load("taylor_uk_demand_2000")
>>> ds.frame.height, ds.schema.freq
(4032, '30m')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from energyai.datasets.registry import REGISTRY, DatasetInfo
from energyai.exceptions import ChecksumError, ConfigError, DatasetError, EnergyAIError
from energyai.fileio import sha256_file
from energyai.schema import Schema

__all__ = ["DATA_ENV", "Dataset", "DatasetInfo", "data_root", "default_data_dir", "info", "list_datasets", "load",
           "sha256_file"]

#: Environment variable naming the folder with the external datasets.
DATA_ENV = "ENERGYAI_DATA"
_SHIPPED = Path(__file__).parent / "files"


@dataclass
class Dataset:
    """A loaded dataset: a validated polars frame, its schema and its card."""

    frame: Any
    schema: Schema
    info: DatasetInfo


def list_datasets(domain: str | None = None) -> list[DatasetInfo]:
    """Every registered dataset (optionally of one domain), sorted by name."""
    items = sorted(REGISTRY.values(), key=lambda d: d.name)
    return [d for d in items if domain is None or d.domain == domain]


def info(name: str) -> DatasetInfo:
    """The card of dataset ``name``."""
    if name not in REGISTRY:
        raise DatasetError(f"unknown dataset {name!r}; known: {sorted(REGISTRY)}")
    return REGISTRY[name]


def default_data_dir() -> Path | None:
    """The folder of the external datasets when none is given: ``$ENERGYAI_DATA``, else
    ``../shared/datasets`` from the current directory if it exists, else None."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    guess = Path.cwd().parent / "shared" / "datasets"
    return guess if guess.is_dir() else None


def data_root(name: str, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Folder holding the files of dataset ``name``.

    Shipped datasets live in the package. Others are ``<data_dir>/<name>``, where
    ``data_dir`` defaults to :func:`default_data_dir`.
    """
    card = info(name)
    if card.shipped:
        return _SHIPPED
    base = data_dir if data_dir is not None else default_data_dir()
    if not base:
        raise DatasetError(
            f"dataset {name!r} is not shipped with energyai; pass data_dir= or set {DATA_ENV} to "
            f"the folder that contains {name}/ (default: ../shared/datasets from the current directory, not found "
            f"from {Path.cwd()})"
        )
    root = Path(base) / name
    if not root.is_dir():
        raise DatasetError(f"folder {root} not found; {DATA_ENV} or data_dir must contain {name}/")
    return root


def verify(name: str, data_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Check every file of a dataset against its registered sha256.

    Raises
    ------
    DatasetError
        A file is missing.
    ChecksumError
        A file's content differs from the registered one.
    """
    root = data_root(name, data_dir)
    out = {}
    for fname, expected in info(name).files.items():
        path = root / fname
        if not path.is_file():
            raise DatasetError(f"{name}: file {path} is missing")
        got = sha256_file(path)
        if expected and got != expected:
            raise ChecksumError(
                f"{name}: {path} has sha256 {got}, expected {expected}; the file is corrupt or a "
                "different version. Download it again from the source in the dataset card"
            )
        out[fname] = got
    return out


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else ""


def load(name: str, data_dir: str | os.PathLike[str] | None = None, *, check: bool = True, **options: Any) -> Dataset:
    """Load a dataset as a validated long-format frame.

    Parameters
    ----------
    name : str
        Registry name (see :func:`list_datasets` or ``energyai datasets list``).
    data_dir : path, optional
        Folder containing ``<name>/``; defaults to ``$ENERGYAI_DATA``. Not needed for the
        shipped datasets.
    check : bool
        Verify the sha256 of every file first.
    **options
        Dataset-specific options, for example ``table="final"`` (bigdeal2022_load),
        ``freq="1h"`` (pvfleets) or ``mask_anomalies=True`` (kr_cnu_gwangju_buildings).
    """
    from energyai.data.validate import resolve
    from energyai.datasets.loaders import LOADERS

    card = info(name)
    root = data_root(name, data_dir)
    if check:
        verify(name, data_dir)
    try:
        frame, schema = LOADERS[name](root, name, **options)
    except EnergyAIError:
        raise
    except TypeError as exc:
        raise ConfigError(f"{name}: {exc}; see the dataset card (energyai datasets info {name}) for its options") \
            from exc
    except Exception as exc:  # polars, gzip, csv and OS errors of a damaged or unexpected file
        raise DatasetError(
            f"{name}: cannot read the files in {root} ({type(exc).__name__}: {_first_line(exc)}); they may be "
            f"damaged or another version: check them with energyai.datasets.verify({name!r})"
        ) from exc
    frame, schema = resolve(frame, schema)
    return Dataset(frame=frame, schema=schema, info=card)
