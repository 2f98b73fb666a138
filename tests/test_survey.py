"""impact.survey against published output: R survey's saved test output and vignette, samplics' docs.

Sources of every figure: tests/data/survey/README.md. Tolerances are half a
unit of the last printed digit.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.survey import SurveyDesign

DATA = Path(__file__).parent / "data" / "survey"


@pytest.fixture(scope="module")
def api():
    return {name: pd.read_csv(DATA / f"{name}.csv") for name in ("apiclus1", "apiclus2", "apistrat")}


@pytest.fixture(scope="module")
def nhanes():
    return pd.read_csv(DATA / "nhanes2.csv")


def _close(value, printed, digits):
    """``value`` rounds to ``printed`` at ``digits`` decimals (R prints 5 significant digits)."""
    assert abs(value - printed) <= 0.5 * 10.0**-digits + 1e-12, (value, printed)


@pytest.fixture(scope="module")
def dclus1(api):
    return SurveyDesign(api["apiclus1"], weights="pw", psu="dnum", fpc="fpc")


def test_apiclus1_mean_and_total(dclus1):
    mean = dclus1.mean("api00")
    _close(mean.estimate, 644.17, 2)
    _close(mean.se, 23.542, 3)
    assert mean.df == 14 and mean.n_obs == 183 and mean.n_units == 15
    total = dclus1.total("enroll")
    _close(total.estimate, 3404940, 0)
    _close(total.se, 932235, 0)


def test_apiclus1_factor_means(dclus1):
    frame = dclus1.proportion("stype").to_frame().set_index("level")
    for level, est, se in [("E", 0.786885, 0.0463), ("H", 0.076503, 0.0268), ("M", 0.136612, 0.0296)]:
        _close(frame.loc[level, "estimate"], est, 6)
        _close(frame.loc[level, "se"], se, 4)


def test_apistrat_stratified_with_fpc(api):
    design = SurveyDesign(api["apistrat"], weights="pw", strata="stype", fpc="fpc")
    mean = design.mean("api00")
    _close(mean.estimate, 662.29, 2)
    _close(mean.se, 9.4089, 4)
    assert mean.df == 197
    total = design.total("enroll")
    _close(total.estimate, 3687178, 0)
    _close(total.se, 114642, 0)


def test_apistrat_naive_weighted_se_is_the_issue_figure(api):
    """The issue's 1.56: api00's SE when the weights are taken as frequency counts (n = sum of weights)."""
    data = api["apistrat"]
    y, w = data["api00"].to_numpy(float), data["pw"].to_numpy(float)
    m = np.average(y, weights=w)
    naive = np.sqrt(np.sum(w * (y - m) ** 2) / (w.sum() - 1) / w.sum())
    assert round(naive, 2) == 1.56
    design_se = SurveyDesign(data, weights="pw", strata="stype", fpc="fpc").mean("api00").se
    assert design_se / naive > 6


def test_apiclus2_ultimate_cluster_with_replacement(api):
    design = SurveyDesign(api["apiclus2"], weights="pw", psu="dnum")
    mean = design.mean("api00")
    _close(mean.estimate, 670.81, 2)
    _close(mean.se, 30.712, 3)
    total = design.total("enroll")
    _close(total.estimate, 2639273, 0)
    _close(total.se, 820261, 0)
    assert total.n_obs == 120 and total.to_frame()["n_missing"].iloc[0] == 6


def test_nhanes2_zinc_samplics_docs(nhanes):
    design = SurveyDesign(nhanes, weights="finalwgt", strata="stratid", psu="psuid", nest=True)
    zinc = design.mean("zinc")
    assert zinc.df == 31
    np.testing.assert_allclose(
        [zinc.estimate, zinc.se, zinc.ci_low, zinc.ci_high], [87.182067, 0.494483, 86.173563, 88.190571], atol=5e-7
    )
    assert zinc.n_obs == nhanes["zinc"].notna().sum()
    assert zinc.to_frame()["n_missing"].iloc[0] == nhanes["zinc"].isna().sum()


@pytest.mark.parametrize("lonely, printed", [("remove", 5.8058), ("certainty", 5.8058), ("adjust", 5.8281)])
def test_lonely_psu_options(api, lonely, printed):
    design = SurveyDesign(api["apiclus1"], weights="pw", strata="dnum", lonely_psu=lonely)
    _close(design.mean("api00").se, printed, 4)
    assert design.lonely_strata == [413]


def test_lonely_psu_fully_sampled_needs_no_option(api):
    data = api["apiclus1"].assign(f=np.where(api["apiclus1"]["dnum"] == 413, 1, 1000))
    _close(SurveyDesign(data, weights="pw", strata="dnum", fpc="f").mean("api00").se, 5.7344, 4)


@pytest.fixture(scope="module")
def rclus1(api):
    """as.svrepdesign(dclus1): JK1 replicates dropping one district each, fpc in the replicate scales."""
    data = api["apiclus1"]
    codes, districts = pd.factorize(data["dnum"], sort=True)
    n = len(districts)
    reps = pd.DataFrame({f"rep{j}": np.where(codes == j, 0.0, data["pw"] * n / (n - 1)) for j in range(n)})
    data = pd.concat([data, reps], axis=1)
    return SurveyDesign(data, weights="pw", psu="dnum", fpc="fpc", replicate_weights=list(reps), replicate_type="JK1")


def test_jk1_replicates_reproduce_r(rclus1):
    _close(rclus1.mean("api00").se, 26.329, 3)
    _close(rclus1.total("enroll").se, 932235, 0)
    frame = rclus1.proportion("stype").to_frame().set_index("level")
    for level, se in [("E", 0.0514), ("H", 0.0278), ("M", 0.0332)]:
        _close(frame.loc[level, "se"], se, 4)
    assert rclus1.df == 14


KIGYO = pd.DataFrame(
    {
        "uriage": [15, 143, 21, 51, 337, 50, 274, 145, 15, 86],
        "srs_w": [100] * 10,
        "pps_w": [20, 200, 11, 25, 550, 30, 250, 100, 10, 55],
    }
)


def test_design_effect_is_r_deff_true():
    design = SurveyDesign(KIGYO, weights="srs_w")
    mean, total = design.mean("uriage"), design.total("uriage")
    _close(mean.estimate, 113.7, 3)
    _close(mean.se, 35.626, 3)
    _close(mean.deff, 1.0101, 4)
    _close(total.se, 35626, 0)
    _close(total.deff, 1.0101, 4)


def test_design_effect_pps_weights():
    """R prints deff="replace" here; deff=TRUE differs by the factor 1 - n/N with N = sum of weights = 1251."""
    design = SurveyDesign(KIGYO, weights="pps_w")
    mean, total = design.mean("uriage"), design.total("uriage")
    _close(mean.estimate, 243.914, 3)
    _close(mean.se, 48.752, 3)
    _close(mean.deff * (1 - 10 / 1251), 1.9741, 4)
    _close(total.estimate, 305136, 0)
    _close(total.se, 184965, 0)
    _close(total.deff * (1 - 10 / 1251), 18.157, 3)


def test_weights_from_fpc_when_absent(api):
    """As R's svydesign(id=~dnum, fpc=~fpc, data=apiclus1): N_h / n_h PSUs gives the same weights as pw."""
    without = SurveyDesign(api["apiclus1"], psu="dnum", fpc="fpc").mean("api00")
    _close(without.estimate, 644.17, 2)
    _close(without.se, 23.542, 3)
    total = SurveyDesign(api["apistrat"], strata="stype", fpc="fpc").total("enroll")
    _close(total.estimate, 3687178, 0)
    _close(total.se, 114642, 0)


