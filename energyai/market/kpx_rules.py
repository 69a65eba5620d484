"""The KPX incentive rules (thresholds, prices, the eligible-hour share) and energy units.

Shared by the settlement (:mod:`energyai.market.kpx`) and the submission chooser
(:mod:`energyai.market.submission`), which is why it is a module of its own. No numpy needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from energyai.exceptions import ConfigError

__all__ = ["TO_KW", "KPXRules"]

#: Energy units to kWh, for prices in KRW/kWh.
TO_KW = {"W": 1e-3, "kW": 1.0, "MW": 1e3, "GW": 1e6}


@dataclass(frozen=True)
class KPXRules:
    """Settlement parameters.

    Attributes
    ----------
    tiers : tuple of (max_error_percent, krw_per_kwh)
        Checked in order; the first tier whose threshold the error does not exceed pays.
    min_output_share : float
        An hour counts only when actual / capacity is at least this share.
    registration_max_error : float
        Largest mean monthly error (%) that passes the registration test.
    """

    tiers: tuple[tuple[float, float], ...] = ((6.0, 4.0), (8.0, 3.0))
    min_output_share: float = 0.10
    registration_max_error: float = 10.0

    def __post_init__(self) -> None:
        limits = [t[0] for t in self.tiers]
        if not self.tiers or limits != sorted(limits) or any(t[0] <= 0 or t[1] < 0 for t in self.tiers):
            raise ConfigError(f"tiers must be (max_error_percent > 0, krw_per_kwh >= 0) pairs in increasing "
                              f"order of error, got {self.tiers}")
        if not 0.0 <= self.min_output_share < 1.0:
            raise ConfigError(f"min_output_share must lie in [0, 1), got {self.min_output_share}")
