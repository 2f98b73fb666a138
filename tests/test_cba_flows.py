"""npv, irr and flow validation.

Independent implementation: numpy-financial 1.0 (``npf.npv`` discounts
``values[t]`` by ``(1 + rate)^t`` from t = 0, i.e. the first flow is
undiscounted, the same convention as ``impact.cba.npv`` with ``start=0``).
"""

import warnings

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from impact.cba import discount_factors, irr, npv
from impact.errors import ConfigError, DataError, EstimationWarning, ImpactError

amounts = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(flows=st.lists(amounts, min_size=1, max_size=40), rate=st.floats(min_value=0, max_value=0.5))
def test_npv_matches_numpy_financial(flows, rate):
    ours = npv(flows, rate=rate)
    theirs = npf.npv(rate, flows)
    assert ours == pytest.approx(theirs, rel=1e-10, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    outlay=st.floats(min_value=1, max_value=1e6),
    returns=st.lists(st.one_of(st.just(0.0), st.floats(min_value=1, max_value=1e6)), min_size=1, max_size=30).filter(
        lambda r: sum(r) >= 1
    ),
)
def test_irr_matches_numpy_financial_with_one_sign_change(outlay, returns):
    # One sign change: by Descartes' rule exactly one positive root in x = 1/(1+r).
    flows = [-outlay, *returns]
    theirs = npf.irr(flows)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = irr(flows)
    assert ours == pytest.approx(theirs, rel=1e-7, abs=1e-9)
    # and the NPV at the IRR is zero, relative to the size of the discounted terms
    x = (1 + ours) ** -np.arange(len(flows))
    assert np.dot(flows, x) == pytest.approx(0, abs=1e-8 * np.dot(np.abs(flows), x))


def test_irr_known_value():
    # numpy-financial docstring example: 0.28095 (Gitman 2003).
    assert irr([-100, 39, 59, 55, 20]) == pytest.approx(0.28094842, abs=1e-8)


def test_irr_multiple_roots_returns_none_with_warning():
    with pytest.warns(EstimationWarning, match="not unique"):
        assert irr([-5, 10.5, 1, -8, 1]) is None


def test_irr_double_root_counts_once():
    # -1 + 2.2x - 1.21x^2 = -(1 - 1.1x)^2 : a double root at x = 1/1.1, i.e. r = 10%.
    assert irr([-1, 2.2, -1.21]) == pytest.approx(0.10, abs=1e-6)


def test_irr_no_root_warns():
    with pytest.warns(EstimationWarning, match="never zero"):
        assert irr([100, 50, 20]) is None
    with pytest.warns(EstimationWarning, match="zero"):
        assert irr([0, 0, 0]) is None


def test_irr_ignores_trailing_zeros():
    assert irr([-100, 110, 0, 0]) == pytest.approx(0.10, abs=1e-12)


def test_npv_accepts_mapping_series_and_start():
    seq = npv([-100, 60, 60], rate=0.05)
    assert npv({0: -100, 1: 60, 2: 60}, rate=0.05) == pytest.approx(seq, rel=1e-14)
    assert npv(pd.Series([60, -100, 60], index=[1, 0, 2]), rate=0.05) == pytest.approx(seq, rel=1e-14)
    # start=1: every flow one year later.
    assert npv([-100, 60, 60], rate=0.05, start=1) == pytest.approx(seq / 1.05, rel=1e-14)


def test_npv_calendar_years_count_from_first_year():
    seq = npv([-100, 60, 60], rate=0.05)
    assert npv({2025: -100, 2026: 60, 2027: 60}, rate=0.05) == pytest.approx(seq, rel=1e-14)
    assert npv({2025: -100, 2026: 60, 2027: 60}, rate=0.05, base_year=2024) == pytest.approx(seq / 1.05, rel=1e-14)


def test_mid_year_convention():
    # year t >= 1 discounted by t - 1/2, year 0 undiscounted.
    flows = [-100, 50, 50, 50]
    expected = -100 + sum(50 / 1.04 ** (t - 0.5) for t in (1, 2, 3))
    assert npv(flows, rate=0.04, mid_year=True) == pytest.approx(expected, rel=1e-13)
    f = discount_factors([0, 1, 31], schedule="uk_green_book", mid_year=True)
    assert f[0] == 1
    assert f[1] == pytest.approx(1.035**-0.5, rel=1e-13)
    assert f[2] == pytest.approx(1.035**-30 * 1.03**-0.5, rel=1e-13)


def test_npv_with_schedule_equals_sum_of_factors():
    flows = np.arange(1.0, 101.0)
    expected = flows @ discount_factors(np.arange(100), schedule="uk_green_book")
    assert npv(flows, schedule="uk_green_book") == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    "flows, match",
    [
        ({0: -100, 2: 50}, r"no entry for year\(s\) \[1\]"),
        ([-100, None, 50], r"no amount for year\(s\) \[1\]"),
        ([-100, float("nan"), 50], r"no amount for year\(s\) \[1\]"),
        ([-100, "1 500 EUR", 50], r"non-numeric amount '1 500 EUR' for year 1"),
        ({0: -100, "deux": 50}, r"year 'deux'"),
        ({0.5: -100}, r"year 0.5"),
        ([], "empty"),
        ("100", "must be a sequence"),
        (pd.Series([1, 2], index=[0, 0]), "gives year 0 twice"),
        ([True, 1], "non-numeric amount True"),
    ],
)
def test_bad_flows(flows, match):
    with pytest.raises(DataError, match=match):
        npv(flows, rate=0.03)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(rate=-0.01), "rate must be zero or positive"),
        (dict(rate=3.5), "for 3.5% pass 0.035"),
        (dict(rate=float("nan")), "finite"),
        (dict(rate="3%"), "rate must be a number"),
        (dict(), "no discount rate: pass rate="),
        (dict(rate=0.03, schedule="uk_green_book"), "either rate= or schedule="),
        (dict(schedule="uk_greenbook"), "did you mean 'uk_green_book'"),
        (dict(schedule="france2021"), "did you mean 'france_2021'"),
        (dict(schedule={0: 0.03, 31: -0.01}), "band starting in year 31"),
        (dict(schedule=42), "schedule must be a name"),
    ],
)
def test_bad_rates(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        npv([-1, 2], **kwargs)


def test_errors_are_impact_errors():
    with pytest.raises(ImpactError):
        npv({0: 1, 3: 1}, rate=0.1)
    with pytest.raises(ConfigError, match="before base_year"):
        npv({2025: 1}, rate=0.1, base_year=2030)


@settings(max_examples=80, deadline=None)
@given(flows=st.lists(st.integers(min_value=-1000, max_value=1000).map(float), min_size=2, max_size=25))
def test_irr_on_arbitrary_flows_is_a_root_and_agrees_with_numpy_financial(flows):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = irr(flows)
    if ours is None:
        assert any(issubclass(w.category, EstimationWarning) for w in caught)
        return
    x = (1 + ours) ** -np.arange(len(flows))
    assert np.dot(flows, x) == pytest.approx(0, abs=1e-7 * np.dot(np.abs(flows), x))
    theirs = npf.irr(flows)
    if np.isfinite(theirs):  # numpy-financial keeps only exactly-real roots and picks the one nearest 0
        assert theirs == pytest.approx(ours, rel=1e-6, abs=1e-9)
