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
