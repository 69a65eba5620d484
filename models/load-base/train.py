"""Train ``load-base``: one day-ahead load model across utility zones and grids.

Reads ``recipe.yaml`` beside this file, builds the corpus (:mod:`energyai.datasets.corpus`:
local wall-clock time, temperature in °C and optional), drops the held-out series, fits,
saves the weights folder and writes ``training_record.json`` (hardware, time, steps).

The same command uses whatever is there: CPU, one GPU (bf16 mixed precision) or several
(``--devices 4 --strategy ddp``), or several nodes (``--num-nodes 2`` under a launcher
that sets Lightning's cluster environment); no code changes. Under DDP every process ends
with the same weights and global rank 0 writes them. Checked on CPU with
``torchrun --standalone --nproc_per_node 2 models/load-base/train.py --max-steps 6
--accelerator cpu --devices 2 --strategy ddp`` (gloo).

Run (from the repository root, the shared datasets beside it)::

    python models/load-base/train.py --data-dir ../shared/datasets
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def read_recipe(path: Path = HERE / "recipe.yaml") -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())


def training_corpus(recipe: dict[str, Any], data_dir: Any) -> Any:
    """The corpus of the recipe without its held-out series, GEFCom2012 cut at its test year."""
    import polars as pl

    from energyai.datasets.corpus import load_corpus

    c = recipe["corpus"]
    corpus = load_corpus(c["sources"], data_dir=data_dir)
    corpus = corpus.select([s for s in corpus.countries if s not in set(c["holdout"])])
    end = dt.datetime.fromisoformat(c["gefcom2012_end"]).replace(tzinfo=dt.timezone.utc)
    corpus.frame = corpus.frame.filter(~pl.col("series").str.starts_with("gefcom2012_") | (pl.col("timestamp") < end))
    return corpus


def forecaster(recipe: dict[str, Any], countries: dict[str, str] | None, **overrides: Any) -> Any:
    """The recipe's :class:`~energyai.Forecaster` (``overrides`` replace trainer options);
    ``countries``: the holiday country of each training series (None: the model's table)."""
    from energyai.forecaster import Forecaster

    m, t = recipe["model"], {**recipe["trainer"], **overrides}
    t["optional_covariates"] = tuple(t.get("optional_covariates") or ())
    return Forecaster(m["name"], context_length=m["context_length"], horizon=m["horizon"],
                      quantiles=tuple(m["quantiles"]), series_holidays=countries, **m.get("config", {}), **t)


def hardware() -> dict[str, Any]:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return {"cpu": cpu, "cpu_cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "gpus": gpus,
            "torch": torch.__version__, "python": platform.python_version(), "platform": platform.platform()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("ENERGYAI_DATA", str(HERE.parents[1].parent / "shared" /
                                                                          "datasets")))
    ap.add_argument("--out", default=str(HERE / "weights"))
    ap.add_argument("--record", default=str(HERE / "training_record.json"))
    ap.add_argument("--max-steps", type=int, default=None, help="override the recipe's step budget")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--accelerator", default="auto")
    ap.add_argument("--devices", default="auto")
    ap.add_argument("--strategy", default="auto")
    ap.add_argument("--num-nodes", type=int, default=1)
    args = ap.parse_args()

    import torch

    import energyai as ea

    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = read_recipe()
    t0 = time.perf_counter()
    corpus = training_corpus(recipe, args.data_dir)
    overrides: dict[str, Any] = {"accelerator": args.accelerator, "devices": args.devices,
                                 "strategy": args.strategy, "num_nodes": args.num_nodes, "progress_bar": False}
    if args.max_steps:
        overrides["max_steps"] = args.max_steps
    model = forecaster(recipe, corpus.countries, **overrides)
    read_s = time.perf_counter() - t0
    model.fit(corpus.frame, corpus.schema)
    fit_s = time.perf_counter() - t0 - read_s
    from lightning.pytorch.utilities import rank_zero_only

    if rank_zero_only.rank != 0:  # DDP: every process holds the same weights; one writes them
        return
    model.manifest_["training_series"] = sorted(corpus.countries)  # evaluations refuse to score these
    model.manifest_["clock"] = "floating"  # forecasts are refused until localize() names the site's zone
    model.save(args.out)
    size = sum(p.stat().st_size for p in Path(args.out).iterdir())
    record = {
        "command": "python models/load-base/train.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
            if k not in ("data_dir", "out", "record") and v not in (None, "auto", 1)),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware(), "energyai": ea.__version__,
        "series": sorted(corpus.countries), "rows": corpus.frame.height,
        "read_seconds": round(read_s, 1), "fit_seconds": round(fit_s, 1),
        "steps": model.history_.get("steps"), "world_size": model.history_.get("world_size"),
        "train_windows": model.history_.get("train_windows"),
        "stopped_by": model.history_.get("stopped_by"), "best_val_loss": model.history_.get("best_val_loss"),
        "weights_bytes": size,
    }
    Path(args.record).write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(json.dumps({k: record[k] for k in ("fit_seconds", "steps", "train_windows", "stopped_by",
                                             "best_val_loss", "weights_bytes")}, default=str))


if __name__ == "__main__":
    main()
