"""The numpy reading of a clean frame (energyai.clean_window) gives the full path's forecast to the
bit, and declines every frame it cannot prove clean, which then gets the full path's typed error."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

pytest.importorskip("torch")
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import energyai as ea
import energyai.clean_window as cw
from energyai.exceptions import DataError, EnergyAIError
from tests.conftest import synthetic_hourly

TZ = "Asia/Seoul"
L, H = 48, 24


def _frame() -> pl.DataFrame:
    """Synthetic hourly load (unit tests only), one series, a past and a future covariate."""
    df = synthetic_hourly(20, 1, tz=TZ).drop("site")
    return df.with_columns((pl.col("temp") * 0.5 + 40).alias("humidity"))


def _schema(**kw: object) -> ea.Schema:
    return ea.Schema(timestamp="ts", target="load", past_covariates=("humidity",), future_covariates=("temp",),
                     freq="1h", tz=TZ, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fitted() -> tuple[ea.Forecaster, pl.DataFrame]:
    df = _frame()
    f = ea.Forecaster("tide", context_length=L, horizon=H, hidden=16, max_steps=3, batch_size=16, val_size=0.2,
                      progress_bar=False).fit(df, _schema(capacity=1000.0))
    return f, df


def _history_future(df: pl.DataFrame, at: int = 300, extra: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    return df.slice(0, at), df.slice(at, H + extra).select("ts", "temp")


def _both(model: ea.Forecaster, hist: pl.DataFrame, fut: pl.DataFrame | None,
          monkeypatch: pytest.MonkeyPatch) -> tuple[pl.DataFrame, pl.DataFrame]:
    assert cw.clean_window(model, hist, fut) is not None  # the fast path is taken
    fast = model.predict(hist, fut)
    with monkeypatch.context() as m:
        m.setattr(cw, "clean_window", lambda *a: None)
        slow = model.predict(hist, fut)
    return fast, slow


@pytest.mark.parametrize("case", ["plain", "nulls", "long_future", "ms", "ns", "short_history_frame"])
def test_a_clean_frame_gives_the_full_paths_forecast_to_the_bit(fitted, case, monkeypatch):
    model, df = fitted
    hist, fut = _history_future(df, extra=5 if case == "long_future" else 0)
    if case == "nulls":  # a missing target is masked on both paths
        hist = hist.with_columns(pl.when(pl.int_range(pl.len()) % 7 == 3).then(None).otherwise(pl.col("load"))
                                 .alias("load"))
    if case in ("ms", "ns"):
        hist = hist.with_columns(pl.col("ts").dt.cast_time_unit(case))
        fut = fut.with_columns(pl.col("ts").dt.cast_time_unit(case))
    if case == "short_history_frame":
        hist = hist.tail(L)
    fast, slow = _both(model, hist, fut, monkeypatch)
    assert_frame_equal(fast, slow, check_exact=True)  # tolerance: none, the same bits


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.integers(L, 400), missing=st.sets(st.integers(0, L - 2), max_size=L // 2),
       scale=st.floats(1e-3, 1e3))
def test_fast_and_full_paths_agree_on_any_clean_window(fitted, monkeypatch, at, missing, scale):
    """Property: any origin, any set of missing targets (one observed at least), any units."""
    model, df = fitted
    hist, fut = _history_future(df, at)
    rows = [len(hist) - L + k for k in missing]
    hist = hist.with_columns(pl.when(pl.int_range(pl.len()).is_in(rows)).then(None).otherwise(pl.col("load") * 1e-2)
                             .alias("load"), pl.col("temp") * scale)
    fut = fut.with_columns(pl.col("temp") * scale)
    try:
        fast, slow = _both(model, hist, fut, monkeypatch)
    except EnergyAIError as err:  # a refusal downstream of the window (scale, ranges) must be shared
        with monkeypatch.context() as m, pytest.raises(type(err)):
            m.setattr(cw, "clean_window", lambda *a: None)
            model.predict(hist, fut)
        return
    assert_frame_equal(fast, slow, check_exact=True)


def _dirty(df: pl.DataFrame) -> dict[str, tuple[pl.DataFrame, pl.DataFrame | None]]:
    hist, fut = _history_future(df)
    at = hist["ts"][-5]

    def set_(frame: pl.DataFrame, col: str, value: object, when: object = at) -> pl.DataFrame:
        return frame.with_columns(pl.when(pl.col("ts") == when).then(pl.lit(value)).otherwise(pl.col(col)).alias(col))

    return {
        "nan_target": (set_(hist, "load", float("nan")), fut),
        "inf_target": (set_(hist, "load", float("inf")), fut),
        "huge_target": (set_(hist, "load", 1e300), fut),
        "negative_target": (set_(hist, "load", -5.0), fut),
        "over_capacity": (set_(hist, "load", 5000.0), fut),
        "null_covariate": (set_(hist, "humidity", None), fut),
        "nan_covariate": (set_(hist, "temp", float("nan")), fut),
        "gap": (hist.filter(pl.col("ts") != at), fut),
        "unsorted": (pl.concat([hist.tail(3), hist.head(len(hist) - 3)]), fut),
        "duplicate": (pl.concat([hist, hist.tail(1)]), fut),
        "too_short": (hist.tail(L - 1), fut),
        "other_zone": (hist.with_columns(pl.col("ts").dt.convert_time_zone("UTC")), fut),
        "naive": (hist.with_columns(pl.col("ts").dt.replace_time_zone(None)), fut),
        "float32": (hist.with_columns(pl.col("load").cast(pl.Float32)), fut),
        "int_target": (hist.with_columns(pl.col("load").round().cast(pl.Int64)), fut),
        "sub_second": (hist.with_columns(pl.col("ts") + pl.duration(milliseconds=1)), fut),
        "no_future": (hist, None),
        "future_short": (hist, fut.head(H - 1)),
        "future_gap": (hist, fut.filter(pl.col("ts") != fut["ts"][4])),
        "future_nan": (hist, set_(fut, "temp", float("nan"), fut["ts"][2])),
        "future_null": (hist, set_(fut, "temp", None, fut["ts"][2])),
        "future_other_unit": (hist, fut.with_columns(pl.col("ts").dt.cast_time_unit("ms"))),
        "future_not_polars": (hist, fut.to_pandas()),
        "pandas": (hist.to_pandas(), fut),
    }


def test_every_frame_it_cannot_prove_clean_is_declined_and_gets_the_full_paths_answer(fitted, monkeypatch):
    model, df = fitted
    for name, (hist, fut) in _dirty(df).items():
        assert cw.clean_window(model, hist, fut) is None, name
        try:
            out = model.predict(hist, fut)
        except EnergyAIError as err:
            with monkeypatch.context() as m, pytest.raises(type(err)):
                m.setattr(cw, "clean_window", lambda *a: None)
                model.predict(hist, fut)
            continue
        with monkeypatch.context() as m:  # accepted (a gap, a frame put in order): the same forecast
            m.setattr(cw, "clean_window", lambda *a: None)
            assert_frame_equal(out, model.predict(hist, fut), check_exact=True)


def test_typed_errors_are_unchanged(fitted):
    model, df = fitted
    d = _dirty(df)
    for name in ("nan_target", "huge_target", "negative_target", "over_capacity", "null_covariate", "too_short",
                 "no_future", "future_short", "future_nan"):
        with pytest.raises(EnergyAIError):
            model.predict(*d[name])
    with pytest.raises(DataError, match="future covariates"):
        model.predict(d["no_future"][0], None)


def test_one_series_of_a_panel_model_is_read_fast_and_several_take_the_full_path(monkeypatch):
    df = synthetic_hourly(12, 2)
    schema = ea.Schema(series_id="site", timestamp="ts", target="load", future_covariates=("temp",), freq="1h",
                       tz="UTC")
    f = ea.Forecaster("tide", context_length=L, horizon=H, hidden=16, max_steps=2, batch_size=16, val_size=0.2,
                      progress_bar=False).fit(df, schema)
    cut = df["ts"][200]
    hist, fut = df.filter(pl.col("ts") < cut), df.filter(pl.col("ts") >= cut).group_by("site").head(H)
    one, one_fut = hist.filter(pl.col("site") == "synthetic_1"), fut.filter(pl.col("site") == "synthetic_1")
    fast, slow = _both(f, one, one_fut, monkeypatch)
    assert_frame_equal(fast, slow, check_exact=True)  # tolerance: none, the same bits
    assert fast["site"].unique().to_list() == ["synthetic_1"]
    assert cw.clean_window(f, hist, fut) is None  # two series
    assert cw.clean_window(f, one, fut) is None  # the future of both
    assert cw.clean_window(f, one, fut.filter(pl.col("site") == "synthetic_0")) is None  # another series' future
    assert cw.clean_window(f, one, one_fut.drop("site")) is None
    assert cw.clean_window(f, one.with_columns(pl.lit(None, pl.String).alias("site")), one_fut) is None
    both = f.predict(hist, fut)
    assert both.height == 2 * H
    # tolerance: float32 rounding of a batch of two against a batch of one (BLAS may block them apart)
    assert_frame_equal(both.filter(pl.col("site") == "synthetic_1"), fast, check_exact=False, rel_tol=1e-5)
    assert dt.timedelta(hours=1) == one["ts"][1] - one["ts"][0]
    assert np.isfinite(fast["forecast"].to_numpy()).all()
