"""Write the inputs of step 3 of the model card: a week of a CNU building's history and the
next day's temperature, as the CSV files a device would be given (real data from
``$ENERGYAI_DATA``, which is not redistributed, so they are made on the spot).

    python models/load-base/recent_from_shared.py OUT_FOLDER [--base-columns]

``--base-columns`` writes them in the released model's own columns (``series``, ``timestamp``,
``load``, ``temperature``; ``energyai inspect load-base`` lists them), for
``energyai predict --model load-base`` without fine-tuning.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

import energyai as ea


def main(out: Path, base_columns: bool = False) -> None:
    ds = ea.datasets.load("kr_cnu_gwangju_buildings", mask_anomalies=True)
    f = ds.frame.filter(pl.col("building") == "C14_engineering_bldg7_HV02").select(
        "building", "timestamp", "energy_kwh", pl.col("temp_air").alias("temperature"))
    origin = dt.datetime(2022, 2, 1, tzinfo=ZoneInfo("Asia/Seoul"))
    recent = f.filter(pl.col("timestamp") < origin, pl.col("timestamp") >= origin - dt.timedelta(days=7))
    weather = f.filter(pl.col("timestamp") >= origin, pl.col("timestamp") < origin + dt.timedelta(days=1))
    if base_columns:
        recent = recent.rename({"building": "series", "energy_kwh": "load"})
        weather = weather.rename({"building": "series", "energy_kwh": "load"})
    out.mkdir(parents=True, exist_ok=True)
    recent.write_csv(out / "recent.csv")
    weather.drop("load" if base_columns else "energy_kwh").write_csv(out / "weather.csv")
    print(f"wrote {out / 'recent.csv'} ({recent.height} rows) and {out / 'weather.csv'} ({weather.height} rows)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--base-columns"]
    main(Path(args[0] if args else "."), base_columns="--base-columns" in sys.argv[1:])
