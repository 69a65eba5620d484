"""Training: window batches, the generic LightningModule, DataModule and callbacks."""

from energyai._optional import import_optional

import_optional("lightning", "training")

from energyai.training.data import WindowBatches, make_batch  # noqa: E402
from energyai.training.module import BestWeights, EpochSetter, ForecastModule, WindowDataModule  # noqa: E402

__all__ = ["BestWeights", "EpochSetter", "ForecastModule", "WindowBatches", "WindowDataModule", "make_batch"]
