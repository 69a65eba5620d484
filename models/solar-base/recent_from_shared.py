"""Write the inputs of step 3 of the model card: two days of GEFCom2014 zone 3's output and
the next day's NWP weather, as the CSV files a device would be given (real data from
``$ENERGYAI_DATA``, made on the spot).

    python models/solar-base/recent_from_shared.py OUT_FOLDER
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl

import energyai as ea


def main(out: Path) -> None:
    ds = ea.datasets.load("gefcom2014_solar")
    f = ds.frame.filter(pl.col("zone") == "zone3").select(
        "zone", "timestamp", "power", pl.col("ssrd").alias("ghi"), pl.col("t2m").alias("temperature"),
        pl.col("tcc").alias("cloud_cover"))
    origin = dt.datetime(2013, 7, 1, tzinfo=dt.timezone.utc)  # the day after the four fine-tuning weeks
    recent = f.filter(pl.col("timestamp") < origin, pl.col("timestamp") >= origin - dt.timedelta(days=2))
    weather = f.filter(pl.col("timestamp") >= origin, pl.col("timestamp") < origin + dt.timedelta(days=1))
    out.mkdir(parents=True, exist_ok=True)
    recent.write_csv(out / "recent.csv")
    weather.drop("power").write_csv(out / "weather.csv")
    print(f"wrote {out / 'recent.csv'} ({recent.height} rows) and {out / 'weather.csv'} ({weather.height} rows)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
