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

from energyai.evaluation.portfolio import portfolio_quantiles
from energyai.exceptions import ConfigError, DataError

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
