"""What the training scripts of released base models share (``models/*/train.py``).

A release script reads its recipe, builds its corpus and its :class:`~energyai.Forecaster`,
and hands them to :func:`train_release`, which fits on whatever hardware is there (CPU,
one GPU in bf16, several with DDP, several nodes), lets global rank 0 alone write the
weights, and records the hardware and time that produced them (``training_record.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["hardware", "release_parser", "train_release"]


def hardware() -> dict[str, Any]:
    """CPU model and core count, torch threads, GPU names and versions of this machine."""
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


def release_parser(doc: str | None, folder: Path) -> argparse.ArgumentParser:
    """The command line every release script takes; ``folder`` holds its recipe and weights."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=os.environ.get("ENERGYAI_DATA", str(folder.parents[1].parent / "shared" /
                                                                          "datasets")))
    ap.add_argument("--out", default=str(folder / "weights"))
    ap.add_argument("--record", default=str(folder / "training_record.json"))
    ap.add_argument("--max-steps", type=int, default=None, help="override the recipe's step budget")
    ap.add_argument("--set", action="append", default=[], metavar="OPTION=YAML",
                    help="override a trainer option of the recipe (experiments), e.g. --set learning_rate=3e-4")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    ap.add_argument("--accelerator", default="auto")
    ap.add_argument("--devices", default="auto")
    ap.add_argument("--strategy", default="auto")
    ap.add_argument("--num-nodes", type=int, default=1)
    return ap


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    from energyai.yamlio import load_yaml

    out: dict[str, Any] = {"accelerator": args.accelerator, "devices": args.devices, "strategy": args.strategy,
                           "num_nodes": args.num_nodes, "progress_bar": False}
    if args.max_steps:
        out["max_steps"] = args.max_steps
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            from energyai.exceptions import ConfigError

            raise ConfigError(f"--set takes OPTION=VALUE (a trainer option of the recipe), got {item!r}")
        out[key] = load_yaml(value, f"--set {key}")
    return out


def train_release(args: argparse.Namespace, script: str, corpus: Callable[[], Any],
                  model: Callable[[Any, dict[str, Any]], Any], manifest: dict[str, Any]) -> dict[str, Any] | None:
    """Fit, save and record one base model.

    Parameters
    ----------
    args : argparse.Namespace
        From :func:`release_parser`.
    script : str
        The script's path as a user types it (for the record's command).
    corpus : callable
        Returns the training corpus: ``.frame``, ``.schema`` and ``.series`` (names).
    model : callable
        ``model(corpus, trainer_overrides)`` returns the unfitted Forecaster.
    manifest : dict
        Entries added to the saved manifest (``training_series`` is added here).

    Returns
    -------
    dict or None
        The training record; None on the DDP ranks that do not write.
    """
    import torch

    import energyai as ea

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    data = corpus()
    forecaster = model(data, _overrides(args))
    read_s = time.perf_counter() - t0
    forecaster.fit(data.frame, data.schema)
    fit_s = time.perf_counter() - t0 - read_s
    from lightning.pytorch.utilities import rank_zero_only

    if getattr(rank_zero_only, "rank", 0) != 0:  # DDP: every process holds the same weights; one writes them
        return None
    forecaster.manifest_["training_series"] = sorted(data.series)  # evaluations refuse to score these
    forecaster.manifest_.update(manifest)
    forecaster.save(args.out)
    h = forecaster.history_
    record = {
        "command": " ".join(["python", script, *(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()
            if k not in ("data_dir", "out", "record") and v not in (None, "auto", 1, []))]),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "hardware": hardware(), "energyai": ea.__version__,
        "series": sorted(data.series), "rows": data.frame.height,
        "read_seconds": round(read_s, 1), "fit_seconds": round(fit_s, 1),
        "steps": h.get("steps"), "world_size": h.get("world_size"), "train_windows": h.get("train_windows"),
        "stopped_by": h.get("stopped_by"), "best_val_loss": h.get("best_val_loss"), "best_step": h.get("best_step"),
        "weights_bytes": sum(p.stat().st_size for p in Path(args.out).iterdir()),
    }
    Path(args.record).write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(json.dumps({k: record[k] for k in ("fit_seconds", "steps", "train_windows", "stopped_by",
                                             "best_val_loss", "weights_bytes")}, default=str))
    return record
