"""Metrics against hand-worked values and closed forms."""

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from energyai import metrics as M
from energyai.evaluation.scoring import score_frame
from energyai.exceptions import DataError

Y = np.array([10.0, 20.0, 40.0, 50.0])
F = np.array([12.0, 18.0, 30.0, 50.0])
# errors: +2, -2, -10, 0


def test_point_metrics_hand_worked():
    # exact arithmetic on small numbers; tolerance only for float rounding
    assert_allclose(M.mae(Y, F), (2 + 2 + 10 + 0) / 4)
    assert_allclose(M.rmse(Y, F), np.sqrt((4 + 4 + 100 + 0) / 4))
    assert_allclose(M.mape(Y, F), 100 * (0.2 + 0.1 + 0.25 + 0) / 4)
    assert_allclose(M.smape(Y, F), 100 * (4 / 22 + 4 / 38 + 20 / 70 + 0) / 4)
    assert_allclose(M.cv_rmse(Y, F), 100 * np.sqrt(27) / 30)
    # MASE with season 1 on train [1, 3, 6, 10]: naive MAE = (2 + 3 + 4) / 3 = 3
    assert_allclose(M.mase(Y, F, [1, 3, 6, 10]), 3.5 / 3)


def test_nmae_threshold_kpx_style():
    # capacity 100; only actuals >= 10 count: 10 (err 2), 20 (2), 40 (10), 50 (0); 5 is excluded
    y = np.append(Y, 5.0)
    f = np.append(F, 30.0)
    assert_allclose(M.nmae(y, f, capacity=100.0), 100 * (0.02 + 0.02 + 0.10 + 0.0) / 4)
    assert_allclose(M.nmae(y, f, capacity=100.0, threshold=0.0), 100 * (0.02 + 0.02 + 0.10 + 0 + 0.25) / 5)


def test_missing_actuals_are_skipped_but_nan_forecasts_raise():
    assert M.mae([1.0, np.nan, 3.0], [2.0, 100.0, 3.0]) == 0.5
    with pytest.raises(DataError, match="y_pred has NaN"):
        M.mae([1.0, 2.0], [np.nan, 2.0])
    with pytest.raises(DataError, match="mape is undefined"):
        M.mape([0.0, 1.0], [1.0, 1.0])


def test_pinball_and_coverage_hand_worked():
    # y = 10; q0.1 = 8 -> 0.1 * 2 = 0.2; q0.9 = 9 -> 0.9 * 1 = 0.9
    assert_allclose(M.pinball([10.0], [[8.0, 9.0]], [0.1, 0.9]), (0.2 + 0.9) / 2)
    # 1 in [0, 4] and 5 in [0, 6] are covered, 9 is above 8
    assert M.coverage([1.0, 5.0, 9.0], [0, 0, 0], [4, 6, 8]) == pytest.approx(2 / 3)
    assert_allclose(M.skill_score(3.0, 4.0), 0.25)


def test_crps_from_dense_quantiles_matches_gaussian_closed_form():
    from scipy.stats import norm

    mu, sigma, y = 2.0, 1.5, 3.1
    levels = np.linspace(0.0005, 0.9995, 1999)
    q = norm.ppf(levels, mu, sigma)[None, :]
    z = (y - mu) / sigma
    exact = sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / np.sqrt(np.pi))
    # 1,999 levels: the discretisation error of the mean-over-levels rule is below 0.5 %
    assert_allclose(M.crps_quantiles([y], q, levels), exact, rtol=5e-3)


@given(st.lists(st.floats(1, 1e4), min_size=3, max_size=40), st.lists(st.floats(1, 1e4), min_size=3, max_size=40))
def test_polars_scoring_agrees_with_numpy_reference(a, f):
    n = min(len(a), len(f))
    a, f = np.array(a[:n]), np.array(f[:n])
    q = np.stack([f - 1, f + 1], axis=1)
    df = pl.DataFrame({"actual": a, "forecast": f, "q0.1": q[:, 0], "q0.9": q[:, 1]})
    row = score_frame(df, quantiles=(0.1, 0.9)).row(0, named=True)
    # same formulas in two implementations: agree to float64 rounding
    for name, ref in [("mae", M.mae(a, f)), ("rmse", M.rmse(a, f)), ("mape", M.mape(a, f)),
                      ("smape", M.smape(a, f)), ("cv_rmse", M.cv_rmse(a, f)),
                      ("pinball", M.pinball(a, q, [0.1, 0.9])), ("coverage", M.coverage(a, q[:, 0], q[:, 1]))]:
        assert_allclose(row[name], ref, rtol=1e-9, err_msg=name)
