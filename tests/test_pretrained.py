"""Released models by name (``energyai.pretrained``, ``Forecaster.from_pretrained``, ``finetune --from NAME``)."""

from __future__ import annotations

import shutil

import pytest
import yaml

pytest.importorskip("torch")

import energyai as ea
from energyai import pretrained
from energyai.cli.main import main
from energyai.exceptions import ArtifactError, IntegrityError


def test_the_shipped_model_is_found_by_name_and_forecasts():
    assert "gb-demand-dlinear" in pretrained.available()
    model = ea.Forecaster.from_pretrained("gb-demand-dlinear")
    ds = ea.datasets.load("taylor_uk_demand_2000")
    fc = model.predict(ds.frame.tail(model.context_length))
    assert fc.height == model.horizon and fc["forecast"].is_finite().all() and not fc["fallback"].any()


def test_unknown_names_list_the_released_ones(tmp_path, monkeypatch):
    with pytest.raises(ArtifactError, match="gb-demand-dlinear"):
        ea.Forecaster.from_pretrained("no-such-model")
    # a zoo folder from the environment comes first; its files are verified like any saved folder
    zoo = tmp_path / "zoo"
    shutil.copytree(pretrained.available()["gb-demand-dlinear"], zoo / "my-site" / "weights")
    monkeypatch.setenv(pretrained.MODELS_ENV, str(zoo))
    assert pretrained.resolve("my-site") == zoo / "my-site" / "weights"
    (zoo / "my-site" / "weights" / "config.json").write_text("{}")
    with pytest.raises(IntegrityError):
        ea.Forecaster.from_pretrained("my-site")


def test_finetune_from_a_released_name_on_the_command_line(tmp_path):
    ds = ea.datasets.load("taylor_uk_demand_2000")
    ds.frame.tail(48 * 40).write_csv(tmp_path / "site.csv")
    cfg = {
        "data": {"path": str(tmp_path / "site.csv"),
                 "schema": {"timestamp": ds.schema.timestamp, "target": ds.schema.target, "freq": "30min",
                            "tz": ds.schema.tz}},
        "trainer": {"max_steps": 4, "batch_size": 16, "batches_per_epoch": 2, "val_size": 0},
        "out": str(tmp_path / "ft"),
    }
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(cfg))
    assert main(["finetune", "-c", str(tmp_path / "site.yaml"), "--from", "gb-demand-dlinear"]) == 0
    tuned = ea.Forecaster.load(tmp_path / "ft" / "model")
    assert tuned.model == "dlinear" and tuned.manifest_["finetuned_from"]["data_sha256"]


def test_load_base_is_released_never_saw_its_test_sites_and_forecasts_zero_shot():
    import datetime as dt

    import numpy as np
    import polars as pl

    from tests.conftest import synthetic_hourly

    assert "load-base" in pretrained.available()
    recipe = yaml.safe_load((pretrained.available()["load-base"].parent / "recipe.yaml").read_text())
    model = ea.Forecaster.from_pretrained("load-base", tz="Asia/Seoul", holidays="KR")
    trained = set(model.manifest_["training_series"])
    assert trained and not trained & set(recipe["corpus"]["holdout"])
    assert not any(s.startswith(("kr_", "cnu_")) for s in trained)  # not redistributable: never trained on
    assert model.schema_.tz == "Asia/Seoul" and model.holidays == "KR"
    assert sum(p.numel() for p in model.network_.parameters()) * 4 < 10e6  # "about 10 MB of weights"
    df = synthetic_hourly(n_days=8, n_series=1, tz="Asia/Seoul").rename(
        {"site": "series", "ts": "timestamp", "temp": "temperature"})
    cut = dt.datetime(2021, 3, 8, tzinfo=__import__("zoneinfo").ZoneInfo("Asia/Seoul"))
    hist = df.filter(pl.col("timestamp") < cut)
    fut = df.filter(pl.col("timestamp") >= cut).head(24).drop("load")
    with_t = model.predict(hist, fut)
    without = model.predict(hist.drop("temperature"), fut.drop("temperature"))
    for fc in (with_t, without):
        assert fc.height == 24 and fc["forecast"].is_finite().all() and not fc["fallback"].any()
        # a synthetic daily profile between 68 and 135: a sane model stays in a wide band around it
        assert 30 < float(fc["forecast"].min()) and float(fc["forecast"].max()) < 250
    assert not np.array_equal(with_t["forecast"].to_numpy(), without["forecast"].to_numpy())
    # without the site's zone, a floating-clock base model refuses to forecast (it would shift by the offset)
    bare = ea.Forecaster.from_pretrained("load-base")
    with pytest.raises(ea.exceptions.ConfigError, match="local wall-clock"):
        bare.predict(hist, fut)
    with pytest.raises(ea.exceptions.ConfigError, match="local wall-clock"):
        bare.export("never.onnx")


