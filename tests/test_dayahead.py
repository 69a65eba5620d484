"""The day-ahead protocol: origins, horizon and delivery-hour scoring (KPX preset)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from energyai import Schema
from energyai.baselines import SeasonalNaive
from energyai.evaluation import DayAheadProtocol
from energyai.exceptions import ConfigError
from tests.conftest import synthetic_hourly

KST = ZoneInfo("Asia/Seoul")


def test_kpx_origins_and_horizon():
    p = DayAheadProtocol.kpx()
    assert p.origin(dt.date(2024, 5, 2)) == dt.datetime(2024, 5, 1, 10, tzinfo=KST)
    assert p.horizon(3600) == 37  # 11:00 D-1 .. 23:00 D
    assert p.horizon(900) == 37 * 4 + 3  # 15-minute steps up to 23:45
    d = p.delivery(dt.date(2024, 5, 2), 3600)
    assert len(d) == 24 and d[0] == dt.datetime(2024, 5, 2, 0, tzinfo=KST)
    assert p.cutoffs(dt.date(2024, 5, 2), dt.date(2024, 5, 4))[-1] == dt.datetime(2024, 5, 3, 10, tzinfo=KST)


def test_dst_days_have_23_and_25_delivery_hours_in_berlin():
    p = DayAheadProtocol(dt.time(12), "Europe/Berlin", name="EPEX-like")
    spring = p.delivery(dt.date(2024, 3, 31), 3600)
    autumn = p.delivery(dt.date(2024, 10, 27), 3600)
    assert len(spring) == 23 and spring[-1].hour == 23
    assert len(autumn) == 25 and autumn[-1].hour == 23
    assert len(p.delivery(dt.date(2024, 6, 1), 900)) == 96


def test_protocol_backtest_scores_delivery_hours_only():
    df = synthetic_hourly(30, 2).with_columns(pl.col("ts").dt.convert_time_zone("Asia/Seoul"))
    schema = Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="Asia/Seoul")
    p = DayAheadProtocol.kpx()
    with pytest.raises(ConfigError, match="horizon=37"):
        p.backtest(SeasonalNaive(24, season="week"), df, schema, dt.date(2021, 3, 20), dt.date(2021, 3, 25))
    res = p.backtest(SeasonalNaive(37, season="week"), df, schema, dt.date(2021, 3, 20), dt.date(2021, 3, 25))
    fc = res.forecasts
    assert fc.height == 6 * 2 * 24 and fc["lead"].min() == 14 and fc["lead"].max() == 37
    local = fc["ts"].dt.convert_time_zone("Asia/Seoul")
    assert local.dt.hour().min() == 0 and local.dt.hour().max() == 23
    assert res.metrics["n"][0] == fc.height