def test_apiclus1_domains_lumley_example_page(dclus1, api):
    """Lumley's domain-estimation example page: svyby(~api99+api00, ~stype+sch.wide, dclus1, svymean, keep.var=TRUE),
    svyby(~api99, ~stype, dclus1, svymean) and svytotal(~enroll, subset(dclus1, sch.wide=="Yes" & comp.imp=="Yes"))."""
    means = dclus1.mean("api99", by="stype").to_frame().set_index("stype")["estimate"]
    np.testing.assert_allclose(means[["E", "H", "M"]], [607.7917, 595.7143, 608.6000], atol=5e-5)
    published = {  # (stype, sch.wide): (api99, api00, SE api99, SE api00)
        ("E", "No"): (601.6667, 596.3333, 47.27582, 43.49010),
        ("E", "Yes"): (608.3485, 653.6439, 21.52493, 20.31720),
        ("H", "No"): (662.0000, 659.3333, 29.23003, 27.00275),
        ("H", "Yes"): (577.6364, 607.4545, 46.50125, 43.70468),
        ("M", "No"): (611.3750, 606.3750, 41.11886, 41.11686),
    }
    for i, column in enumerate(("api99", "api00")):
        frame = dclus1.mean(column, by=["stype", "sch.wide"]).to_frame(masked=False).set_index(["stype", "sch.wide"])
        for key, values in published.items():
            _close(frame.loc[key, "estimate"], values[i], 4)
            _close(frame.loc[key, "se"], values[2 + i], 5)
    # three schools answer for H/No: masked in the published table unless min_cell_size allows it
    assert dclus1.mean("api00", by=["stype", "sch.wide"]).to_frame().set_index(["stype", "sch.wide"]).loc[("H", "No"), "masked"]
    data = api["apiclus1"]
    total = dclus1.total("enroll", where=(data["sch.wide"] == "Yes") & (data["comp.imp"] == "Yes"))
    _close(total.estimate, 2406420, 0)
    _close(total.se, 645444, 0)
    _close(dclus1.mean("api99").se, 24.2250, 4)


