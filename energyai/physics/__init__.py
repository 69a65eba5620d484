"""Energy physics: solar geometry and clear-sky irradiance (numpy here; torch twins in
:mod:`energyai.physics.torch_solar`, which export to ONNX)."""

from energyai.physics.solar import (
    ClearSky,
    SolarPosition,
    absolute_airmass,
    altitude_pressure,
    clearsky,
    extraterrestrial,
    haurwitz,
    relative_airmass,
    solar_position,
)
from energyai.physics.wind import PowerCurve

__all__ = ["ClearSky", "PowerCurve", "SolarPosition", "absolute_airmass", "altitude_pressure", "clearsky", "extraterrestrial",
           "haurwitz", "relative_airmass", "solar_position"]
