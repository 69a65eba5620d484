"""Bad input gets a typed error naming the column and the rows; clean input passes unchanged."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energyai import Schema, check, regularize, validate
from energyai.exceptions import (
    CapacityExceededError,
    ColumnTypeError,
    DuplicateTimestampError,
    IrregularTimestampError,
    MissingColumnError,
    NaiveTimestampError,
    NegativeValueError,
    NonFiniteValueError,
)
from tests.conftest import synthetic_hourly

SCHEMA = Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"])


def test_clean_frame_passes_and_values_are_unchanged():
    df = synthetic_hourly(n_series=2)
    out = validate(df.sample(fraction=1.0, shuffle=True, seed=1), SCHEMA)
    assert out.sort("site", "ts").equals(df.sort("site", "ts"))
    assert check(df, SCHEMA).schema.freq == "1h"


def test_missing_column_lists_required_and_found():
    df = synthetic_hourly().drop("temp")
    with pytest.raises(MissingColumnError, match=r"missing column\(s\) \['temp'\].*frame has \['site', 'ts', 'load'\]"):
        validate(df, SCHEMA)


def test_wrong_dtype_named():
    df = synthetic_hourly().with_columns(pl.col("load").cast(pl.String))
    with pytest.raises(ColumnTypeError, match="column 'load' has dtype String"):
        validate(df, SCHEMA)


def test_naive_timestamps_rejected_without_tz():
    df = synthetic_hourly().with_columns(pl.col("ts").dt.replace_time_zone(None))
    with pytest.raises(NaiveTimestampError, match=r"no time zone.*tz='Asia/Seoul'"):
        validate(df, SCHEMA)
    out = validate(df, SCHEMA.with_(tz="Asia/Seoul"))
    assert out.schema["ts"].time_zone == "Asia/Seoul"


def test_dst_fall_back_hour_in_naive_local_time_is_a_duplicate():
    # 2021-11-07 01:00 happens twice in New York; a naive local clock writes it twice
    times = [dt.datetime(2021, 11, 7, h) for h in (0, 1, 1, 2, 3)]
    df = pl.DataFrame({"ts": times, "load": [1.0, 2, 3, 4, 5]})
    schema = Schema(timestamp="ts", target="load", tz="America/New_York")
    with pytest.raises(DuplicateTimestampError, match=r"2021-11-07 01:00:00.*daylight-saving fall-back"):
        validate(df, schema)


def test_duplicate_timestamp_named():
    df = synthetic_hourly()
    dup = pl.concat([df, df.slice(30, 1)])
    with pytest.raises(DuplicateTimestampError, match=r"site='synthetic_0' 2021-03-02 06:00:00"):
        validate(dup, SCHEMA)


def test_irregular_spacing_named():
    df = synthetic_hourly().with_columns(
        pl.when(pl.int_range(pl.len()) == 10).then(pl.col("ts") + dt.timedelta(minutes=20)).otherwise(pl.col("ts")).alias("ts")
    )
    with pytest.raises(IrregularTimestampError, match=r"off the 1h grid.*2021-03-01 10:20:00"):
        validate(df, SCHEMA.with_(freq="1h"))


def test_daily_data_across_dst_is_regular():
    days = pl.date_range(dt.date(2021, 3, 20), dt.date(2021, 4, 5), "1d", eager=True)
    df = pl.DataFrame({"day": days, "gwh": np.arange(len(days), dtype=float) + 1})
    report = check(df, Schema(timestamp="day", target="gwh", tz="Europe/Berlin"))
    assert report.ok, report.problems
    assert report.schema.freq == "1d"


def test_non_finite_values_named_with_fix():
    df = synthetic_hourly().with_columns(pl.when(pl.int_range(pl.len()) == 5).then(float("nan")).otherwise(pl.col("temp")).alias("temp"))
    with pytest.raises(NonFiniteValueError, match=r"column 'temp' has 1 NaN or infinite values, at site='synthetic_0' 2021-03-01 05:00.*null"):
        validate(df, SCHEMA)


def test_negative_load_and_capacity():
    df = synthetic_hourly().with_columns(pl.when(pl.int_range(pl.len()) == 3).then(-1.0).otherwise(pl.col("load")).alias("load"))
    with pytest.raises(NegativeValueError, match=r"1 negative values.*nonnegative=False"):
        validate(df, SCHEMA)
    validate(df, SCHEMA.with_(nonnegative=False))
    with pytest.raises(CapacityExceededError, match=r"exceeds capacity in \d+ rows"):
        validate(synthetic_hourly(), SCHEMA.with_(capacity=120.0))


def test_all_problems_are_listed():
    df = synthetic_hourly().with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(-1.0).otherwise(pl.col("load")).alias("load"),
        pl.when(pl.int_range(pl.len()) == 5).then(float("inf")).otherwise(pl.col("temp")).alias("temp"),
    )
    report = check(df, SCHEMA)
    assert {p.error for p in report.problems} == {NonFiniteValueError, NegativeValueError}
    with pytest.raises(NonFiniteValueError, match="1 more problem"):
        report.raise_if_problems()


def test_nulls_are_missing_not_errors_and_are_never_filled():
    df = synthetic_hourly().with_columns(pl.when(pl.int_range(pl.len()).is_between(10, 12)).then(None).otherwise(pl.col("load")).alias("load"))
    out = validate(df, SCHEMA)
    assert out["load"].null_count() == 3


@settings(max_examples=40, deadline=None)
@given(drop=st.sets(st.integers(min_value=1, max_value=70), max_size=30), n_series=st.integers(1, 3))
def test_regularize_restores_grid_and_masks_gaps(drop, n_series):
    df = synthetic_hourly(n_days=3, n_series=n_series)
    kept = df.filter(~pl.int_range(pl.len()).over("site").is_in(sorted(drop)))
    frame = validate(kept, SCHEMA)
    reg = regularize(frame, check(frame, SCHEMA).schema)
    assert reg.height == df.height
    assert reg["observed"].sum() == kept.height
    # observed rows keep their exact values, gaps stay null (never interpolated)
    joined = reg.join(df, on=["site", "ts"], suffix="_orig")
    obs = joined.filter(pl.col("observed"))
    assert (obs["load"] == obs["load_orig"]).all()
    assert joined.filter(~pl.col("observed"))["load"].null_count() == reg.height - kept.height


def test_dst_repeats_and_gaps_are_refused_by_default_and_repaired_on_request():
    """Hand-worked on Europe/London 2021: 01:00 written twice on 31 October (BST then GMT), and a
    logger's non-existent 01:00 on 28 March (clocks jump from 01:00 to 02:00)."""
    import datetime as dt
    import warnings

    import polars as pl

    import energyai as ea
    from energyai.exceptions import ConfigError, DuplicateTimestampError, TimestampRepairWarning

    s = ea.Schema(timestamp="ts", target="y", tz="Europe/London", freq="1h")
    fall = pl.DataFrame({"ts": [dt.datetime(2021, 10, 31, h) for h in (0, 1, 1, 2)], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(DuplicateTimestampError, match="dst='shift'"):
        ea.validate(fall, s)
    with pytest.warns(TimestampRepairWarning, match="2 rows at repeated"):
        out = ea.validate(fall, s, dst="shift")
    utc = out["ts"].dt.convert_time_zone("UTC").dt.hour().to_list()
    assert utc == [23, 0, 1, 2] and out["y"].to_list() == [1.0, 2.0, 3.0, 4.0]  # values untouched, in order
    with pytest.warns(TimestampRepairWarning, match="2 rows removed"):
        dropped = ea.validate(fall, s, dst="drop")
    assert dropped["y"].to_list() == [1.0, 4.0]
    spring = pl.DataFrame({"ts": [dt.datetime(2021, 3, 28, h) for h in (0, 1, 3)], "y": [1.0, 2.0, 3.0]})
    with pytest.warns(TimestampRepairWarning, match="1 at non-existent"):
        moved = ea.validate(spring, s, dst="shift")
    assert moved["ts"].dt.convert_time_zone("UTC").dt.hour().to_list() == [0, 1, 2]
    clash = pl.DataFrame({"ts": [dt.datetime(2021, 3, 28, h) for h in (0, 1, 2)], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(DuplicateTimestampError, match="same instant"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ea.validate(clash, s, dst="shift")  # 01:00 shifted onto the 02:00 that is already there
    with pytest.raises(ConfigError, match="dst must be one of"):
        ea.validate(fall, s, dst="fix")
