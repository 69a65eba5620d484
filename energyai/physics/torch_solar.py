"""Torch twins of :mod:`energyai.physics.solar`, exportable to ONNX (float32 and int64 only).

A device then passes only UTC timestamps (int64 epoch seconds); the sun's position and
clear-sky irradiance are computed inside the graph.

float32 cannot hold epoch seconds or Julian dates to the needed precision, so the time
is split in int64: whole days since J2000 and the second of the day. The large linear
terms of the solar longitude and anomaly (about 1 degree per day) are reduced modulo 360
degrees in int64 nano-degrees, and only the remainders become float32. The results agree
with the float64 numpy version to about 1e-3 degree (tested).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from energyai.physics.solar import J2000_UNIX, SOLAR_CONSTANT

__all__ = ["ClearSkyIrradiance", "SolarGeometry"]

_DAY = 86400
_NANO_TURN = 360_000_000_000  # 360 degrees in nano-degrees
# degrees per day of the NOAA/Meeus linear terms (36000.76983 and 35999.05029 deg per
# Julian century of 36525 days), as int64 nano-degrees per day
_L0_RATE = 985_647_358  # 36000.76983 / 36525 = 0.985647358 deg/day
_M_RATE = 985_600_282  # 35999.05029 / 36525 = 0.985600282 deg/day


def _deg(x: torch.Tensor) -> torch.Tensor:
    return x * (math.pi / 180.0)


class SolarGeometry(nn.Module):
    """``forward(utc_seconds, latitude, longitude, altitude) -> (apparent_zenith, azimuth)``.

    Parameters of ``forward``
    -------------------------
    utc_seconds : int64 tensor, shape (B, T)
    latitude, longitude, altitude : float32 tensors, shape (B,)
        Degrees (north, east positive) and metres.

    Returns
    -------
    apparent_zenith, azimuth : float32 tensors, shape (B, T), degrees (azimuth clockwise from north)
    """

    def __init__(self, temperature: float = 12.0) -> None:
        super().__init__()
        self.temperature = float(temperature)

    def angles(self, utc_seconds: torch.Tensor, longitude: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Declination (rad), hour angle (rad) and equation of time (minutes)."""
        s = utc_seconds - J2000_UNIX
        days = torch.div(s, _DAY, rounding_mode="floor")
        sec = (s - days * _DAY).to(torch.float32)
        frac = sec / _DAY
        t = (days.to(torch.float32) + frac) / 36525.0
        l0_whole = torch.remainder(days * _L0_RATE, _NANO_TURN).to(torch.float32) * 1e-9
        m_whole = torch.remainder(days * _M_RATE, _NANO_TURN).to(torch.float32) * 1e-9
        l0_deg = torch.remainder(280.46646 + l0_whole + 0.985647358 * frac + 0.0003032 * t * t, 360.0)
        m_deg = 357.52911 + m_whole + 0.985600282 * frac - 0.0001537 * t * t
        l0, m = _deg(l0_deg), _deg(m_deg)
        e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
        c = (torch.sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t)) + torch.sin(2 * m) * (0.019993 - 0.000101 * t)
             + torch.sin(3 * m) * 0.000289)
        omega = _deg(125.04 - 1934.136 * t)
        lam = _deg(l0_deg + c - 0.00569 - 0.00478 * torch.sin(omega))
        eps0 = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
        eps = _deg(eps0 + 0.00256 * torch.cos(omega))
        decl = torch.asin(torch.sin(eps) * torch.sin(lam))
        y = torch.tan(eps / 2) ** 2
        eot = (4.0 * 180.0 / math.pi) * (y * torch.sin(2 * l0) - 2 * e * torch.sin(m)
                                         + 4 * e * y * torch.sin(m) * torch.cos(2 * l0)
                                         - 0.5 * y * y * torch.sin(4 * l0) - 1.25 * e * e * torch.sin(2 * m))
        minute_of_day = torch.remainder(utc_seconds, _DAY).to(torch.float32) / 60.0  # UTC midnight based
        tst = torch.remainder(minute_of_day + eot + 4.0 * longitude.unsqueeze(-1), 1440.0)
        return decl, _deg(tst / 4.0 - 180.0), eot

    def forward(self, utc_seconds: torch.Tensor, latitude: torch.Tensor, longitude: torch.Tensor,
                altitude: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        decl, ha, _ = self.angles(utc_seconds, longitude)
        phi = _deg(latitude).unsqueeze(-1)
        cos_z = torch.clamp(torch.sin(phi) * torch.sin(decl) + torch.cos(phi) * torch.cos(decl) * torch.cos(ha),
                            -1.0, 1.0)
        zenith = torch.acos(cos_z) * (180.0 / math.pi)
        e0 = 90.0 - zenith
        pressure = 100.0 * ((44331.514 - altitude) / 11880.516) ** (1.0 / 0.1902632)
        p_hpa = (pressure / 100.0).unsqueeze(-1)
        arg = e0 + 10.3 / (e0 + 5.11)
        refr = (p_hpa / 1010.0) * (283.0 / (273.0 + self.temperature)) * 1.02 / (60.0 * torch.tan(_deg(arg)))
        refr = torch.where(e0 >= -(0.26667 + 0.5667), refr, torch.zeros_like(refr))
        az = torch.atan2(torch.sin(ha), torch.cos(ha) * torch.sin(phi) - torch.tan(decl) * torch.cos(phi))
        azimuth = torch.remainder(az * (180.0 / math.pi) + 180.0, 360.0)
        return zenith - refr, azimuth


class ClearSkyIrradiance(nn.Module):
    """Ineichen-Perez clear-sky irradiance in the graph.

    ``forward(utc_seconds (B, T) int64, latitude, longitude, altitude, linke_turbidity (B,))``
    returns ``ghi, dni, dhi`` (B, T) in W/m², plus the apparent zenith in degrees.
    """

    def __init__(self) -> None:
        super().__init__()
        self.geometry = SolarGeometry()

    def forward(self, utc_seconds: torch.Tensor, latitude: torch.Tensor, longitude: torch.Tensor,
                altitude: torch.Tensor, linke_turbidity: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        zen, _ = self.geometry(utc_seconds, latitude, longitude, altitude)
        alt = altitude.unsqueeze(-1)
        tl = linke_turbidity.unsqueeze(-1)
        cos_z = torch.clamp(torch.cos(_deg(zen)), min=0.0)
        up = zen <= 90.0
        z_safe = torch.where(up, zen, torch.full_like(zen, 89.0))
        am_rel = 1.0 / (torch.cos(_deg(z_safe)) + 0.50572 * (6.07995 + (90.0 - z_safe)) ** -1.6364)
        pressure = 100.0 * ((44331.514 - alt) / 11880.516) ** (1.0 / 0.1902632)
        am = am_rel * pressure / 101325.0
        # day of year from the mean year: at most a day off the calendar, < 0.06% in E0
        days = torch.div(utc_seconds - J2000_UNIX, _DAY, rounding_mode="floor")
        b = 2.0 * math.pi * torch.remainder(days.to(torch.float32) + 0.5, 365.2425) / 365.0
        dni_extra = SOLAR_CONSTANT * (1.00011 + 0.034221 * torch.cos(b) + 0.00128 * torch.sin(b)
                                      + 0.000719 * torch.cos(2 * b) + 0.000077 * torch.sin(2 * b))
        fh1, fh2 = torch.exp(-alt / 8000.0), torch.exp(-alt / 1250.0)
        cg1, cg2 = 5.09e-5 * alt + 0.868, 3.92e-5 * alt + 0.0387
        ghi = cg1 * dni_extra * cos_z * torch.exp(-cg2 * am * (fh1 + fh2 * (tl - 1.0)))
        beam = dni_extra * (0.664 + 0.163 / fh1) * torch.exp(-0.09 * am * (tl - 1.0))
        corr = torch.clamp((1.0 - (0.1 - 0.2 * torch.exp(-tl)) / (0.1 + 0.882 / fh1))
                           / torch.clamp(cos_z, min=1e-6), 0.0, 1e20)
        dni = torch.minimum(beam, ghi * corr)
        zero = torch.zeros_like(ghi)
        ghi, dni = torch.where(up, ghi, zero), torch.where(up, dni, zero)
        return ghi, dni, ghi - dni * cos_z, zen
