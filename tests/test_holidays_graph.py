"""Holiday features inside the graph: the day table, the override input, export and the runtime."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

pl = pytest.importorskip("polars")
torch = pytest.importorskip("torch")
pytest.importorskip("holidays")

import energyai as ea  # noqa: E402
from energyai.calendar.holidays import holiday_features, holiday_table  # noqa: E402
from energyai.exceptions import ConfigError, NonFiniteValueError  # noqa: E402
from energyai.nn.holidays import HolidayFeatures  # noqa: E402
from tests.conftest import synthetic_hourly  # noqa: E402


def _day(text: str) -> int:
    return int(np.datetime64(text, "D").astype(np.int64))


def test_table_rows_are_the_holiday_features_of_each_date():
    first, table = holiday_table("KR", (2021, 2021))
    assert first == _day("2021-01-01") and table.shape == (365, 4) and table.dtype == np.uint8
    # Chuseok 2021 (hand-checked against the Korean calendar): Mon 20 - Wed 22 September, a
    # five-day run of days off with the weekend before it
    for d in ("2021-09-20", "2021-09-21", "2021-09-22"):
        assert tuple(table[_day(d) - first]) == (1, 0, 1, 5), d
    assert tuple(table[_day("2021-09-23") - first]) == (0, 0, 0, 0)  # a working Thursday
    # the same flags as the frame-side helper, over the whole year at noon KST
    noon = np.arange(np.datetime64("2021-01-01T03:00"), np.datetime64("2022-01-01T03:00"), np.timedelta64(1, "D"))
    feats = holiday_features(noon, "Asia/Seoul", "KR")
    for k, name in enumerate(("holiday", "bridge", "festival")):
        np.testing.assert_array_equal(table[:, k], feats[name])
    np.testing.assert_allclose(table[:, 3] / 7.0, feats["off_run"], rtol=0, atol=1e-7)  # float32 rounding


def test_graph_lookup_override_and_outside_the_table():
    first, table = holiday_table("KR", (2021, 2021))
    feat = HolidayFeatures(len(table)).set_table(first, table)
    local = torch.tensor([[_day("2021-09-21") * 86400 + 12 * 3600, _day("2021-09-23") * 86400,
                           _day("2022-01-05") * 86400]])
    override = torch.full((1, 3, 4), float("nan"))
    out = feat(local, override)
    torch.testing.assert_close(out[0, 0], torch.tensor([1.0, 0.0, 1.0, 5 / 7]), rtol=0, atol=1e-7)
    assert torch.equal(out[0, 1], torch.zeros(4))
    assert torch.isnan(out[0, 2]).all()  # outside the table: not finite, never a silent 0
    override[0, 1] = torch.tensor([1.0, 0.0, 0.0, 1 / 7])  # a holiday declared by decree
    torch.testing.assert_close(feat(local, override)[0, 1], torch.tensor([1.0, 0.0, 0.0, 1 / 7]))


def test_bad_holiday_options_are_config_errors():
    df = synthetic_hourly(10, 1, tz="Asia/Seoul")
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="Asia/Seoul")
    with pytest.raises(ConfigError, match="holiday"):
        ea.Forecaster("dlinear", context_length=24, horizon=6, holidays="KR").fit(df.drop("temp"), schema)
    with pytest.raises(ConfigError, match="holiday_years"):
        ea.Forecaster("nhits", context_length=24, horizon=6, holidays="KR", holiday_years=(2030, 2020)).check()
    with pytest.raises(ConfigError, match="no holiday calendar"):
        ea.Forecaster("nhits", context_length=24, horizon=6, holidays="XX", max_steps=1).fit(df.drop("temp"), schema)


@pytest.mark.slow
def test_holiday_model_exports_and_the_runtime_needs_no_holidays_package(tmp_path, monkeypatch):
    from energyai.runtime import OnnxForecaster

    df = synthetic_hourly(28, 2, tz="Asia/Seoul").drop("temp")  # March 2021: includes 1 March (holiday)
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", freq="1h", tz="Asia/Seoul")
    f = ea.Forecaster("nhits", context_length=48, horizon=24, holidays="KR", holiday_years=(2021, 2021),
                      max_steps=20, batch_size=32, hidden=16, seed=0).fit(df, schema)
    assert f.network_.holiday is not None and f.network_.reads() == [
        "past_target", "past_observed", "local_time", "holiday_override"]
    hist = df.filter(pl.col("ts") < pl.datetime(2021, 3, 4, 0, time_zone="Asia/Seoul"))
    torch_fc = f.predict(hist)
    f.save(tmp_path / "saved")

    import energyai.calendar.holidays as hol

    def no_package(*args, **kwargs):
        raise AssertionError("the holidays package was consulted after training")

    monkeypatch.setattr(hol, "holiday_table", no_package)
    monkeypatch.setattr(hol, "holiday_calendar", no_package)
    loaded = ea.Forecaster.load(tmp_path / "saved")
    assert loaded.predict(hist).equals(torch_fc)
    loaded.export(tmp_path / "m.onnx")
    rt = OnnxForecaster(tmp_path / "m.onnx")
    spec = rt.info.input("holiday_override")
    assert spec is not None and spec["columns"] == ["holiday", "bridge", "festival", "off_run"]
    assert spec["shape"] == ["batch", 72, 4] and spec["nan_allowed"]
    onnx_fc = rt.predict(hist)
    scale = float(np.abs(torch_fc["q0.9"].to_numpy()).max())
    for b, site in enumerate(["synthetic_0", "synthetic_1"]):
        want = torch_fc.filter(pl.col("site") == site)["forecast"].to_numpy()
        # the export parity gate's tolerance (energyai/export/parity.py): rtol 1e-4, atol 1e-5 x scale
        np.testing.assert_allclose(onnx_fc.median[b], want, rtol=1e-4, atol=1e-5 * scale)
    # an override (4 March declared a holiday) reaches the graph and changes the forecast
    tail = hist.filter(pl.col("site") == "synthetic_0").tail(48)
    y, t = tail["load"].to_numpy(), tail["ts"].dt.epoch("s").to_numpy()
    override = np.full((1, 72, 4), np.nan, np.float32)
    local_days = (t[-1] + 3600 * np.arange(-47, 25) + 9 * 3600) // 86400
    override[0, local_days == _day("2021-03-04")] = [1.0, 0.0, 0.0, 1 / 7]
    plain = rt.predict_arrays(y, t).median
    declared = rt.predict_arrays(y, t, inputs={"holiday_override": override}).median
    assert not np.allclose(plain, declared)
    # dates outside the table are refused in both paths
    late = hist.with_columns(pl.col("ts") + dt.timedelta(days=366))
    with pytest.raises(NonFiniteValueError, match="holiday table"):
        loaded.predict(late)
    with pytest.raises(NonFiniteValueError, match="holiday table"):
        rt.predict(late)
    late_tail = late.filter(pl.col("site") == "synthetic_0").tail(48)
    late_utc = late_tail["ts"].dt.epoch("s").to_numpy()
    with pytest.raises(NonFiniteValueError, match="holiday table"):
        loaded.predict_arrays(past_target=late_tail["load"].to_numpy().astype(np.float32)[None, :],
                              utc_time=np.concatenate([late_utc, late_utc[-1] + 3600 * np.arange(1, 25)])[None, :])
