"""Figures the command line writes beside its results (matplotlib, the ``plot`` extra);
each is skipped with a note, never an error, when matplotlib is missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["loss_curve"]


def loss_curve(history: dict[str, Any], path: Path, title: str) -> Path | None:
    """Training loss per epoch and validation loss per validation against the step, with the
    best step marked; None (and a printed note) without matplotlib."""
    from energyai.exceptions import MissingDependencyError

    try:
        from energyai._optional import import_optional

        figure = import_optional("matplotlib.figure", "the loss curve (pip install 'energyai[plot]')")
    except MissingDependencyError as exc:
        print(f"{path.name} not written: {exc}")
        return None
    fig = figure.Figure(figsize=(7, 4))
    ax = fig.subplots()
    train = history.get("train_curve") or []
    val = history.get("val_curve") or []
    if train:
        ax.plot([p[0] for p in train], [p[1] for p in train], label="training loss (epoch mean)")
    if val:
        ax.plot([p[0] for p in val], [p[1] for p in val], "o-", ms=3, label="validation loss")
    best = history.get("best_step")
    if best is not None and val:
        ax.axvline(best, color="grey", ls="--", lw=0.8, label=f"best, step {best} (weights kept)")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("loss (instance-normalised scale)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path
