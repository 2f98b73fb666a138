"""Callaway & Sant'Anna (2021): group-time ATTs, aggregations and inference.

Reference numbers, in order of authority:

1. R ``did`` 2.x published output on ``mpdta`` (github.com/bcallaway11/did at
   commit 71ba8a5): README.md (``est_method="reg"``, no covariates),
   docs/reference/att_gt.md (out1: dr without covariates; out2: dr with
   ``~lpop``; out3: dr with ``~lpop`` and not-yet-treated controls),
   docs/reference/aggte.md and docs/articles/did-basics.md (simple, dynamic,
   group, calendar, ``balance_e=1``). Printed to 4 decimals (point estimates;
   the printed standard errors are bootstrapped, hence not comparable) and the
   Wald pre-test p-values to 5 decimals (these use the analytic covariance).
2. moderndid 0.2.0 (a Python port of R did): full-precision estimates and
   analytic standard errors for 24 panel configurations, committed in
   tests/reference/mpdta_cs_moderndid.csv (script: tests/reference/make_mpdta_cs.py).
   moderndid agrees with every R number above.
3. diff-diff 3.13 ``CallawaySantAnna``: an independent implementation, run
   live. It agrees with ours to 1e-10 for ``reg``/``ipw``, and its standard
   errors differ only by its small-sample factors sqrt(G/(G-1)) (clusters)
   and sqrt(n/(n-1)) (unbalanced panels), which R did does not apply.
4. The DRDID 2x2 estimators as ported in moderndid (``drdid_rc``,
   ``reg_did_rc``, ``std_ipw_did_rc``): each repeated cross-section cell.
"""

from __future__ import annotations

import warnings
from dataclasses import FrozenInstanceError
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impact.did import staggered
from impact.did.staggered import GroupTimeResult, callaway_santanna
from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.results import EventStudyResult

HERE = Path(__file__).parent
MPDTA = pd.read_csv(HERE / "data" / "mpdta.csv")
REF = pd.read_csv(HERE / "reference" / "mpdta_cs_moderndid.csv")
ARGS = ("lemp", "countyreal", "year", "first.treat")


def cs(data=MPDTA, **kw):
    kw.setdefault("n_boot", 0)
    return callaway_santanna(data, *ARGS, **kw)


def by_cell(result) -> pd.DataFrame:
    return result.to_frame().set_index(["cohort", "period"])


# --------------------------------------------------------------------------- 1. R did's published output

R_GT = {  # (cohort, period) -> ATT(g,t), in the order R prints them
    "reg_nocov": [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412,
                  0.0305, -0.0027, -0.0311, -0.0261],  # README.md
    "dr_nocov": [-0.0105, -0.0704, -0.1373, -0.1008, 0.0065, -0.0028, -0.0046, -0.0412,
                 0.0305, -0.0027, -0.0311, -0.0261],  # att_gt.md out1
    "dr_lpop": [-0.0145, -0.0764, -0.1404, -0.1069, -0.0005, -0.0062, 0.0010, -0.0413,
                0.0267, -0.0046, -0.0284, -0.0288],  # att_gt.md out2
    "dr_lpop_notyet": [-0.0212, -0.0816, -0.1382, -0.1069, -0.0075, -0.0046, 0.0087, -0.0413,
                       0.0269, -0.0042, -0.0284, -0.0288],  # att_gt.md out3
}
R_PRETEST = {"reg_nocov": 0.16812, "dr_nocov": 0.16812, "dr_lpop": 0.23267, "dr_lpop_notyet": 0.23326}
R_CONFIGS = {
    "reg_nocov": dict(method="reg"),
    "dr_nocov": dict(method="dr"),
    "dr_lpop": dict(method="dr", covariates=["lpop"]),
    "dr_lpop_notyet": dict(method="dr", covariates=["lpop"], control="not_yet"),
}
# 4 printed decimals: half a unit in the last place, plus rounding slack.
R_TOL = 5.1e-5


@pytest.mark.parametrize("name", list(R_GT))
def test_group_time_matches_r_did_published(name):
    res = cs(**R_CONFIGS[name])
    np.testing.assert_allclose(res.to_frame()["estimate"], R_GT[name], atol=R_TOL)
    assert list(res.to_frame()["cohort"]) == [2004] * 4 + [2006] * 4 + [2007] * 4
    assert list(res.to_frame()["period"]) == [2004, 2005, 2006, 2007] * 3


