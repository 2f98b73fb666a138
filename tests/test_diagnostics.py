"""Pre-trend Wald test and placebo adoption dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sim_staggered import staggered_panel

from impact.did.diagnostics import placebo_test, pretrend_test
from impact.did.imputation import imputation
from impact.did.sun_abraham import sun_abraham
from impact.errors import ConfigError, DataError
from impact.results import EventStudyResult, tidy_terms


def _result(est, vcov, times, reference=-1):
    terms = tidy_terms([f"e={t}" for t in times], est, np.sqrt(np.diag(vcov)), event_time=times)
    return EventStudyResult(method="hand-made", estimate=0.0, se=1.0, ci_low=-2.0, ci_high=2.0, pvalue=1.0,
                            n_obs=10, terms=terms, vcov=pd.DataFrame(vcov, index=times, columns=times),
                            reference=reference)


def test_wald_statistic_by_hand():
    # Two correlated leads and one lag: stat = b' V^-1 b over the leads only, chi2(2).
    V = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.0], [0.0, 0.0, 0.25]])
    b = np.array([0.3, -0.2, 1.5])
    res = pretrend_test(_result(b, V, [-3, -2, 0]), test="chi2")
    lead_b, lead_V = b[:2], V[:2, :2]
    expected = float(lead_b @ np.linalg.solve(lead_V, lead_b))
    # Closed form for 2x2: (b1^2 v22 - 2 b1 b2 v12 + b2^2 v11) / det
    det = 0.04 * 0.09 - 0.01**2
    assert expected == pytest.approx((0.09 * 0.09 + 2 * 0.3 * 0.2 * 0.01 + 0.04 * 0.04) / det)
    assert res.statistic == pytest.approx(expected, rel=1e-12)
    assert res.df == 2 and res.event_times == (-3, -2)
    assert res.pvalue == pytest.approx(stats.chi2.sf(expected, 2), rel=1e-12)
    assert "chi2(2)" in res.summary() and "Pre-trend test" in res._repr_html_()



def test_hotelling_f_by_hand():
    # Same leads from G = 10 clusters (CRV1, nu = G - 1 = 9): F = W (nu - q + 1) / (q nu) on F(2, 8).
    V = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, 0.0], [0.0, 0.0, 0.25]])
    b = np.array([0.3, -0.2, 1.5])
    hand = _result(b, V, [-3, -2, 0])
    res = pretrend_test(EventStudyResult(**{**hand.__dict__, "n_units": 10}))
    W = float(b[:2] @ np.linalg.solve(V[:2, :2], b[:2]))
    assert res.test == "F" and (res.df, res.df2) == (2, 8)
    assert res.statistic == pytest.approx(W * 8 / 18, rel=1e-12)
    assert res.pvalue == pytest.approx(stats.f.sf(W * 8 / 18, 2, 8), rel=1e-12)
    assert res.wald == pytest.approx(W, rel=1e-12) and res.chi2_pvalue == pytest.approx(stats.chi2.sf(W, 2))
    assert "F(2, 8)" in res.summary() and "Hotelling" in res.summary()


def test_far_leads_are_binned():
    # Seven leads (-1 is the reference): -2..-6 one by one, -7 and -8 averaged into one restriction (q = 6).
    times = [-8, -7, -6, -5, -4, -3, -2, 0]
    V = np.diag(np.r_[np.full(7, 0.04), 0.25])
    b = np.r_[0.1, 0.2, 0.3, 0.0, 0.0, 0.0, 0.0, 1.0]
    hand = EventStudyResult(**{**_result(b, V, times).__dict__, "n_units": 40})
    res = pretrend_test(hand)
    assert res.df == 6 and res.binned == (-7, -8)
    # Independent leads: W = 0.3^2 / 0.04 (lead -6) + 0.15^2 / (0.04 / 2) (the bin's mean and variance).
    assert res.wald == pytest.approx(0.09 / 0.04 + 0.0225 / 0.02, rel=1e-12)
    assert pretrend_test(hand, leads=None).df == 7
    # Fewer clusters than restrictions: the bin starts earlier until Hotelling's F is defined.
    few = pretrend_test(EventStudyResult(**{**hand.__dict__, "n_units": 4}))
    assert few.df <= 3 and few.df2 >= 1


def test_size_and_power_in_simulation():
    # Parallel trends hold: p-values roughly uniform. Add a trend for treated units before adoption: rejected.
    p_null, p_alt = [], []
    for seed in range(40):
        df = staggered_panel(seed=seed, n_units=60, n_periods=6, cohorts=(0, 4, 5))
        p_null.append(pretrend_test(sun_abraham(df, "y", "id", "t", "g")).pvalue)
        df["y"] = df["y"] + 0.8 * (df["g"] > 0) * np.minimum(df["t"] - df["g"], 0)
        p_alt.append(pretrend_test(sun_abraham(df, "y", "id", "t", "g")).pvalue)
    assert 0 <= np.mean(np.array(p_null) < 0.05) <= 0.15
    assert np.mean(np.array(p_alt) < 0.05) > 0.8


def test_imputation_leads_are_tested():
    df = staggered_panel(seed=3, n_units=80)
    res = imputation(df, "y", "id", "t", "g", window=(-3, 3))
    test = pretrend_test(res)
    assert test.event_times == (-3, -2, -1)


def test_pretrend_test_bad_input():
    with pytest.raises(ConfigError, match="needs an event-study result"):
        pretrend_test("not a result")
    V = np.eye(2) * 0.1
    with pytest.raises(ConfigError, match="no pre-adoption coefficient"):
        pretrend_test(_result([1.0, 2.0], V, [0, 1]))


def test_placebo_recovers_zero_with_real_effects():
    df = staggered_panel(seed=8, n_units=200, n_periods=8, cohorts=(0, 4, 6), noise=0.5)
    real = sun_abraham(df, "y", "id", "t", "g")
    assert real.estimate > 1.0
    placebo = placebo_test(df, "y", "id", "t", "g", shift=2)
    assert abs(placebo.estimate) < 4 * placebo.se
    # Only untreated observations are used: cohort 4 keeps t = 1..3, cohort 6 t = 1..5.
    assert placebo.n_obs == len(df) - int(df["d"].sum())
    imp = placebo_test(df, "y", "id", "t", "g", shift=1, estimator="imputation")
    assert abs(imp.estimate) < 4 * imp.se


def test_placebo_detects_anticipation():
    df = staggered_panel(seed=9, n_units=200, n_periods=8, cohorts=(0, 4, 6), noise=0.5)
    df["y"] = df["y"] + 1.0 * ((df["g"] > 0) & (df["t"] >= df["g"] - 2))  # effects start two periods early
    placebo = placebo_test(df, "y", "id", "t", "g", shift=2)
    assert placebo.estimate > 0.5 and placebo.pvalue < 0.01


def test_placebo_accepts_callable_and_validates():
    df = staggered_panel(seed=8, n_units=40, cohorts=(0, 4, 6))
    seen = {}

    def spy(data, outcome, unit, time, cohort, **kwargs):
        seen["cohorts"] = sorted(data[cohort].unique())
        seen["kwargs"] = kwargs
        return "ok"

    assert placebo_test(df, "y", "id", "t", "g", shift=1, estimator=spy, window=(-2, 1)) == "ok"
    assert seen["cohorts"] == [0, 3, 5] and seen["kwargs"] == {"window": (-2, 1)}
    with pytest.raises(ConfigError, match="estimator must be one of"):
        placebo_test(df, "y", "id", "t", "g", estimator="synthetic_control")
    with pytest.raises(ConfigError, match="shift must be at least 1"):
        placebo_test(df, "y", "id", "t", "g", shift=0)
    with pytest.raises(ConfigError, match="shift=5 puts every placebo adoption"):
        placebo_test(df, "y", "id", "t", "g", shift=5)
    with pytest.raises(DataError, match="'gg' not found"):
        placebo_test(df, "y", "id", "t", "gg")


def test_effective_degrees_of_freedom():
    from impact.did.diagnostics import effective_df

    # Equal contributions from 12 clusters: 12. One cluster carrying nearly everything: about 1.
    signs = np.resize([1.0, -1.0], 12)
    assert effective_df(np.column_stack([signs, np.roll(signs, 1) * 2.0])) == pytest.approx(12.0)
    lopsided = np.r_[100.0, np.full(11, 0.01)][:, None]
    assert effective_df(lopsided) == pytest.approx(1.0, abs=1e-3)


def test_imputation_pretest_counts_the_clusters_that_carry_the_leads():
    df = staggered_panel(seed=5, n_units=60, n_periods=8, cohorts=(0, 4, 6))
    res = imputation(df, "y", "id", "t", "g")
    test = pretrend_test(res)
    # The scores reproduce the covariance, and the effective df is below G - 1 = 59.
    np.testing.assert_allclose(res.scores.T @ res.scores, res.vcov.to_numpy(), rtol=1e-10, atol=1e-14)
    assert test.df2 < 59 - test.df + 1
    assert f"p = {test.pvalue:.3g}" in res.assumptions["Pre-trend test"]


def test_event_study_scores_reproduce_its_covariance():
    from impact.did.event_study import event_study

    df = staggered_panel(seed=1, n_units=40, n_periods=6, cohorts=(0, 3, 5))
    res = event_study(df, "y", "id", "t", "g")
    np.testing.assert_allclose(res.scores.T @ res.scores, res.vcov.to_numpy(), rtol=1e-10, atol=1e-15)
    test = pretrend_test(res)
    assert test.df2 <= 40 - 1 - test.df + 1
