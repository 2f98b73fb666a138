"""Tests for impact.did.sdid (synthetic difference-in-differences).

Reference numbers: Arkhangelsky, Athey, Hirshberg, Imbens & Wager (2021, AER),
Table 1, California Proposition 99: SDID -15.6, SC -19.6, DID -27.3; the R
package synthdid (github.com/synth-inference/synthdid, vignette "synthdid
introduction" and README) prints -15.60383 (synthdid_estimate),
-19.61966 (sc_estimate) and -27.34911 (did_estimate) on the same data
(tests/data/california_prop99.csv).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest

from impact.did import synthetic_did
from impact.errors import ConfigError, DataError, EstimationError, ImpactError

DATA = Path(__file__).parent / "data" / "california_prop99.csv"
ARGS = ("PacksPerCapita", "State", "Year", "treated")

# estimator -> (R synthdid print, AER Table 1)
PROP99 = {"sdid": (-15.60383, -15.6), "sc": (-19.61966, -19.6), "did": (-27.34911, -27.3)}


@pytest.fixture(scope="module")
def prop99():
    return pd.read_csv(DATA, sep=";")


@pytest.fixture(scope="module")
def prop99_fits(prop99):
    # n_reps=2 keeps the placebo step cheap: these fixtures check point estimates and weights.
    return {e: synthetic_did(prop99, *ARGS, estimator=e, n_reps=2, seed=0) for e in PROP99}


def factor_panel(n_units=30, n_treated=1, n_periods=20, start=14, effect=3.0, seed=0, noise=0.3):
    """Two-factor model with unit and time effects; the treated units load more on the factors."""
    rng = np.random.default_rng(seed)
    alpha = rng.normal(0, 1, n_units)
    loadings = rng.normal(0, 1, (n_units, 2))
    loadings[:n_treated] += 0.5
    factors = np.cumsum(rng.normal(0, 0.5, (n_periods, 2)), axis=0)
    beta = np.linspace(0, 2, n_periods)
    y = alpha[:, None] + beta[None] + loadings @ factors.T + rng.normal(0, noise, (n_units, n_periods))
    treated = np.zeros((n_units, n_periods), dtype=int)
    treated[:n_treated, start:] = 1
    y = y + effect * treated
    units, periods = np.meshgrid(np.arange(n_units), np.arange(2000, 2000 + n_periods), indexing="ij")
    return pd.DataFrame({"unit": units.ravel(), "year": periods.ravel(), "y": y.ravel(), "d": treated.ravel()})


# --------------------------------------------------------------------------- Proposition 99


@pytest.mark.parametrize("estimator", list(PROP99))
def test_prop99_matches_r_synthdid(prop99_fits, estimator):
    assert prop99_fits[estimator].estimate == pytest.approx(PROP99[estimator][0], abs=1e-4)


@pytest.mark.parametrize("estimator", list(PROP99))
def test_prop99_matches_published_table1(prop99_fits, estimator):
    assert round(prop99_fits[estimator].estimate, 1) == PROP99[estimator][1]


def test_prop99_did_is_the_difference_of_means(prop99, prop99_fits):
    # Independent closed form: (CA post - CA pre) - (controls post - controls pre).
    ca = prop99["State"] == "California"
    post = prop99["Year"] >= 1989
    m = prop99.groupby([ca, post])["PacksPerCapita"].mean()
    expected = (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    assert prop99_fits["did"].estimate == pytest.approx(expected, abs=1e-10)


def test_prop99_weights(prop99_fits):
    fit = prop99_fits["sdid"]
    omega, lam = fit.unit_weights["weight"], fit.time_weights["weight"]
    assert omega.min() >= 0 and omega.sum() == pytest.approx(1, abs=1e-12)
    assert lam.min() >= 0 and lam.sum() == pytest.approx(1, abs=1e-12)
    # The paper (Figure 1) and synthdid put the time weights on the last pre-treatment years.
    assert set(fit.time_weights.loc[lam > 0, "period"]) <= set(range(1984, 1989))
    assert (fit.unit_weights["weight"] > 0).sum() < 38  # sparsified
    assert (prop99_fits["sc"].time_weights["weight"] == 0).all()
    assert np.allclose(prop99_fits["did"].unit_weights["weight"], 1 / 38)


def test_prop99_weights_match_synthdid_summary(prop99_fits):
    # synthdid's vignette ("synthdid introduction", summary(tau.hat), weights rounded to 3 digits):
    # omega Nevada .124, New Hampshire .105, Connecticut .078, Delaware .070, Colorado .058;
    # lambda 1988 .427, 1986 .366, 1987 .206 (all other pre-periods 0).
    omega = prop99_fits["sdid"].unit_weights.set_index("unit")["weight"]
    expected = {"Nevada": 0.124, "New Hampshire": 0.105, "Connecticut": 0.078, "Delaware": 0.070, "Colorado": 0.058}
    assert omega.sort_values(ascending=False).index[:5].tolist() == list(expected)
    assert omega[list(expected)].round(3).tolist() == list(expected.values())
    lam = prop99_fits["sdid"].time_weights.set_index("period")["weight"]
    assert lam[lam > 0].round(3).to_dict() == {1986: 0.366, 1987: 0.206, 1988: 0.427}


def test_effect_curve_averages_to_estimate(prop99_fits):
    for fit in prop99_fits.values():
        curve = fit.effect_curve()
        assert list(curve["period"]) == list(range(1989, 2001))
        assert curve["effect"].mean() == pytest.approx(fit.estimate, abs=1e-10)


def test_prop99_placebo_se_beside_paper(prop99):
    # AER Table 1 reports placebo SEs from 200 draws (SDID 8.4); with one treated unit there are only
    # 38 distinct placebo estimates, and 200 draws leave a Monte Carlo error of roughly 10%. Our
    # value with seed 12345 is 8.42; the all-38 (infinite draws) value is 9.37.
    fit = synthetic_did(prop99, *ARGS, n_reps=200, seed=12345)
    assert len(fit.replicates) == 200
    assert len(set(np.round(fit.replicates, 8))) <= 38
    assert 7.0 < fit.se < 12.0
    assert fit.ci_low == pytest.approx(fit.estimate - 1.959964 * fit.se, abs=1e-5)


def test_did_placebo_replicates_are_control_vs_rest(prop99):
    # With estimator="did" each placebo replicate is the plain DiD of one control against the other 37.
    controls = prop99[prop99["State"] != "California"]
    wide = controls.pivot(index="State", columns="Year", values="PacksPerCapita")
    gain = wide.loc[:, 1989:].mean(axis=1) - wide.loc[:, :1988].mean(axis=1)
    exact = gain - (gain.sum() - gain) / (len(gain) - 1)
    fit = synthetic_did(prop99, *ARGS, estimator="did", n_reps=300, seed=1)
    reps = np.array(fit.replicates)
    assert np.abs(reps[:, None] - exact.to_numpy()[None]).min(axis=1).max() < 1e-9
    # Many draws converge to the population standard deviation of the 38 values.
    big = synthetic_did(prop99, *ARGS, estimator="did", n_reps=20_000, seed=2)
    assert big.se == pytest.approx(exact.std(ddof=0), rel=0.03)


# --------------------------------------------------------------------------- simulations


def test_recovers_known_effect_single_treated():
    df = factor_panel(n_treated=1, effect=3.0, seed=3)
    fit = synthetic_did(df, "y", "unit", "year", "d", n_reps=50, seed=0)
    assert fit.estimate == pytest.approx(3.0, abs=0.6)
    assert abs(fit.estimate - 3.0) < 3 * fit.se


def test_recovers_known_effect_several_treated_all_se_methods():
    # max_iter=1000 keeps the bootstrap (weights re-fitted in every draw) fast.
    df = factor_panel(n_units=40, n_treated=6, effect=2.0, seed=4)
    fits = {m: synthetic_did(df, "y", "unit", "year", "d", se_method=m, n_reps=60, seed=0, max_iter=1000)
            for m in ("placebo", "jackknife", "bootstrap")}
    estimates = {f.estimate for f in fits.values()}
    assert len(estimates) == 1  # the SE method does not change the point estimate
    est = estimates.pop()
    assert est == pytest.approx(2.0, abs=0.4)
    ses = np.array([f.se for f in fits.values()])
    assert np.all(np.isfinite(ses)) and np.all(ses > 0)
    assert ses.max() / ses.min() < 3


def test_no_effect_placebo_interval_covers_zero_mostly():
    # max_iter=1000 keeps this six-panel check fast; coverage does not hinge on the weights' last digits.
    covered = []
    for seed in range(6):
        df = factor_panel(n_units=25, n_treated=1, n_periods=14, start=10, effect=0.0, seed=100 + seed)
        fit = synthetic_did(df, "y", "unit", "year", "d", n_reps=30, seed=seed, max_iter=1000)
        covered.append(fit.ci_low <= 0 <= fit.ci_high)
    assert sum(covered) >= 4


def test_jackknife_matches_brute_force():
    df = factor_panel(n_units=20, n_treated=4, effect=1.0, seed=5)
    fit = synthetic_did(df, "y", "unit", "year", "d", se_method="jackknife")
    Y = df.pivot(index="unit", columns="year", values="y")
    treated = df.groupby("unit")["d"].max().astype(bool)
    omega = fit.unit_weights.set_index("unit")["weight"]
    lam = fit.time_weights.set_index("period")["weight"]
    post = Y.columns[~Y.columns.isin(lam.index)]
    d = Y[post].mean(axis=1) - Y[lam.index] @ lam  # per-unit post minus lambda-weighted pre
    values = []
    for u in Y.index:  # brute force, one unit dropped at a time
        keep = Y.index != u
        w = omega.reindex(Y.index[keep & ~treated.to_numpy()])
        w = w / w.sum()
        values.append(d[keep & treated.to_numpy()].mean() - (w * d[w.index]).sum())
    values = np.array(values)
    n = len(values)
    expected = np.sqrt((n - 1) / n * ((values - values.mean()) ** 2).sum())
    assert fit.se == pytest.approx(expected, rel=1e-10)


def test_batched_and_single_solvers_agree(prop99):
    # The placebo and bootstrap batches and the single fit run the same Frank-Wolfe steps.
    from impact.did.simplex import _fw_solve, _fw_solve_one

    wide = prop99.pivot(index="State", columns="Year", values="PacksPerCapita").to_numpy()
    rng = np.random.default_rng(0)
    R = 8
    A = np.stack([wide[rng.choice(39, 30, replace=False)][:, :19].T for _ in range(R)])  # (R, 19, 30)
    A = A - A.mean(axis=1, keepdims=True)
    b = np.stack([wide[k, :19] - wide[k, :19].mean() for k in (0, 5, 9, 20, 25, 30, 33, 38)])
    x0 = np.full((R, 30), 1 / 30)
    ok = np.ones((R, 30), dtype=bool)
    ok[1, :3] = False
    x0[1] = np.where(ok[1], 1 / 27, 0.0)
    batch = _fw_solve(A, b, x0, np.full(R, 19 * 0.5**2), 0.5**2, np.full(R, 19.0), ok, 1e-4, 3000)
    for r in range(R):
        single = _fw_solve_one(A[r], b[r], x0[r], 19 * 0.5**2, 19.0, ok[r], 1e-4, 3000)
        assert np.abs(batch[r] - single).max() < 1e-9
    assert np.all(batch[1, :3] == 0)


# --------------------------------------------------------------------------- result object


def test_result_protocol(prop99_fits):
    fit = prop99_fits["sdid"]
    frame = fit.to_frame()
    assert list(frame.columns[:6]) == ["term", "estimate", "se", "ci_low", "ci_high", "pvalue"]
    assert frame.loc[0, "estimate"] == fit.estimate
    text = fit.summary()
    assert "Identification" in text and "placebo" in text
    assert "<table>" in fit._repr_html_()
    assert fit.n_obs == 39 * 31 and fit.n_units == 39
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.estimate = 0.0


@pytest.mark.parametrize("kind", ["trajectories", "weights"])
def test_plot(prop99_fits, kind):
    assert isinstance(prop99_fits["sdid"].plot(kind=kind), matplotlib.axes.Axes)


def test_plot_bad_kind(prop99_fits):
    with pytest.raises(ConfigError, match="kind"):
        prop99_fits["sdid"].plot(kind="map")


# --------------------------------------------------------------------------- bad input


def test_staggered_adoption_is_refused():
    df = factor_panel(n_units=12, n_treated=3, seed=6)
    df.loc[(df.unit == 2) & (df.year == 2014), "d"] = 0  # unit 2 starts in 2015, units 0-1 in 2014
    with pytest.raises(ConfigError, match=r"same period.*2014: 0, 1.*2015: 2"):
        synthetic_did(df, "y", "unit", "year", "d")


def test_treatment_reversal_is_refused():
    df = factor_panel(n_units=12, n_treated=2, seed=6)
    df.loc[(df.unit == 1) & (df.year == 2019), "d"] = 0
    with pytest.raises(DataError, match="switches back to 0 for unit 1"):
        synthetic_did(df, "y", "unit", "year", "d")


@pytest.mark.parametrize("method", ["jackknife", "bootstrap"])
def test_single_treated_se_methods_refused(prop99, method):
    with pytest.raises(ConfigError, match=f"se_method='{method}'.*single treated unit.*California"):
        synthetic_did(prop99, *ARGS, se_method=method)


def test_too_few_pre_periods(prop99):
    df = prop99[prop99["Year"] >= 1988]
    with pytest.raises(DataError, match="1 pre-treatment period"):
        synthetic_did(df, *ARGS)


def test_too_few_controls(prop99):
    df = prop99[prop99["State"].isin(["California", "Utah"])]
    with pytest.raises(DataError, match="only 1 control unit"):
        synthetic_did(df, *ARGS)


def test_placebo_needs_more_controls_than_treated():
    df = factor_panel(n_units=6, n_treated=3, seed=7)
    with pytest.raises(ConfigError, match="more controls than treated"):
        synthetic_did(df, "y", "unit", "year", "d")


def test_missing_outcome_names_unit_and_period(prop99):
    df = prop99.copy()
    df.loc[(df["State"] == "Utah") & (df["Year"] == 1980), "PacksPerCapita"] = np.nan
    with pytest.raises(DataError, match="State='Utah' in Year=1980"):
        synthetic_did(df, *ARGS)


def test_unbalanced_panel_names_unit_and_period(prop99):
    df = prop99[~((prop99["State"] == "Nevada") & (prop99["Year"] == 1975))]
    with pytest.raises(DataError, match="unbalanced.*State='Nevada' in Year=1975"):
        synthetic_did(df, *ARGS)


def test_treatment_must_be_binary(prop99):
    df = prop99.assign(treated=prop99["treated"] * 2)
    with pytest.raises(DataError, match="only 0 and 1.*2"):
        synthetic_did(df, *ARGS)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"estimator": "mc"}, "estimator must be one of"),
        ({"se_method": "wild"}, "se_method must be one of"),
        ({"alpha": 1.5}, "alpha must be strictly between 0 and 1"),
        ({"n_reps": 1}, "n_reps must be at least 2"),
    ],
)
def test_bad_options(prop99, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        synthetic_did(prop99, *ARGS, **kwargs)


def test_missing_column(prop99):
    with pytest.raises(ImpactError, match="did you mean 'treated'"):
        synthetic_did(prop99, "PacksPerCapita", "State", "Year", "treatd")


def test_jackknife_single_positive_weight_is_an_estimation_error():
    # With sc weights concentrated on one control the fixed-weights jackknife is undefined.
    df = factor_panel(n_units=8, n_treated=2, seed=8)
    # Make the treated units copies of control 5 so that SC puts all weight on it.
    base = df[df.unit == 5].set_index("year")["y"]
    for u in (0, 1):
        m = df.unit == u
        df.loc[m, "y"] = base.loc[df.loc[m, "year"]].to_numpy() + df.loc[m, "d"] * 1.0
    with pytest.raises(EstimationError, match="single control has positive weight"):
        synthetic_did(df, "y", "unit", "year", "d", estimator="sc", se_method="jackknife")
