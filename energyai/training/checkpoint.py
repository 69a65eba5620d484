"""Training checkpoints: a killed ``fit`` continues where it stopped.

:class:`Checkpointer` writes ``last.ckpt`` (Lightning's checkpoint: weights, optimiser and
schedule state, loop counters, callback state) every ``every`` optimiser steps and at the
end of every epoch, atomically (unique temporary name, fsync, rename). It is read back with
``torch.load(weights_only=True)``, which unpickles only tensors and plain containers: a
checkpoint cannot run code. Two things make a resumed run end with the same weights as an
uninterrupted one in deterministic mode:

- the torch random generator (dropout) is re-seeded from ``(seed, step)`` before every
  step, so no state outside the checkpoint decides it;
- the training batches are keyed by ``(seed, rank, epoch, batch)``; a run resumed inside
  an epoch skips the batches that epoch already trained on.

The checkpoint also records the training data's sha256 and the options; resuming with
other data or options is refused. Beside it, ``last.ckpt.sha256`` (JSON) lists the sha256 of
the checkpoint just written and of the one before (written before the checkpoint is renamed
into place, so a kill between the two renames still leaves a listed file); a checkpoint
whose bytes match neither, or that has no digest file, is refused on resume, so a flipped
byte never resumes into weights that are then saved with fresh checksums.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import lightning as L
import torch

from energyai.exceptions import ArtifactError, ConfigError
from energyai.fileio import atomic_write_bytes, fsync_dir, sha256_file, sweep_stale
from energyai.training.data import WindowBatches

__all__ = ["CHECKPOINT", "Checkpointer", "StepSeed", "resolve_resume"]

#: The file name of the latest checkpoint in a checkpoint folder.
CHECKPOINT = "last.ckpt"
#: The digest file beside it: ``{"sha256": [latest, previous]}``.
DIGEST = CHECKPOINT + ".sha256"


def _listed_digests(checkpoint: Path) -> list[str]:
    """The sha256 values listed by the digest file beside ``checkpoint`` (``<name>.sha256``;
    empty when it is missing or unreadable)."""
    try:
        listed = json.loads(checkpoint.with_name(checkpoint.name + ".sha256").read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [d for d in listed if isinstance(d, str)] if isinstance(listed, list) else []


def step_seed(seed: int, step: int) -> int:
    """The torch seed of optimiser step ``step`` of a run seeded ``seed``."""
    return (int(seed) * 1_000_003 + int(step)) % (2**63 - 1)


class StepSeed(L.Callback):
    """Seeds torch's generator from ``(seed, global_step)`` before every training step."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        torch.manual_seed(step_seed(self.seed, trainer.global_step))


class Checkpointer(L.Callback):
    """Writes ``folder/last.ckpt`` every ``every`` steps and at every epoch end.

    Parameters
    ----------
    folder : str or Path
    every : int
        Optimiser steps between checkpoints (epoch ends are always saved).
    batches : WindowBatches
        The training batches (told where to restart inside an epoch).
    fingerprint : dict
        What must match to resume: the data's sha256 and the options.
    """

    def __init__(self, folder: str | Path, every: int, batches: WindowBatches, fingerprint: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.every = int(every)
        self.batches = batches
        self.fingerprint = fingerprint
        self.position = {"epoch": 0, "batch": 0}
        self.written = 0

    @property
    def path(self) -> Path:
        return self.folder / CHECKPOINT

    def state_dict(self) -> dict[str, Any]:
        return {"position": dict(self.position), "fingerprint": dict(self.fingerprint)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        theirs = state.get("fingerprint", {})
        differ = sorted(k for k in set(theirs) | set(self.fingerprint) if theirs.get(k) != self.fingerprint.get(k))
        if differ:
            raise ConfigError(
                f"the checkpoint {self.path} is from a run with other {differ}; resume with the same data and "
                "options, or start a new run without --resume (resume=None)"
            )
        epoch, batch = int(state["position"]["epoch"]), int(state["position"]["batch"])
        if batch >= self.batches.n_batches:  # saved at an epoch end: the next epoch starts afresh
            epoch, batch = epoch + 1, 0
        self.batches.epoch, self.batches.skip = epoch, batch
        self.batches.resume_epoch = epoch

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        done = batch_idx + 1  # Lightning counts a resumed epoch's batches from the checkpoint's position
        if self.every and trainer.global_step % self.every == 0 and done < self.batches.n_batches:
            self._save(trainer, trainer.current_epoch, done)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._save(trainer, trainer.current_epoch, self.batches.n_batches)

    def _save(self, trainer: L.Trainer, epoch: int, batch: int) -> None:
        self.position = {"epoch": int(epoch), "batch": int(batch)}
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.written:
            sweep_stale(self.path)  # temporary files of killed runs
        tmp = self.folder / f".{CHECKPOINT}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"
        trainer.save_checkpoint(tmp)
        if trainer.is_global_zero:
            try:
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                digests = [sha256_file(tmp), *_listed_digests(self.path)[:1]]
                atomic_write_bytes(self.folder / DIGEST, json.dumps({"sha256": digests}).encode())
                os.replace(tmp, self.path)
            finally:
                with contextlib.suppress(OSError):
                    tmp.unlink()
            fsync_dir(self.folder)
        self.written += 1


def resolve_resume(resume: Any, folder: str | Path | None) -> Path | None:
    """The checkpoint file to resume from: ``resume`` may be True (the run's checkpoint folder),
    a checkpoint folder or a ``.ckpt`` file; None or False: no resume."""
    if resume is None or resume is False:
        return None
    if resume is True:
        if folder is None:
            raise ConfigError("resume=True needs checkpoint_dir (the folder the killed run wrote checkpoints to)")
        path = Path(folder) / CHECKPOINT
    else:
        path = Path(resume)
        if path.is_dir():
            path = path / CHECKPOINT
    if not path.is_file():
        raise ConfigError(f"no checkpoint to resume from at {path}; the run wrote none yet (checkpoint_every steps), "
                          "or it was written elsewhere: start without --resume")
    listed = _listed_digests(path)
    if not listed:
        raise ArtifactError(f"the checkpoint {path} has no readable digest file {path.name}.sha256 beside it (energyai "
                            "writes one with every checkpoint; copy both): it cannot be checked, start without --resume")
    if sha256_file(path) not in listed:
        raise ArtifactError(f"the checkpoint {path} does not match its digest in {path.name}.sha256: it was changed "
                            "after it was written; delete it and start without --resume")
    try:  # a damaged file fails here, with a typed error, rather than deep inside Lightning
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, EOFError or UnpicklingError for damaged files
        raise ArtifactError(f"the checkpoint {path} is damaged or not an energyai checkpoint ({type(exc).__name__}); "
                            "delete it and start without --resume") from exc
    if not isinstance(state, dict) or "state_dict" not in state:
        raise ArtifactError(f"{path} is not a training checkpoint; delete it and start without --resume")
    return path
