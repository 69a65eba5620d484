"""What a fit leaves behind beyond the weights: the manifest, the compatibility check of a
fine-tuning base, and the refit of a network on every window after early stopping."""

from __future__ import annotations

import platform
import time
from typing import Any

import numpy as np

from energyai.config import TrainConfig
from energyai.exceptions import ConfigError

__all__ = ["check_compatible", "manifest", "refit_network"]


def refit_network(model: Any, resolved: dict[str, Any], data: Any, calendar: bool, n_inputs: tuple[int, int, int],
                  run: dict[str, Any], callbacks: list[Any] | None = None) -> dict[str, Any]:
    """Train ``model``'s network again from the same initial weights on every window (training and
    validation), for the steps early stopping chose in ``run`` (``TrainConfig.refit``).

    Returns
    -------
    dict
        ``network`` and what was done: ``steps``, ``windows``, ``seconds``.
    """
    import dataclasses

    import lightning as L

    from energyai.training.fit import build_network, train_network

    t: TrainConfig = resolved["train"]
    best = run["best"]
    steps = int(best.best_step) if best.best_step and best.best_step > 0 else int(run["trainer"].global_step)
    everything = dataclasses.replace(data, train_index=data.all_windows(model.context_length, model.horizon),
                                     val_index=None)
    L.seed_everything(int(t.seed), workers=True, verbose=False)
    network, _ = build_network(model, resolved, everything, calendar, n_inputs, None, None)
    again = train_network(model, dataclasses.replace(t, max_steps=max(steps, 1), max_epochs=None), everything,
                          network, callbacks, None)
    return {"network": again["network"], "steps": int(again["trainer"].global_step),
            "windows": len(everything.train_index), "seconds": round(again["seconds"], 3)}


def check_compatible(model: Any, base: Any, levels: tuple[float, ...], calendar: bool,
                     n_inputs: tuple[int, int, int]) -> None:
    """Fine-tuning keeps the shape: refuse a base model that differs, naming every difference."""
    base._check_fitted()
    mine = {"model": str(model.model).lower(), "context_length": model.context_length, "horizon": model.horizon,
            "quantile levels": tuple(levels), "calendar": calendar, "covariates (past, future, static)": n_inputs,
            "holidays": model.holidays is not None,
            "optional covariates": tuple(model.train_config.optional_covariates or ()),
            "clearsky_index": bool(model.train_config.clearsky_index),
            **dict(model.model_config.items())}
    theirs = {"model": str(base.model).lower(), "context_length": base.context_length, "horizon": base.horizon,
              "quantile levels": tuple(base.levels_), "calendar": base.calendar_,
              "covariates (past, future, static)": tuple(base.n_inputs_), "holidays": base.holidays is not None,
              "optional covariates": tuple(base.train_config.optional_covariates or ()),
              "clearsky_index": bool(base.train_config.clearsky_index),
              **{k: base.model_config.get(k) for k in model.model_config}}
    diff = {k: (theirs[k], mine[k]) for k in mine if theirs.get(k) != mine[k]}
    if diff:
        raise ConfigError(
            "cannot fine-tune from a model with a different shape; (base, new): "
            + ", ".join(f"{k}: {a!r} vs {b!r}" for k, (a, b) in diff.items())
        )


def manifest(model: Any, data_sha: str, rows: int) -> dict[str, Any]:
    """What produced the weights: data hash and size, options, versions, training history."""
    import lightning
    import polars as pl
    import torch

    import energyai
    from energyai.persist import jsonable

    return {
        "format": "energyai.forecaster/1",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data_sha256": data_sha,
        "data_rows": rows,
        "seed": model.seed,
        "params": jsonable(model.get_params()),
        "versions": {
            "energyai": energyai.__version__, "torch": torch.__version__, "lightning": lightning.__version__,
            "numpy": np.__version__, "polars": pl.__version__, "python": platform.python_version(),
        },
        "history": jsonable(model.history_),
    }
