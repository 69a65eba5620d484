"""Torch building blocks shared by every architecture: scaling, losses, calendar
features and the full :class:`ForecastNetwork` graph."""

from energyai._optional import import_optional

import_optional("torch", "neural models")

from energyai.nn.calendar import CalendarFeatures  # noqa: E402
from energyai.nn.losses import LOSSES, masked_loss  # noqa: E402
from energyai.nn.network import ForecastNetwork  # noqa: E402
from energyai.nn.scaling import FeatureScaler, InstanceScaler  # noqa: E402

__all__ = ["LOSSES", "CalendarFeatures", "FeatureScaler", "ForecastNetwork", "InstanceScaler", "masked_loss"]
