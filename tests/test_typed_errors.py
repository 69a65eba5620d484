"""Every bad input ends in a typed energyai error that names the file, column or timestamp
(issue 14 regressions: readers, validate, the CLI)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

pl = pytest.importorskip("polars")

import energyai as ea  # noqa: E402
from energyai.cli.main import main  # noqa: E402
from energyai.exceptions import (  # noqa: E402
    DataError,
    DatasetError,
    EnergyAIError,
    InsufficientDataError,
    IrregularTimestampError,
    OutOfRangeError,
    SchemaError,
    TimestampError,
)


@pytest.mark.parametrize(("name", "content", "match"), [
    ("ragged.csv", b"ts,load\n2024-01-01 00:00,1\n2024-01-01 01:00,2,3\n", "ragged.csv as CSV"),
    ("empty.csv", b"", "is empty"),
    ("header.csv", b"ts,load\n", "no data rows"),
    ("quote.csv", b'ts,load\n"2024-01-01 00:00,1\n2024-01-01 01:00,2\n', "quote.csv as CSV"),
    ("latin1.csv", b"ts,load\n2024-01-01 00:00,1\n\xff\xfe,2\n", "latin1.csv as CSV"),
])
def test_read_csv_turns_reader_failures_into_data_errors(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=match):
        ea.read_csv(path, ea.Schema(timestamp="ts", target="load"))


def test_read_csv_on_a_folder_or_a_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="is a folder"):
        ea.read_csv(tmp_path)
    with pytest.raises(DatasetError, match="not found"):
        ea.read_csv(tmp_path / "none.csv")


def test_cli_validate_prints_one_line_and_exit_code_2(tmp_path, capsys):
    path = tmp_path / "ragged.csv"
    path.write_bytes(b"ts,load\n2024-01-01 00:00,1\n2024-01-01 01:00,2,3\n")
    assert main(["validate", "--data", str(path), "--timestamp", "ts", "--target", "load", "--tz", "UTC"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("energyai validate: DataError:")
    assert main(["validate", "--data", str(tmp_path / "none.csv"), "--timestamp", "ts", "--target", "load"]) == 2


def test_errors_of_the_data_contract_are_value_errors():
    for cls in (DataError, SchemaError, ea.exceptions.ConfigError):
        assert issubclass(cls, ValueError) and issubclass(cls, EnergyAIError)


def _daily(times):
    return pl.DataFrame({"day": pl.Series(times), "gwh": np.arange(len(times), dtype=float)})


def test_daily_data_off_the_grid_is_refused_not_dropped():
    # six rows: a 12:00 among midnights and two rows on one date used to pass validate, then
    # regularize dropped one: five observed values, no error
    times = [dt.datetime(2024, 1, d) for d in (1, 2, 3, 4, 5)] + [dt.datetime(2024, 1, 3, 12)]
    schema = ea.Schema(timestamp="day", target="gwh", freq="1d", tz="Asia/Seoul")
    with pytest.raises(IrregularTimestampError, match="2024-01-03 12:00"):
        ea.validate(_daily(times), schema)
    clean = [dt.datetime(2024, 1, d) for d in (1, 2, 3, 4, 5, 6)]
    assert ea.validate(_daily(clean), schema).height == 6


def test_validate_on_an_empty_frame_far_timestamps_and_huge_values():
    schema = ea.Schema(timestamp="ts", target="load", freq="1h", tz="UTC")
    empty = pl.DataFrame({"ts": pl.Series([], dtype=pl.Datetime("us", "UTC")), "load": pl.Series([], dtype=pl.Float64)})
    with pytest.raises(InsufficientDataError, match="no rows"):
        ea.validate(empty, schema)
    far = pl.DataFrame({"ts": pl.Series([2**40 * 10**6, 2**40 * 10**6 + 3600 * 10**6]).cast(pl.Datetime("us", "UTC")),
                        "load": [1.0, 2.0]})
    with pytest.raises(TimestampError, match="1800 to 2399"):
        ea.validate(far, schema)


def test_validate_names_every_gap_with_its_timestamp():
    t = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 2), "1h", time_zone="UTC", eager=True)
    df = pl.DataFrame({"ts": t, "load": np.ones(t.len())}).filter(~pl.col("ts").dt.hour().is_in([5, 6, 9]))
    report = ea.check(df, ea.Schema(timestamp="ts", target="load", freq="1h"))
    assert report.stats["grid_gaps"] == 3
    assert report.stats["gaps_at"] == ["2 step(s) missing from 2024-01-01 05:00:00+00:00",
                                       "1 step(s) missing from 2024-01-01 09:00:00+00:00"]


def test_fitting_a_series_near_float32_max_is_refused_before_training():
    pytest.importorskip("torch")
    t = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 10), "1h", time_zone="UTC", eager=True)
    df = pl.DataFrame({"ts": t, "load": np.full(t.len(), 3e38)})
    with pytest.raises(OutOfRangeError, match="'load'"):
        ea.Forecaster("dlinear", context_length=24, horizon=6, max_steps=2).fit(
            df, ea.Schema(timestamp="ts", target="load", freq="1h"))


def test_naive_time_advice_names_cli_options(tmp_path, capsys):
    t = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 1, 3), "1h", eager=True)
    path = tmp_path / "naive.csv"
    pl.DataFrame({"ts": t, "load": np.ones(t.len())}).write_csv(path)
    assert main(["validate", "--data", str(path), "--timestamp", "ts", "--target", "load"]) == 2
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "--tz" in text and "data.schema.tz" in text


def test_quantiles_given_as_a_string_and_non_names_for_released_models():
    """Issue 29 #16: quantiles="0.5" was read character by character (an untyped ValueError)
    and from_pretrained(None) ended in a TypeError."""
    import energyai as ea
    from energyai.exceptions import ConfigError

    for bad in ("0.5", "0.1,0.9", [0.1, "x"], [0.5, float("nan")]):
        with pytest.raises(ConfigError, match="quantiles"):
            ea.Forecaster("tide", horizon=4, context_length=8, quantiles=bad).check()
    for bad in (None, 3, ""):
        with pytest.raises(ConfigError, match="released model name"):
            ea.Forecaster.from_pretrained(bad)


def test_config_yaml_bombs_tags_and_malformed_values_are_config_errors(tmp_path, capsys):
    """Issue 29 #16 and #17: malformed YAML, Python tags and ``--set x=[`` ended in exit 1
    ("internal error"); an alias bomb grew until the out-of-memory killer."""
    from energyai.exceptions import ConfigError
    from energyai.yamlio import MAX_YAML_BYTES, load_yaml

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    bomb += "trainer: {max_steps: *i}\n"
    cases = {"bomb.yaml": bomb, "tag.yaml": "trainer: !!python/object/apply:os.system ['true']\n",
             "broken.yaml": "trainer: {max_steps: [1, 2\n", "latin.yaml": None}
    for name, text in cases.items():
        path = tmp_path / name
        if text is None:
            path.write_bytes("out: caf\xe9\n".encode("latin-1"))
        else:
            path.write_text(text)
        assert main(["fit", "-c", str(path)]) == 2, name
        err = capsys.readouterr().err
        assert "ConfigError" in err and "internal error" not in err, (name, err)
    good = tmp_path / "good.yaml"
    good.write_text("trainer: {max_steps: 3}\n")
    assert main(["fit", "-c", str(good), "--set", "trainer.max_steps=["]) == 2
    assert "--set trainer.max_steps" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="aliases"):
        load_yaml(bomb, "bomb")
    with pytest.raises(ConfigError, match="over the limit"):
        load_yaml("x: " + "1" * (MAX_YAML_BYTES + 1), "big")
    assert load_yaml("trainer: {max_steps: 3}", "ok") == {"trainer": {"max_steps": 3}}
