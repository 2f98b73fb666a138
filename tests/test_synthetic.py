"""Tests for impact.did.synthetic (Abadie, Diamond & Hainmueller synthetic control).

Proposition 99 data: tests/data/california_prop99.csv (see tests/data/README.md).
ADH (2010) weight California with cigarette sales and covariates (retail price,
income, beer consumption, age structure) that this file does not hold, so
their weights (Utah .334, Nevada .234, Montana .199, Colorado .164,
Connecticut .069) are not a reference here. The outcome-only weights are
checked against an independent solve of the same quadratic programme with
scipy's SLSQP, and against the Frank-Wolfe solution of R synthdid's
``sc_estimate`` (-19.61966), which stops before the exact optimum.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from impact.did import synthetic_control
from impact.did.simplex import simplex_weights
from impact.errors import ConfigError, DataError

DATA = Path(__file__).parent / "data" / "california_prop99.csv"
ARGS = ("PacksPerCapita", "State", "Year")


@pytest.fixture(scope="module")
def prop99():
    return pd.read_csv(DATA, sep=";")


@pytest.fixture(scope="module")
def prop99_fit(prop99):
    return synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, placebo_starts=[1980])


@pytest.fixture(scope="module")
def wide(prop99):
    return prop99.pivot(index="State", columns="Year", values="PacksPerCapita")


def slsqp_weights(B, a, v=None):
    """Independent simplex-constrained least squares: scipy SLSQP on the rescaled problem."""
    v = np.ones(len(a)) if v is None else v
    scale = np.sum(v * a**2)  # SLSQP stalls at the start point when the loss is of order 1e5
    J = B.shape[1]
    res = optimize.minimize(
        lambda w: np.sum(v * (a - B @ w) ** 2) / scale,
        np.full(J, 1 / J),
        jac=lambda w: -2 * B.T @ (v * (a - B @ w)) / scale,
        method="SLSQP",
        bounds=[(0, 1)] * J,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(J)}],
        options={"ftol": 1e-13, "maxiter": 5000},
    )
    assert res.success, res.message
    return res.x


def factor_panel(n_units=20, n_periods=24, start=18, effect=5.0, seed=0, noise=0.2):
    """Treated unit 0 is a convex combination of donors 1-3 plus noise: a perfect synthetic control exists."""
    rng = np.random.default_rng(seed)
    loadings = rng.uniform(0, 2, (n_units, 2))
    factors = np.cumsum(rng.normal(0, 1, (n_periods, 2)), axis=0) + 10
    y = loadings @ factors.T + rng.normal(0, noise, (n_units, n_periods))
    y[0] = 0.5 * y[1] + 0.3 * y[2] + 0.2 * y[3] + rng.normal(0, noise, n_periods)
    y[0, start:] += effect
    units, periods = np.meshgrid(np.arange(n_units), np.arange(2000, 2000 + n_periods), indexing="ij")
    return pd.DataFrame({"unit": units.ravel(), "year": periods.ravel(), "y": y.ravel()})


# --------------------------------------------------------------------------- the solver


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simplex_weights_match_slsqp(seed):
    rng = np.random.default_rng(seed)
    B = rng.normal(size=(15, 10)) * 10 + 50
    a = B[:, :3] @ np.array([0.2, 0.3, 0.5]) + rng.normal(0, 3, 15)
    v = rng.uniform(0, 1, 15)
    ours, ref = simplex_weights(B, a, v), slsqp_weights(B, a, v)
    assert ours.min() >= 0 and ours.sum() == pytest.approx(1, abs=1e-12)
    loss = lambda w: np.sum(v * (a - B @ w) ** 2)  # noqa: E731
    assert loss(ours) <= loss(ref) * (1 + 1e-8)
    assert np.abs(ours - ref).max() < 1e-4


# --------------------------------------------------------------------------- Proposition 99


def test_prop99_weights_match_independent_qp(prop99_fit, wide):
    donors = wide.drop(index="California")
    pre = wide.columns < 1989
    ref = slsqp_weights(donors.loc[:, pre].to_numpy().T, wide.loc["California", pre].to_numpy())
    ours = prop99_fit.weights.set_index("unit")["weight"].reindex(donors.index).to_numpy()
    assert np.abs(ours - ref).max() < 1e-4
    gap = wide.loc["California"].to_numpy() - ref @ donors.to_numpy()
    assert prop99_fit.estimate == pytest.approx(gap[~pre].mean(), abs=1e-3)
    assert prop99_fit.pre_rmspe == pytest.approx(np.sqrt(np.mean(gap[pre] ** 2)), rel=1e-6)


def test_prop99_estimate_and_fit(prop99_fit):
    # The exact outcome-only optimum gives -19.51; synthdid's Frank-Wolfe sc_estimate stops earlier at
    # -19.62 (AER Table 1: -19.6) with a worse pre-period fit (MSPE 2.772 against our 2.744).
    assert prop99_fit.estimate == pytest.approx(-19.5136, abs=1e-3)
    assert prop99_fit.pre_rmspe**2 == pytest.approx(2.7437, abs=1e-3)
    top = prop99_fit.weights.head(4)["unit"].tolist()
    assert set(top) == {"Utah", "Montana", "Nevada", "Connecticut"}  # ADH's main donors but Colorado


def test_prop99_placebo_inference(prop99_fit, wide):
    table = prop99_fit.placebo_table
    assert len(table) == 39 and table["treated"].sum() == 1
    ratio = table["post_rmspe"] / table["pre_rmspe"]
    rank = int((ratio >= ratio[table["treated"]].iloc[0]).sum())
    assert prop99_fit.pvalue == pytest.approx(rank / 39)
    assert prop99_fit.pvalue == pytest.approx(3 / 39)
    placebo_means = table.loc[~table["treated"], "estimate"]
    assert prop99_fit.se == pytest.approx(placebo_means.std(ddof=1))
    # One placebo recomputed independently: Utah against the other 37 donors.
    donors = wide.drop(index=["California", "Utah"])
    pre = wide.columns < 1989
    w = slsqp_weights(donors.loc[:, pre].to_numpy().T, wide.loc["Utah", pre].to_numpy())
    gap = wide.loc["Utah"].to_numpy() - w @ donors.to_numpy()
    ours = prop99_fit.placebo_gaps.query("unit == 'Utah'")["gap"].to_numpy()
    assert np.abs(ours - gap).max() < 1e-2


def test_prop99_with_outcome_lags_matches_adh_p_value(prop99):
    # ADH (2010) find California's post/pre ratio the largest of the 39: p = 1/39 = 0.026. With the
    # three outcome lags they use (1975, 1980, 1988) as the only predictors we find the same rank.
    fit = synthetic_control(prop99, *ARGS, treated_unit="California", start=1989,
                            outcome_lags=[1975, 1980, 1988], leave_one_out=False)
    assert fit.pvalue == pytest.approx(1 / 39)
    balance = fit.predictor_balance
    assert balance["v_weight"].sum() == pytest.approx(1) and (balance["v_weight"] >= 0).all()
    assert np.abs(balance["treated"] - balance["synthetic"]).max() < 1.0


def test_prop99_in_time_placebo(prop99_fit, prop99):
    tp = prop99_fit.time_placebos
    assert list(tp["start"]) == [1980]
    # Independent recomputation on 1970-1988 with a fake 1980 start.
    sub = prop99[prop99["Year"] < 1989].pivot(index="State", columns="Year", values="PacksPerCapita")
    donors = sub.drop(index="California")
    pre = sub.columns < 1980
    w = slsqp_weights(donors.loc[:, pre].to_numpy().T, sub.loc["California", pre].to_numpy())
    gap = sub.loc["California"].to_numpy() - w @ donors.to_numpy()
    assert tp["estimate"].iloc[0] == pytest.approx(gap[~pre].mean(), abs=1e-3)


def test_prop99_leave_one_out(prop99_fit):
    loo = prop99_fit.leave_one_out
    positive = set(prop99_fit.weights.query("weight > 1e-6")["unit"])
    assert set(loo["dropped"]) == positive
    assert loo.groupby("dropped").size().eq(31).all()


def test_to_frame(prop99_fit):
    frame = prop99_fit.to_frame()
    assert list(frame.columns[:6]) == ["term", "estimate", "se", "ci_low", "ci_high", "pvalue"]
    assert {"period", "treated", "synthetic", "gap", "post"} <= set(frame.columns)
    assert len(frame) == 31
    assert np.allclose(frame["gap"], frame["treated"] - frame["synthetic"])
    assert frame.loc[frame["post"], "gap"].mean() == pytest.approx(prop99_fit.estimate)
    assert frame.loc[frame["post"], "pvalue"].between(1 / 39, 1).all()
    assert frame.loc[~frame["post"], "pvalue"].isna().all()


def test_result_protocol(prop99_fit):
    text = prop99_fit.summary()
    assert "Identification" in text and "Pre-period RMSPE" in text
    assert "<table>" in prop99_fit._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        prop99_fit.estimate = 0.0


@pytest.mark.parametrize("kind", ["trajectories", "gaps", "placebos"])
def test_plots(prop99_fit, kind):
    ax = prop99_fit.plot(kind=kind, max_pre_rmspe_ratio=5 if kind == "placebos" else None)
    assert isinstance(ax, matplotlib.axes.Axes)


def test_placebos_are_fast(prop99):
    import time

    t0 = time.perf_counter()
    synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, leave_one_out=False)
    assert time.perf_counter() - t0 < 5  # 38 placebos in well under a second on one core


# --------------------------------------------------------------------------- simulations


def test_recovers_known_effect():
    fit = synthetic_control(factor_panel(effect=5.0, seed=1), "y", "unit", "year", treated_unit=0, start=2018)
    assert fit.estimate == pytest.approx(5.0, abs=0.3)
    assert fit.pvalue == pytest.approx(1 / 20)  # the largest post/pre ratio of the 20 units
    # The treated unit is a convex combination of donors (weights are not unique with two
    # factors), so the pre-period fit is at the noise level.
    assert fit.pre_rmspe < 0.3


def test_placebo_p_values_under_no_effect():
    # Under the null with exchangeable units the rank is uniform: p-values spread over (0, 1].
    pvals = np.array([
        synthetic_control(factor_panel(effect=0.0, seed=s, n_units=12), "y", "unit", "year", treated_unit=0,
                          start=2018, leave_one_out=False).pvalue
        for s in range(25)
    ])
    assert 0.3 < pvals.mean() < 0.7
    assert np.mean(pvals <= 0.1) <= 0.25


def test_predictors_improve_on_equal_importance():
    df = factor_panel(effect=2.0, seed=3)
    rng = np.random.default_rng(3)
    df["x1"] = df.groupby("unit")["y"].transform("mean") + rng.normal(0, 0.1, len(df))
    df["x2"] = rng.normal(0, 1, len(df))  # irrelevant predictor
    fit = synthetic_control(df, "y", "unit", "year", treated_unit=0, start=2018, predictors=["x1", "x2"],
                            outcome_lags=[2005, 2017], placebos=False, leave_one_out=False)
    v = fit.predictor_balance["v_weight"].to_numpy()
    assert v.min() >= 0 and v.sum() == pytest.approx(1)
    # The data-driven V does at least as well as equal importance on the pre-period outcomes.
    wide = df.pivot(index="unit", columns="year", values="y")
    X = np.vstack([
        df.pivot(index="unit", columns="year", values="x1").loc[:, :2017].mean(axis=1),
        df.pivot(index="unit", columns="year", values="x2").loc[:, :2017].mean(axis=1),
        wide[2005], wide[2017],
    ])
    Xs = X / X.std(axis=1, ddof=1, keepdims=True)
    w_eq = slsqp_weights(Xs[:, 1:], Xs[:, 0])
    pre = wide.columns < 2018
    mspe_eq = np.mean((wide.loc[0, pre].to_numpy() - w_eq @ wide.loc[1:, pre].to_numpy()) ** 2)
    assert fit.pre_rmspe**2 <= mspe_eq * (1 + 1e-6)
    assert np.isnan(fit.pvalue) and np.isnan(fit.se)


def test_donor_subset(prop99):
    fit = synthetic_control(prop99, *ARGS, treated_unit="California", start=1989,
                            donors=["Utah", "Nevada", "Montana", "Colorado", "Connecticut"])
    assert set(fit.weights["unit"]) == {"Utah", "Nevada", "Montana", "Colorado", "Connecticut"}
    assert len(fit.placebo_table) == 6


# --------------------------------------------------------------------------- bad input


def test_treated_unit_absent(prop99):
    with pytest.raises(DataError, match="treated_unit 'Californa' not found in column 'State'; did you mean 'California'"):
        synthetic_control(prop99, *ARGS, treated_unit="Californa", start=1989)


@pytest.mark.parametrize("start", [2005, 1970, 1965])
def test_start_outside_data(prop99, start):
    with pytest.raises(DataError, match=f"start={start} is outside the data: periods run from 1970 to 2000"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=start)


def test_too_few_pre_periods(prop99):
    with pytest.raises(DataError, match="start=1971 leaves 1 pre-treatment period"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=1971)


def test_too_few_donors(prop99):
    with pytest.raises(DataError, match="donor pool has 1 unit"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, donors=["Utah"])


def test_unknown_donor(prop99):
    with pytest.raises(DataError, match="donor 'Utha' not found.*did you mean 'Utah'"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, donors=["Utah", "Utha"])


def test_missing_value_in_donor_pool(prop99):
    df = prop99.copy()
    df.loc[(df["State"] == "Nevada") & (df["Year"] == 1983), "PacksPerCapita"] = np.nan
    with pytest.raises(DataError, match="missing for State='Nevada' in Year=1983"):
        synthetic_control(df, *ARGS, treated_unit="California", start=1989)


def test_missing_row_in_donor_pool(prop99):
    df = prop99[~((prop99["State"] == "Ohio") & (prop99["Year"] == 1990))]
    with pytest.raises(DataError, match="unbalanced: no row for State='Ohio' in Year=1990"):
        synthetic_control(df, *ARGS, treated_unit="California", start=1989)


def test_outcome_lag_not_pre_period(prop99):
    with pytest.raises(ConfigError, match="outcome_lags value 1995 is not a pre-treatment period"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, outcome_lags=[1980, 1995])


def test_unknown_predictor(prop99):
    with pytest.raises(DataError, match="predictors column 'price' not found"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, predictors=["price"])


def test_bad_in_time_placebo(prop99):
    with pytest.raises(DataError, match="placebo_starts value=1995 is outside the data"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, placebo_starts=[1995])


def test_bad_alpha(prop99):
    with pytest.raises(ConfigError, match="alpha must be strictly between 0 and 1"):
        synthetic_control(prop99, *ARGS, treated_unit="California", start=1989, alpha=2)
