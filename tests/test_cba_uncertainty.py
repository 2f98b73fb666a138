"""Monte Carlo against closed forms, sensitivity, distribution checks.

Monte Carlo tolerances are four Monte Carlo standard errors of the statistic
(sd/sqrt(n) for a mean, sd/sqrt(2n) for an sd, sqrt(p(1-p)/n) for a share),
so a failure means a real disagreement, not noise.
"""

import math
from dataclasses import dataclass

import matplotlib.axes
import numpy as np
import pytest
from scipy import stats

from impact.cba import Appraisal, benefits_from_effect, parse_distribution
from impact.errors import ConfigError

N = 200_000
COSTS = {"staff": {0: 100.0, 1: 40.0, 2: 40.0}}
BENEFITS = {"savings": {1: 90.0, 2: 90.0}}


@pytest.fixture(scope="module")
def base():
    return Appraisal(costs=COSTS, benefits=BENEFITS, rate=0.03)


def _close(value, target, mc_se):
    assert abs(value - target) <= 4 * mc_se, (value, target, mc_se)


def test_normal_multipliers_give_normal_npv(base):
    pv_c, pv_b = base.pv_costs, base.pv_benefits
    mc = base.monte_carlo(N, seed=1, uncertain={"staff": ("normal", 1.1, 0.2), "savings": ("normal", 0.9, 0.1)})
    mean = 0.9 * pv_b - 1.1 * pv_c
    sd = math.hypot(0.1 * pv_b, 0.2 * pv_c)
    _close(mc.mean, mean, sd / math.sqrt(N))
    _close(mc.sd, sd, sd / math.sqrt(2 * N))
    _close(mc.median, mean, 1.2533 * sd / math.sqrt(N))
    p = stats.norm.cdf(0, mean, sd)
    _close(mc.prob_npv_negative, p, math.sqrt(p * (1 - p) / N))
    q = mc.percentiles([2.5, 97.5]).to_numpy()
    np.testing.assert_allclose(q, stats.norm.ppf([0.025, 0.975], mean, sd), rtol=0, atol=0.02 * sd)
    assert (mc.ci_low, mc.ci_high) == pytest.approx(tuple(q))


def test_lognormal_multiplier_mean_and_sd(base):
    mc = base.monte_carlo(N, seed=2, uncertain={"savings": ("lognormal", 1.2, 0.3)})
    pv_b = base.pv_benefits
    _close(mc.mean, 1.2 * pv_b - base.pv_costs, 0.3 * pv_b / math.sqrt(N))
    levels = mc.levels["savings"].to_numpy()
    assert levels.min() > 0
    sigma = math.sqrt(math.log1p((0.3 / 1.2) ** 2))
    _close(np.log(levels).std(), sigma, sigma / math.sqrt(2 * N))


@pytest.mark.parametrize(
    "spec, mean, var",
    [
        (("triangular", 0.8, 1.0, 1.5), (0.8 + 1.0 + 1.5) / 3, (0.64 + 1 + 2.25 - 0.8 - 1.2 - 1.5) / 18),
        (("uniform", 0.7, 1.3), 1.0, 0.6**2 / 12),
        # beta-PERT: mean (a + 4m + b)/6; shapes 1 + 4(m-a)/(b-a), 1 + 4(b-m)/(b-a)
        (("pert", 0.8, 1.0, 1.6), (0.8 + 4 + 1.6) / 6, None),
    ],
)
def test_bounded_distributions_match_their_moments(base, spec, mean, var):
    mc = base.monte_carlo(N, seed=3, uncertain={"staff": spec})
    levels = mc.levels["staff"].to_numpy()
    if var is None:
        a, b = 1 + 4 * 0.2 / 0.8, 1 + 4 * 0.6 / 0.8
        var = 0.8**2 * a * b / ((a + b) ** 2 * (a + b + 1))
    _close(levels.mean(), mean, math.sqrt(var / N))
    assert levels.min() >= spec[1] and levels.max() <= spec[-1]
    assert parse_distribution(spec).mean() == pytest.approx(mean, rel=1e-12)


def test_effect_standard_error_flows_into_npv():
    b = benefits_from_effect((2.0, 0.5), population=100, unit_value=3, years=[1, 2])
    a = Appraisal(costs={"c": {0: 1000}}, benefits={"v": b}, rate=0.0)
    # NPV = 600 * effect - 1000 with effect ~ N(2, 0.5): mean 200, sd 300
    mc = a.monte_carlo(N, seed=4)
    _close(mc.mean, 200, 300 / math.sqrt(N))
    _close(mc.sd, 300, 300 / math.sqrt(2 * N))
    p = stats.norm.cdf(0, 200, 300)
    _close(mc.prob_npv_negative, p, math.sqrt(p * (1 - p) / N))
    fixed = a.monte_carlo(100, seed=4, effect_uncertainty=False)
    assert np.all(fixed.npv_draws == pytest.approx(200))
    # a unit-value multiplier acts on top of the effect draw: E[NPV] = 600 * 2 * 1.1 - 1000
    both = a.monte_carlo(N, seed=5, uncertain={"v": ("normal", 1.1, 0.05)})
    sd_prod = 600 * math.sqrt((2 * 0.05) ** 2 + (1.1 * 0.5) ** 2 + (0.5 * 0.05) ** 2)
    _close(both.mean, 600 * 2.2 - 1000, sd_prod / math.sqrt(N))


