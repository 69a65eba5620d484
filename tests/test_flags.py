"""Flagged (curtailed, outage) hours leave the loss and the metrics; nothing else changes."""

from __future__ import annotations

import polars as pl
import pytest

from energyai import Schema
from energyai.baselines import SeasonalNaive
from energyai.data import mask_flagged
from energyai.evaluation import backtest
from energyai.exceptions import ColumnTypeError, MissingColumnError
from tests.conftest import synthetic_hourly

SCHEMA = Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="UTC")


def test_flagged_hours_are_masked_and_counted():
    df = synthetic_hourly(20, 1).drop("temp").with_columns(
        (pl.int_range(pl.len()) % 50 == 0).alias("curtailed"),
        pl.when(pl.int_range(pl.len()) == 100).then(1).otherwise(0).alias("outage"),
    )
    out, counts = mask_flagged(df, SCHEMA, ["curtailed", "outage"])
    assert counts == {"curtailed": 10, "outage": 1, "masked": 10}  # row 100 is also a multiple of 50
    assert out["load"].null_count() == 10 and out.height == df.height and out.columns == df.columns
    kept = ~(df["curtailed"] | (df["outage"] == 1))
    assert out.filter(kept)["load"].equals(df.filter(kept)["load"])
    res = backtest(SeasonalNaive(24), out.drop("curtailed", "outage"), SCHEMA, n_folds=5, step=24)
    scored = res.forecasts.filter(pl.col("actual").is_not_null()).height
    assert res.metrics["n"][0] == scored  # masked hours are not scored


def test_bad_flag_columns():
    df = synthetic_hourly(3, 1)
    with pytest.raises(MissingColumnError, match="curtailed"):
        mask_flagged(df, SCHEMA, ["curtailed"])
    with pytest.raises(ColumnTypeError, match="temp"):
        mask_flagged(df, SCHEMA, ["temp"])