def test_predict_a_base_model_by_name_on_the_command_line(tmp_path):
    import datetime as dt

    import polars as pl

    from tests.conftest import synthetic_hourly

    df = synthetic_hourly(n_days=8, n_series=1, tz="Asia/Seoul").rename(
        {"site": "series", "ts": "timestamp", "temp": "temperature"})
    cut = dt.datetime(2021, 3, 8, tzinfo=__import__("zoneinfo").ZoneInfo("Asia/Seoul"))
    df.filter(pl.col("timestamp") < cut).write_parquet(tmp_path / "recent.parquet")
    df.filter(pl.col("timestamp") >= cut).head(24).drop("load").write_parquet(tmp_path / "weather.parquet")
    args = ["predict", "--model", "load-base", "--data", str(tmp_path / "recent.parquet"),
            "--future", str(tmp_path / "weather.parquet"), "-o", str(tmp_path / "fc.csv")]
    assert main(args) == 2  # no zone given: refused, not forecast on the wrong clock
    assert main([*args, "--tz", "Asia/Seoul", "--holidays", "KR"]) == 0
    fc = pl.read_csv(tmp_path / "fc.csv")
    first = fc["timestamp"][0]  # the Seoul clock: midnight local, +09:00
    assert fc.height == 24 and first.startswith("2021-03-08T00:00:00") and first.endswith(("+0900", "+09:00"))


def _pv_days(site, days=3, index=0.6):
    """Synthetic PV (named so): a constant clear-sky index at ``site`` with sunny weather columns."""
    import datetime as dt

    import polars as pl

    from energyai.baselines.solar import interval_clearsky

    t0 = dt.datetime(2022, 5, 1, tzinfo=dt.timezone.utc)
    ts = pl.datetime_range(t0, t0 + dt.timedelta(hours=24 * days - 1), "1h", eager=True)
    sky = interval_clearsky(ts.dt.replace_time_zone(None).to_numpy(), site, 3600, 3.0)
    return pl.DataFrame({"series": "synthetic_plant", "timestamp": ts, "cf": index * sky / 1000.0, "ghi": 0.9 * sky,
                         "temperature": 20.0, "cloud_cover": 0.1}), sky


def test_solar_base_is_released_never_saw_its_test_plants_and_needs_the_plants_site():
    assert "solar-base" in pretrained.available()
    recipe = yaml.safe_load((pretrained.available()["solar-base"].parent / "recipe.yaml").read_text())
    bare = ea.Forecaster.from_pretrained("solar-base")
    trained = set(bare.manifest_["training_series"])
    assert trained and not trained & set(recipe["corpus"]["holdout"])
    assert bare.network_.clearsky_index and bare.train_config.calendar is False
    assert sum(p.numel() for p in bare.network_.parameters()) * 4 < 10e6  # "about 10 MB of weights"
    gwangju = (35.18, 126.91, 50.0)
    df, sky = _pv_days(gwangju)
    hist, fut = df.head(48), df.tail(24).drop("cf")
    with pytest.raises(ea.exceptions.ConfigError, match="plant's site"):
        bare.predict(hist, fut)
    model = ea.Forecaster.from_pretrained("solar-base", solar_site=gwangju)
    fc = model.predict(hist, fut)
    assert fc.height == 24 and not fc["fallback"].any()
    night = sky[-24:] == 0
    assert night.any() and (fc["forecast"].to_numpy()[night] == 0).all()
    # clear days at a clear-sky index of 0.6: a sane model forecasts a daytime output in a wide band around it
    day = sky[-24:] > 500
    assert 0.2 < float(fc["forecast"].to_numpy()[day].mean() / (sky[-24:][day].mean() / 1000)) < 1.2
    blind = model.predict(hist.drop("ghi", "temperature", "cloud_cover"), fut.select("series", "timestamp"))
    assert blind.height == 24 and blind["forecast"].is_finite().all()


def test_predict_solar_base_by_name_needs_a_site_on_the_command_line(tmp_path):
    df, _ = _pv_days((35.18, 126.91, 50.0))
    df.head(48).write_parquet(tmp_path / "recent.parquet")
    df.tail(24).drop("cf").write_parquet(tmp_path / "weather.parquet")
    args = ["predict", "--model", "solar-base", "--data", str(tmp_path / "recent.parquet"),
            "--future", str(tmp_path / "weather.parquet"), "-o", str(tmp_path / "fc.csv")]
    assert main(args) == 2  # no site: refused, not forecast with another place's sun
    assert main([*args, "--site", "35.18,126.91"]) == 0
    assert main([*args, "--site", "north"]) == 2


def test_released_models_describe_their_inputs_and_ship_an_example_site(capsys):
    base = ea.Forecaster.from_pretrained("load-base", tz="Asia/Seoul", holidays="KR")
    text = base.describe()
    for expected in ("'temperature' (optional)", "Asia/Seoul", "history frame", "future frame", "'KR' table"):
        assert expected in text, expected
    assert main(["inspect", "solar-base"]) == 0
    out = capsys.readouterr().out
    assert "future covariates" in out and "solar site" in out
    site = pretrained.example_config("solar-base")
    assert site is not None and site.name == "site.yaml" and "dataset" in site.read_text()
    assert pretrained.example_config("no-such-model") is None
    assert main(["inspect", "no-such-model"]) == 3  # an artifact error: one line on standard error, exit 3
    assert "is not an exported .onnx file, a saved folder or a released model" in capsys.readouterr().err


def test_the_wheel_carries_the_released_models():
    """pyproject.toml force-includes each released model's weights into energyai/zoo (the wheel's
    package data), which energyai.pretrained searches after a checkout's models/ folder."""
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parents[1]
    include = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"][
        "force-include"]
    for name in ("load-base", "solar-base", "gb-demand-dlinear"):
        assert include[f"models/{name}/weights"] == f"energyai/zoo/{name}/weights"
        assert (root / "models" / name / "weights" / "config.json").is_file()
    assert any(p.name == "zoo" for p in [Path(pretrained.__file__).parent / "zoo"])