@pytest.mark.parametrize("name", list(R_PRETEST))
def test_pretest_pvalue_matches_r_did_published(name):
    # R did rounds the Wald pre-test p-value to 5 decimals.
    # R did's chi-squared Wald figure, kept (labelled) beside the small-sample test the verdict uses.
    assert cs(**R_CONFIGS[name]).r_pretest_pvalue == pytest.approx(R_PRETEST[name], abs=5.1e-6)


def test_aggregations_match_r_did_published():
    """docs/reference/aggte.md and docs/articles/did-basics.md, dr without covariates."""
    res = cs()
    assert res.estimate == pytest.approx(-0.0400, abs=R_TOL)  # headline = simple
    assert res.aggregate("simple").estimate == pytest.approx(-0.0400, abs=R_TOL)
    dyn = res.aggregate("dynamic")
    assert dyn.estimate == pytest.approx(-0.0772, abs=R_TOL)
    np.testing.assert_allclose(dyn.to_frame()["estimate"],
                               [0.0305, -0.0006, -0.0245, -0.0199, -0.0510, -0.1373, -0.1008], atol=R_TOL)
    assert list(dyn.to_frame()["event_time"]) == [-3, -2, -1, 0, 1, 2, 3]
    grp = res.aggregate("group")
    assert grp.estimate == pytest.approx(-0.0310, abs=R_TOL)
    np.testing.assert_allclose(grp.to_frame()["estimate"], [-0.0797, -0.0229, -0.0261], atol=R_TOL)
    cal = res.aggregate("calendar")
    assert cal.estimate == pytest.approx(-0.0417, abs=R_TOL)
    np.testing.assert_allclose(cal.to_frame()["estimate"], [-0.0105, -0.0704, -0.0488, -0.0371], atol=R_TOL)
    bal = res.aggregate("dynamic", balance_e=1)
    assert bal.estimate == pytest.approx(-0.0288, abs=R_TOL)
    np.testing.assert_allclose(bal.to_frame()["estimate"], [0.0065, -0.0028, -0.0066, -0.0510], atol=R_TOL)
    assert list(bal.to_frame()["event_time"]) == [-2, -1, 0, 1]


# --------------------------------------------------------------------------- 2. moderndid, full precision

CONFIGS = list(REF["config"].unique())


def _config_kwargs(config: str) -> dict:
    method, cov, control, base = config.split("-")
    return dict(method=method, covariates=None if cov == "nocov" else [cov], control=control, base_period=base)


@pytest.fixture(scope="module")
def fitted():
    return {c: cs(**_config_kwargs(c)) for c in CONFIGS}


@pytest.mark.parametrize("config", CONFIGS)
def test_group_time_matches_moderndid(config, fitted):
    ref = REF[(REF["config"] == config) & (REF["kind"] == "gt")]
    ours = by_cell(fitted[config]).loc[list(zip(ref["cohort"], ref["period"]))]
    assert len(ours) == len(ref) == len(fitted[config].to_frame())
    np.testing.assert_allclose(ours["estimate"], ref["estimate"], rtol=0, atol=1e-9)
    # Universal base period: the reference cell is 0 with no standard error in both.
    np.testing.assert_array_equal(ours["se"].isna().to_numpy(), ref["se"].isna().to_numpy())
    np.testing.assert_allclose(ours["se"].dropna(), ref["se"].dropna(), rtol=1e-8)


AGG_KW = {"simple": {}, "dynamic": {}, "group": {}, "calendar": {},
          "dynamic_balance1": {"balance_e": 1}, "dynamic_window": {"min_e": -2, "max_e": 2}}
COMPONENT = {"dynamic": "event_time", "group": "cohort", "calendar": "period"}


@pytest.mark.parametrize("kind", list(AGG_KW))
@pytest.mark.parametrize("config", CONFIGS)
def test_aggregations_match_moderndid(config, kind, fitted):
    ref = REF[(REF["config"] == config) & (REF["kind"] == kind)]
    agg = fitted[config].aggregate(kind.split("_")[0], **AGG_KW[kind])
    overall = ref[ref["component"].isna()].iloc[0]
    assert agg.estimate == pytest.approx(overall["estimate"], abs=1e-9)
    assert agg.se == pytest.approx(overall["se"], rel=1e-8)
    comp = ref[ref["component"].notna()]
    if kind != "simple":
        frame = agg.to_frame()
        assert list(frame[COMPONENT[kind.split("_")[0]]]) == list(comp["component"].astype(int))
        np.testing.assert_allclose(frame["estimate"], comp["estimate"], atol=1e-9)
        np.testing.assert_array_equal(frame["se"].isna().to_numpy(), comp["se"].isna().to_numpy())
        np.testing.assert_allclose(frame["se"].dropna(), comp["se"].dropna(), rtol=1e-8)


