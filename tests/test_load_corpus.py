"""The load corpus of ``load-base`` against the raw vendor files (real data; skips without it).

Hand-worked references: °C = (°F - 32) × 5/9 of the stations' mean, read from the raw CSV;
an hour of England and Wales demand is the mean of its two half-hours. Tolerance 1e-9
(float64 arithmetic on the same numbers).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from energyai.datasets.corpus import SOURCES, load_corpus
from energyai.exceptions import ConfigError


def test_fahrenheit_stations_become_one_celsius_temperature(shared_data):
    c = load_corpus(["gefcom2014_load"], data_dir=shared_data)
    raw = pl.read_csv(shared_data / "gefcom2014_load" / "gefcom2014_load_track_2012_2013_normalized.csv", n_rows=1)
    stations = [c_ for c_ in raw.columns if c_.lower().startswith("w")]
    assert len(stations) == 25
    expected = (sum(raw[s][0] for s in stations) / 25 - 32) * 5 / 9
    assert c.frame["temperature"][0] == pytest.approx(expected, abs=1e-9)
    assert c.countries == {"gefcom2014_load": "US"}


def test_korean_series_are_on_local_wall_clock_time(shared_data):
    c = load_corpus(["kr_national_load_2013_2021"], data_dir=shared_data)
    first = c.frame["timestamp"][0]
    # the source's first row is 2013-01-01 00:00 KST; the corpus keeps the wall-clock reading
    assert first == dt.datetime(2013, 1, 1, tzinfo=dt.timezone.utc)
    assert c.zones["kr_national"] == "Asia/Seoul" and c.countries["kr_national"] == "KR"


def test_half_hours_average_to_hours_without_a_temperature(shared_data):
    import energyai as ea

    c = load_corpus(["taylor_uk_halfhourly_2000"], data_dir=shared_data)
    raw = ea.datasets.load("taylor_uk_halfhourly_2000", data_dir=shared_data).frame
    y = raw[raw.columns[1]]
    assert c.frame["load"][0] == pytest.approx((y[0] + y[1]) / 2, abs=1e-9)
    assert c.frame.height * 2 == raw.height and c.frame["temperature"].null_count() == c.frame.height


def test_select_and_unknown_sources(shared_data):
    c = load_corpus(["bigdeal2022_load"], data_dir=shared_data)
    assert sorted(c.countries) == ["bigdeal_final_ldc1", "bigdeal_final_ldc2", "bigdeal_final_ldc3",
                                   "bigdeal_qualifying"]
    one = c.select(["bigdeal_final_ldc2"])
    assert one.frame["series"].unique().to_list() == ["bigdeal_final_ldc2"]
    with pytest.raises(ConfigError, match="not in the corpus"):
        c.select(["zone_99"])
    with pytest.raises(ConfigError, match="unknown corpus sources"):
        load_corpus(["opsd_germany_daily"], data_dir=shared_data)
    assert "kr_cnu_gwangju_buildings" in SOURCES


def test_empty_sources_and_zoned_bounds_are_refused():
    # checked before any file is read, so no real data is needed
    with pytest.raises(ConfigError, match="at least one source"):
        load_corpus([])
    seoul = dt.datetime(2021, 1, 1, tzinfo=__import__("zoneinfo").ZoneInfo("Asia/Seoul"))
    with pytest.raises(ConfigError, match="naive datetime"):
        load_corpus(["gefcom2014_load"], start=seoul)
