"""Worker for the DDP test: run under ``torch.distributed.run`` with 2 CPU processes (gloo)."""

from __future__ import annotations

import json
import os
import sys

import torch

import energyai as ea
from energyai.forecaster import Forecaster
from tests.conftest import synthetic_hourly


def main(out: str) -> None:
    torch.set_num_threads(1)
    df = synthetic_hourly(14, 3, seed=5)
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"], freq="1h")
    f = Forecaster("nhits", context_length=24, horizon=6, max_steps=8, batch_size=16, batches_per_epoch=4,
                   max_val_windows=64, hidden=16, accelerator="cpu", devices=2, strategy="ddp", seed=1)
    f.fit(df, schema)
    rank = int(os.environ["RANK"])
    flat = torch.cat([p.detach().flatten() for p in f.network_.parameters()])
    with open(os.path.join(out, f"rank{rank}.json"), "w") as fh:
        json.dump({"rank": rank, "world_size": f.history_["world_size"], "steps": f.history_["steps"],
                   "weights": flat[:50].tolist(), "sum": float(flat.double().sum())}, fh)
    # Tear the gloo process group down before exit: left to interpreter shutdown, its
    # threads can abort the process ("terminate called without an active exception").
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
