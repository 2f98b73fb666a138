"""Appraisal: headline numbers against hand formulas and numpy-financial, adjustments, errors."""

from collections import namedtuple

import matplotlib.axes
import numpy as np
import numpy_financial as npf
import pytest
from scipy import stats

from impact.cba import Appraisal, benefits_from_effect
from impact.errors import ConfigError, DataError, EstimationWarning

R = 0.05
D = 1 / 1.05 ** np.arange(4)  # factors for years 0..3
COSTS = {"build": {0: 100.0, 1: 20.0, 2: 0.0, 3: 0.0}, "run": {1: 10.0, 2: 10.0, 3: 10.0}}
BENEFITS = {"savings": {1: 60.0, 2: 60.0, 3: 60.0}}


@pytest.fixture
def simple():
    return Appraisal(costs=COSTS, benefits=BENEFITS, rate=R)


def test_headline_numbers_match_hand_formulas(simple):
    pv_build = 100 + 20 * D[1]
    pv_run = 10 * D[1:].sum()
    pv_sav = 60 * D[1:].sum()
    assert simple.pv_costs == pytest.approx(pv_build + pv_run, rel=1e-13)
    assert simple.pv_benefits == pytest.approx(pv_sav, rel=1e-13)
    assert simple.npv == pytest.approx(pv_sav - pv_build - pv_run, rel=1e-13)
    assert simple.bcr == pytest.approx(pv_sav / (pv_build + pv_run), rel=1e-13)
    net = [-100, 30, 50, 50]
    assert simple.npv == pytest.approx(npf.npv(R, net), rel=1e-13)
    assert simple.irr == pytest.approx(npf.irr(net), rel=1e-10)
    np.testing.assert_allclose(simple.pv_by_category.to_numpy(), [pv_build, pv_run, pv_sav], rtol=1e-13)


def test_payback_and_equivalent_annual_value(simple):
    cum = np.cumsum(np.array([-100, 30, 50, 50]) * D)
    assert cum[2] < 0 < cum[3]
    assert simple.payback_year == 3
    annuity = (1 - 1.05**-3) / 0.05  # years 1..3
    assert simple.equivalent_annual_value == pytest.approx(simple.npv / annuity, rel=1e-13)
    never = Appraisal(costs={"c": {0: 100}}, benefits={"b": {1: 10}}, rate=R)
    assert never.payback_year is None
    # A late cost that pulls the balance below zero again delays payback.
    late = Appraisal(costs={"c": {0: 100, 1: 0, 2: 0, 3: 600}}, benefits={"b": {1: 200, 2: 200, 3: 200}}, rate=R)
    assert late.payback_year is None
    early = late.scaled({"c": 500 / 600})  # cumulative stays >= 0 from year 1
    assert early.payback_year == 1


def test_to_frame_columns_and_values(simple):
    frame = simple.to_frame()
    assert list(frame.columns) == [
        "year", "costs", "benefits", "net", "discount_factor", "discounted_net", "cumulative_discounted_net"
    ]
    np.testing.assert_allclose(frame["net"], [-100, 30, 50, 50])
    np.testing.assert_allclose(frame["discount_factor"], D, rtol=1e-14)
    assert frame["cumulative_discounted_net"].iloc[-1] == pytest.approx(simple.npv, rel=1e-13)


def test_optimism_bias_mcpf_and_public_euro():
    a = Appraisal(costs=COSTS, benefits=BENEFITS, rate=R, optimism_bias={"build": 0.24}, mcpf=1.2, public_costs=["build"])
    pv_build = (100 + 20 * D[1]) * 1.24
    pv_run = 10 * D[1:].sum()
    assert a.pv_costs == pytest.approx(pv_build * 1.2 + pv_run, rel=1e-13)
    assert a.pv_public_costs == pytest.approx(pv_build, rel=1e-13)
    assert a.npv_per_public_euro == pytest.approx(a.npv / pv_build, rel=1e-13)
    uniform = Appraisal(costs=COSTS, benefits=BENEFITS, rate=R, optimism_bias=0.1)
    assert uniform.pv_costs == pytest.approx(1.1 * Appraisal(costs=COSTS, benefits=BENEFITS, rate=R).pv_costs, rel=1e-13)


def test_residual_value_and_cost_effectiveness(simple):
    a = Appraisal(costs=COSTS, benefits=BENEFITS, rate=R, residual_value=30)
    assert a.npv == pytest.approx(simple.npv + 30 * D[3], rel=1e-13)
    assert "residual value" in a.categories
    assert simple.cost_effectiveness({1: 10, 2: 10, 3: 10}) == pytest.approx(simple.pv_costs / (10 * D[1:].sum()), rel=1e-13)
    assert simple.cost_effectiveness({1: 10, 2: 10, 3: 10}, discount=False) == pytest.approx(simple.pv_costs / 30)
    assert simple.cost_effectiveness(15) == pytest.approx(simple.pv_costs / 15)
    with pytest.raises(DataError, match="non-zero"):
        simple.cost_effectiveness(0)


