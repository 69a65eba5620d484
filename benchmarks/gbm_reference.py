"""The gradient-boosting reference that every energyai preset must beat (LightGBM).

Benchmark-only: LightGBM is never an energyai requirement (``pip install lightgbm``).
The reference is built the way a careful practitioner would, with the inputs the preset
gets and nothing more:

- one row per (forecast origin, lead); the origin is the last step the forecaster may read;
- calendar of the target step in local time (hour, day of week, day of year), the lead;
- the holiday flags of the target day and of the days its lags come from (the same day
  table energyai puts in its graph: :func:`energyai.calendar.holiday_table`);
- lags known at the origin: the value 1..7 days before the target step where that
  step is at or before the origin (else missing, which LightGBM handles), the last value,
  and the means of the last 24 h and 7 days;
- covariates of the target step as the caller passes them (lead-matched weather
  forecasts: the caller picks the run that was available at each origin);
- the target divided by a level known at the origin (the mean of the last 7 days), or as
  it is; for load both are fitted and the one with the smaller validation error in target
  units is kept (:func:`pick`), for solar and wind the capacity factor is used as it is.

Hyper-parameters are chosen on the validation period only (a small grid with early
stopping); the chosen model is refitted on training and validation together with the
validated number of rounds. Quantile models (one per level, sorted afterwards) where the
task is probabilistic.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from energyai.calendar.holidays import holiday_table
from energyai.timeutil import local_seconds

DAY = 86400


@dataclass
class Rows:
    """Feature rows of one or many series: ``X (n, k)``, ``y (n,)`` (normalised), ``level (n,)``,
    plus the origin and target positions for scoring."""

    X: np.ndarray
    y: np.ndarray
    level: np.ndarray
    origin_utc: np.ndarray
    target_utc: np.ndarray
    lead: np.ndarray
    series: np.ndarray
    names: list[str] = field(default_factory=list)

    def take(self, mask: np.ndarray) -> Rows:
        return Rows(self.X[mask], self.y[mask], self.level[mask], self.origin_utc[mask], self.target_utc[mask],
                    self.lead[mask], self.series[mask], self.names)

    @staticmethod
    def concat(parts: list[Rows]) -> Rows:
        return Rows(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                      ("X", "y", "level", "origin_utc", "target_utc", "lead", "series")), parts[0].names)


def day_ahead_rows(y: np.ndarray, utc: np.ndarray, origins: np.ndarray, horizon: int, step: int, tz: str, *,
                   country: str | None = None, covariates: np.ndarray | None = None,
                   cov_names: tuple[str, ...] = (), normalise: str = "level", series: int = 0,
                   lead_first: int = 1) -> Rows:
    """Rows for origins ``origins`` (positions in ``y``) and leads ``lead_first..horizon``.

    Parameters
    ----------
    y : (T,) float, NaN where missing; one regular series
    utc : (T,) int64 UTC seconds of each step
    origins : (N,) int positions of the forecast origins
    horizon : leads 1..horizon steps after the origin
    step : seconds per step
    covariates : (N, horizon, C) float, optional
        Covariates of each (origin, lead) target step, already lead-matched by the caller.
    normalise : {"level", "none"}
    """
    per_day = DAY // step
    leads = np.arange(lead_first, horizon + 1)
    o = np.repeat(origins, len(leads))
    h = np.tile(leads, len(origins))
    t = o + h
    ok = t < len(y)
    o, h, t = o[ok], h[ok], t[ok]
    cols: dict[str, np.ndarray] = {"lead": h.astype(np.float64)}
    t_utc = utc[t]
    loc = local_seconds(t_utc.reshape(1, -1), tz)[0]
    cols["hour"] = (loc % DAY) / 3600.0
    days = loc // DAY
    cols["dow"] = ((days + 3) % 7).astype(np.float64)
    cols["doy"] = ((loc - _year_start(loc)) / DAY).astype(np.float64)
    flags = _holiday_lookup(country, days) if country else None
    if flags is not None:
        for k, n in enumerate(("holiday", "bridge", "festival", "off_run")):
            cols[n] = flags[:, k]
    for d in range(1, 8):
        src = t - d * per_day
        v = np.where((src <= o) & (src >= 0), y[np.clip(src, 0, len(y) - 1)], np.nan)
        cols[f"lag_{d}d"] = v
        if flags is not None and d in (1, 2, 7):
            cols[f"lag_{d}d_off"] = np.where(src <= o, _holiday_lookup(country, days - d)[:, 3], np.nan)
    cs = np.concatenate([[0.0], np.nancumsum(y)])
    cnt = np.concatenate([[0], np.cumsum(~np.isnan(y))])

    def mean_back(n: int) -> np.ndarray:
        lo = np.maximum(o + 1 - n, 0)
        c = cnt[o + 1] - cnt[lo]
        return np.where(c > 0, (cs[o + 1] - cs[lo]) / np.maximum(c, 1), np.nan)

    cols["last"] = y[o]
    cols["mean_24h"] = mean_back(per_day)
    cols["mean_7d"] = mean_back(7 * per_day)
    if covariates is not None:
        cov = covariates[:, lead_first - 1:].reshape(-1, covariates.shape[-1])[ok]
        for k, n in enumerate(cov_names):
            cols[n] = cov[:, k]
    level = cols["mean_7d"] if normalise == "level" else np.ones(len(o))
    level = np.where(np.isfinite(level) & (level != 0), level, np.nan)
    for n in ("last", "mean_24h", "mean_7d", *[f"lag_{d}d" for d in range(1, 8)]):
        cols[n] = cols[n] / level
    cols["series"] = np.full(len(o), float(series))
    names = list(cols)
    X = np.stack([cols[n] for n in names], axis=1)
    return Rows(X, y[t] / level, level, utc[o], t_utc, h, np.full(len(o), series), names)


def _year_start(local: np.ndarray) -> np.ndarray:
    years = local.astype("datetime64[s]").astype("datetime64[Y]")
    return years.astype("datetime64[s]").astype(np.int64)


_TABLES: dict[str, tuple[int, np.ndarray]] = {}


def _holiday_lookup(country: str | None, days: np.ndarray) -> np.ndarray:
    if country not in _TABLES:
        _TABLES[str(country)] = holiday_table(str(country), (1990, 2050))  # "GB-ENG": split inside
    first, table = _TABLES[str(country)]
    return table[days - first].astype(np.float64)


GRID = {"num_leaves": (15, 63), "learning_rate": (0.03, 0.1), "min_child_samples": (20, 100)}


def fit_reference(train: Rows, val: Rows, quantiles: tuple[float, ...] = (), *, objective: str = "l2",
                  seed: int = 0, threads: int = 2, max_rounds: int = 3000) -> Reference:
    """Pick hyper-parameters on ``val`` (grid, early stopping), refit on train + val.

    ``quantiles``: fit one quantile model per level (the grid is chosen with the median).
    """
    import lightgbm as lgb

    fin_tr, fin_va = np.isfinite(train.y), np.isfinite(val.y)
    best: tuple[float, dict[str, Any], int] | None = None
    obj = "quantile" if quantiles else objective
    for values in itertools.product(*GRID.values()):
        params = {**dict(zip(GRID, values, strict=True)), "objective": obj, "verbose": -1, "seed": seed,
                  "num_threads": threads, "feature_fraction": 0.9, "bagging_fraction": 0.9, "bagging_freq": 1}
        if quantiles:
            params["alpha"] = 0.5
        dtr = lgb.Dataset(train.X[fin_tr], train.y[fin_tr], free_raw_data=False)
        dva = lgb.Dataset(val.X[fin_va], val.y[fin_va], reference=dtr)
        booster = lgb.train(params, dtr, max_rounds, valid_sets=[dva],
                            callbacks=[lgb.early_stopping(100, verbose=False)])
        score = booster.best_score["valid_0"][next(iter(booster.best_score["valid_0"]))]
        if best is None or score < best[0]:
            best = (score, params, booster.best_iteration)
    assert best is not None
    _, params, rounds = best
    # validation error of the chosen setting, in target units, to compare normalisations
    p = {**params, "alpha": 0.5} if quantiles else params
    check = lgb.train(p, lgb.Dataset(train.X[fin_tr], train.y[fin_tr]), rounds)
    val_mae = float(np.mean(np.abs(check.predict(val.X[fin_va]) - val.y[fin_va]) * val.level[fin_va]))
    both = Rows.concat([train, val])
    fin = np.isfinite(both.y)
    models = []
    for q in (quantiles or (None,)):
        p = dict(params)
        if q is not None:
            p["alpha"] = q
        models.append(lgb.train(p, lgb.Dataset(both.X[fin], both.y[fin]), rounds))
    return Reference(models, tuple(quantiles), {k: params[k] for k in GRID}, rounds, val_mae)


@dataclass
class Reference:
    models: list[Any]
    quantiles: tuple[float, ...]
    params: dict[str, Any]
    rounds: int
    val_mae: float  #: validation MAE (median model) in target units, fitted on train only

    def predict(self, rows: Rows) -> np.ndarray:
        """``(n,)`` point forecasts or ``(n, Q)`` sorted quantiles, in target units."""
        out = np.stack([m.predict(rows.X) for m in self.models], axis=1) * rows.level[:, None]
        out = np.sort(out, axis=1)
        return out[:, 0] if not self.quantiles else out


def pick(candidates: dict[str, tuple[Reference, Rows]]) -> tuple[str, Reference, Rows]:
    """The candidate (name: (reference, its test rows)) with the smallest validation MAE."""
    name = min(candidates, key=lambda k: candidates[k][0].val_mae)
    for k, (ref, _) in candidates.items():
        print(f"  gbm {k}: validation MAE {ref.val_mae:.5g}{'  <- kept' if k == name else ''}", flush=True)
    return name, *candidates[name]