@dataclass(frozen=True)
class BootResult:
    estimate: float
    se: float
    draws: np.ndarray


def test_result_can_supply_its_own_draws():
    boot = BootResult(2.0, 0.5, np.array([1.0, 2.0, 3.0]))
    a = Appraisal(costs={"c": {0: 10}}, benefits={"v": benefits_from_effect(boot, 1, 1, [1])}, rate=0.0)
    mc = a.monte_carlo(3000, seed=0)
    assert set(np.unique(mc.levels["v"])) == {1.0, 2.0, 3.0}
    assert "bootstrap" in mc.summary()


def test_matrix_product_equals_full_recomputation(base):
    mc = base.monte_carlo(5, seed=7, uncertain={"staff": ("pert", 0.9, 1.0, 1.5), "savings": ("uniform", 0.5, 1.5)})
    for i in range(5):
        m = mc.levels.iloc[i].to_dict()
        assert base.scaled(m).npv == pytest.approx(mc.npv_draws[i], rel=1e-12, abs=1e-9)


def test_seed_reproducible(base):
    u = {"staff": ("normal", 1, 0.1)}
    a = base.monte_carlo(1000, seed=11, uncertain=u).npv_draws
    b = base.monte_carlo(1000, seed=11, uncertain=u).npv_draws
    c = base.monte_carlo(1000, seed=12, uncertain=u).npv_draws
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_result_presentation(base):
    mc = base.monte_carlo(2000, seed=1, uncertain={"staff": ["triangular", 0.9, 1.0, 1.3]})  # YAML lists work
    frame = mc.to_frame()
    assert list(frame.columns) == ["term", "estimate", "se", "ci_low", "ci_high", "pvalue", "median", "prob_negative"]
    assert frame["term"].tolist() == ["npv", "pv_benefits", "pv_costs", "bcr"]
    assert frame.loc[0, "prob_negative"] == mc.prob_npv_negative
    assert "P(NPV < 0)" in mc.summary() and "triangular(0.9, 1, 1.3)" in mc.summary()
    assert "<table>" in mc._repr_html_()
    assert isinstance(mc.plot(), matplotlib.axes.Axes)


def test_sensitivity_table_and_tornado(base):
    s = base.sensitivity(uncertain={"savings": ("uniform", 0.5, 1.5)}, quantiles=(0.1, 0.9), rates=(0.01, 0.07))
    t = s.to_frame().set_index("factor")
    assert t.loc["staff", "npv_low"] == pytest.approx(base.scaled({"staff": 0.8}).npv, rel=1e-12)
    assert t.loc["savings", "low"] == pytest.approx(0.6)
    assert t.loc["savings", "npv_high"] == pytest.approx(base.scaled({"savings": 1.4}).npv, rel=1e-12)
    assert t.loc["discount rate", "npv_high"] == pytest.approx(base.with_discounting(rate=0.07).npv, rel=1e-12)
    assert list(s.to_frame()["swing"]) == sorted(s.to_frame()["swing"], reverse=True)
    assert isinstance(s.plot(), matplotlib.axes.Axes)
    assert "One-way sensitivity" in s.summary()


@pytest.mark.parametrize(
    "spec, match",
    [
        (("normal", 1, -0.1), "normal sd must be zero or positive"),
        (("lognormal", 0, 0.1), "lognormal mean must be positive"),
        (("triangular", 1.2, 1.0, 1.5), "low <= mode <= high"),
        (("pert", 0.8, 1.6, 1.2), r"pert needs low <= mode <= high \(got low=0.8, mode=1.6, high=1.2\)"),
        (("uniform", 1.2, 0.8), "uniform needs low < high"),
        (("normall", 1, 0.1), "did you mean 'normal'"),
        (("normal", 1), r"takes 2 parameters \(mean, sd\)"),
        (("normal", "1", 0.1), "parameter mean must be a finite number"),
        ("normal", "must be a tuple"),
    ],
)
def test_bad_distributions(base, spec, match):
    with pytest.raises(ConfigError, match=match):
        base.monte_carlo(10, seed=0, uncertain={"staff": spec})


def test_bad_monte_carlo_arguments(base):
    with pytest.raises(ConfigError, match="uncertain names category 'staf'.*did you mean 'staff'"):
        base.monte_carlo(10, uncertain={"staf": ("normal", 1, 0.1)})
    with pytest.raises(ConfigError, match="n must be at least 2"):
        base.monte_carlo(1)
    with pytest.raises(ConfigError, match="alpha must be strictly between 0 and 1"):
        base.monte_carlo(10, alpha=5)
    with pytest.raises(ConfigError, match="quantiles"):
        base.sensitivity(quantiles=(0.9, 0.1))
    with pytest.raises(ConfigError, match="ranges names category 'x'"):
        base.sensitivity({"x": (0.5, 1.5)})