def test_nominal_flows_with_deflator():
    nominal = {"c": {2024: 100.0, 2025: 102.0, 2026: 104.04}}
    a = Appraisal(costs=nominal, benefits={"b": {2025: 51.0, 2026: 52.02}}, rate=R, prices="nominal", deflator=0.02)
    real = Appraisal(costs={"c": {2024: 100.0, 2025: 100.0, 2026: 100.0}}, benefits={"b": {2025: 50.0, 2026: 50.0}}, rate=R)
    assert a.npv == pytest.approx(real.npv, rel=1e-12)
    assert a.base_year == 2024 and a.years.tolist() == [2024, 2025, 2026]
    with pytest.raises(ConfigError, match="needs a deflator"):
        Appraisal(costs=nominal, rate=R, prices="nominal")


def test_calendar_years_and_schedules():
    cal = Appraisal(costs={"c": {2025: 100}}, benefits={"b": {2026: 60, 2027: 60}}, rate=R)
    rel = Appraisal(costs={"c": {0: 100}}, benefits={"b": {1: 60, 2: 60}}, rate=R)
    assert cal.npv == pytest.approx(rel.npv, rel=1e-14)
    gb = rel.with_discounting(schedule="uk_green_book")
    assert gb.npv == pytest.approx(-100 + 60 / 1.035 + 60 / 1.035**2, rel=1e-13)
    assert rel.npv == pytest.approx(-100 + 60 / 1.05 + 60 / 1.05**2, rel=1e-13)  # original unchanged


def test_switching_values_bring_npv_to_zero(simple):
    sv = simple.switching_values()
    assert list(sv.index) == ["build", "run", "savings"]
    assert list(sv.columns) == ["kind", "pv", "multiplier", "change"]
    for cat, m in sv["multiplier"].items():
        # recomputed through the whole pipeline, not the linear formula
        assert simple.scaled({cat: m}).npv == pytest.approx(0, abs=1e-9)
    assert sv.loc["savings", "multiplier"] == pytest.approx(simple.pv_costs / simple.pv_benefits, rel=1e-12)


Result = namedtuple("Result", "estimate se ci_low ci_high alpha")


def test_benefits_from_effect_and_break_even():
    effect = Result(2.0, 0.5, 1.02, 2.98, 0.05)
    benefit = benefits_from_effect(effect, population=1000, unit_value=30, years=range(1, 6))
    assert benefit.flows == {y: 60000.0 for y in range(1, 6)}
    costs = {"staff": {0: 200000, 1: 30000, 2: 30000, 3: 30000, 4: 30000, 5: 30000}}
    a = Appraisal(costs=costs, benefits={"visits": benefit}, rate=0.04)
    be = a.break_even_effect()
    # the break-even effect, monetised the same way, gives NPV = 0
    at_be = Appraisal(costs=costs, benefits={"visits": benefits_from_effect((be.break_even, 0.5), 1000, 30, range(1, 6))}, rate=0.04)
    assert at_be.npv == pytest.approx(0, abs=1e-6)
    assert be.direction == ">="
    assert be.prob_worthwhile == pytest.approx(stats.norm.cdf((2.0 - be.break_even) / 0.5), rel=1e-12)
    assert (be.ci_low, be.ci_high) == (1.02, 2.98)
    expected = "contains" if 1.02 < be.break_even < 2.98 else "lies on"
    assert expected in be.verdict
    assert be.to_frame().loc[0, "break_even"] == be.break_even
    assert isinstance(be.plot(), matplotlib.axes.Axes)


def test_break_even_with_negative_unit_value():
    # effect: -2 visits per person; each visit avoided is worth +30, so unit_value = -30 per unit of effect
    b = benefits_from_effect((-2.0, 0.4), population=100, unit_value=-30, years=[1, 2])
    a = Appraisal(costs={"c": {0: 10000}}, benefits={"v": b}, rate=0.0)
    be = a.break_even_effect()
    assert be.direction == "<="
    assert be.break_even == pytest.approx(-10000 / 6000, rel=1e-12)
    assert be.prob_worthwhile == pytest.approx(stats.norm.cdf((be.break_even - -2.0) / 0.4), rel=1e-12)


