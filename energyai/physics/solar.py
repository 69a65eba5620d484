"""Solar position, extraterrestrial irradiance, air mass and clear-sky irradiance (numpy).

The sun's position follows the NOAA solar calculator equations (after Meeus,
*Astronomical Algorithms*, 2nd ed., ch. 25: low-precision solar coordinates and the
equation of time; stated accuracy about 0.01 degree for 1800-2100), with the atmospheric
refraction correction of the NREL SPA (Reda and Andreas 2004, eq. 42), so that the
*apparent* zenith matches pvlib's default. Clear-sky irradiance is Ineichen and Perez
(2002) with the Kasten and Young (1989) air mass, or Haurwitz (1945). Extraterrestrial
irradiance follows Spencer (1971).

Every function takes UTC instants: ``numpy.datetime64`` (naive = UTC), tz-aware
datetimes, ISO strings with offsets, or int64 epoch seconds. Angles are degrees,
irradiance W/m², altitude metres above sea level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from energyai.exceptions import ConfigError

__all__ = [
    "ClearSky",
    "SolarPosition",
    "absolute_airmass",
    "altitude_pressure",
    "clearsky",
    "extraterrestrial",
    "haurwitz",
    "relative_airmass",
    "solar_position",
]

SOLAR_CONSTANT = 1366.1  # W/m², as pvlib's Spencer default
J2000_UNIX = 946728000  # 2000-01-01 12:00 UTC, epoch seconds


@dataclass(frozen=True)
class SolarPosition:
    """Sun angles in degrees, same shape as the input times."""

    apparent_zenith: np.ndarray
    zenith: np.ndarray
    azimuth: np.ndarray  #: clockwise from north
    declination: np.ndarray
    equation_of_time: np.ndarray  #: minutes

    @property
    def apparent_elevation(self) -> np.ndarray:
        return 90.0 - self.apparent_zenith


@dataclass(frozen=True)
class ClearSky:
    """Clear-sky irradiance in W/m²."""

    ghi: np.ndarray
    dni: np.ndarray
    dhi: np.ndarray


def _seconds(times: Any) -> np.ndarray:
    from energyai.timeutil import to_utc_seconds

    return to_utc_seconds(times if isinstance(times, np.ndarray) else np.asarray(times), "UTC")


def _check_site(latitude: Any, longitude: Any) -> None:
    lat, lon = np.asarray(latitude, float), np.asarray(longitude, float)
    if (np.abs(lat) > 90).any() or not np.isfinite(lat).all():
        raise ConfigError(f"latitude must lie in [-90, 90] degrees, got {latitude!r}")
    if (np.abs(lon) > 180).any() or not np.isfinite(lon).all():
        raise ConfigError(f"longitude must lie in [-180, 180] degrees (east positive), got {longitude!r}")


def altitude_pressure(altitude: Any) -> np.ndarray:
    """Standard-atmosphere pressure in Pa at ``altitude`` metres (as pvlib's ``alt2pres``)."""
    return 100.0 * ((44331.514 - np.asarray(altitude, float)) / 11880.516) ** (1.0 / 0.1902632)


def _sun(secs: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Declination (rad), hour angle (rad) and equation of time (min)."""
    t = (secs.astype(np.float64) - J2000_UNIX) / 86400.0 / 36525.0  # Julian centuries from J2000 (UT)
    l0 = np.deg2rad(np.mod(280.46646 + t * (36000.76983 + t * 0.0003032), 360.0))
    m = np.deg2rad(357.52911 + t * (35999.05029 - 0.0001537 * t))
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    c = (np.sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t)) + np.sin(2 * m) * (0.019993 - 0.000101 * t)
         + np.sin(3 * m) * 0.000289)
    omega = np.deg2rad(125.04 - 1934.136 * t)
    lam = np.deg2rad(np.rad2deg(l0) + c - 0.00569 - 0.00478 * np.sin(omega))
    eps0 = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    eps = np.deg2rad(eps0 + 0.00256 * np.cos(omega))
    decl = np.arcsin(np.sin(eps) * np.sin(lam))
    y = np.tan(eps / 2) ** 2
    eot = 4.0 * np.rad2deg(y * np.sin(2 * l0) - 2 * e * np.sin(m) + 4 * e * y * np.sin(m) * np.cos(2 * l0)
                           - 0.5 * y * y * np.sin(4 * l0) - 1.25 * e * e * np.sin(2 * m))
    minutes = np.mod(secs, 86400).astype(np.float64) / 60.0
    tst = np.mod(minutes + eot + 4.0 * lon, 1440.0)
    hour_angle = np.deg2rad(tst / 4.0 - 180.0)
    return decl, hour_angle, eot


def refraction(elevation: np.ndarray, pressure: Any = 101325.0, temperature: Any = 12.0) -> np.ndarray:
    """Atmospheric refraction in degrees for a true elevation in degrees (NREL SPA eq. 42)."""
    e0 = np.asarray(elevation, float)
    p_hpa = np.asarray(pressure, float) / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (p_hpa / 1010.0) * (283.0 / (273.0 + np.asarray(temperature, float))) * 1.02 / (
            60.0 * np.tan(np.deg2rad(e0 + 10.3 / (e0 + 5.11))))
    return np.where(e0 >= -(0.26667 + 0.5667), r, 0.0)


def solar_position(times: Any, latitude: float, longitude: float, altitude: float = 0.0,
                   temperature: float = 12.0) -> SolarPosition:
    """Apparent zenith and azimuth of the sun.

    Parameters
    ----------
    times : array-like
        UTC instants (see the module notes), any shape.
    latitude, longitude : float
        Degrees; north and east positive.
    altitude : float
        Metres; sets the pressure of the refraction correction (standard atmosphere).
    temperature : float
        Air temperature in °C for the refraction correction (pvlib's default 12).

    Returns
    -------
    SolarPosition
        Angles in degrees, same shape as ``times``.
    """
    _check_site(latitude, longitude)
    secs = _seconds(times)
    decl, ha, eot = _sun(secs, np.asarray(longitude, float))
    phi = np.deg2rad(latitude)
    cos_z = np.clip(np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(ha), -1.0, 1.0)
    zenith = np.rad2deg(np.arccos(cos_z))
    elevation = 90.0 - zenith
    apparent = zenith - refraction(elevation, altitude_pressure(altitude), temperature)
    az = np.mod(np.rad2deg(np.arctan2(np.sin(ha), np.cos(ha) * np.sin(phi) - np.tan(decl) * np.cos(phi))) + 180.0,
                360.0)
    return SolarPosition(apparent, zenith, az, np.rad2deg(decl), eot)


def extraterrestrial(times: Any) -> np.ndarray:
    """Extraterrestrial normal irradiance in W/m² (Spencer 1971, solar constant 1366.1)."""
    secs = _seconds(times)
    day = secs.astype("datetime64[s]").astype("datetime64[D]")
    doy = (day - day.astype("datetime64[Y]")).astype(np.int64) + 1
    b = 2.0 * np.pi * (doy - 1) / 365.0
    return SOLAR_CONSTANT * (1.00011 + 0.034221 * np.cos(b) + 0.00128 * np.sin(b) + 0.000719 * np.cos(2 * b)
                             + 0.000077 * np.sin(2 * b))


def relative_airmass(apparent_zenith: Any) -> np.ndarray:
    """Kasten and Young (1989) relative air mass; NaN with the sun below the horizon."""
    z = np.asarray(apparent_zenith, float)
    with np.errstate(invalid="ignore"):
        am = 1.0 / (np.cos(np.deg2rad(z)) + 0.50572 * (6.07995 + (90.0 - z)) ** -1.6364)
    return np.where(z > 90.0, np.nan, am)


def absolute_airmass(apparent_zenith: Any, altitude: float = 0.0) -> np.ndarray:
    """Pressure-corrected air mass at ``altitude`` metres."""
    return relative_airmass(apparent_zenith) * altitude_pressure(altitude) / 101325.0


def haurwitz(apparent_zenith: Any) -> np.ndarray:
    """Haurwitz (1945) clear-sky GHI in W/m² (needs no atmosphere parameter)."""
    cos_z = np.cos(np.deg2rad(np.asarray(apparent_zenith, float)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ghi = 1098.0 * cos_z * np.exp(-0.059 / cos_z)
    return np.where(cos_z > 0, ghi, 0.0)


def _ineichen(apparent_zenith: np.ndarray, am_abs: np.ndarray, tl: np.ndarray, altitude: float,
              dni_extra: np.ndarray) -> ClearSky:
    cos_z = np.maximum(np.cos(np.deg2rad(apparent_zenith)), 0.0)
    fh1, fh2 = np.exp(-altitude / 8000.0), np.exp(-altitude / 1250.0)
    cg1, cg2 = 5.09e-5 * altitude + 0.868, 3.92e-5 * altitude + 0.0387
    am = np.nan_to_num(am_abs, nan=np.inf)  # sun below the horizon: no irradiance
    ghi = cg1 * dni_extra * cos_z * np.exp(-cg2 * am * (fh1 + fh2 * (tl - 1.0)))
    beam = dni_extra * (0.664 + 0.163 / fh1) * np.exp(-0.09 * am * (tl - 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.clip((1.0 - (0.1 - 0.2 * np.exp(-tl)) / (0.1 + 0.882 / fh1)) / cos_z, 0.0, 1e20)
    dni = np.minimum(beam, np.nan_to_num(ghi * corr, nan=0.0))
    dhi = ghi - dni * cos_z
    return ClearSky(ghi, dni, dhi)


def clearsky(times: Any, latitude: float, longitude: float, altitude: float = 0.0,
             linke_turbidity: Any = 3.0, model: str = "ineichen") -> ClearSky:
    """Clear-sky GHI, DNI and DHI in W/m².

    Parameters
    ----------
    times : array-like
        UTC instants.
    latitude, longitude, altitude : float
        Degrees (north, east positive) and metres.
    linke_turbidity : float or array-like
        Linke turbidity (air mass 2), broadcast against ``times``. 3 is a typical rural
        mid-latitude value; pass monthly site values (for example from SoDa) for better
        clear-sky levels. Ignored by Haurwitz.
    model : {"ineichen", "haurwitz"}
        Haurwitz gives GHI only (DNI and DHI are NaN).
    """
    pos = solar_position(times, latitude, longitude, altitude)
    if model == "haurwitz":
        ghi = haurwitz(pos.apparent_zenith)
        nan = np.full_like(ghi, np.nan)
        return ClearSky(ghi, nan, nan)
    if model != "ineichen":
        raise ConfigError(f"model must be 'ineichen' or 'haurwitz', got {model!r}")
    tl = np.broadcast_to(np.asarray(linke_turbidity, float), pos.zenith.shape)
    if (tl <= 0).any() or not np.isfinite(tl).all():
        raise ConfigError("linke_turbidity must be positive and finite")
    return _ineichen(pos.apparent_zenith, absolute_airmass(pos.apparent_zenith, altitude), tl, float(altitude),
                     extraterrestrial(times))
