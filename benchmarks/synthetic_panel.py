"""A synthetic many-series load panel with weather-like covariates (benchmarks only).

Everything here is synthetic and named so: it exists to measure training throughput and
memory at a scale no shared real dataset reaches (2,000 series x 1 year hourly x 8
covariates by default), with a target that does depend on its covariates so that test
errors still mean something when libraries are compared on it.

Forty "regions" get random-walk weather (temperature, cloud, wind, pressure) on top of
annual and daily cycles; every series takes its region's weather plus its own noise, and
its load is a level times a daily profile with its own phase, a weekend dip, heating and
cooling degree terms, behind-the-meter solar and an AR(1) disturbance. Target and
covariates are z-scored on the training hours (target per series, covariates over all
series), as the peer protocol does outside the libraries.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

COVARIATES = ("temperature", "dew_point", "humidity", "wind_speed", "cloud_cover", "ghi", "pressure",
              "precipitation")


def make_synthetic_panel(path: str | Path, n_series: int = 2000, hours: int = 8760, train_hours: int = 8424,
                         seed: int = 7, start: str = "2023-01-01T00:00") -> dict[str, int]:
    """Write the panel as parquet: ``series`` (int32), ``ts`` (UTC), ``y`` and the covariates (float32).

    Returns
    -------
    dict
        ``series``, ``hours``, ``train_hours``, ``covariates`` and ``rows``.
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    s_n, t_n, r_n = n_series, hours, 40
    h = np.arange(t_n)
    hour, dow, doy = h % 24, (h // 24) % 7, h / 24.0

    def walk(scale: float) -> np.ndarray:
        x = np.cumsum(rng.normal(0, scale, (r_n, t_n)), axis=-1)
        return x - np.linspace(0, 1, t_n) * x[:, -1:]  # a bridge: no drift over the year

    temp_r = 12 + 10 * np.sin(2 * np.pi * (doy - 110) / 365) + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + walk(0.4)
    cloud_r = 1 / (1 + np.exp(-walk(0.15)))
    wind_r = np.abs(4 + walk(0.25))
    press_r = 1013 + walk(0.3)
    sun = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None) * (0.6 + 0.4 * np.sin(2 * np.pi * (doy - 80) / 365))
    region = rng.integers(0, r_n, s_n)
    cov = np.empty((s_n, t_n, len(COVARIATES)), np.float32)
    cov[..., 0] = temp_r[region] + rng.normal(0, 0.5, (s_n, t_n))
    cov[..., 1] = cov[..., 0] - 3 - 5 * cloud_r[region] + rng.normal(0, 0.5, (s_n, t_n))
    cov[..., 2] = np.clip(100 - 5 * (cov[..., 0] - cov[..., 1]), 0, 100)
    cov[..., 3] = wind_r[region] + np.abs(rng.normal(0, 0.3, (s_n, t_n)))
    cov[..., 4] = cloud_r[region]
    cov[..., 5] = 900 * sun[None] * (1 - 0.75 * cloud_r[region] ** 3)
    cov[..., 6] = press_r[region] + rng.normal(0, 0.2, (s_n, t_n))
    cov[..., 7] = np.where(cloud_r[region] > 0.8, (cloud_r[region] - 0.8) * 20, 0) * rng.random((s_n, t_n))
    phase = rng.uniform(-2, 2, (s_n, 1))
    level = rng.lognormal(0, 0.5, (s_n, 1))
    daily = 0.25 * np.sin(2 * np.pi * (hour[None] - 7 - phase) / 24) + 0.1 * np.sin(4 * np.pi * (hour[None] - phase) / 24)
    weekend = np.where(dow[None] >= 5, -rng.uniform(0.05, 0.3, (s_n, 1)), 0)
    heat = rng.uniform(0, 0.03, (s_n, 1)) * np.clip(15 - cov[..., 0], 0, None)
    cool = rng.uniform(0, 0.04, (s_n, 1)) * np.clip(cov[..., 0] - 22, 0, None)
    solar = rng.uniform(0, 0.3, (s_n, 1)) * cov[..., 5] / 900
    ar = np.zeros((s_n, t_n))
    shock = rng.normal(0, 0.04, (s_n, t_n))
    for t in range(1, t_n):
        ar[:, t] = 0.95 * ar[:, t - 1] + shock[:, t]
    y = level * (1 + daily + weekend + heat + cool - solar + ar)
    train = y[:, :train_hours]
    y = ((y - train.mean(1, keepdims=True)) / train.std(1, keepdims=True)).astype(np.float32)
    flat = cov[:, :train_hours].reshape(-1, len(COVARIATES))
    cov = ((cov - flat.mean(0)) / flat.std(0)).astype(np.float32)
    ts = (np.datetime64(start) + h.astype("timedelta64[h]")).astype("datetime64[us]")
    frame = pl.DataFrame({
        "series": np.repeat(np.arange(s_n, dtype=np.int32), t_n),
        "ts": np.tile(ts, s_n),
        "y": y.reshape(-1),
        **{c: cov[..., i].reshape(-1) for i, c in enumerate(COVARIATES)},
    }).with_columns(pl.col("ts").dt.replace_time_zone("UTC"))
    frame.write_parquet(path)
    return {"series": s_n, "hours": t_n, "train_hours": train_hours, "covariates": len(COVARIATES),
            "rows": frame.height}