def test_from_dict_builds_the_same_appraisal():
    effect = Result(2.0, 0.5, 1.02, 2.98, 0.05)
    spec = {
        "schedule": "france_2021",
        "beta": 1,
        "costs": {"staff": {0: 200000, 1: 30000}},
        "benefits": {"fees": {1: 1000}},
        "effect_benefits": {"visits": {"population": 1000, "unit_value": 30, "first_year": 1, "last_year": 2}},
        "optimism_bias": {"staff": 0.1},
        "uncertain": {"staff": ["pert", 0.9, 1.0, 1.5]},
    }
    a = Appraisal.from_dict(spec, effect=effect)
    b = Appraisal(
        costs={"staff": {0: 200000, 1: 30000}},
        benefits={"fees": {1: 1000}, "visits": benefits_from_effect(effect, 1000, 30, [1, 2])},
        schedule="france_2021",
        optimism_bias={"staff": 0.1},
    )
    assert a.npv == pytest.approx(b.npv, rel=1e-14)
    with pytest.raises(ConfigError, match="unknown cost-benefit key 'cost'; did you mean 'costs'"):
        Appraisal.from_dict({"rate": 0.03, "cost": {}})
    with pytest.raises(ConfigError, match="needs an estimate"):
        Appraisal.from_dict({"rate": 0.03, "effect_benefits": {"v": {"population": 1, "unit_value": 1, "years": [1]}}})


def test_presentation(simple):
    text = simple.summary()
    for label in ("NPV", "BCR", "IRR", "Discounted payback", "constant 5%", "build"):
        assert label in text
    assert "<table>" in simple._repr_html_()
    assert isinstance(simple.plot(), matplotlib.axes.Axes)
    head = simple.headline()
    assert head["npv"] == simple.npv and head["bcr"] == simple.bcr and head["payback_year"] == 3
    import json

    json.dumps(head, allow_nan=False)
    with pytest.raises(AttributeError, match="immutable"):
        simple.years = None
    gb = simple.with_discounting(schedule="uk_green_book")
    assert "Green Book" in gb.summary()


def test_irr_not_unique_warns():
    a = Appraisal(costs={"c": {0: 5, 1: 0, 2: 0, 3: 8, 4: 0}}, benefits={"b": {0: 0, 1: 10.5, 2: 1, 3: 0, 4: 1}}, rate=0.03)
    with pytest.warns(EstimationWarning):
        assert a.irr is None
    assert "not unique" in a.summary()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(costs={"x": {0: 1}}, benefits={"x": {1: 2}}), ConfigError, "both a cost and a benefit"),
        (dict(), ConfigError, "at least one cost or benefit"),
        (dict(costs={"x": {0: -1, 1: -2}}), DataError, "enter costs as positive"),
        (dict(costs={"x": {0: 1}}, optimism_bias={"y": 0.2}), ConfigError, "optimism_bias names 'y'"),
        (dict(costs={"staff": {0: 1}}, optimism_bias={"staf": 0.2}), ConfigError, "did you mean 'staff'"),
        (dict(costs={"x": {0: 1}}, optimism_bias=-0.1), ConfigError, "optimism_bias must be >= 0"),
        (dict(costs={"x": {0: 1}}, mcpf=0), ConfigError, "mcpf must be > 0"),
        (dict(costs={"x": {0: 1}}, public_costs=["z"]), ConfigError, "public_costs names 'z'"),
        (dict(costs={"x": {0: 1}}, prices="current"), ConfigError, "prices must be one of 'real', 'nominal'"),
        (dict(costs={"x": {0: 1}}, benefits={"b": {2025: 1}}), ConfigError, "mixing relative and calendar"),
        (dict(costs={"x": {0: 1, 2: 1}}), DataError, r"costs\['x'\] has no entry for year\(s\) \[1\]"),
        (dict(costs={"x": {0: "cher"}}), DataError, r"costs\['x'\] has a non-numeric amount 'cher'"),
        (dict(costs={"x": {0: 1}}, benefits=[1, 2]), ConfigError, "benefits must be a mapping"),
        (dict(costs={"x": {0: 1}}, residual_value=5, residual_year="end"), ConfigError, "residual_year must be a whole year"),
        (dict(costs={"x": benefits_from_effect((1, 1), 1, 1, [1])}), ConfigError, "put effects among the benefits"),
    ],
)
def test_bad_input(kwargs, error, match):
    kwargs.setdefault("rate", 0.03)
    with pytest.raises(error, match=match):
        Appraisal(**kwargs)


def test_bad_effect_inputs():
    with pytest.raises(ConfigError, match="'estimate' and 'se'"):
        benefits_from_effect(2.0, 1, 1, [1])
    with pytest.raises(DataError, match="standard error must be finite and non-negative"):
        benefits_from_effect((2.0, -1), 1, 1, [1])
    with pytest.raises(DataError, match=r"population has no value for year\(s\) \[2\]"):
        benefits_from_effect((2.0, 1), {1: 10}, 1, [1, 2])
    with pytest.raises(ConfigError, match="years is empty"):
        benefits_from_effect((2.0, 1), 1, 1, [])
    with pytest.raises(DataError, match="unit_value must be a number"):
        benefits_from_effect((2.0, 1), 1, "30 EUR", [1])
    a = Appraisal(costs={"c": {0: 1}}, benefits={"b": {1: 2}}, rate=0.03)
    with pytest.raises(ConfigError, match="needs a benefit built with benefits_from_effect"):
        a.break_even_effect()
