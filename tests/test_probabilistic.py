"""Reliability, interval coverage, PIT and CRPS of quantile forecasts, by hand.

Four forecasts with quantiles 10, 20, 30 at levels 0.1, 0.5, 0.9 and actuals 5, 15, 25,
35: the shares at or under are 1/4, 2/4 and 3/4; the 10-90 interval covers 15 and 25
(1/2), width 20; the PIT of 15 is 0.1 + (15 - 10)/(20 - 10) x 0.4 = 0.3, of 25 is 0.7,
and 5 and 35 sit beyond the range (0.1 and 0.9); an actual equal to several quantiles reads
the middle of their levels. Exact arithmetic (tolerance 1e-12).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

import energyai as ea
from energyai.evaluation.probabilistic import pit_values, plot_reliability, reliability_table
from energyai.exceptions import ConfigError, DataError
from energyai.metrics import crps_quantiles

LEVELS = (0.1, 0.5, 0.9)
FC = pl.DataFrame({"lead": [1, 1, 2, 2], "actual": [5.0, 15.0, 25.0, 35.0], "q0.1": [10.0] * 4,
                   "q0.5": [20.0] * 4, "q0.9": [30.0] * 4})


def test_reliability_and_intervals_by_hand():
    t = reliability_table(FC, LEVELS)
    levels = t.filter(pl.col("kind") == "level")
    np.testing.assert_allclose(levels["observed"].to_numpy(), [0.25, 0.5, 0.75], rtol=0, atol=1e-12)
    # pinball at 0.5: mean of 0.5 x |a - 20| = 0.5 x (15 + 5 + 5 + 15) / 4 = 5
    assert levels.filter(pl.col("nominal") == 0.5)["pinball"][0] == pytest.approx(5.0, abs=1e-12)
    interval = t.filter(pl.col("kind") == "interval")
    assert interval["nominal"][0] == pytest.approx(0.8) and interval["observed"][0] == 0.5
    assert interval["width"][0] == 20.0
    by_lead = reliability_table(FC, LEVELS, by_lead=True)
    assert sorted(set(by_lead["lead"].to_list())) == [1, 2]


def test_pit_by_hand_and_an_atom_reads_its_middle_level():
    np.testing.assert_allclose(pit_values(FC, LEVELS), [0.1, 0.3, 0.7, 0.9], rtol=0, atol=1e-12)
    atom = pl.DataFrame({"actual": [0.0], "q0.1": [0.0], "q0.5": [0.0], "q0.9": [4.0]})
    assert pit_values(atom, LEVELS)[0] == pytest.approx(0.3)  # equal quantiles 0.1 and 0.5: their middle
    mid = pl.DataFrame({"actual": [2.0], "q0.1": [0.0], "q0.5": [2.0], "q0.9": [2.0]})
    assert pit_values(mid, LEVELS)[0] == pytest.approx(0.7)  # equal quantiles 0.5 and 0.9: their middle


def test_bad_requests_are_typed_errors():
    for col, bad in (("q0.9", np.nan), ("q0.1", np.inf), ("actual", np.nan)):
        broken = FC.with_columns(pl.when(pl.col("lead") == 2).then(bad).otherwise(pl.col(col)).alias(col))
        with pytest.raises(DataError, match="NaN or infinite"):
            reliability_table(broken, LEVELS)
        with pytest.raises(DataError, match="NaN or infinite"):
            pit_values(broken, LEVELS)
    with pytest.raises(DataError, match="nothing to score"):
        reliability_table(FC.with_columns(pl.lit(None, pl.Float64).alias("actual")), LEVELS)
    with pytest.raises(ConfigError, match="at least two"):
        reliability_table(FC, (0.5,))
    with pytest.raises(ConfigError, match="no column"):
        reliability_table(FC, (0.05, 0.5))


def test_backtests_report_crps_and_write_the_figure(tmp_path):
    pytest.importorskip("matplotlib")
    t0 = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
    n = 24 * 30
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"ts": pl.datetime_range(t0, t0 + dt.timedelta(hours=n - 1), "1h", eager=True),
                       "y": 50 + 10 * np.sin(np.arange(n) * 2 * np.pi / 24) + rng.normal(0, 2, n)})  # synthetic
    schema = ea.Schema(timestamp="ts", target="y", freq="1h", tz="UTC")
    res = ea.backtest(ea.SeasonalNaive(24, quantiles=LEVELS), df, schema, n_folds=5)
    f = res.forecasts.filter(pl.col("actual").is_not_null())
    want = crps_quantiles(f["actual"].to_numpy(), f.select("q0.1", "q0.5", "q0.9").to_numpy(), LEVELS)
    assert res.metrics["crps"][0] == pytest.approx(want, rel=1e-9)
    assert res.reliability().filter(pl.col("kind") == "interval").height == 1
    png = res.plot_reliability(tmp_path / "rel.png")
    assert png.stat().st_size > 10_000
    assert plot_reliability(FC, LEVELS, tmp_path / "hand.png").exists()


def test_the_backtest_figure_is_written_and_bad_requests_are_refused(tmp_path):
    pytest.importorskip("matplotlib")
    import energyai as ea
    from energyai.exceptions import ConfigError

    ds = ea.datasets.load("taylor_uk_demand_2000")
    res = ea.backtest(ea.Climatology(48, by_weekday=True), ds.frame, ds.schema, n_folds=3, step=48)
    path = res.plot(tmp_path / "bt.png", windows=2)
    assert path.stat().st_size > 10_000
    with pytest.raises(ConfigError, match="windows must be a positive int"):
        res.plot(tmp_path / "x.png", windows=0)
    with pytest.raises(ConfigError, match="series 'nope' is not in the backtest"):
        ea.backtest(ea.Climatology(24), _two_series(), ea.Schema(timestamp="ts", target="y", series_id="id",
                                                                 freq="1h", tz="UTC"),
                    n_folds=2, step=24).plot(tmp_path / "y.png", series="nope")
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "y.png").exists()


def _two_series():
    """Synthetic (unit tests only): two hourly series of 30 days."""
    import datetime as dt

    import numpy as np
    import polars as pl

    n = 24 * 30
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    ts = pl.datetime_range(t0, t0 + dt.timedelta(hours=n - 1), "1h", eager=True)
    y = 10 + np.sin(np.arange(n) * 2 * np.pi / 24)
    return pl.concat([pl.DataFrame({"id": k, "ts": ts, "y": y + i}) for i, k in enumerate(("a", "b"))])
