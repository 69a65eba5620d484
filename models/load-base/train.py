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

import datetime as dt
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


def main() -> None:
    from energyai.training.release import release_parser, train_release

    args = release_parser(__doc__, HERE).parse_args()
    recipe = read_recipe()
    # forecasts are refused until localize() names the site's zone (a floating local clock)
    train_release(args, "models/load-base/train.py", lambda: training_corpus(recipe, args.data_dir),
                  lambda c, overrides: forecaster(recipe, c.countries, **overrides), {"clock": "floating"})


if __name__ == "__main__":
    main()
