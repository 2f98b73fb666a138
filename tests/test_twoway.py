"""2x2 DiD, TWFE and the event study against published numbers and independent fits.

References:
- Card & Krueger (1994, AER), Table 3, row 3: NJ minus PA change in mean FTE employment
  2.76 (s.e. 1.36), computed from the rounded group means of their public data.
- pyfixest (independent implementation of fixest) for point estimates; an explicit
  dummy-variable OLS with statsmodels for the cluster-robust standard errors.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.api as sm

from impact.did import event_study, twfe, two_by_two
from impact.errors import ConfigError, DataError, EstimationError
from impact.results import TERM_COLUMNS

DATA = Path(__file__).parent / "data"
CK_COLUMNS = (
    "sheet chain co_owned state southj centralj northj pa1 pa2 shore ncalls empft emppt nmgrs wage_st inctime "
    "firstinc bonus pctaff meals open hrsopen psoda pfry pentree nregs nregs11 type2 status2 date2 ncalls2 empft2 "
    "emppt2 nmgrs2 wage_st2 inctime2 firstin2 special2 meals2 open2r hrsopen2 psoda2 pfry2 pentree2 nregs2 nregs112"
).split()


@pytest.fixture(scope="module")
def card_krueger():
    raw = pd.read_csv(DATA / "card_krueger_public.dat", sep=r"\s+", header=None, names=CK_COLUMNS, na_values=".")
    waves = []
    for post, suffix in ((0, ""), (1, "2")):
        fte = raw[f"empft{suffix}"] + raw[f"nmgrs{suffix}"] + 0.5 * raw[f"emppt{suffix}"]
        waves.append(pd.DataFrame({"store": raw.index, "nj": raw["state"], "post": post, "fte": fte}))
    return pd.concat(waves, ignore_index=True).dropna(subset=["fte"])


def staggered_panel(seed=0, n=60, t=8, effect=2.0):
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n), t)
    time = np.tile(np.arange(1, t + 1), n)
    cohort_u = np.where(np.arange(n) < n // 2, rng.integers(3, 7, n), 0)
    cohort = cohort_u[unit]
    d = ((cohort > 0) & (time >= cohort)).astype(int)
    y = rng.normal(size=n)[unit] + 0.3 * time + effect * d + rng.normal(size=n * t)
    return pd.DataFrame({"unit": unit, "time": time, "cohort": cohort, "d": d, "y": y, "x": rng.normal(size=n * t)})


# --------------------------------------------------------------------------- 2x2


def test_two_by_two_reproduces_card_krueger(card_krueger):
    res = two_by_two(card_krueger, "fte", "nj", "post")
    means = card_krueger.groupby(["nj", "post"])["fte"].mean()
    by_hand = (means[1, 1] - means[1, 0]) - (means[0, 1] - means[0, 0])
    assert res.estimate == pytest.approx(by_hand, abs=1e-10)
    # Published 2.76 comes from group means rounded to two decimals; unrounded it is 2.754.
    assert res.estimate == pytest.approx(2.76, abs=0.01)


def test_two_by_two_reproduces_card_krueger_balanced_sample(card_krueger):
    # Table 3, balanced sample of stores: 2.75 (1.34). The published s.e. allows for the
    # correlation of a store's two waves, i.e. clustering by store.
    both = card_krueger.groupby("store")["fte"].transform("size") == 2
    res = two_by_two(card_krueger[both], "fte", "nj", "post", cluster="store", unit="store")
    assert res.estimate == pytest.approx(2.75, abs=0.005)
    assert res.se == pytest.approx(1.34, abs=0.005)
    assert res.n_units == 384


def test_two_by_two_matches_pyfixest_with_covariates_and_clusters():
    df = staggered_panel()
    df["treated"] = (df["cohort"] > 0).astype(int)
    df["post"] = (df["time"] >= 5).astype(int)
    res = two_by_two(df, "y", "treated", "post", cluster="unit", covariates=["x"], unit="unit")
    ref = pf.feols("y ~ treated * post + x", data=df, vcov={"CRV1": "unit"})
    assert res.estimate == pytest.approx(ref.coef()["treated:post"], abs=1e-6)
    ols = sm.OLS(df["y"], sm.add_constant(df[["treated", "post"]].assign(tp=df.treated * df.post, x=df.x))).fit(
        cov_type="cluster", cov_kwds={"groups": df["unit"]}
    )
    assert res.se == pytest.approx(ols.bse["tp"], rel=1e-8)
    assert res.n_units == 60
    assert list(res.to_frame().columns[:6]) == list(TERM_COLUMNS)


# --------------------------------------------------------------------------- TWFE


def test_twfe_matches_pyfixest_and_dummy_ols():
    df = staggered_panel(seed=1)
    res = twfe(df, "y", "unit", "time", "d", covariates=["x"])
    ref = pf.feols("y ~ d + x | unit + time", data=df)
    assert res.estimate == pytest.approx(ref.coef()["d"], abs=1e-6)
    # Dummy-variable OLS counts every fixed effect in K; our CRV1 (as Stata/fixest)
    # leaves out the unit effects nested in the unit clusters: rescale by (N-K_all)/(N-K_nested).
    X = pd.get_dummies(df[["unit", "time"]].astype(str), drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([df[["d", "x"]], X], axis=1))
    ols = sm.OLS(df["y"], X).fit(cov_type="cluster", cov_kwds={"groups": df["unit"]})
    n, k_all = X.shape
    k_nested = 2 + df["time"].nunique()  # regressors + period levels (fixest/reghdfe count)
    assert res.estimate == pytest.approx(ols.params["d"], abs=1e-8)
    assert res.se == pytest.approx(ols.bse["d"] * np.sqrt((n - k_all) / (n - k_nested)), rel=1e-8)


def test_twfe_recovers_known_effect_when_adoption_is_simultaneous():
    rng = np.random.default_rng(5)
    n, t = 200, 6
    unit = np.repeat(np.arange(n), t)
    time = np.tile(np.arange(t), n)
    d = ((unit < 100) & (time >= 3)).astype(int)
    y = rng.normal(size=n)[unit] + rng.normal(size=t)[time] - 3.0 * d + rng.normal(size=n * t)
    res = twfe(pd.DataFrame({"u": unit, "t": time, "d": d, "y": y}), "y", "u", "t", "d")
    assert res.ci_low < -3.0 < res.ci_high
    assert abs(res.estimate + 3.0) < 4 * res.se


# --------------------------------------------------------------------------- event study


def test_event_study_matches_pyfixest():
    df = staggered_panel(seed=2)
    res = event_study(df, "y", "unit", "time", "cohort")
    rel = np.where(df.cohort > 0, df.time - df.cohort, np.nan)
    names = {}
    for e in np.unique(rel[~np.isnan(rel)]).astype(int):
        if e != -1:
            names[e] = f"ev{e}".replace("-", "m")
            df[names[e]] = (rel == e).astype(float)
    ref = pf.feols(f"y ~ {' + '.join(names.values())} | unit + time", data=df, vcov={"CRV1": "unit"})
    frame = res.to_frame().set_index("event_time")
    for e, name in names.items():
        assert frame.loc[e, "estimate"] == pytest.approx(ref.coef()[name], abs=1e-6)
    assert frame.loc[-1, "estimate"] == 0 and np.isnan(frame.loc[-1, "se"])
    assert set(res.vcov.index) == set(frame.index) - {-1}


def test_event_study_recovers_dynamic_effect_without_staggering():
    rng = np.random.default_rng(11)
    n, t = 300, 10
    unit = np.repeat(np.arange(n), t)
    time = np.tile(np.arange(t), n)
    cohort = np.where(unit < 150, 5, 0)
    e = time - cohort
    truth = {0: 1.0, 1: 2.0, 2: 3.0, 3: 4.0, 4: 5.0}
    effect = np.where(cohort > 0, pd.Series(e).map(truth).fillna(0).to_numpy(), 0)
    y = rng.normal(size=n)[unit] + 0.5 * time + effect + rng.normal(size=n * t)
    res = event_study(pd.DataFrame({"u": unit, "t": time, "g": cohort, "y": y}), "y", "u", "t", "g")
    frame = res.to_frame().set_index("event_time")
    for k, v in truth.items():
        assert frame.loc[k, "ci_low"] < v < frame.loc[k, "ci_high"]
    assert res.estimate == pytest.approx(3.0, abs=4 * res.se)
    pre = res.pre_trend_terms()
    assert (pre["ci_low"] < 0).all() and (pre["ci_high"] > 0).all()


def test_event_study_window_bins_endpoints():
    df = staggered_panel(seed=3)
    res = event_study(df, "y", "unit", "time", "cohort", window=(-3, 2))
    assert res.to_frame()["event_time"].tolist() == [-3, -2, -1, 0, 1, 2]
    dropped = event_study(df, "y", "unit", "time", "cohort", window=(-3, 2), bin_endpoints=False)
    assert dropped.n_obs < res.n_obs


def test_results_render(tmp_path):
    res = event_study(staggered_panel(seed=4), "y", "unit", "time", "cohort")
    assert "Reference period" in res.summary()
    assert "<table" in res._repr_html_()
    ax = res.plot()
    assert ax.get_xlabel() == "periods relative to adoption"
    with pytest.raises(Exception):
        res.estimate = 0  # results are immutable


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "mutate, error, match",
    [
        (lambda d: d.rename(columns={"y": "delay"}), DataError, "outcome column 'y' not found"),
        (lambda d: d.assign(y=d.y.astype(str)), DataError, "outcome column 'y' must be numeric"),
        (lambda d: pd.concat([d, d.iloc[:3]]), DataError, "share a"),
        (lambda d: d[d.time == 1], DataError, "single period"),
        (lambda d: d.assign(d=0), DataError, "no treated unit"),
        (lambda d: d.assign(d=d.d * 2), DataError, "only 0 and 1"),
    ],
)
def test_twfe_bad_input(mutate, error, match):
    with pytest.raises(error, match=match):
        twfe(mutate(staggered_panel()), "y", "unit", "time", "d")


def test_wrong_column_suggests_fix():
    with pytest.raises(DataError, match="did you mean 'time'"):
        twfe(staggered_panel(), "y", "unit", "tme", "d")


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.assign(cohort=np.where(d.time == 2, 3, d.cohort)), "varies within unit"),
        (lambda d: d.assign(cohort=0), "no treated unit"),
        # Cohorts written as text are read (issue 10); text that is no period is named.
        (lambda d: d.assign(cohort=np.where(d.unit == 0, "n.d.", d.cohort.astype(str))),
         "cohort column 'cohort' has values that are not periods: 'n.d.'"),
    ],
)
def test_event_study_bad_input(mutate, match):
    with pytest.raises(DataError, match=match):
        event_study(mutate(staggered_panel()), "y", "unit", "time", "cohort")


@pytest.mark.parametrize(
    "kwargs, match",
    [({"window": (1, 3)}, "window must run"), ({"reference": 0}, "reference"), ({"alpha": 1.5}, "alpha must be")],
)
def test_event_study_bad_options(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        event_study(staggered_panel(), "y", "unit", "time", "cohort", **kwargs)


def test_two_by_two_bad_input():
    df = staggered_panel().assign(treated=lambda d: (d.cohort > 0).astype(int), post=lambda d: (d.time > 4).astype(int))
    with pytest.raises(DataError, match="four cells"):
        two_by_two(df[df.post == 1], "y", "treated", "post")
    with pytest.raises(DataError, match=r"outcome column 'y' has \d+ missing values \(rows 0, "):
        two_by_two(df.assign(y=np.where(df.time == 1, np.nan, df.y)), "y", "treated", "post")
    with pytest.raises(DataError, match="treated column 'treated' must hold only 0 and 1"):
        two_by_two(df.assign(treated=df.treated * 3), "y", "treated", "post")


def test_everyone_treated_at_once_has_no_comparison():
    df = staggered_panel()
    with pytest.raises(DataError, match="no untreated unit"):
        twfe(df.assign(d=(df.time >= 5).astype(int)), "y", "unit", "time", "d")


def test_covariate_collinear_with_unit_effects_is_an_estimation_error():
    df = staggered_panel()
    with pytest.raises(EstimationError, match="'size' has no variation"):
        twfe(df.assign(size=df.unit * 2.0), "y", "unit", "time", "d", covariates=["size"])


def test_exact_fit_has_no_standard_error():
    # Two units, two periods: unit and period effects plus the treatment fit four rows exactly.
    df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [1, 2, 1, 2], "d": [0, 1, 0, 0], "y": [10.0, 8.0, 10.5, 10.4]})
    with pytest.raises(EstimationError, match="fits the 4 observations exactly"):
        twfe(df, "y", "u", "t", "d")
