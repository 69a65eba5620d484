"""``energyai fit``, ``finetune``, ``predict`` and saved-model ``backtest`` end to end."""

from __future__ import annotations

import polars as pl
import pytest
import yaml

pytest.importorskip("lightning")

from energyai.cli.main import main
from energyai.exceptions import CalibrationSkippedWarning
from tests.conftest import synthetic_hourly


@pytest.fixture()
def run_config(tmp_path):
    df = synthetic_hourly(20, 2, seed=3)
    df.write_csv(tmp_path / "sites.csv")
    cfg = {
        "data": {"path": str(tmp_path / "sites.csv"),
                 "schema": {"timestamp": "ts", "target": "load", "series_id": "site",
                            "future_covariates": ["temp"], "tz": "UTC"}},
        "model": {"name": "nhits", "context_length": 48, "horizon": 12, "config": {"hidden": 16}},
        "trainer": {"max_steps": 6, "batch_size": 16, "batches_per_epoch": 3, "progress_bar": False},
        "out": str(tmp_path / "run"),
    }
    path = tmp_path / "fit.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path, cfg, df


def test_fit_finetune_predict_backtest(run_config, tmp_path, capsys):
    path, cfg, df = run_config
    assert main(["fit", "-c", str(path)]) == 0
    run = tmp_path / "run"
    resolved = yaml.safe_load((run / "config.resolved.yaml").read_text())
    assert resolved["model"]["config"] == {"hidden": 16}
    assert resolved["trainer"]["learning_rate"] == 1e-3  # defaults are written out
    assert (run / "model" / "model.safetensors").exists()
    assert (run / "loss.png").stat().st_size > 1000  # the loss curve beside the model
    capsys.readouterr()  # a load model has no capacity: no KPX submission output, exit 2 with the reason
    assert main(["export", str(run), "-o", str(tmp_path / "bid.onnx"), "--kpx-submission"]) == 2
    assert "capacity" in capsys.readouterr().err and not (tmp_path / "bid.onnx").exists()

    site = dict(cfg, out=str(tmp_path / "ft"))
    site.pop("model")
    site["trainer"] = {"max_steps": 3, "batch_size": 16, "batches_per_epoch": 3, "progress_bar": False}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site))
    assert main(["finetune", "-c", str(tmp_path / "site.yaml"), "--from", str(run), "--freeze", "backbone"]) == 0
    assert (tmp_path / "ft" / "model" / "config.json").exists()

    hist = df.filter(pl.col("ts") <= df["ts"].max() - pl.duration(hours=12))
    fut = df.filter(pl.col("ts") > df["ts"].max() - pl.duration(hours=12)).select("site", "ts", "temp")
    hist.write_csv(tmp_path / "recent.csv")
    fut.write_csv(tmp_path / "future.csv")
    out = tmp_path / "forecast.csv"
    assert main(["predict", "--model", str(run), "--data", str(tmp_path / "recent.csv"),
                 "--future", str(tmp_path / "future.csv"), "--out", str(out)]) == 0
    pred = pl.read_csv(out)
    assert pred.height == 24 and {"forecast", "q0.1", "q0.9"} <= set(pred.columns)

    capsys.readouterr()
    assert main(["backtest", "--model", str(run), "--data", str(tmp_path / "sites.csv"), "--timestamp", "ts",
                 "--target", "load", "--series-id", "site", "--future-covariates", "temp", "--tz", "UTC",
                 "--n-folds", "2", "--oracle", "--plot", str(tmp_path / "bt.png")]) == 2
    assert "--in-sample" in capsys.readouterr().err  # the model was trained on the whole file
    assert main(["backtest", "--model", str(run), "--data", str(tmp_path / "sites.csv"), "--timestamp", "ts",
                 "--target", "load", "--series-id", "site", "--future-covariates", "temp", "--tz", "UTC",
                 "--n-folds", "2", "--oracle", "--in-sample", "--plot", str(tmp_path / "bt.png")]) == 0
    printed = capsys.readouterr().out
    assert "seasonal_naive" in printed and "IN-SAMPLE" in printed
    assert (tmp_path / "bt.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.name=transformer9000", "unknown model"),
        ("model.config.hiden=4", "no option"),
        ("trainer.learning_rate=-1", "learning_rate"),
        ("trainer.dropuot=0.1", "unknown key"),
        ("data.schema.target=watts", "watts"),
    ],
)
def test_bad_config_fails_before_training(run_config, override, message, capsys):
    path, _, _ = run_config
    assert main(["fit", "-c", str(path), "--set", override]) == 2
    assert message in capsys.readouterr().err


def test_every_recipe_in_models_builds():
    """Each models/*/config.yaml names a real model with valid options (no data needed)."""
    from pathlib import Path

    from energyai.recipe import build_forecaster, load_config

    recipes = sorted((Path(__file__).resolve().parent.parent / "models").glob("*/config.yaml"))
    assert recipes, "no recipes found in models/"
    for path in recipes:
        cfg = load_config(path)
        model = build_forecaster(cfg)
        assert model.horizon == cfg["model"]["horizon"]
        assert (path.parent / "MODEL_CARD.md").exists(), f"{path.parent.name} has no MODEL_CARD.md"


@pytest.mark.slow
def test_presets_list_show_and_fit_with_a_preset(tmp_path, capsys):
    assert main(["presets", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("day-ahead-load", "day-ahead-solar", "day-ahead-wind"))
    assert main(["presets", "show", "day-ahead-load", "--set", "country=KR", "--set", "hidden=64"]) == 0
    shown = capsys.readouterr().out
    assert "holidays" in shown and "'KR'" in shown and "64" in shown
    assert main(["presets", "show", "no-such-preset"]) == 2

    df = synthetic_hourly(n_days=30, tz="Asia/Seoul").select("ts", "load")
    df.write_csv(tmp_path / "site.csv")
    cfg = {"data": {"path": str(tmp_path / "site.csv"),
                    "schema": {"timestamp": "ts", "target": "load", "tz": "Asia/Seoul", "freq": "1h"}},
           "preset": {"country": "KR"},
           "model": {"config": {"hidden": 16}, "context_length": 48},
           "trainer": {"max_steps": 3, "progress_bar": False},
           "out": str(tmp_path / "run")}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.warns(CalibrationSkippedWarning, match="validation windows"):  # 30 days: too few to calibrate
        assert main(["fit", "--preset", "day-ahead-load", "-c", str(tmp_path / "site.yaml")]) == 0
    out = capsys.readouterr().out
    assert "preset day-ahead-load" in out and "horizon 37" in out
    assert "member: lightgbm" in out and "uncalibrated" in out  # the ensemble summary
    resolved = yaml.safe_load((tmp_path / "run" / "config.resolved.yaml").read_text())
    assert resolved["preset"]["name"] == "day-ahead-load"
    assert resolved["trainer"]["holidays"] == "KR" and resolved["trainer"]["origin_time"] == "10:00"
    assert resolved["model"]["config"]["hidden"] == 16
    bad = dict(cfg, preset={"contry": "KR"})
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    assert main(["fit", "--preset", "day-ahead-load", "-c", str(tmp_path / "bad.yaml")]) == 2
    assert "contry" in capsys.readouterr().err