def test_fast_path_equals_general_2x2_path(monkeypatch):
    # Unit-level influence functions on both sides (per-cohort statistics are compared in test_cs_shared_stats).
    monkeypatch.setattr(staggered, "_SHARED_STATS", False)
    for method in ("dr", "ipw", "reg"):
        fast = cs(method=method, control="not_yet")
        monkeypatch.setattr(staggered, "_FAST_PATH", False)
        slow = cs(method=method, control="not_yet")
        monkeypatch.setattr(staggered, "_FAST_PATH", True)
        np.testing.assert_allclose(fast.inffunc, slow.inffunc, atol=1e-10)
        np.testing.assert_allclose(fast.att, slow.att, atol=1e-12)


# --------------------------------------------------------------------------- 3. diff-diff, live


def _diff_diff(data, unit="countyreal", **kw):
    dd = pytest.importorskip("diff_diff")
    data = data.assign(ft=data["first.treat"])
    cov = kw.pop("covariates", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dd.CallawaySantAnna(**kw).fit(data, "lemp", unit, "year", "ft", covariates=cov, aggregate="all")


def _compare_dd(res, ours, est_tol, se_factor=1.0, se_rtol=1e-8):
    cells = by_cell(ours)
    for (g, t), eff in res.group_time_effects.items():
        assert cells.loc[(g, t), "estimate"] == pytest.approx(eff["effect"], abs=est_tol)
        if se_rtol is not None:
            assert cells.loc[(g, t), "se"] * se_factor == pytest.approx(eff["se"], rel=se_rtol, nan_ok=True)
    assert ours.estimate == pytest.approx(res.overall_att, abs=est_tol)


@pytest.mark.parametrize("method, cov", [("reg", None), ("ipw", ["lpop"])])
def test_panel_matches_diff_diff(method, cov):
    res = _diff_diff(MPDTA, estimation_method=method, covariates=cov)
    _compare_dd(res, cs(method=method, covariates=cov), 1e-10)


def test_clustered_se_matches_diff_diff_up_to_its_small_sample_factor():
    data = MPDTA.assign(state=MPDTA["countyreal"] // 1000)
    res = _diff_diff(data, estimation_method="reg", cluster="state")
    ours = cs(data, method="reg", cluster="state")
    n_clusters = data["state"].nunique()
    _compare_dd(res, ours, 1e-10, se_factor=np.sqrt(n_clusters / (n_clusters - 1)))
    assert ours.se * np.sqrt(n_clusters / (n_clusters - 1)) == pytest.approx(res.overall_se, rel=1e-8)
    assert "state" in ours.assumptions["Clustering"]


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_unbalanced_panel_matches_diff_diff(method):
    drop = np.random.default_rng(1).choice(len(MPDTA), 150, replace=False)
    data = MPDTA.drop(index=drop).reset_index(drop=True)
    cov = None if method == "reg" else ["lpop"]
    res = _diff_diff(data, estimation_method=method, allow_unbalanced_panel=True, covariates=cov)
    ours = cs(data, method=method, covariates=cov)
    assert ours.n_units == 500 and "unbalanced" in ours.assumptions["Data"]
    # diff-diff's DR variant differs slightly in its standard errors; estimates agree.
    se_rtol = 1e-8 if method != "dr" else None
    _compare_dd(res, ours, 1e-10, se_factor=np.sqrt(500 / 499), se_rtol=se_rtol)


@pytest.mark.parametrize("method, control, base", [("dr", "never", "varying"), ("reg", "not_yet", "varying"),
                                                   ("ipw", "never", "universal")])
def test_repeated_cross_sections_match_diff_diff_estimates(method, control, base):
    data = MPDTA.assign(rid=np.arange(len(MPDTA)))
    res = _diff_diff(data, unit="rid", panel=False, estimation_method=method, covariates=["lpop"],
                     control_group="never_treated" if control == "never" else "not_yet_treated", base_period=base)
    ours = callaway_santanna(data, "lemp", "rid", "year", "first.treat", covariates=["lpop"], method=method,
                             control=control, base_period=base, panel=False, n_boot=0)
    assert ours.assumptions["Data"] == "repeated cross-sections"
    # diff-diff's IPW influence function is DRDID's; its reg/dr variants differ slightly in SEs.
    _compare_dd(res, ours, 1e-10, se_rtol=1e-8 if method == "ipw" else None)


# --------------------------------------------------------------------------- 4. DRDID 2x2 cells (RCS)


def test_repeated_cross_sections_cluster_by_unit():
    # Respondents (rows) belong to units (here counties): the units are the clusters by default,
    # exactly as if the unit were passed as the cluster of row-level individuals.
    data = MPDTA.assign(rid=np.arange(len(MPDTA)))
    by_unit = callaway_santanna(data, "lemp", "countyreal", "year", "first.treat", panel=False, n_boot=0)
    explicit = callaway_santanna(data, "lemp", "rid", "year", "first.treat", panel=False, n_boot=0,
                                 cluster="countyreal")
    rows = callaway_santanna(data, "lemp", "rid", "year", "first.treat", panel=False, n_boot=0)
    assert by_unit.se == pytest.approx(explicit.se, rel=1e-12)
    assert by_unit.estimate == pytest.approx(rows.estimate, abs=1e-12)
    assert by_unit.se != pytest.approx(rows.se, rel=1e-3)


@pytest.mark.parametrize("method", ["dr", "reg", "ipw"])
def test_repeated_cross_section_cell_matches_drdid(method):
    name = {"dr": "drdid_rc", "reg": "reg_did_rc", "ipw": "std_ipw_did_rc"}[method]
    fn = getattr(pytest.importorskip(f"moderndid.drdid.estimators.{name}"), name)
    # Each row its own individual (unit "rid"), as DRDID's repeated cross-section estimators assume.
    ours = by_cell(callaway_santanna(MPDTA.assign(rid=np.arange(len(MPDTA))), "lemp", "rid", "year", "first.treat",
                                     covariates=["lpop"], method=method, control="not_yet", panel=False, n_boot=0))
    # ATT(2006, 2006): base 2005, comparison = never treated and the 2007 cohort (not yet treated in 2006).
    sub = MPDTA[MPDTA["year"].isin([2005, 2006]) & MPDTA["first.treat"].isin([0, 2006, 2007])]
    x = np.column_stack([np.ones(len(sub)), sub["lpop"]])
    ref = fn(sub["lemp"].to_numpy(), (sub["year"] == 2006).to_numpy(float),
             (sub["first.treat"] == 2006).to_numpy(float), x, influence_func=True)
    assert ours.loc[(2006, 2006), "estimate"] == pytest.approx(ref.att, abs=1e-10)
    assert ours.loc[(2006, 2006), "se"] == pytest.approx(ref.se, rel=1e-8)


# --------------------------------------------------------------------------- weights, anticipation


def test_integer_weights_equal_duplicated_units():
    """Weighting a unit by k gives the estimates of k copies of it (cells and every aggregation)."""
    k = (MPDTA["countyreal"] % 3 + 1).to_numpy()
    weighted = cs(MPDTA.assign(w=k), weights="w", covariates=["lpop"])
    copies = MPDTA.loc[MPDTA.index.repeat(k)].assign(
        countyreal=lambda d: d["countyreal"] * 10 + d.groupby(["countyreal", "year"]).cumcount())
    dup = cs(copies, covariates=["lpop"])
    np.testing.assert_allclose(weighted.att, dup.att, atol=1e-10)
    for kind in ("simple", "dynamic", "group", "calendar"):
        assert weighted.aggregate(kind).estimate == pytest.approx(dup.aggregate(kind).estimate, abs=1e-10)


def test_weights_must_be_constant_within_unit():
    data = MPDTA.assign(w=np.arange(len(MPDTA)) % 2 + 1.0)
    with pytest.raises(DataError, match="weights column 'w' varies within"):
        cs(data, weights="w")


def test_anticipation_shifts_base_period():
    with pytest.warns(DroppedRowsWarning, match="dropped 20 units .* anticipation=1"):
        res = cs(anticipation=1, base_period="universal")
    frame = res.to_frame()
    assert set(frame.loc[frame["cohort"] == 2006, "base_period"]) == {2004}
    # 2004 cohort is dropped: with one period of anticipation it has no untreated base period.
    assert 2004 not in set(frame["cohort"])
    dyn = res.aggregate("dynamic")
    assert dyn.reference == -2
    assert np.isnan(dyn.to_frame().set_index("event_time").loc[-2, "se"])


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_seeded_and_close_to_analytic():
    a = cs(n_boot=999, seed=7)
    b = cs(n_boot=999, seed=7)
    c = cs(n_boot=999, seed=8)
    np.testing.assert_array_equal(a.to_frame()["se"], b.to_frame()["se"])
    assert not np.array_equal(a.to_frame()["se"], c.to_frame()["se"])
    analytic = cs().to_frame()["se"].to_numpy()
    # IQR-based bootstrap SE has ~4% sampling error with 999 draws.
    np.testing.assert_allclose(a.to_frame()["se"], analytic, rtol=0.12)
    assert a.aggregate("dynamic").to_frame().equals(b.aggregate("dynamic").to_frame())


@pytest.mark.parametrize("weights", ["mammen", "rademacher"])
def test_uniform_band_between_pointwise_and_bonferroni(weights):
    res = cs(n_boot=999, seed=3, boot_weights=weights)
    k = len(res.att)
    assert stats.norm.ppf(0.975) < res.crit < stats.norm.ppf(1 - 0.025 / k)
    frame = res.to_frame()
    assert (frame["cband_low"] < frame["ci_low"]).all() and (frame["cband_high"] > frame["ci_high"]).all()
    for kind in ("dynamic", "group", "calendar"):
        agg = res.aggregate(kind).to_frame()
        assert (agg["cband_low"] <= agg["ci_low"]).all(), kind


def test_clustered_bootstrap_close_to_clustered_analytic():
    data = MPDTA.assign(state=MPDTA["countyreal"] // 1000)
    boot = cs(data, cluster="state", n_boot=999, seed=11, boot_weights="rademacher")
    analytic = cs(data, cluster="state")
    # 29 clusters: the bootstrap SE is noisier than with 500 units.
    np.testing.assert_allclose(boot.to_frame()["se"], analytic.to_frame()["se"], rtol=0.2)
    assert boot.aggregate("simple").se == pytest.approx(analytic.se, rel=0.2)


def test_analytic_results_have_no_uniform_band():
    res = cs()
    assert res.crit is None and "cband_low" not in res.to_frame()
    assert "cband_low" not in res.aggregate("dynamic").to_frame()


# --------------------------------------------------------------------------- result object


def test_result_contract():
    res = cs(n_boot=199, seed=1)
    assert isinstance(res, GroupTimeResult)
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["term", "estimate", "se", "ci_low", "ci_high", "pvalue"]
    assert {"cohort", "period", "event_time", "cband_low", "cband_high"} <= set(frame.columns)
    assert res.inffunc.shape == (500, 12) and res.n_obs == 2500 and res.n_units == 500
    assert np.allclose(res.inffunc.mean(axis=0), 0, atol=1e-10)
    text = res.summary()
    for needle in ("never treated", "Anticipation", "Pre-test of parallel trends", "doubly robust", "varying"):
        assert needle in text
    assert "<table>" in res._repr_html_()
    with pytest.raises(FrozenInstanceError):
        res.estimate = 0.0
    with pytest.raises(ValueError):
        res.inffunc[0, 0] = 1.0


def test_dynamic_is_event_study_result_with_vcov():
    res = cs(base_period="universal")
    dyn = res.aggregate("dynamic")
    assert isinstance(dyn, EventStudyResult)
    assert dyn.reference == -1
    frame = dyn.to_frame().set_index("event_time")
    assert frame.loc[-1, "estimate"] == 0 and np.isnan(frame.loc[-1, "se"])
    assert -1 not in dyn.vcov.index and list(dyn.vcov.index) == [-4, -3, -2, 0, 1, 2, 3]
    np.testing.assert_allclose(np.sqrt(np.diag(dyn.vcov)), frame.drop(index=-1)["se"], rtol=1e-10)
    assert len(dyn.pre_trend_terms()) == 3


def test_plots_return_axes():
    import matplotlib.axes

    res = cs()
    assert isinstance(res.plot(), matplotlib.axes.Axes)
    assert isinstance(res.plot(kind="cohorts"), matplotlib.axes.Axes)
    assert isinstance(res.aggregate("dynamic").plot(), matplotlib.axes.Axes)
    assert isinstance(res.aggregate("group").plot(), matplotlib.axes.Axes)


def test_string_periods_map_back_to_labels():
    data = MPDTA.assign(year=pd.to_datetime(MPDTA["year"].astype(str) + "-01-01"),
                        ft=pd.to_datetime(MPDTA["first.treat"].replace(0, np.nan).astype("Int64").astype(str)
                                          .replace("<NA>", None) + "-01-01"))
    res = callaway_santanna(data, "lemp", "countyreal", "year", "ft", n_boot=0)
    np.testing.assert_allclose(res.att, cs().att, atol=1e-12)
    assert res.to_frame()["cohort"].iloc[0] == pd.Timestamp("2004-01-01")


# --------------------------------------------------------------------------- simulation: TWFE biased, CS not


def _staggered_sim(seed=2024, n_per=300):
    rng = np.random.default_rng(seed)
    cohorts = np.repeat([2003, 2006, 0], n_per)
    n = len(cohorts)
    years = np.arange(2001, 2009)
    unit = np.repeat(np.arange(n), len(years))
    year = np.tile(years, n)
    g = np.repeat(cohorts, len(years))
    e = np.where(g > 0, year - g, -1)
    slope = np.where(g == 2003, 1.0, 0.3)
    # Effects grow with exposure and differ by cohort: the case where TWFE uses
    # already-treated units as controls and is biased (Goodman-Bacon 2021).
    tau = np.where(e >= 0, (e + 1) * slope, 0.0)
    y = rng.normal(0, 1, n)[unit] + 0.2 * (year - 2001) + tau + rng.normal(0, 0.5, len(unit))
    data = pd.DataFrame({"y": y, "unit": unit, "year": year, "g": g, "d": ((g > 0) & (year >= g)).astype(int)})
    # Truth: 2003 cohort, e = 0..5 -> 1..6; 2006 cohort, e = 0..2 -> 0.3, 0.6, 0.9; equal cohort sizes.
    truth_simple = (sum(range(1, 7)) + 0.3 + 0.6 + 0.9) / 9
    truth_dynamic = {0: 0.65, 1: 1.3, 2: 1.95, 3: 4.0, 4: 5.0, 5: 6.0}
    return data, truth_simple, truth_dynamic


def test_simulation_cs_recovers_truth_where_twfe_is_biased():
    data, truth, truth_dyn = _staggered_sim()
    res = callaway_santanna(data, "y", "unit", "year", "g", n_boot=0)
    assert abs(res.estimate - truth) < 4 * res.se
    dyn = res.aggregate("dynamic").to_frame().set_index("event_time")
    for e, value in truth_dyn.items():
        assert abs(dyn.loc[e, "estimate"] - value) < 4 * dyn.loc[e, "se"], e
    pre = dyn.loc[dyn.index < 0]
    assert (np.abs(pre["estimate"]) < 4 * pre["se"]).all()
    try:
        from impact.did.twoway import twfe

        tw = twfe(data, "y", "unit", "year", "d").estimate
    except ImportError:  # pragma: no cover - twfe lives in another module of the project
        import statsmodels.formula.api as smf

        tw = smf.ols("y ~ d + C(unit) + C(year)", data).fit().params["d"]
    assert abs(tw - truth) > 0.5 and abs(tw - truth) > 10 * res.se


def test_simulation_covariates_remove_confounded_trends():
    rng = np.random.default_rng(99)
    n, years = 1500, np.arange(2001, 2006)
    x = rng.normal(0, 1, n)
    g = np.where(rng.random(n) < 1 / (1 + np.exp(-1.5 * x)), 2004, 0)
    unit = np.repeat(np.arange(n), len(years))
    year = np.tile(years, n)
    # The trend depends on x and x drives treatment: unconditional parallel trends fail.
    y = (x[unit] * (year - 2001) + 0.5 * (g[unit] > 0) * (year >= g[unit]) + rng.normal(0, 0.3, len(unit)))
    data = pd.DataFrame({"y": y, "unit": unit, "year": year, "g": g[unit], "x": x[unit]})
    for method in ("dr", "ipw", "reg"):
        res = callaway_santanna(data, "y", "unit", "year", "g", covariates=["x"], method=method, n_boot=0)
        assert abs(res.estimate - 0.5) < 4 * res.se, method
    naive = callaway_santanna(data, "y", "unit", "year", "g", n_boot=0)
    assert abs(naive.estimate - 0.5) > 10 * naive.se


# --------------------------------------------------------------------------- bad input


def test_cohort_varying_within_unit():
    data = MPDTA.copy()
    data.loc[data.index[0], "first.treat"] = 2006
    with pytest.raises(DataError, match="'first.treat' varies within unit"):
        cs(data)


def test_no_never_treated_with_never_control():
    data = MPDTA[MPDTA["first.treat"] > 0]
    with pytest.raises(DataError, match="control='never' needs never-treated units.*use control='not_yet'"):
        cs(data)


def test_no_never_treated_with_not_yet_control_uses_last_cohort_as_comparison():
    data = MPDTA[MPDTA["first.treat"] > 0]
    res = cs(data, control="not_yet", covariates=["lpop"])
    frame = res.to_frame()
    # As R did (R/pre_process_did.R: data[tname] < latest_g - anticipation; glist < latest_g):
    # the 2007 cohort only serves as comparison and 2007 itself is dropped.
    assert set(frame["cohort"]) == {2004, 2006} and frame["period"].max() == 2006
    assert any("no never-treated" in n for n in res.notes)
    # moderndid 0.2.0, att_gt(control_group="notyettreated", xformla="~lpop", boot=False) on these
    # data; it also reports two pre-treatment cells for the 2007 cohort, which R did's code excludes.
    np.testing.assert_allclose(frame["estimate"], [-0.03540405, -0.09176946, -0.13403426,
                                                   -0.02408244, -0.00186127, 0.02737939], atol=1e-8)
    np.testing.assert_allclose(frame["se"], [0.02358387, 0.03120942, 0.0379991,
                                             0.02303995, 0.02068664, 0.01757312], rtol=1e-6)


def test_always_treated_units_dropped_with_warning():
    data = MPDTA.copy()
    first = data["countyreal"].isin(data["countyreal"].unique()[:7])
    data.loc[first, "first.treat"] = 2003
    with pytest.warns(DroppedRowsWarning, match="dropped 7 units \\(35 rows\\) already treated"):
        res = cs(data)
    assert res.n_units == 493


def test_cohort_after_sample_counts_as_never_treated():
    data = MPDTA.copy()
    data.loc[data["first.treat"] == 0, "first.treat"] = 2010
    np.testing.assert_allclose(cs(data).att, cs().att, atol=1e-12)


def test_covariate_with_missing_values():
    data = MPDTA.copy()
    data.loc[data.index[:3], "lpop"] = np.nan
    with pytest.raises(DataError, match="covariate column 'lpop' has 3 missing values"):
        cs(data, covariates=["lpop"])


def test_covariate_without_variation():
    with pytest.raises(DataError, match="covariate column 'one' has no variation"):
        cs(MPDTA.assign(one=1.0), covariates=["one"])


@pytest.mark.parametrize("kw, match", [
    (dict(control="nevertreated"), "control must be one of 'never', 'not_yet'"),
    (dict(method="ols"), "method must be one of"),
    (dict(base_period="fixed"), "base_period must be one of"),
    (dict(boot_weights="webb"), "boot_weights must be one of"),
    (dict(n_boot=-1), "n_boot must be at least 0"),
    (dict(anticipation=-1), "anticipation must be at least 0"),
    (dict(alpha=1.5), "alpha must be strictly between 0 and 1"),
    (dict(alpha=0), "alpha must be strictly between 0 and 1"),
    (dict(panel="yes"), "panel must be True"),
])
def test_bad_options(kw, match):
    with pytest.raises(ConfigError, match=match):
        cs(**kw)


def test_unknown_column_named():
    with pytest.raises(DataError, match="outcome column 'lemp2' not found; did you mean 'lemp'"):
        callaway_santanna(MPDTA, "lemp2", "countyreal", "year", "first.treat")


@pytest.mark.parametrize("kind, kw, match", [
    ("event", {}, "kind must be one of"),
    ("group", {"min_e": -1}, "min_e and balance_e apply to kind='dynamic'"),
    ("dynamic", {"balance_e": -1}, "balance_e must be at least 0"),
    ("dynamic", {"min_e": 10}, "no event time falls within"),
    ("dynamic", {"max_e": 1.5}, "max_e must be an integer"),
])
def test_bad_aggregate_options(kind, kw, match):
    with pytest.raises(ConfigError, match=match):
        cs().aggregate(kind, **kw)
