import shutil

import pytest

from energyai import datasets
from energyai.exceptions import ChecksumError, DatasetError


def test_shipped_load_and_solar_validate():
    load = datasets.load("taylor_uk_demand_2000")
    assert load.frame.height == 4032 and load.schema.freq == "30m" and load.info.domain == "load"
    solar = datasets.load("pvfleets_system50_2012", freq="1h")
    assert solar.info.domain == "solar" and solar.schema.freq == "1h"
    assert {"ghi", "temp_air"} <= set(solar.schema.future_covariates)
    assert solar.frame["ac_power"].null_count() < solar.frame.height * 0.05


def test_external_dataset_needs_a_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    monkeypatch.chdir(tmp_path)  # no ../shared/datasets from here
    assert datasets.default_data_dir() is None
    with pytest.raises(DatasetError, match=r"ENERGYAI_DATA.*\.\./shared/datasets"):
        datasets.load("ett_small")
    with pytest.raises(DatasetError, match="unknown dataset 'nope'"):
        datasets.info("nope")


def test_registry_covers_every_shared_folder(shared_data):
    names = {d.name for d in datasets.list_datasets()}
    folders = {p.name for p in shared_data.iterdir() if p.is_dir()}
    assert folders <= names, folders - names
    for d in datasets.list_datasets():
        assert d.licence and d.citation and d.files


@pytest.mark.shared_data
@pytest.mark.parametrize("name", [d.name for d in datasets.list_datasets() if not d.shipped])
def test_every_external_loader_returns_a_valid_frame(shared_data, name):
    ds = datasets.load(name, shared_data)  # verifies sha256 and validates
    assert ds.frame.height > 1000
    assert ds.frame[ds.schema.timestamp].dtype.time_zone == ds.schema.tz


def test_checksum_mismatch_is_caught(shared_data, tmp_path):
    dst = tmp_path / "taylor_uk_halfhourly_2000"
    shutil.copytree(shared_data / "taylor_uk_halfhourly_2000", dst)
    f = dst / "taylor_england_wales_demand_2000.csv"
    f.chmod(0o644)
    f.write_text(f.read_text().replace("22262", "22263", 1))
    with pytest.raises(ChecksumError, match="expected cd419b9f"):
        datasets.load("taylor_uk_halfhourly_2000", tmp_path)


def test_the_data_folder_defaults_to_shared_beside_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv(datasets.DATA_ENV, raising=False)
    (tmp_path / "shared" / "datasets" / "ett_small").mkdir(parents=True)
    (tmp_path / "checkout").mkdir()
    monkeypatch.chdir(tmp_path / "checkout")
    assert datasets.default_data_dir() == tmp_path / "shared" / "datasets"
    assert datasets.data_root("ett_small") == tmp_path / "shared" / "datasets" / "ett_small"
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "elsewhere"))  # the variable wins
    assert datasets.default_data_dir() == tmp_path / "elsewhere"
