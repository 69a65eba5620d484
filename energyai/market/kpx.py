"""KPX renewable-generation forecast settlement (Korea Power Exchange incentive scheme).

Generators that submit day-ahead forecasts are paid an incentive per hour, on the energy
actually generated in that hour, when the hour's forecast error is small enough:

- error of an hour = |forecast - actual| / installed capacity x 100 (%);
- only hours whose actual generation is at least 10% of capacity count ("eligible");
- incentive = 4 KRW/kWh when the error is at most 6%, 3 KRW/kWh at most 8%, otherwise 0;
- registration test: the mean error over a month's eligible hours must be at most 10%.

These are the defaults; KPX revises the thresholds and prices (the 2025 revision tightened
them), so every one is a parameter of :class:`KPXRules`. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from energyai.exceptions import ConfigError, DataError
from energyai.market.kpx_rules import TO_KW, KPXRules
from energyai.market.submission import Submission, best_submission

__all__ = ["KPXRules", "KPXSettlement", "Submission", "best_submission", "kpx_settlement"]

@dataclass(frozen=True)
class KPXSettlement:
    """Hourly and total settlement. Arrays have one entry per hour."""

    error: np.ndarray  #: % of capacity (NaN where actual or forecast is missing)
    eligible: np.ndarray  #: bool: counts for the error and the incentive
    incentive_krw: np.ndarray  #: KRW earned in the hour
    mean_error: float  #: % over eligible hours
    eligible_hours: int
    missing_hours: int  #: hours without actual or forecast (never eligible)
    total_krw: float
    krw_per_mw: float  #: total KRW per MW of (mean) installed capacity
    monthly: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: KPXRules = field(default_factory=KPXRules)

    @property
    def passes_registration(self) -> bool:
        """True when every assessed month (one with eligible hours) has a mean error within the limit."""
        assessed = [m["passes"] for m in self.monthly.values() if m["passes"] is not None]
        if assessed:
            return all(assessed)
        return bool(self.mean_error <= self.rules.registration_max_error)

    def summary(self) -> dict[str, Any]:
        return {"mean_error_pct": self.mean_error, "eligible_hours": self.eligible_hours,
                "missing_hours": self.missing_hours, "total_krw": self.total_krw, "krw_per_mw": self.krw_per_mw,
                "passes_registration": self.passes_registration, "monthly": self.monthly}


def kpx_settlement(actual: Any, forecast: Any, capacity: Any, *, rules: KPXRules | None = None,
                   units: str = "kW", timestamps: Any = None, tz: str = "Asia/Seoul") -> KPXSettlement:
    """Score hourly forecasts the KPX way.

    Parameters
    ----------
    actual, forecast : array-like, shape (N,)
        Hourly mean power (equivalently, energy per hour) in ``units``; NaN where missing.
    capacity : float or array-like, shape (N,)
        Installed capacity in ``units`` (may change over time).
    rules : KPXRules, optional
    units : {"W", "kW", "MW", "GW"}
        Units of the three inputs; the incentive is paid per kWh.
    timestamps : array-like, optional
        Hour starts (UTC instants, see :func:`energyai.timeutil.to_utc_seconds`),
        for the monthly registration test in local time ``tz``.

    Returns
    -------
    KPXSettlement
    """
    rules = rules or KPXRules()
    if units not in TO_KW:
        raise ConfigError(f"units must be one of {sorted(TO_KW)}, got {units!r}")
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if a.ndim != 1 or a.shape != f.shape:
        raise DataError(f"actual and forecast must be 1-D and of equal length, got {a.shape} and {f.shape}")
    cap = np.broadcast_to(np.asarray(capacity, dtype=np.float64), a.shape)
    if not (np.isfinite(cap) & (cap > 0)).all():
        raise DataError("capacity must be positive and finite for every hour")
    missing = ~(np.isfinite(a) & np.isfinite(f))
    with np.errstate(invalid="ignore"):
        # multiply before dividing, so 60 kW off at 1,000 kW is exactly 6.0 %
        err = np.where(missing, np.nan, np.abs(f - a) * 100.0 / cap)
        eligible = ~missing & (a >= rules.min_output_share * cap)
    price = np.zeros_like(a)
    paid = np.zeros(a.shape, bool)
    for limit, krw in rules.tiers:
        hit = eligible & ~paid & (err <= limit)
        price[hit] = krw
        paid |= hit
    incentive = np.where(eligible, price * a * TO_KW[units], 0.0)
    n = int(eligible.sum())
    mean_error = float(err[eligible].mean()) if n else float("nan")
    total = float(incentive.sum())
    mw = float(cap.mean()) * TO_KW[units] / 1e3
    monthly: dict[str, dict[str, Any]] = {}
    if timestamps is not None:
        from energyai.timeutil import local_seconds, to_utc_seconds

        secs = to_utc_seconds(np.asarray(timestamps), tz, naive="utc")
        if secs.shape != a.shape:
            raise DataError(f"timestamps have shape {secs.shape}, actual {a.shape}")
        local = local_seconds(secs[None, :], tz)[0].astype("datetime64[s]")
        months = local.astype("datetime64[M]").astype(str)
        for m in np.unique(months):
            sel = (months == m) & eligible
            me = float(err[sel].mean()) if sel.any() else float("nan")
            monthly[str(m)] = {"mean_error_pct": me, "eligible_hours": int(sel.sum()),
                               "krw": float(incentive[months == m].sum()),
                               # a month without eligible hours is not assessed (None)
                               "passes": bool(me <= rules.registration_max_error) if sel.any() else None}
    return KPXSettlement(error=err, eligible=eligible, incentive_krw=incentive, mean_error=mean_error,
                         eligible_hours=n, missing_hours=int(missing.sum()), total_krw=total,
                         krw_per_mw=total / mw if mw > 0 else float("nan"), monthly=monthly, rules=rules)
