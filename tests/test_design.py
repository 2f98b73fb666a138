"""Tests for impact.design: analytic power/MDE and power by placebo pilots on a history.

References used here:
- statsmodels.stats.power (NormalIndPower, TTestIndPower): the two-sample
  z and t tests to which a 2x2 panel DiD reduces (the outcome is the change
  d_i = y_post - y_pre, compared between treated and control units).
- Cohen (1988), Statistical Power Analysis, Table 2.3.1: two-sided t test,
  d = 0.5, alpha = 0.05, n = 64 per group has power 0.80 (to two digits).
- McKenzie (2012, eq. for the DiD estimator): Var = sigma^2 (1 - rho) (1/m + 1/r) / (P (1 - P) n).
- Burlig, Preonas & Woerman (2020, eq. 5): the same variance for any serial
  covariance, written with the sums of pre, post and cross covariances;
  recomputed below with explicit loops over periods (an independent form).
- statsmodels OLS with unit and period dummies and cluster-robust standard
  errors, and pyfixest feols (fixest's CRV1 default), for the vectorised
  two-way fixed-effects estimate and its clustered standard error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impact.design import did_variance, history_moments, mde, power, serial_covariance, simulate_power
from impact.design.simulate import _draw_pilots, _power_at, _twfe_estimates, _window_changes
from impact.errors import ConfigError, DataError, ImpactError

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "city_history.csv"
Z = stats.norm.ppf


def make_history(n_units, n_periods, rho=0.5, sigma=1.0, seed=0, structure="ar1"):
    """Long-form panel with unit levels and serially correlated errors of known covariance."""
    rng = np.random.default_rng(seed)
    cov = serial_covariance(n_periods, sigma, rho, structure)
    y = rng.multivariate_normal(np.zeros(n_periods), cov, size=n_units) + rng.normal(50, 5, (n_units, 1))
    return pd.DataFrame(
        {"unit": np.repeat(np.arange(n_units), n_periods), "t": np.tile(np.arange(n_periods), n_units),
         "y": y.ravel()}
    )


# --------------------------------------------------------------------------- analytic: closed forms


@pytest.mark.parametrize("n_units,n_treated,rho", [(40, 20, 0.0), (40, 5, 0.3), (200, 60, 0.7)])
def test_2x2_power_equals_two_sample_z_test(n_units, n_treated, rho):
    from statsmodels.stats.power import NormalIndPower

    sigma, effect = 2.0, 1.1
    sd_change = sigma * np.sqrt(2 * (1 - rho))  # Var(y_post - y_pre) with correlation rho
    ours = power(effect, n_units=n_units, n_treated=n_treated, sigma=sigma, rho=rho)
    ref = NormalIndPower().power(effect / sd_change, nobs1=n_treated, alpha=0.05,
                                 ratio=(n_units - n_treated) / n_treated)
    assert ours == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("n_units,n_treated", [(40, 20), (40, 5), (128, 64)])
def test_2x2_mde_closed_form_and_statsmodels(n_units, n_treated):
    from statsmodels.stats.power import NormalIndPower, TTestIndPower

    sigma, rho = 3.0, 0.4
    sd_change = sigma * np.sqrt(2 * (1 - rho))
    se = sd_change * np.sqrt(1 / n_treated + 1 / (n_units - n_treated))
    ours = mde(n_units=n_units, n_treated=n_treated, sigma=sigma, rho=rho)
    # Bloom (1995): MDE = (z_{1-alpha/2} + z_{power}) SE, one-tail approximation.
    assert ours == pytest.approx((Z(0.975) + Z(0.8)) * se, rel=1e-12)
    ratio = (n_units - n_treated) / n_treated
    # statsmodels counts both tails; the far tail adds < 3e-6 to the power, hence rel=1e-5.
    ref = NormalIndPower().solve_power(nobs1=n_treated, alpha=0.05, power=0.8, ratio=ratio) * sd_change
    assert ours == pytest.approx(ref, rel=1e-5)
    # With df the MDE solves the noncentral-t power exactly as statsmodels' t test does.
    ours_t = mde(n_units=n_units, n_treated=n_treated, sigma=sigma, rho=rho, df=n_units - 2)
    ref_t = TTestIndPower().solve_power(nobs1=n_treated, alpha=0.05, power=0.8, ratio=ratio) * sd_change
    assert ours_t == pytest.approx(ref_t, rel=1e-6)
    assert ours_t > ours


def test_cohen_table_value():
    # Cohen (1988) Table 2.3.1: d = 0.5, n = 64 per group, two-sided 5% t test -> power .80.
    # sd of the change is 1 when sigma = 1/sqrt(2) and rho = 0.
    p = power(0.5, n_units=128, n_treated=64, sigma=1 / np.sqrt(2), df=126)
    assert round(p, 2) == 0.80


@pytest.mark.parametrize("m,r,rho", [(1, 1, 0.0), (4, 4, 0.5), (8, 3, 0.2), (2, 10, -0.05)])
def test_exchangeable_variance_is_mckenzie(m, r, rho):
    sigma, n, nt = 1.7, 40, 10
    p = nt / n
    mckenzie = sigma**2 * (1 - rho) * (1 / m + 1 / r) / (p * (1 - p) * n)
    ours = did_variance(n_units=n, n_treated=nt, n_pre=m, n_post=r, sigma=sigma, rho=rho)
    assert ours == pytest.approx(mckenzie, rel=1e-12)


@pytest.mark.parametrize("m,r,rho", [(3, 5, 0.6), (8, 8, 0.9), (1, 4, -0.3)])
def test_ar1_variance_is_burlig_preonas_woerman(m, r, rho):
    sigma, n, nt = 2.0, 50, 15
    cov = serial_covariance(m + r, sigma, rho, "ar1")
    pre, post = range(m), range(m, m + r)
    # BPW (2020) eq. 5: psi^B, psi^A sum covariances of distinct pre (post) pairs, psi^X the cross pairs.
    psi_b = sum(cov[s, t] for s in pre for t in pre if s != t)
    psi_a = sum(cov[s, t] for s in post for t in post if s != t)
    psi_x = sum(cov[s, t] for s in pre for t in post)
    p = nt / n
    bpw = ((m + r) / (m * r) * sigma**2 + psi_b / m**2 + psi_a / r**2 - 2 * psi_x / (m * r)) / (p * (1 - p) * n)
    ours = did_variance(n_units=n, n_treated=nt, n_pre=m, n_post=r, sigma=sigma, rho=rho, structure="ar1")
    assert ours == pytest.approx(bpw, rel=1e-12)
    # A unit random effect (a constant added to every covariance) cancels in the DiD.
    shifted = did_variance(n_units=n, n_treated=nt, n_pre=m, n_post=r, cov=cov + 7.5)
    assert shifted == pytest.approx(ours, rel=1e-10)


def test_more_periods_and_serial_correlation():
    # McKenzie (2012): with rho = 0, four rounds each side halve the MDE of one round each side.
    base = dict(n_units=40, n_treated=10)
    iid = [mde(**base, n_pre=k, n_post=k, rho=0.0) for k in (1, 4)]
    assert iid[1] / iid[0] == pytest.approx(0.5)
    # With AR(1) rho = 0.9 they raise it. By hand: a'Sigma a = 2(1 - 0.9) = 0.2 for one round each
    # side; for four, (2 * 14.098 - 2 * 10.6440489) / 16 = 0.43174389 (block sums of 0.9^|s-t|).
    ar = [mde(**base, n_pre=k, n_post=k, rho=0.9, structure="ar1") for k in (1, 4)]
    assert ar[1] / ar[0] == pytest.approx(np.sqrt(0.43174389 / 0.2), rel=1e-6)


def test_power_at_mde_is_target_and_vectorised():
    design = dict(n_units=40, n_treated=5, n_pre=8, n_post=8, sigma=10, rho=0.5)
    m = mde(**design, power=0.9, alpha=0.1)
    assert power(m, **design, alpha=0.1) == pytest.approx(0.9, abs=1e-5)
    curve = power(np.array([0.0, m, -m]), **design, alpha=0.1)
    assert curve.shape == (3,)
    assert curve[0] == pytest.approx(0.1, abs=1e-12)
    assert curve[1] == pytest.approx(curve[2])


def test_analytic_variance_matches_monte_carlo_on_fresh_data():
    """Seeded simulation of the DiD estimator itself: its variance and rejection rate match the formulas."""
    rng = np.random.default_rng(11)
    n_rep, n_units, n_treated, m, r, rho = 4000, 30, 8, 3, 3, 0.6
    cov = serial_covariance(m + r, 1.5, rho, "ar1")
    y = rng.multivariate_normal(np.zeros(m + r), cov, size=(n_rep, n_units))
    effect = 1.0
    y[:, :n_treated, m:] += effect
    change = y[..., m:].mean(-1) - y[..., :m].mean(-1)
    est = change[:, :n_treated].mean(1) - change[:, n_treated:].mean(1)
    var = did_variance(n_units=n_units, n_treated=n_treated, n_pre=m, n_post=r, cov=cov)
    # Sample variance of n_rep normal draws has relative SE sqrt(2/(n_rep-1)) = 2.2%; allow 3 SE.
    assert est.var(ddof=1) == pytest.approx(var, rel=3 * np.sqrt(2 / (n_rep - 1)))
    assert est.mean() == pytest.approx(effect, abs=3 * np.sqrt(var / n_rep))
    # Known-variance z test: rejection rate within 3 binomial SE of power().
    p = power(effect, n_units=n_units, n_treated=n_treated, n_pre=m, n_post=r, cov=cov)
    rejected = np.mean(np.abs(est / np.sqrt(var)) > Z(0.975))
    assert rejected == pytest.approx(p, abs=3 * np.sqrt(p * (1 - p) / n_rep))


# --------------------------------------------------------------------------- vectorised TWFE


def _long(y, treated, n_pre):
    n_units, n_periods = y.shape
    frame = pd.DataFrame({"u": np.repeat(np.arange(n_units), n_periods), "t": np.tile(np.arange(n_periods), n_units),
                          "y": y.ravel()})
    frame["D"] = (treated[frame["u"]] & (frame["t"] >= n_pre)).astype(float)
    return frame


def test_twfe_closed_form_matches_statsmodels_dummies():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    y = rng.normal(size=(14, 7)) + rng.normal(0, 3, (14, 1)) + np.arange(7)
    masks = np.zeros((3, 14), dtype=bool)
    masks[0, [0, 5, 9]] = True
    masks[1, :7] = True
    masks[2, [13]] = True
    est, se = _twfe_estimates(np.repeat(_window_changes(y, 3, 4), 3, axis=0), masks, 7)
    n_obs = y.size
    # Undo the CR1 factor to compare with statsmodels' uncorrected (CR0) cluster-robust SE.
    factor = 14 / 13 * (n_obs - 1) / (n_obs - 8)
    for k, mask in enumerate(masks):
        fit = smf.ols("y ~ D + C(u) + C(t)", _long(y, mask, 3)).fit(
            cov_type="cluster", cov_kwds={"groups": _long(y, mask, 3)["u"], "use_correction": False})
        assert est[k] == pytest.approx(fit.params["D"], abs=1e-10)
        assert se[k] / np.sqrt(factor) == pytest.approx(fit.bse["D"], rel=1e-10)


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_twfe_closed_form_matches_pyfixest_crv1():
    pf = pytest.importorskip("pyfixest")
    rng = np.random.default_rng(4)
    y = rng.normal(size=(12, 6)) + np.arange(12)[:, None]
    mask = np.zeros(12, dtype=bool)
    mask[[1, 4, 7]] = True
    est, se = _twfe_estimates(_window_changes(y, 2, 4), mask[None, :], 6)
    fit = pf.feols("y ~ D | u + t", _long(y, mask, 2), vcov={"CRV1": "u"})
    assert est[0] == pytest.approx(fit.coef()["D"], abs=1e-10)
    assert se[0] == pytest.approx(fit.se()["D"], rel=1e-10)


def test_window_changes_against_direct_means():
    y = np.random.default_rng(5).normal(size=(4, 9))
    d = _window_changes(y, 2, 3)
    assert d.shape == (5, 4)
    for w in range(5):
        np.testing.assert_allclose(d[w], y[:, w + 2:w + 5].mean(1) - y[:, w:w + 2].mean(1), atol=1e-12)


def test_draw_pilots_shape_and_uniformity():
    window, treated = _draw_pilots(5, 40, 5, 20000, np.random.default_rng(0))
    assert (treated.sum(axis=1) == 5).all()
    assert window.min() == 0 and window.max() == 4
    # Each unit is treated with probability 5/40: binomial SE sqrt(p(1-p)/n) = 0.0023; allow 4 SE for 40 units.
    share = treated.mean(axis=0)
    assert np.abs(share - 5 / 40).max() < 4 * np.sqrt(5 / 40 * 35 / 40 / 20000)


# --------------------------------------------------------------------------- simulation


@pytest.fixture(scope="module")
def city():
    return pd.read_csv(EXAMPLE)


def test_simulated_power_matches_analytic_on_iid_history():
    """On a long iid-like history with many units, placebo power equals the normal formula.

    The placebo distribution of the difference in mean changes over random
    assignments has variance S^2 (1/n_T + 1/n_C), S^2 the (ddof=1) variance of
    the changes (Neyman); with 300 units the CR1 t test is close to that
    z test. Tolerance: 3 binomial SEs of the simulated power.
    """
    data = make_history(300, 2, rho=0.3, seed=21)
    y = data.pivot(index="unit", columns="t", values="y").to_numpy()
    s = (y[:, 1] - y[:, 0]).std(ddof=1)
    n_sims, n_treated = 4000, 100
    effects = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    res = simulate_power(data, "y", "unit", "t", n_treated=n_treated, n_post=1, n_pre=1, effects=effects,
                         n_sims=n_sims, seed=1)
    analytic = power(effects, n_units=300, n_treated=n_treated, sigma=s / np.sqrt(2))
    tol = 3 * np.sqrt(analytic * (1 - analytic) / n_sims)
    np.testing.assert_array_less(np.abs(res.to_frame()["power"].to_numpy() - analytic), tol)
    np.testing.assert_allclose(res.to_frame()["analytic_power"], analytic, rtol=1e-10)


def test_placebo_estimates_unbiased_and_mde_exact(city):
    res = simulate_power(city, "processing_days", "city", "quarter", n_treated=5, n_pre=8, n_post=8,
                         n_sims=3000, seed=7)
    est = res.placebo_estimates
    assert abs(est.mean()) < 3 * est.std() / np.sqrt(len(est))
    # The MDE is the smallest effect reaching the target on these draws.
    half = stats.t.ppf(0.975, res.n_units - 1) * res.placebo_se
    lower, upper = -half - est, half - est
    assert _power_at(res.mde, lower, upper) >= 0.8
    assert _power_at(np.nextafter(res.mde, 0) - 1e-9, lower, upper) < 0.8
    assert res.n_windows == 24 - 16 + 1


def test_few_treated_clusters_oversize_and_randomization_fixes_it(city):
    # With 5 treated of 40, clustered SEs are too small (Conley & Taber 2011; MacKinnon & Webb 2018).
    n_sims = 3000
    mc = 3 * np.sqrt(0.05 * 0.95 / n_sims)
    clustered = simulate_power(city, "processing_days", "city", "quarter", n_treated=5, n_pre=8, n_post=8,
                               n_sims=n_sims, seed=2)
    assert clustered.size > 0.05 + mc
    assert "more than the nominal" in clustered.summary()
    fisher = simulate_power(city, "processing_days", "city", "quarter", n_treated=5, n_pre=8, n_post=8,
                            n_sims=n_sims, seed=2, test="randomization")
    assert fisher.size <= 0.05
    assert fisher.size > 0.05 - mc


def test_seeded_and_reproducible(city):
    kwargs = dict(n_treated=5, n_post=4, n_sims=500, effects=[0, 1, 2])
    a = simulate_power(city, "processing_days", "city", "quarter", seed=3, **kwargs)
    b = simulate_power(city, "processing_days", "city", "quarter", seed=3, **kwargs)
    c = simulate_power(city, "processing_days", "city", "quarter", seed=4, **kwargs)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert not np.array_equal(a.placebo_estimates, c.placebo_estimates)
    assert a.n_pre == 20  # default: the rest of the history


def test_result_protocol(city):
    res = simulate_power(city, "processing_days", "city", "quarter", n_treated=5, n_pre=8, n_post=8,
                         n_sims=500, seed=0, unit_label="cities", period_label="quarters")
    frame = res.to_frame()
    assert list(frame.columns) == ["effect", "relative_effect", "power", "power_se", "analytic_power"]
    assert frame["effect"].iloc[0] == 0 and len(frame) == 21
    assert frame["power"].is_monotonic_increasing
    text = res.summary()
    assert "With 5 of 40 cities treated for 8 quarters" in text
    assert f"{res.mde:.4g}" in res.sentence()
    assert "<table>" in res._repr_html_()
    ax = res.plot()
    assert ax.get_xlabel() == "true effect on processing_days"
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.mde = 0.0
    frame.loc[0, "power"] = 9
    assert res.to_frame().loc[0, "power"] != 9


def test_history_moments(city):
    m = history_moments(city, "processing_days", "city", "quarter")
    assert (m.n_units, m.n_periods) == (40, 24)
    assert m.mean == pytest.approx(city["processing_days"].mean())
    # Exchangeable summary of the covariance feeds McKenzie's formula.
    cov = m.cov.to_numpy()
    assert m.sigma**2 == pytest.approx(np.diag(cov).mean())
    assert m.cov.loc["2019Q1", "2019Q2"] == pytest.approx(
        city.pivot(index="city", columns="quarter", values="processing_days")[["2019Q1", "2019Q2"]].cov().iloc[0, 1])


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(n_treated=40, n_post=8), r"n_treated must be smaller than the 40 units in column 'city'"),
        (dict(n_treated=0, n_post=8), r"n_treated must be at least 1"),
        (dict(n_treated=5, n_pre=20, n_post=8), r"n_pre \+ n_post = 20 \+ 8 = 28 periods exceed the 24 periods"),
        (dict(n_treated=5, n_post=24), r"n_post=24 leaves no pre-period"),
        (dict(n_treated=5, n_post=8, power=1.2), r"power must be strictly between 0 and 1 \(got 1.2\)"),
        (dict(n_treated=5, n_post=8, alpha=0), r"alpha must be strictly between 0 and 1"),
        (dict(n_treated=5, n_post=8, test="wild"), r"test must be one of 'cluster', 'randomization' \(got 'wild'\)"),
        (dict(n_treated=5, n_post=8, effects=[1, np.nan]), r"effects must be a list of finite numbers"),
        (dict(n_treated=5, n_post=8, n_sims=10), r"n_sims must be at least 100"),
    ],
)
def test_simulate_bad_arguments(city, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        simulate_power(city, "processing_days", "city", "quarter", **kwargs)


def test_simulate_bad_data(city):
    holes = city.copy()
    holes.loc[5, "processing_days"] = np.nan
    with pytest.raises(DataError, match=r"column 'processing_days' is missing for city='city_01'"):
        simulate_power(holes, "processing_days", "city", "quarter", n_treated=5, n_post=8)
    with pytest.raises(DataError, match=r"unbalanced: no row for city='city_01'"):
        simulate_power(city.drop(index=3), "processing_days", "city", "quarter", n_treated=5, n_post=8)
    with pytest.raises(DataError, match=r"outcome column 'procesing_days' not found; did you mean 'processing_days'"):
        simulate_power(city, "procesing_days", "city", "quarter", n_treated=5, n_post=8)
    flat = city.assign(processing_days=1.0)
    with pytest.raises(DataError, match="nothing to detect"):
        simulate_power(flat, "processing_days", "city", "quarter", n_treated=5, n_post=8)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(n_units=40, n_treated=40), r"n_treated must be smaller than n_units .*n_treated=40, n_units=40"),
        (dict(n_units=40, n_treated=5, power=1.0), r"power must be strictly between 0 and 1 \(got 1.0\)"),
        (dict(n_units=40, n_treated=5, power=0), r"power must be strictly between 0 and 1"),
        (dict(n_units=40, n_treated=5, n_pre=0), r"n_pre must be at least 1 \(got 0\)"),
        (dict(n_units=40, n_treated=5, sigma=-1), r"sigma must be a positive number \(got -1\)"),
        (dict(n_units=40, n_treated=5, rho=1.0), r"rho must lie in \[-1, 1\)"),
        (dict(n_units=40, n_treated=5, rho=0.5, structure="ma1"), r"structure must be one of"),
        (dict(n_units=40, n_treated=5, cov=np.eye(3)), r"cov must be a 2x2 matrix"),
        (dict(n_units=40, n_treated=5, cov=[[1, 2], [2, 1]]), r"cov is not positive semi-definite"),
        (dict(n_units=40, n_treated=5, df=0), r"df must be a positive number"),
        (dict(n_units=40.5, n_treated=5), r"n_units must be an integer \(got 40.5\)"),
    ],
)
def test_analytic_bad_arguments(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        mde(**kwargs)


def test_power_bad_effect():
    with pytest.raises(ImpactError, match="effect must be finite"):
        power(np.inf, n_units=10, n_treated=5)
