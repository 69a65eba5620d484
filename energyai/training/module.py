"""The one LightningModule every architecture trains with, its DataModule and callbacks."""

from __future__ import annotations

import copy
import math
from typing import Any

import lightning as L
import torch

from energyai.contract import Batch
from energyai.nn.losses import masked_loss
from energyai.nn.network import ForecastNetwork
from energyai.training.data import WindowBatches

__all__ = ["BestWeights", "EpochSetter", "ForecastModule", "LineProgress", "WindowDataModule"]


class ForecastModule(L.LightningModule):
    """Trains a :class:`ForecastNetwork` with a masked loss on the instance-normalised scale.

    Parameters
    ----------
    network : ForecastNetwork
    loss : {"pinball", "mse", "mae"}
    learning_rate : float
        Peak learning rate of AdamW.
    weight_decay : float
    warmup_fraction : float
        Share of the total steps spent in linear warm-up before the cosine decay.
    schedule : {"cosine", "constant"}
    """

    def __init__(
        self,
        network: ForecastNetwork,
        loss: str = "pinball",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        warmup_fraction: float = 0.05,
        schedule: str = "cosine",
    ) -> None:
        super().__init__()
        self.network = network
        self.loss_kind = loss
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_fraction = warmup_fraction
        self.schedule = schedule

    def _loss(self, batch: Batch) -> torch.Tensor:
        batch = Batch(*batch)  # the DataLoader may hand over a plain tuple
        pred, target = self.network.normalized(batch.inputs(), future_target=batch.future_target)
        fo = batch.future_observed
        up = self.network.sun_up(batch.inputs(), fo.shape[1])
        if up is not None:  # night steps are forced to 0: keep them out of the loss
            fo = fo * up.to(fo.dtype)
        return masked_loss(pred.float(), target.float(), fo, self.network.quantiles, self.loss_kind, batch.weight)

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        loss = self._loss(batch)
        if not bool(torch.isfinite(loss.detach())):
            from energyai.exceptions import TrainingError

            raise TrainingError(
                f"the training loss became {float(loss.detach())} at step {self.global_step} (batch {batch_idx} of "
                f"epoch {self.current_epoch}); the weights would be NaN. Lower lr, check the data's units "
                "(energyai.validate reports values beyond its limits), or set gradient_clip"
            )
        # Lightning's self.log costs about 2 ms per call on CPU; sum here and log once per epoch
        n = getattr(self, "_loss_n", 0)  # batch_idx does not restart at 0 in a resumed epoch
        self._loss_sum: torch.Tensor = self._loss_sum + loss.detach() if n else loss.detach().clone()
        self._loss_n = n + 1
        return loss

    def on_train_epoch_end(self) -> None:
        if getattr(self, "_loss_n", 0):
            mean = self._loss_sum / self._loss_n
            self.log("train_loss", mean, prog_bar=True, sync_dist=True)
            # (step, mean training loss of the epoch) for the loss curve: one float per epoch
            self.train_curve = [*getattr(self, "train_curve", []), (int(self.global_step), float(mean))]
            self._loss_n = 0

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        loss = self._loss(batch)
        self.log("val_loss", loss, prog_bar=True, sync_dist=True, batch_size=batch[0].shape[0])

    def configure_optimizers(self) -> Any:
        params = [p for p in self.parameters() if p.requires_grad]
        # one fused kernel for all parameters on CPU and CUDA (same update as the loop version)
        fused = all(p.device.type in ("cpu", "cuda") for p in params)
        opt = torch.optim.AdamW(params, lr=self.learning_rate, weight_decay=self.weight_decay, fused=fused)
        if self.schedule == "constant":
            return opt
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        warm = max(int(self.warmup_fraction * total), 1)

        def factor(step: int) -> float:
            if step < warm:
                return (step + 1) / warm
            progress = min((step - warm) / max(total - warm, 1), 1.0)
            return 0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress))

        sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


class WindowDataModule(L.LightningDataModule):
    """Train and validation window batches over one panel."""

    def __init__(self, train: WindowBatches, val: WindowBatches | None, num_workers: int = 0) -> None:
        super().__init__()
        self.train, self.val, self.num_workers = train, val, num_workers

    def train_dataloader(self) -> Any:
        return self.train.loader(self.num_workers)

    def val_dataloader(self) -> Any:
        return self.val.loader(self.num_workers) if self.val is not None else []


class EpochSetter(L.Callback):
    """Tells the training batches the epoch and DDP rank, so each draws fresh windows."""

    def __init__(self, batches: WindowBatches) -> None:
        self.batches = batches

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.batches.epoch = trainer.current_epoch
        self.batches.rank = trainer.global_rank
        if trainer.current_epoch != self.batches.resume_epoch:
            self.batches.skip = 0


class BestWeights(L.Callback):
    """Keeps the weights of the best validation loss in memory and restores them at the end."""

    def __init__(self, monitor: str = "val_loss") -> None:
        self.monitor = monitor
        self.best = math.inf
        self.best_step = -1
        self.state: dict[str, torch.Tensor] | None = None
        self.history: list[tuple[int, float]] = []

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_step": self.best_step, "history": [list(h) for h in self.history],
                "state": self.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_step = float(state["best"]), int(state["best_step"])
        self.history = [(int(s), float(v)) for s, v in state["history"]]
        self.state = state["state"]

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            return
        v = float(value)
        self.history.append((trainer.global_step, v))
        if v < self.best:
            self.best, self.best_step = v, trainer.global_step
            self.state = copy.deepcopy({k: t.detach().cpu() for k, t in pl_module.state_dict().items()})

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.state is not None:
            pl_module.load_state_dict(self.state)


class LineProgress(L.Callback):
    """A progress line on standard error at the first step, every ``every`` seconds and at the end:
    step, share of the budget, last training loss, elapsed and remaining seconds (where no bar can
    be drawn: logs, notebooks, CI; :func:`energyai.progress.progress_mode`)."""

    def __init__(self, label: str, max_steps: int | None, every: float | None = None) -> None:
        import time

        from energyai.progress import LINE_SECONDS

        self.label, self.max_steps = label, max_steps
        self.every = LINE_SECONDS if every is None else float(every)
        self.t0 = self.last = time.perf_counter()
        self.started = False

    def _line(self, trainer: Any, force: bool = False) -> None:
        import sys
        import time

        now = time.perf_counter()
        if not force and self.started and now - self.last < self.every:
            return
        self.started, self.last = True, now
        step, elapsed = int(trainer.global_step), now - self.t0
        loss = trainer.callback_metrics.get("train_loss")
        total = self.max_steps
        left = f", about {elapsed / step * (total - step):.0f} s left" if total and 0 < step < total else ""
        share = f"/{total} ({100 * step / total:.0f}%)" if total else ""
        value = f", loss {float(loss):.4g}" if loss is not None else ""
        print(f"{self.label}: step {step}{share}{value}, {elapsed:.0f} s{left}", file=sys.stderr, flush=True)

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        import time

        self.t0 = self.last = time.perf_counter()
        self._line(trainer, force=True)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self._line(trainer)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._line(trainer, force=True)
