import json

import polars as pl
import pytest

from energyai.cli.main import main
from tests.conftest import synthetic_hourly


def _write(df, path):
    df.with_columns(pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S%z")).write_csv(path)


def test_validate_exit_codes_and_names_the_duplicate(tmp_path, capsys):
    df = synthetic_hourly(n_days=3).drop("site")
    clean = tmp_path / "clean.csv"
    _write(df, clean)
    assert main(["validate", "--data", str(clean), "--timestamp", "ts", "--target", "load"]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "dup.csv"
    _write(pl.concat([df, df.slice(7, 1)]), bad)
    assert main(["validate", "--data", str(bad), "--timestamp", "ts", "--target", "load"]) == 2
    out = capsys.readouterr().out
    assert "DuplicateTimestampError" in out and "2021-03-01 07:00:00" in out


def test_validate_naive_csv_needs_tz(tmp_path, capsys):
    df = synthetic_hourly(n_days=2).drop("site").with_columns(pl.col("ts").dt.replace_time_zone(None))
    path = tmp_path / "naive.csv"
    df.write_csv(path)
    assert main(["validate", "--data", str(path), "--timestamp", "ts", "--target", "load"]) == 2
    assert "--tz" in capsys.readouterr().out
    assert main(["validate", "--data", str(path), "--timestamp", "ts", "--target", "load", "--tz", "Asia/Seoul"]) == 0


def test_datasets_list_shows_licences(capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    assert "taylor_uk_demand_2000" in out and "CC BY-ND 4.0" in out and "kr_national_load_2013_2021" in out


def test_backtest_verb(tmp_path, capsys):
    df = synthetic_hourly(n_days=30)
    path = tmp_path / "s.csv"
    _write(df, path)
    rc = main(["backtest", "--data", str(path), "--timestamp", "ts", "--target", "load", "--series-id", "site",
               "--model", "persistence_ensemble", "--horizon", "24", "--n-folds", "3", "--out", str(tmp_path / "bt")])
    assert rc == 0
    table = json.loads((tmp_path / "bt" / "metrics.json").read_text())
    assert {row["model"] for row in table} == {"persistence_ensemble", "seasonal_naive"}


def test_backtest_prints_the_whole_table_in_each_format_and_writes_iso_timestamps(tmp_path, capsys):
    args = ["backtest", "--dataset", "taylor_uk_demand_2000", "--horizon", "48", "--n-folds", "2",
            "--model", "persistence_ensemble"]
    assert main([*args, "--format", "json", "--out", str(tmp_path / "bt")]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out[: out.rindex("]") + 1])
    assert {r["model"] for r in rows} == {"persistence_ensemble", "seasonal_naive"} and "skill_mae" in rows[0]
    assert main([*args, "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert "| model" in text and "skill_mae" in text and "…" not in text  # no hidden columns
    assert main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("model,n,mae")
    first = (tmp_path / "bt" / "forecasts.csv").read_text().splitlines()[1].split(",")
    # ISO 8601 with the offset of the data's zone (Europe/London, summer: +01:00), as the runtime writes
    import re

    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", v) for v in first[:2]), first
    with pytest.raises(SystemExit):
        main([*args, "--format", "yaml"])
    from energyai.cli.tables import render
    from energyai.exceptions import ConfigError

    with pytest.raises(ConfigError, match="format must be one of"):
        render(pl.DataFrame({"a": [1]}), "yaml")


def test_unknown_model_is_a_clear_error(capsys):
    assert main(["backtest", "--dataset", "taylor_uk_demand_2000", "--model", "magic"]) == 2
    assert "unknown model 'magic'" in capsys.readouterr().err


@pytest.mark.slow
def test_quickstart_writes_three_files_with_positive_skill(tmp_path):
    assert main(["quickstart", "--out", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["skill_mae_vs_reference"] > 0
    assert (tmp_path / "forecast.png").stat().st_size > 10_000
    assert "skill against" in (tmp_path / "report.md").read_text()
    if metrics["neural_model"] is not None:  # the training extra is installed
        assert "dlinear_neural" in metrics["test"]
        neural = metrics["test"]["dlinear_neural"]["mae"]
        assert neural < metrics["test"]["seasonal_naive_week"]["mae"]


def test_backtest_of_a_saved_model_reads_its_zone_and_scores_out_of_sample_by_default(tmp_path, capsys):
    """A model trained on Kolkata data, a CSV written in UTC offsets of another zone: no --tz needed.
    Origins start after the training data; in-sample scoring needs --in-sample and says so."""
    import datetime as dt

    import polars as pl

    import energyai as ea
    from energyai.cli.main import main
    from tests.conftest import synthetic_hourly

    df = synthetic_hourly(40, 1, tz="Asia/Kolkata").select("ts", "load")
    schema = ea.Schema(timestamp="ts", target="load", tz="Asia/Kolkata", freq="1h")
    cut = df["ts"][24 * 30]
    model = ea.Forecaster("dlinear", context_length=48, horizon=24, max_steps=5, batch_size=16, progress_bar=False)
    model.fit(df.filter(pl.col("ts") < cut), schema)
    model.save(tmp_path / "run")
    other = df.with_columns(pl.col("ts").dt.convert_time_zone("Asia/Seoul").dt.strftime("%Y-%m-%dT%H:%M:%S%:z"))
    other.write_csv(tmp_path / "seoul.csv")
    assert main(["backtest", "--model", str(tmp_path / "run"), "--data", str(tmp_path / "seoul.csv"),
                 "--n-folds", "3"]) == 0
    out = capsys.readouterr().out
    assert "out of sample" in out
    parsed = pl.col("ts").str.to_datetime("%Y-%m-%dT%H:%M:%S%:z").dt.convert_time_zone("Asia/Kolkata")
    early = other.filter(parsed < cut + dt.timedelta(hours=12))
    early.write_csv(tmp_path / "early.csv")
    assert main(["backtest", "--model", str(tmp_path / "run"), "--data", str(tmp_path / "early.csv"),
                 "--debug"]) == 2
    assert "--in-sample" in capsys.readouterr().err
    assert main(["backtest", "--model", str(tmp_path / "run"), "--data", str(tmp_path / "early.csv"),
                 "--in-sample", "--n-folds", "2", "--out", str(tmp_path / "bt")]) == 0
    assert "IN-SAMPLE" in capsys.readouterr().out
    assert pl.read_csv(tmp_path / "bt" / "forecasts.csv")["in_sample"].all()