def test_ratio_srvyr_docs(api):
    """srvyr's survey_ratio reference page: apistrat, strata stype, weights pw (no fpc), api00/api99,
    interval on degf (t, 197 df): 1.05 [1.04, 1.06], cv 0.00351; by awards: No 1.02 (0.00343), Yes 1.07 (0.00478)."""
    design = SurveyDesign(api["apistrat"], weights="pw", strata="stype")
    ratio = design.ratio("api00", "api99")
    assert [round(x, 2) for x in (ratio.estimate, ratio.ci_low, ratio.ci_high)] == [1.05, 1.04, 1.06]
    assert round(ratio.se / ratio.estimate, 5) == 0.00351
    frame = design.ratio("api00", "api99", by="awards").to_frame().set_index("awards")
    assert [round(x, 2) for x in frame["estimate"]] == [1.02, 1.07]
    assert [round(x, 5) for x in frame["se"]] == [0.00343, 0.00478]


def test_design_from_a_file():
    design = SurveyDesign(DATA / "apiclus1.csv", weights="pw", psu="dnum", fpc="fpc")
    _close(design.mean("api00").se, 23.542, 3)


def test_apiclus2_two_stage_without_replacement(api):
    """svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2): svymean(~api00) 670.81 (30.099),
    svytotal(~enroll, na.rm=TRUE) 2639273 (799638); weights from the two fpcs, as R."""
    design = SurveyDesign(api["apiclus2"], psu="dnum", ssu="snum", fpc="fpc1", fpc2="fpc2")
    mean, total = design.mean("api00"), design.total("enroll")
    _close(mean.estimate, 670.81, 2)
    _close(mean.se, 30.099, 3)
    _close(total.estimate, 2639273, 0)
    _close(total.se, 799638, 0)
    np.testing.assert_allclose(design._w, api["apiclus2"]["pw"], rtol=1e-6)
    assert design.df == 39
