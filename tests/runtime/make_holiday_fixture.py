"""Write the runtime's Korean-holiday-week parity fixture (run with the full install).

A small ``day-ahead-load`` preset model (KR holidays and the similar-day feature inside the
graph) is trained on a **synthetic** hourly load whose level drops on Korean public
holidays (the real Korean datasets carry no redistribution licence), exported to ONNX, and
``Forecaster.predict`` is run at 10:00 on the day before Chuseok 2024 and on the days around
it. The runtime test (``test_runtime.py``) runs the same inputs through onnxruntime in an
environment without torch, polars or the ``holidays`` package and compares.

Usage: python tests/runtime/make_holiday_fixture.py
Writes tests/runtime/data/synthetic_kr_holiday_{model.onnx,history.csv,expected.csv}.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

import energyai as ea
from energyai.calendar.holidays import holiday_features

OUT = Path(__file__).resolve().parent / "data"
KST = ZoneInfo("Asia/Seoul")
ORIGINS = [dt.datetime(2024, 9, d, 10, tzinfo=KST) for d in (13, 15, 16, 17, 19)]  # Chuseok: Sep 16-18


def synthetic_kr_load(start: dt.datetime, days: int, seed: int = 0) -> pl.DataFrame:
    """Synthetic hourly load (MW) with daily and weekly shape and a drop on Korean holidays."""
    rng = np.random.default_rng(seed)
    ts = pl.datetime_range(start, start + dt.timedelta(hours=24 * days - 1), "1h", eager=True, time_zone="Asia/Seoul")
    utc = ts.dt.convert_time_zone("UTC").dt.replace_time_zone(None).dt.epoch("s").to_numpy()
    h = ts.dt.hour().to_numpy()
    dow = ts.dt.weekday().to_numpy()  # Monday = 1
    hol = holiday_features(utc, "Asia/Seoul", "KR")
    off = (dow >= 6) | (hol["holiday"] > 0)
    y = 60_000 + 8_000 * np.sin(2 * np.pi * (h - 8) / 24) - 9_000 * off - 6_000 * hol["festival"]
    return pl.DataFrame({"timestamp": ts, "load_mw": y + rng.normal(0, 500, len(h))})


def main() -> None:
    OUT.mkdir(exist_ok=True)
    frame = synthetic_kr_load(dt.datetime(2023, 6, 1), 480)
    schema = ea.Schema(timestamp="timestamp", target="load_mw", tz="Asia/Seoul", freq="1h", units="MW")
    model = ea.Forecaster.preset("day-ahead-load", country="KR", issue_time="10:00", tz="Asia/Seoul",
                                 hidden=32, max_steps=600, seed=0, ensemble=1, calibration=None, refit=False)
    model.fit(frame.filter(pl.col("timestamp") < ORIGINS[0] - dt.timedelta(days=1)), schema)
    model.export(OUT / "synthetic_kr_holiday_model.onnx")
    rows = []
    history = frame.filter(pl.col("timestamp").is_between(ORIGINS[0] - dt.timedelta(days=8), ORIGINS[-1]))
    history.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%:z")).write_csv(
        OUT / "synthetic_kr_holiday_history.csv")
    for origin in ORIGINS:
        fc = model.predict(frame.filter(pl.col("timestamp") <= origin))
        rows.append(fc.with_columns(pl.lit(origin.isoformat()).alias("origin")))
    expected = pl.concat(rows).with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
    expected.write_csv(OUT / "synthetic_kr_holiday_expected.csv")
    print(f"wrote {OUT}; {expected.height} forecast rows from {len(ORIGINS)} origins")


if __name__ == "__main__":
    main()
