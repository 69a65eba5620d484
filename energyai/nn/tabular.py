"""Feature rows for a tree model, computed from the contract inputs inside the graph.

A gradient-boosted member forecasts each (window, lead) pair from one row of numbers: what
a practitioner builds by hand for LightGBM, here computed by torch from the same tensors
the neural members read, so training, ``predict`` and the exported file share one
implementation (:class:`TabularFeatures`). The target is divided by a level known at the
origin (:func:`window_level`) and the forecast multiplied back, so one model serves
series of any size and a trending load stays inside the range the trees learnt.

**Every feature is computed with operations that give the same bits in torch and in
onnxruntime**: integer arithmetic, gathers, comparisons, float32 ``+ - * /`` and ``sqrt``
(correctly rounded in both), and sums taken in float64 and rounded once to float32. A
tree is a step function: a feature one float32 ulp apart on either side of a threshold
would send a row down another branch and break the export parity gate, so no
transcendental function (sine, exponential, power) feeds a tree. The sun's geometry
reaches the trees through a table of the site's clear sky by day of year and time of day
(:meth:`TabularFeatures.set_solar_table`), filled at fit from the same torch code the
neural members use and looked up with integer indices.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["TabularFeatures", "window_level"]

_DAY = 86400
_YEAR = 31556952  # mean Gregorian year, seconds (as CalendarFeatures)
#: Above this many future covariates (GEFCom2014 load's 25 temperature stations), only their
#: mean is smoothed over neighbouring steps and the day: three features instead of two per column.
WIDE = 16


def window_level(y: torch.Tensor, observed: torch.Tensor, capacity: torch.Tensor | None, mode: str,
                 steps: int) -> torch.Tensor:
    """The level each window's target is divided by, (B, 1) float32.

    ``mode="capacity"``: the capacity at the first horizon step (the capacity factor).
    Otherwise the mean absolute observed value over the last ``steps`` context steps (a
    week of an hourly series; summed in float64), floored at 1e-5 of the window's largest
    magnitude and at 1e-30, so a flat or empty context does not divide by zero.
    """
    if mode == "capacity":
        if capacity is None:
            raise ValueError("the capacity level needs the capacity input")
        return capacity[:, :1].clamp_min(1e-30)
    yt, mt = y[:, -steps:], observed[:, -steps:]
    a = torch.where(mt > 0, yt.abs(), torch.zeros_like(yt)).to(torch.float64)
    n = mt.to(torch.float64).sum(dim=1, keepdim=True).clamp_min(1.0)
    level = (a.sum(dim=1, keepdim=True) / n).to(torch.float32)
    top = a.amax(dim=1, keepdim=True).to(torch.float32)
    return torch.maximum(level, torch.maximum(top * 1e-5, torch.full_like(level, 1e-30)))


class TabularFeatures(nn.Module):
    """``forward(x, shared) -> (rows (B, H, K), level (B, 1))``.

    Parameters
    ----------
    context, horizon : int
        L and H of the windows this member reads (the last ``L + H`` steps of the inputs).
    steps_per_day : int
        D, steps in a day (lags are whole days back).
    step : int
        Seconds per step (the solar table's time-of-day resolution).
    n_past, n_future, n_static : int
        Raw covariate columns.
    kinds : sequence of str
        The shared in-graph features this member reads (``"holiday"``, ``"wind"``), looked
        up in ``shared`` by kind; ``"solar"`` adds the clear-sky table.
    level : {"capacity", "mean"}
        :func:`window_level`.
    cloud : (int, float), optional
        ``(future column, to_oktas)`` of total cloud cover: adds the all-sky irradiance
        ``clear * (1 - 0.75 * (N / 8) ** 3.5)`` (Kasten-Czeplak's form; the power 3.5 is
        ``f**3 * sqrt(f)``, exact in both runtimes, where the neural members use 3.4).

    Features of lead ``h`` (target step ``t``), in :attr:`names` order: the lead; local
    hour, day of week and day of year of ``t``; the holiday flags of ``t`` and the
    days-off count of the day its most recent lag comes from; the site's clear-sky GHI
    (W/m² / 1000) and cosine of the zenith at ``t`` from the table, and the cloud-cover
    irradiance; the wind features of ``t``; each future covariate at ``t``, its mean over
    ``t - 1 .. t + 1`` and over the day up to ``t`` (with more than :data:`WIDE` columns, the
    mean of the columns at ``t`` and its two means instead); the target divided by the level at
    the same time of day on the most recent day known at the origin, the day before it
    and a week before ``t``, its last value and its means over the last day and the
    context; the level's logarithm; each past covariate's last value; the static
    covariates. A missing value (an unobserved target, a lag outside the context, a
    missing optional covariate) is NaN, which the trees route as they learnt.
    """

    solar_table: torch.Tensor
    lag_index: torch.Tensor
    lag_valid: torch.Tensor
    target_index: torch.Tensor
    lead: torch.Tensor

    def __init__(self, context: int, horizon: int, steps_per_day: int, step: int, n_past: int, n_future: int,
                 n_static: int, kinds: tuple[str, ...] = (), level: str = "mean",
                 cloud: tuple[int, float] | None = None) -> None:
        super().__init__()
        if level not in ("capacity", "mean"):
            raise ValueError(f"level must be 'capacity' or 'mean', got {level!r}")
        self.context, self.horizon, self.per_day = int(context), int(horizon), max(int(steps_per_day), 1)
        self.step = int(step)
        self.n_past, self.n_future, self.n_static = int(n_past), int(n_future), int(n_static)
        self.kinds = tuple(kinds)
        self.level_mode = level
        self.cloud = None if cloud is None else (int(cloud[0]), float(cloud[1]))
        solar = "solar" in self.kinds and 0 < self.step and _DAY % self.step == 0
        self.register_buffer("solar_table", torch.zeros((366, _DAY // self.step if solar else 0, 2)))
        L, H, D = self.context, self.horizon, self.per_day
        lead = torch.arange(1, H + 1, dtype=torch.int64)
        target = L + lead - 1  # position of each lead's step in the (L + H) span
        back = torch.div(lead + D - 1, D, rounding_mode="floor") * D  # whole days back to the origin or before
        recent = target - back
        week = target - 7 * D * torch.div(lead + 7 * D - 1, 7 * D, rounding_mode="floor")
        lags = torch.stack([recent, recent - D, week], dim=1)  # (H, 3)
        self.register_buffer("lag_index", lags.clamp(0, L - 1), persistent=False)
        self.register_buffer("lag_valid", (lags >= 0) & (lags <= L - 1), persistent=False)
        self.register_buffer("target_index", target, persistent=False)
        self.register_buffer("lead", lead.to(torch.float32), persistent=False)
        self.names = self._names()

    @property
    def n_features(self) -> int:
        return len(self.names)

    def _names(self) -> list[str]:
        out = ["lead", "hour", "day_of_week", "day_of_year"]
        if "holiday" in self.kinds:
            out += ["holiday", "bridge", "festival", "off_run", "lag_day_off_run"]
        if self.solar_table.shape[1]:
            out += ["clearsky_ghi", "cos_zenith"] + (["cloud_ghi"] if self.cloud is not None else [])
        if "wind" in self.kinds:
            out += ["wind_speed_10", "wind_dir_u", "wind_dir_v", "wind_curve"]
        out += [f"future{k}" for k in range(self.n_future)]
        if self.n_future > WIDE:  # many columns (stations of one variable): smooth their mean only
            out += ["future_mean", "future_mean_mean3", "future_mean_day_mean"]
        else:
            for suffix in ("_mean3", "_day_mean"):
                out += [f"future{k}{suffix}" for k in range(self.n_future)]
        out += ["lag_recent", "lag_recent_2", "lag_week", "last", "mean_day", "mean_context", "log_level"]
        out += [f"past{k}_last" for k in range(self.n_past)]
        out += [f"static{k}" for k in range(self.n_static)]
        return out

    @torch.no_grad()
    def set_solar_table(self, solar: Any) -> TabularFeatures:
        """Fill the clear-sky table from ``solar`` (a :class:`~energyai.nn.solar.SolarFeatures`):
        row ``d``, column ``s`` is its output at UTC second ``s * step`` of day ``d`` of the
        mean Gregorian year (day ``d`` = ``(utc mod 31556952) // 86400``)."""
        n = self.solar_table.shape[1]
        if not n:
            return self
        base = 50 * _YEAR  # a whole number of mean years after 1970 (late 2019)
        days = torch.arange(366, dtype=torch.int64).unsqueeze(1)
        r = torch.remainder(torch.arange(n, dtype=torch.int64).unsqueeze(0) * self.step - base, _DAY)
        utc = base + days * _DAY + r  # day d of that year, UTC time of day s * step
        clear, cos_z = solar.clear_sky(utc.reshape(1, -1))
        self.solar_table.copy_(torch.stack([clear[0], cos_z[0]], dim=-1).reshape(366, n, 2))
        return self

    def _solar(self, utc: torch.Tensor) -> torch.Tensor:
        """(B, H, 2) clear-sky GHI / 1000 and cos(zenith) of each target step, from the table."""
        day = torch.div(torch.remainder(utc, _YEAR), _DAY, rounding_mode="floor")
        slot = torch.div(torch.remainder(utc, _DAY), self.step, rounding_mode="floor")
        return self.solar_table[day, slot]

    def forward(self, x: dict[str, Any], shared: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        L, H, D = self.context, self.horizon, self.per_day
        y, obs = x["past_target"][:, -L:], x["past_observed"][:, -L:]
        B = y.shape[0]
        level = window_level(y, obs, x.get("capacity"), self.level_mode, min(L, 7 * D))
        z = torch.where(obs > 0, y, torch.full_like(y, float("nan"))) / level
        t = self.target_index
        lt = x["local_time"][:, -(L + H):][:, t]  # (B, H) local seconds of each target step
        cols = [self.lead.expand(B, H),
                torch.remainder(lt, _DAY).to(torch.float32) / 3600.0,
                torch.remainder(torch.div(lt, _DAY, rounding_mode="floor") + 3, 7).to(torch.float32),
                torch.div(torch.remainder(lt, _YEAR), _DAY, rounding_mode="floor").to(torch.float32)]
        parts = [torch.stack(cols, dim=-1)]
        if "holiday" in self.kinds:
            hol = shared["holiday"][:, -(L + H):]
            parts += [hol[:, t], hol[:, self.lag_index[:, 0], 3:4]]
        fut = x["future_covariates"][:, -(L + H):] if self.n_future else None
        if self.solar_table.shape[1]:
            sky = self._solar(x["utc_time"][:, -(L + H):][:, t])
            parts.append(sky)
            if self.cloud is not None and fut is not None:
                f = torch.clamp(fut[:, t, self.cloud[0]] * (self.cloud[1] / 8.0), 0.0, 1.0)
                parts.append((sky[..., 0] * (1.0 - 0.75 * (f * f * f * torch.sqrt(f)))).unsqueeze(-1))
        if "wind" in self.kinds:
            parts.append(shared["wind"][:, -(L + H):][:, t])
        if fut is not None:
            if self.n_future > WIDE:
                avg = (fut.to(torch.float64).sum(dim=-1, keepdim=True) / self.n_future).to(torch.float32)
                parts += [fut[:, t], avg[:, t], _window_mean(avg, t, 1, 1), _window_mean(avg, t, D - 1, 0)]
            else:
                parts += [fut[:, t], _window_mean(fut, t, 1, 1), _window_mean(fut, t, D - 1, 0)]
        lag = torch.where(self.lag_valid.unsqueeze(0), z[:, self.lag_index.reshape(-1)].reshape(B, H, 3),
                          torch.full((B, H, 3), float("nan"), dtype=z.dtype, device=z.device))
        ctx = torch.stack([z[:, -1], _nanmean(z[:, -min(L, D):]), _nanmean(z)], dim=-1)
        log_level = torch.log(level.to(torch.float64)).to(torch.float32)
        parts += [lag, ctx.unsqueeze(1).expand(B, H, 3), log_level.unsqueeze(1).expand(B, H, 1)]
        if self.n_past:
            parts.append(x["past_covariates"][:, -1:].expand(B, H, self.n_past))
        if self.n_static:
            parts.append(x["static"].unsqueeze(1).expand(B, H, self.n_static))
        return torch.cat([p.to(torch.float32) for p in parts], dim=-1), level


def _nanmean(v: torch.Tensor) -> torch.Tensor:
    """Mean over axis 1 of the non-NaN values (float64 sum, rounded once), NaN where there are none."""
    ok = ~torch.isnan(v)
    n = ok.sum(dim=1).to(torch.float64)
    s = torch.where(ok, v, torch.zeros_like(v)).to(torch.float64).sum(dim=1)
    return torch.where(n > 0, s / n.clamp_min(1.0), torch.full_like(s, math.nan)).to(torch.float32)


def _window_mean(v: torch.Tensor, t: torch.Tensor, before: int, after: int) -> torch.Tensor:
    """Mean of ``v`` (B, T, F) over ``t - before .. t + after`` clipped to the span, summed in
    float64; NaN where a value in the window is NaN."""
    T = v.shape[1]
    lo = (t - before).clamp(0, T - 1)
    hi = (t + after).clamp(0, T - 1)
    nan = torch.isnan(v)
    vd = torch.where(nan, torch.zeros_like(v), v).to(torch.float64)
    zero = torch.zeros_like(vd[:, :1])
    cs = torch.cat([zero, torch.cumsum(vd, dim=1)], dim=1)
    cn = torch.cat([zero, torch.cumsum(nan.to(torch.float64), dim=1)], dim=1)
    n = (hi - lo + 1).to(torch.float64).view(1, -1, 1)
    mean = (cs[:, hi + 1] - cs[:, lo]) / n
    return torch.where(cn[:, hi + 1] - cn[:, lo] > 0, torch.full_like(mean, math.nan), mean).to(torch.float32)
