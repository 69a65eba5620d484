"""Portfolio quantiles against closed forms.

Two plants whose forecasts are the uniform distribution on [0, 1] (quantiles 0.1, 0.5,
0.9 at those levels: the quantile function is the identity, extended linearly):

- comonotonic: the total is 2U, quantiles 2q (exact: the sum of the quantiles);
- independent: the total is triangular on [0, 2], whose q-quantile is sqrt(2q) below the
  median (0.447 at 0.1) and 2 - sqrt(2(1 - q)) above it (1.553 at 0.9);
- a template with opposite ranks: U + (1 - U) = 1 at every level.

Sampled methods use 200 points per hour; averaged over 100 identical hours, the sampling
error of a quantile is under 0.01, so the tolerance is 0.03.
"""

from __future__ import annotations

import numpy as np
import pytest

from energyai.exceptions import ConfigError, DataError
from energyai.market.portfolio import portfolio_quantiles

LEVELS = (0.1, 0.5, 0.9)
UNIFORM = np.tile(np.array(LEVELS), (2, 100, 1))  # (plants, hours, levels)


def test_comonotonic_is_the_sum_of_quantiles():
    np.testing.assert_allclose(portfolio_quantiles(UNIFORM, LEVELS, method="comonotonic")[0], [0.2, 1.0, 1.8],
                               rtol=0, atol=1e-12)


def test_independent_plants_sum_to_the_triangular_distribution():
    got = portfolio_quantiles(UNIFORM, LEVELS, method="independent", upper=1.0).mean(axis=0)
    np.testing.assert_allclose(got, [np.sqrt(0.2), 1.0, 2 - np.sqrt(0.2)], atol=0.03)


def test_the_empirical_template_carries_the_dependence():
    rng = np.random.default_rng(1)
    u = rng.random(500)
    same = portfolio_quantiles(UNIFORM, LEVELS, method="empirical", template=np.c_[u, u], upper=1.0).mean(axis=0)
    np.testing.assert_allclose(same, [0.2, 1.0, 1.8], atol=0.03)  # lockstep: the comonotonic total
    opposite = portfolio_quantiles(UNIFORM, LEVELS, method="empirical", template=np.c_[u, -u], upper=1.0)
    np.testing.assert_allclose(opposite.mean(axis=0), [1.0, 1.0, 1.0], atol=0.03)


def test_bad_requests_are_typed_errors():
    with pytest.raises(ConfigError, match="method"):
        portfolio_quantiles(UNIFORM, LEVELS, method="gaussian")
    with pytest.raises(ConfigError, match="template"):
        portfolio_quantiles(UNIFORM, LEVELS, method="empirical")
    with pytest.raises(DataError, match="template"):
        portfolio_quantiles(UNIFORM, LEVELS, method="empirical", template=np.zeros((10, 2)))
    for bad in (np.nan, np.inf):
        broken = UNIFORM.copy()
        broken[1, 3, 2] = bad
        with pytest.raises(DataError, match="NaN or infinite"):
            portfolio_quantiles(broken, LEVELS, method="comonotonic")
    huge = UNIFORM * 1e30  # finite: summed as given, never turned into inf by the sampling
    assert np.isfinite(portfolio_quantiles(huge, LEVELS, method="independent", upper=1e30)).all()
    with pytest.raises(DataError, match="plants, hours, levels"):
        portfolio_quantiles(UNIFORM[0], LEVELS)


def test_negative_plants_keep_their_sign_under_every_method():
    """Net load: two plants at -1 .. -0.2 (quantiles -0.9, -0.5, -0.1 of a uniform on [-1, 0]);
    the total is negative under every method (it used to be clipped to exactly 0)."""
    net = np.tile(np.array([-0.9, -0.5, -0.1]), (2, 50, 1))
    rng = np.random.default_rng(2)
    u = rng.random(400)
    for method in ("comonotonic", "independent", "empirical"):
        total = portfolio_quantiles(net, LEVELS, method=method, template=np.c_[u, u])
        assert (total[:, 1] < -0.8).all(), method  # median of the total near -1.0
        assert (total < 0).all(), method
    floored = portfolio_quantiles(net, LEVELS, method="independent", lower=0.0)
    np.testing.assert_array_equal(floored, 0.0)  # only when asked


def test_upper_and_lower_clip_under_comonotonic_too():
    got = portfolio_quantiles(UNIFORM * 3, LEVELS, method="comonotonic", upper=[1.0, 2.0], lower=0.5)
    # plant 0: 0.3 -> 0.5, 1.5 -> 1.0, 2.7 -> 1.0; plant 1: 0.3 -> 0.5, 1.5, 2.7 -> 2.0 (hand-worked)
    np.testing.assert_allclose(got[0], [1.0, 2.5, 3.0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("levels", [(0.5, 0.1, 0.9), (0.0, 0.5, 0.9), (0.1, 0.5, 1.0), (0.1, 0.1, 0.9),
                                    (0.1, np.nan, 0.9), ("a", "b", "c")])
def test_levels_must_increase_inside_zero_one(levels):
    for method in ("comonotonic", "independent"):
        with pytest.raises(ConfigError, match="levels"):
            portfolio_quantiles(UNIFORM, levels, method=method)


def test_crossing_quantiles_are_refused_with_their_place():
    crossed = UNIFORM.copy()
    crossed[1, 7] = [0.9, 0.5, 0.1]
    for method in ("comonotonic", "independent"):
        with pytest.raises(DataError, match="plant 1, hour 7"):
            portfolio_quantiles(crossed, LEVELS, method=method)


@pytest.mark.parametrize("kwargs", [
    {"quantiles": "abc"}, {"quantiles": 1.0}, {"quantiles": [[["x", 1, 2]]]}, {"quantiles": np.zeros((0, 3, 3))},
    {"upper": [1.0, 2.0, 3.0]}, {"upper": "cap"}, {"lower": 2.0, "upper": 1.0}, {"lower": np.nan},
    {"template": "pit", "method": "empirical"}, {"n_samples": 0}, {"n_samples": 2.5}, {"n_samples": True},
])
def test_wrong_shapes_scalars_and_strings_are_typed_errors(kwargs):
    args = {"quantiles": UNIFORM, "method": "independent", **kwargs}
    with pytest.raises((DataError, ConfigError)):
        portfolio_quantiles(args.pop("quantiles"), LEVELS, **args)


def test_a_total_too_large_for_float64_is_an_error_not_inf():
    huge = np.tile(np.array([1e308, 1.5e308, 1.7e308]), (2, 3, 1))
    with pytest.raises(DataError, match="overflows"):
        portfolio_quantiles(huge, LEVELS, method="comonotonic")
