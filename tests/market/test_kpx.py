"""KPX settlement: a hand-worked example, the tier boundaries and the registration test."""

from __future__ import annotations

import numpy as np
import pytest

from energyai.exceptions import ConfigError, DataError
from energyai.market.kpx import KPXRules, kpx_settlement


def test_hand_worked_example():
    # a 1 MW (1,000 kW) plant, six hours
    actual = [50.0, 500.0, 500.0, 500.0, 800.0, np.nan]
    forecast = [0.0, 520.0, 560.0, 580.0, 900.0, 300.0]
    s = kpx_settlement(actual, forecast, 1000.0)
    # errors |f - a| / 1000 x 100: 5, 2, 6, 8, 10 %, missing
    np.testing.assert_array_equal(s.error[:5], [5.0, 2.0, 6.0, 8.0, 10.0])
    assert np.isnan(s.error[5])
    # hour 0 produced 5% of capacity (< 10%): not eligible; hour 5 has no actual
    assert s.eligible.tolist() == [False, True, True, True, True, False]
    assert s.eligible_hours == 4 and s.missing_hours == 1
    assert s.mean_error == pytest.approx((2 + 6 + 8 + 10) / 4)  # 6.5 %
    # 2 % and 6 %: 4 KRW/kWh x 500 kWh; 8 %: 3 KRW/kWh x 500 kWh; 10 %: nothing
    np.testing.assert_array_equal(s.incentive_krw, [0.0, 2000.0, 2000.0, 1500.0, 0.0, 0.0])
    assert s.total_krw == 5500.0 and s.krw_per_mw == 5500.0
    assert s.passes_registration  # 6.5 % <= 10 %


def test_units_capacity_over_time_and_custom_rules():
    # the same plant in MW: KRW are paid per kWh, so the same money
    s = kpx_settlement([0.5, 0.5], [0.52, 0.5], 1.0, units="MW")
    assert s.total_krw == 4000.0 and s.krw_per_mw == 4000.0
    # capacity doubles in hour 2: 60 kW off is 6 % then 3 %
    s = kpx_settlement([500.0, 500.0], [560.0, 560.0], [1000.0, 2000.0])
    np.testing.assert_array_equal(s.error, [6.0, 3.0])
    # a tighter (hypothetical) rule set: only <= 5 % pays 5 KRW/kWh
    strict = KPXRules(tiers=((5.0, 5.0),), min_output_share=0.2, registration_max_error=8.0)
    s = kpx_settlement([500.0, 150.0], [540.0, 150.0], 1000.0, rules=strict)
    assert s.eligible.tolist() == [True, False] and s.total_krw == 2500.0


def test_monthly_registration_test_in_local_time():
    # hours straddling the month boundary in Korea (UTC+9): 2024-01-31 15:00 UTC is 02-01 00:00 KST
    t = np.array(["2024-01-31T14:00", "2024-01-31T15:00"], dtype="datetime64[s]")
    s = kpx_settlement([500.0, 500.0], [520.0, 650.0], 1000.0, timestamps=t)
    assert s.monthly["2024-01"]["mean_error_pct"] == 2.0 and s.monthly["2024-01"]["passes"]
    assert s.monthly["2024-02"]["mean_error_pct"] == 15.0 and not s.monthly["2024-02"]["passes"]
    assert not s.passes_registration


def test_bad_inputs():
    with pytest.raises(DataError, match="capacity"):
        kpx_settlement([1.0], [1.0], 0.0)
    with pytest.raises(DataError, match="equal length"):
        kpx_settlement([1.0, 2.0], [1.0], 10.0)
    with pytest.raises(ConfigError, match="tiers"):
        KPXRules(tiers=((8.0, 3.0), (6.0, 4.0)))
    with pytest.raises(ConfigError, match="units"):
        kpx_settlement([1.0], [1.0], 10.0, units="MWh")


def test_the_market_modules_moved_and_their_old_paths_still_import():
    """KPX, the submission and portfolios live in the numpy-only energyai.market; the old
    energyai.evaluation paths give the same objects."""
    import energyai.evaluation as ev
    import energyai.market as market
    from energyai.evaluation.kpx import kpx_settlement as old_settlement
    from energyai.evaluation.kpx_rules import KPXRules as OldRules
    from energyai.evaluation.portfolio import portfolio_quantiles as old_portfolio
    from energyai.evaluation.submission import best_submission as old_best

    assert OldRules is market.KPXRules is ev.KPXRules
    assert (old_settlement, old_best, old_portfolio) == (market.kpx_settlement, market.best_submission,
                                                         market.portfolio_quantiles)
