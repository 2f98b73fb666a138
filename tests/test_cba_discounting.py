"""Discount schedules reproduce their published rates and the Green Book's compounding convention.

Sources of the reference numbers:
- UK Green Book (HM Treasury 2022, Annex A6; first published as Annex 6 Table 6.1 in 2003): 3.5% for
  years 0-30, 3.0% for 31-75, 2.5% for 76-125, 2.0% for 126-200, 1.5% for 201-300, 1.0% after; health
  rates 1.5%, 1.29%, 1.07%, 0.86%, 0.64%, 0.43% in the same bands. The factor for year t is the
  product of 1/(1+r_s) over years 1..t, each year at its own band's rate. The same convention and
  the same checks (DF31 = DF30/1.03; DF75 = 1/(1.035^30 1.03^45); DF76 = DF75/1.025) are in the
  independent R package `greenbook` (charlescoverdale/greenbook, tests/testthat/test-discounting.R).
  Four-decimal values below (0.9662 for year 1, 0.3563 for 30, 0.3459 for 31) follow from those rates;
  they were not read off the published factor table, which was not available when this test was written.
- France Strategie (2021), Complement operationnel I: 1.2% + beta x 2% (3.2% for beta = 1).
- OMB Circular A-4 (2003): 7% and 3%; A-4 (2023): 2%. DG REGIO CBA guide (2014): 5% / 3% social, 4% financial.
"""

import math

import numpy as np
import pandas as pd
import pytest

from impact.cba import SCHEDULES, DiscountSchedule, discount_factors, france_2021, stepped, to_real
from impact.errors import ConfigError, DataError


def test_green_book_rates_by_band():
    s = SCHEDULES["uk_green_book"]
    years = [1, 30, 31, 75, 76, 125, 126, 200, 201, 300, 301, 500]
    expected = [0.035, 0.035, 0.03, 0.03, 0.025, 0.025, 0.02, 0.02, 0.015, 0.015, 0.01, 0.01]
    np.testing.assert_allclose(s.rates(years), expected)


@pytest.mark.parametrize(
    "year, factor",
    [
        (0, 1.0),
        (1, 1 / 1.035),
        (30, 1.035**-30),
        (31, 1.035**-30 / 1.03),
        (75, 1 / (1.035**30 * 1.03**45)),
        (76, 1 / (1.035**30 * 1.03**45 * 1.025)),
        (126, 1 / (1.035**30 * 1.03**45 * 1.025**50 * 1.02)),
        (301, 1 / (1.035**30 * 1.03**45 * 1.025**50 * 1.02**75 * 1.015**100 * 1.01)),
    ],
)
def test_green_book_factors_compound_across_bands(year, factor):
    assert discount_factors(year, schedule="uk_green_book") == pytest.approx(factor, rel=1e-12)


def test_green_book_four_decimal_factors():
    f = discount_factors([1, 30, 31], schedule="uk_green_book")
    assert np.round(f, 4).tolist() == [0.9662, 0.3563, 0.3459]


def test_green_book_health_schedule():
    s = SCHEDULES["uk_green_book_health"]
    np.testing.assert_allclose(s.rates([1, 31, 76, 126, 201, 301]), [0.015, 0.0129, 0.0107, 0.0086, 0.0064, 0.0043])
    assert discount_factors(31, schedule=s) == pytest.approx(1.015**-30 / 1.0129, rel=1e-12)


def test_france_2021_beta():
    assert SCHEDULES["france_2021"].bands == ((0, pytest.approx(0.032)),)
    assert france_2021(0).bands[0][1] == pytest.approx(0.012)
    assert france_2021(1.5).bands[0][1] == pytest.approx(0.042)
    # France Strategie's infographic: at 3.2% a receipt 22 years ahead is worth about half today.
    assert discount_factors(22, schedule="france_2021") == pytest.approx(0.5, abs=0.01)
    assert "beta" in france_2021.__doc__ and "2070" in france_2021.__doc__
    with pytest.raises(ConfigError, match="beta must be at least -0.6"):
        france_2021(-1)
    with pytest.raises(ConfigError, match="beta must be a finite number"):
        france_2021("high")


@pytest.mark.parametrize(
    "name, rate",
    [
        ("us_omb_a4_2003", 0.07),
        ("us_omb_a4_2003_7", 0.07),
        ("us_omb_a4_2003_3", 0.03),
        ("us_omb_a4_2023", 0.02),
        ("eu_2014", 0.03),
        ("eu_2014_cohesion", 0.05),
        ("eu_2014_financial", 0.04),
    ],
)
def test_constant_official_rates(name, rate):
    s = SCHEDULES[name]
    assert s.is_constant and s.bands[0][1] == rate
    assert s.source  # every schedule cites its guidance
    np.testing.assert_allclose(discount_factors(np.arange(50), schedule=name), (1 + rate) ** -np.arange(50.0), rtol=1e-12)


def test_every_schedule_has_a_source():
    assert all(s.source and "Source:" in s.__doc__ for s in SCHEDULES.values())
    assert set(SCHEDULES.table()["schedule"]) == set(SCHEDULES)


def test_registry_is_read_only_and_suggests_names():
    with pytest.raises(ConfigError, match="did you mean 'us_omb_a4_2023'"):
        SCHEDULES["us_omb_2023"]
    assert SCHEDULES.get("nope") is None
    with pytest.raises(TypeError):
        SCHEDULES["x"] = 1


def test_custom_stepped_schedule():
    s = stepped({0: 0.04, 31: 0.02})
    assert discount_factors(32, schedule=s) == pytest.approx(1.04**-30 * 1.02**-2, rel=1e-12)
    assert discount_factors(32, schedule={0: 0.04, 31: 0.02}) == pytest.approx(1.04**-30 * 1.02**-2, rel=1e-12)
    with pytest.raises(ConfigError, match="must increase from 0 or 1"):
        DiscountSchedule("bad", ((5, 0.03),))
    with pytest.raises(ConfigError, match="whole year"):
        stepped({"thirty": 0.03})


def test_factors_reject_negative_or_fractional_years():
    with pytest.raises(ConfigError, match="0 or later"):
        discount_factors([-1, 0], rate=0.03)
    with pytest.raises(ConfigError, match="whole numbers"):
        discount_factors([0.5], rate=0.03)


def test_to_real_with_index_and_inflation_rate():
    nominal = {2024: 110.0, 2025: 121.0}
    index = {2023: 100.0, 2024: 110.0, 2025: 121.0}
    assert to_real(nominal, index, base_year=2023) == pytest.approx({2024: 100.0, 2025: 100.0})
    assert to_real(nominal, pd.Series(index), base_year=2025) == pytest.approx({2024: 121.0, 2025: 121.0})
    assert to_real(nominal, 0.10, base_year=2023) == pytest.approx({2024: 100.0, 2025: 100.0})
    with pytest.raises(DataError, match=r"no value for year\(s\) \[2025\]"):
        to_real(nominal, {2023: 100, 2024: 110}, base_year=2023)
    with pytest.raises(DataError, match="positive"):
        to_real(nominal, {2023: 100, 2024: 0, 2025: 1}, base_year=2023)
    with pytest.raises(ConfigError, match="deflator must be"):
        to_real(nominal, "cpi", base_year=2023)
    assert math.isclose(to_real({0: 1.0}, 0.0, base_year=0)[0], 1.0)
