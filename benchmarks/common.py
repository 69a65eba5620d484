"""What the benchmark scripts share: where the external datasets are."""

from __future__ import annotations

import argparse
from pathlib import Path

from energyai.datasets import default_data_dir

#: ``../shared/datasets`` beside this checkout, whatever the current directory
BESIDE = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def add_data_dir(ap: argparse.ArgumentParser) -> None:
    """``--data-dir``: default ``$ENERGYAI_DATA``, else ``../shared/datasets`` beside the checkout."""
    ap.add_argument("--data-dir", default=str(default_data_dir() or BESIDE),
                    help="folder with the external datasets (default: $ENERGYAI_DATA, else ../shared/datasets)")
