"""Wind turbine power curves: expected power from wind speed (numpy, and a torch twin).

A power curve maps hub-height wind speed (m/s) to electrical power (W). Between its
points it is linear; below the first point and above the last (cut-out) it gives 0. Use
it to turn NWP wind speed into an expected capacity factor (a strong known-future
feature), or to normalise a farm's output by what the wind should have produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from energyai.exceptions import ConfigError, DatasetError

__all__ = ["PowerCurve"]


@dataclass(frozen=True)
class PowerCurve:
    """Piecewise-linear power curve.

    Parameters
    ----------
    wind_speed : array-like
        Strictly increasing wind speeds in m/s.
    power : array-like
        Power at those speeds in W (non-negative).
    nominal_power : float, optional
        Rated power in W (default: the curve's maximum).
    name : str
    """

    wind_speed: np.ndarray
    power: np.ndarray
    nominal_power: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        ws = np.asarray(self.wind_speed, float)
        p = np.asarray(self.power, float)
        if ws.ndim != 1 or ws.shape != p.shape or len(ws) < 2:
            raise ConfigError("a power curve needs at least two (wind_speed, power) points of equal length")
        if not (np.diff(ws) > 0).all() or not np.isfinite(ws).all():
            raise ConfigError("power curve wind speeds must be finite and strictly increasing")
        if (p < 0).any() or not np.isfinite(p).all():
            raise ConfigError("power curve values must be finite and non-negative")
        object.__setattr__(self, "wind_speed", ws)
        object.__setattr__(self, "power", p)
        if not self.nominal_power:
            object.__setattr__(self, "nominal_power", float(p.max()))

    @classmethod
    def from_oedb(cls, turbine_type: str, data_dir: str | Path | None = None) -> PowerCurve:
        """A curve of the OEDB turbine library (``windpowerlib_curves_weather`` dataset)."""
        import polars as pl

        from energyai.datasets import data_root
        from energyai.datasets.loaders import load_power_curves

        curves = load_power_curves(data_root("windpowerlib_curves_weather", data_dir))
        c = curves.filter(pl.col("turbine_type") == turbine_type)
        if c.height == 0:
            known = curves["turbine_type"].unique().sort().head(5).to_list()
            raise DatasetError(f"turbine type {turbine_type!r} is not in the OEDB curves (e.g. {known})")
        return cls(c["wind_speed"].to_numpy(), c["power"].to_numpy(), name=turbine_type)

    def __call__(self, wind_speed: Any) -> np.ndarray:
        """Power in W at ``wind_speed`` m/s (any shape); 0 outside the curve, NaN stays NaN."""
        v = np.asarray(wind_speed, float)
        p = np.interp(v, self.wind_speed, self.power, left=0.0, right=0.0)
        p = np.where((v < self.wind_speed[0]) | (v > self.wind_speed[-1]), 0.0, p)
        return np.where(np.isnan(v), np.nan, p)

    def capacity_factor(self, wind_speed: Any) -> np.ndarray:
        """Expected output as a share of the rated power (0..1)."""
        return self(wind_speed) / self.nominal_power

    def torch_module(self) -> Any:
        """An ``nn.Module`` computing the capacity factor, exportable to ONNX (see :class:`PowerCurveModule`)."""
        from energyai.physics.torch_wind import PowerCurveModule

        return PowerCurveModule(self.wind_speed, self.power / self.nominal_power)
