"""The isotonic level map (energyai.quantile_map), against hand-worked values and a Gaussian
whose spread the forecast gets wrong by a known factor.

Tolerances: hand-worked values to 1e-9 (float64 arithmetic); the Gaussian example's
recovered quantiles to 0.1 in units of the true standard deviation (2), about four times
the sampling error of a 5 % quantile from 20,000 draws (sd ≈ 0.03 x 2 / 0.1 ≈ 0.06 on the
z axis, a bound taken loosely as PIT quantiles near the tails are noisier).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energyai.exceptions import DataError
from energyai.quantile_map import Z_MAX, isotonic_map, level_weights, normal_pit

LEVELS = (0.05, 0.1, 0.5, 0.9, 0.95)
Z = np.array([NormalDist().inv_cdf(q) for q in LEVELS])


def test_pit_by_hand_inside_beyond_and_on_a_tie():
    levels = (0.1, 0.5, 0.9)
    z9 = NormalDist().inv_cdf(0.9)
    q = np.array([[-z9, 0.0, z9]] * 3)
    y = np.array([0.5 * z9, 2 * z9, -z9])
    pit = normal_pit(y, q, levels)
    assert pit[0] == pytest.approx(NormalDist().cdf(0.5 * z9), abs=1e-9)  # halfway on the z axis
    assert pit[1] == pytest.approx(NormalDist().cdf(2 * z9), abs=1e-9)  # the outer pair's line extended
    assert pit[2] == pytest.approx(0.1, abs=1e-9)  # equal to one quantile: its level
    # a tie of two levels (an atom at 0): uniform between them, reproducibly
    tied = normal_pit(np.zeros(2000), np.tile([0.0, 0.0, 1.0], (2000, 1)), levels)
    assert tied.min() >= 0.1 and tied.max() <= 0.5 and abs(tied.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(tied, normal_pit(np.zeros(2000), np.tile([0.0, 0.0, 1.0], (2000, 1)), levels))


def test_weights_are_the_identity_at_the_levels_and_extrapolate_on_the_z_axis():
    np.testing.assert_allclose(level_weights(LEVELS, np.array(LEVELS)), np.eye(5), atol=1e-12)
    w = level_weights(LEVELS, np.array([0.3, 1e-9]))
    t = (NormalDist().inv_cdf(0.3) - Z[1]) / (Z[2] - Z[1])
    np.testing.assert_allclose(w[0], [0, 1 - t, t, 0, 0], atol=1e-12)
    t = (-Z_MAX - Z[0]) / (Z[1] - Z[0])  # 1e-9 is beyond Z_MAX: held at -3.5
    np.testing.assert_allclose(w[1], [1 - t, t, 0, 0, 0], atol=1e-12)
    assert w[1, 0] > 1  # extrapolation: a weight outside [0, 1]


def test_a_too_narrow_gaussian_forecast_is_widened_to_the_truth():
    rng = np.random.default_rng(1)
    y = rng.normal(0.0, 2.0, 20_000)  # the truth has sd 2; the forecast says sd 1
    m = isotonic_map(y, np.tile(Z, (y.size, 1)), LEVELS)
    np.testing.assert_allclose(m @ Z, 2.0 * Z, atol=0.1 * 2.0)


def test_a_calibrated_forecast_is_left_nearly_alone():
    rng = np.random.default_rng(2)
    y = rng.normal(0.0, 1.0, 20_000)
    m = isotonic_map(y, np.tile(Z, (y.size, 1)), LEVELS)
    np.testing.assert_allclose(m @ Z, Z, atol=0.1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=30),
       st.floats(0.1, 10), st.floats(-5, 5))
def test_pit_is_a_probability_and_monotone_in_the_actual(ys, spread, centre):
    q = np.tile(centre + spread * Z, (len(ys), 1))
    y = np.sort(np.array(ys))
    pit = normal_pit(y, q, LEVELS)
    assert ((pit > 0) & (pit < 1)).all()
    strict = ~np.isin(y, q[0])  # ties are randomised; elsewhere the PIT follows y
    assert (np.diff(pit[strict]) >= -1e-12).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_or_empty_input_is_a_data_error(bad):
    q = np.tile(Z, (3, 1))
    with pytest.raises(DataError, match="finite"):
        normal_pit(np.array([0.0, bad, 1.0]), q, LEVELS)
    q[1, 2] = bad
    with pytest.raises(DataError, match="finite"):
        isotonic_map(np.zeros(3), q, LEVELS)
    with pytest.raises(DataError, match="n >= 1"):
        isotonic_map(np.zeros(0), np.zeros((0, 5)), LEVELS)
    with pytest.raises(DataError, match="Q = len"):
        normal_pit(np.zeros(3), np.zeros((3, 4)), LEVELS)
