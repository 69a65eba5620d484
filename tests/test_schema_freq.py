import pytest

from energyai import Schema, parse_freq
from energyai.exceptions import ConfigError


@pytest.mark.parametrize(("text", "seconds"), [("1h", 3600), ("H", 3600), ("30min", 1800), ("15m", 900), ("10T", 600), ("1d", 86400), ("D", 86400)])
def test_parse_freq(text, seconds):
    assert parse_freq(text).seconds == seconds


@pytest.mark.parametrize("text", ["1mo", "M", "1y", "abc", "0h", ""])
def test_parse_freq_rejects(text):
    with pytest.raises(ConfigError):
        parse_freq(text)


def test_frequency_seasons():
    f = parse_freq("30m")
    assert f.name == "30m" and f.season("day") == 48 and f.season("week") == 336
    with pytest.raises(ConfigError, match="not a whole number"):
        parse_freq("7h").season("day")


def test_schema_normalises_and_roundtrips():
    s = Schema(series_id="site", timestamp="ts", target="load", future_covariates=["temp"], freq="60min", tz="Asia/Seoul", capacity=5)
    assert s.freq == "1h" and s.future_covariates == ("temp",) and s.capacity == 5.0
    assert Schema.from_dict(s.to_dict()) == s


def test_schema_rejects_bad_values():
    with pytest.raises(ConfigError, match="Asia/Seol"):
        Schema(tz="Asia/Seol")
    with pytest.raises(ConfigError, match="'temp' is listed in future_covariates and also as past_covariates"):
        Schema(past_covariates=["temp"], future_covariates=["temp"])
    with pytest.raises(ConfigError, match="capacity"):
        Schema(capacity=-1)
    with pytest.raises(ConfigError, match="unknown Schema keys"):
        Schema.from_dict({"target": "y", "colour": "red"})
