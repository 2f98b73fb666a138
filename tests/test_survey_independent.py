"""impact.survey against independent implementations: samplics and brute-force loops written here.

samplics (Diallo, MIT; in the dev extra) implements the same Taylor and
replicate estimators with its own code; random stratified cluster designs
with fpc, domains and missing answers must agree to 1e-8 (relative). The
brute-force references loop over strata, PSUs and replicates explicitly:
slow, plain, and sharing no code with the package.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from impact.survey import SurveyDesign
from impact.survey import linearize

samplics = pytest.importorskip("samplics", reason="samplics (dev extra) is the independent implementation")
warnings.filterwarnings("ignore", category=FutureWarning, module="samplics")
from samplics import PopParam, RepMethod, ReplicateEstimator, TaylorEstimator  # noqa: E402


def random_design(seed: int, n_strata=6, rows=1500, missing=0.05):
    """A stratified two-stage-like sample: 2-8 PSUs per stratum, unequal weights, a score with missing answers."""
    rng = np.random.default_rng(seed)
    psus = rng.integers(2, 9, n_strata)
    stratum = np.repeat(np.arange(n_strata), psus)
    psu_id = np.arange(stratum.size)
    pop = psus + rng.integers(1, 30, n_strata)  # population PSUs per stratum, above the sample
    row_psu = rng.choice(psu_id, rows)
    effect = rng.normal(0, 1, psu_id.size)[row_psu]
    score = np.clip(np.round(6 + 1.5 * effect + rng.normal(0, 2, rows)), 0, 10)
    score[rng.random(rows) < missing] = np.nan
    return pd.DataFrame(
        {
            "stratum": stratum[row_psu] + 1,
            "psu": row_psu,
            "w": rng.uniform(5, 50, rows),
            "pop": pop[stratum[row_psu]],
            "score": score,
            "cost": rng.gamma(2, 10, rows) + 1,
            "group": rng.choice(["a", "b", "c"], rows, p=[0.5, 0.3, 0.2]),
        }
    )


def _samplics(param, data, y, domain=None, x=None, fpc=True):
    keep = data[y].notna() & (data[x].notna() if x else True)
    d = data.loc[keep]
    est = TaylorEstimator(param)
    factor = None
    if fpc:
        n_psu = data.groupby("stratum")["psu"].nunique()
        factor = (1 - n_psu / data.groupby("stratum")["pop"].first()).to_dict()
    kwargs = {"fpc": factor} if fpc else {}
    est.estimate(y=d[y], samp_weight=d["w"], stratum=d["stratum"], psu=d["psu"], x=None if x is None else d[x],
                 domain=None if domain is None else d[domain], remove_nan=False, **kwargs)
    return est


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mean_total_by_domain_match_samplics(seed):
    """samplics drops rows with a missing answer; with every PSU still holding respondents, that is the same design."""
    data = random_design(seed)
    design = SurveyDesign(data, weights="w", strata="stratum", psu="psu", fpc="pop")
    for param, method in [(PopParam.mean, design.mean), (PopParam.total, design.total)]:
        ref = _samplics(param, data, "score", domain="group")
        frame = method("score", by="group").to_frame().set_index("group")
        for g in ("a", "b", "c"):
            np.testing.assert_allclose(frame.loc[g, "estimate"], ref.point_est[g], rtol=1e-10)
            np.testing.assert_allclose(frame.loc[g, "se"], ref.stderror[g], rtol=1e-8)
        whole = _samplics(param, data, "score")
        np.testing.assert_allclose(method("score").se, whole.stderror, rtol=1e-8)


@pytest.mark.parametrize("seed", [4, 5])
def test_ratio_and_proportion_match_samplics(seed):
    data = random_design(seed)
    design = SurveyDesign(data, weights="w", strata="stratum", psu="psu", fpc="pop")
    ratio = design.ratio("score", "cost")
    ref = _samplics(PopParam.ratio, data, "score", x="cost")
    np.testing.assert_allclose([ratio.estimate, ratio.se], [ref.point_est, ref.stderror], rtol=1e-8)
    prop = design.proportion("group").to_frame().set_index("level")
    ref = _samplics(PopParam.prop, data.assign(score=data["group"]), "score")
    for g in ("a", "b", "c"):
        np.testing.assert_allclose(prop.loc[g, ["estimate", "se"]].to_numpy(float),
                                   [ref.point_est[g], ref.stderror[g]], rtol=1e-8)
        # samplics' proportion intervals are logit intervals on the design's df, as R's svyciprop
        np.testing.assert_allclose(prop.loc[g, ["ci_low", "ci_high"]].to_numpy(float),
                                   [ref.lower_ci[g], ref.upper_ci[g]], rtol=1e-8)


def test_nhanes_domains_and_logit_intervals_match_samplics():
    data = pd.read_csv(__import__("pathlib").Path(__file__).parent / "data" / "survey" / "nhanes2.csv")
    design = SurveyDesign(data, weights="finalwgt", strata="stratid", psu="psuid", nest=True)
    ref = TaylorEstimator(PopParam.mean)
    ref.estimate(y=data["zinc"], samp_weight=data["finalwgt"], stratum=data["stratid"], psu=data["psuid"],
                 domain=data["race"], remove_nan=True)
    frame = design.mean("zinc", by="race").to_frame().set_index("race")
    for g in (1, 2, 3):
        np.testing.assert_allclose(frame.loc[g, ["estimate", "se"]].to_numpy(float),
                                   [ref.point_est[g], ref.stderror[g]], rtol=1e-8)
    ref = TaylorEstimator(PopParam.prop)
    ref.estimate(y=data["diabetes"], samp_weight=data["finalwgt"], stratum=data["stratid"], psu=data["psuid"],
                 remove_nan=True)
    share = design.proportion("diabetes", level=1)
    np.testing.assert_allclose([share.estimate, share.se, share.ci_low, share.ci_high],
                               [ref.point_est[1], ref.stderror[1], ref.lower_ci[1], ref.upper_ci[1]], rtol=1e-8)


def test_replicate_weights_match_samplics():
    from samplics.datasets import load_nhanes2brr, load_nhanes2jk

    jk = load_nhanes2jk()["data"]
    cols = [c for c in jk if c.startswith("jkw")]
    ours = SurveyDesign(jk, weights="finalwgt", replicate_weights=cols, replicate_type="JKn",
                        replicate_rscales=[0.5] * len(cols)).mean("weight")
    ref = ReplicateEstimator(RepMethod.jackknife, PopParam.mean).estimate(
        y=jk["weight"], samp_weight=jk["finalwgt"], rep_weights=jk[cols], rep_coefs=0.5)
    np.testing.assert_allclose([ours.estimate, ours.se], [ref.point_est, ref.stderror], rtol=1e-10)
    brr = load_nhanes2brr()["data"]
    cols = [c for c in brr if c.startswith("brr")]
    for mse in (False, True):
        ours = SurveyDesign(brr, weights="finalwgt", replicate_weights=cols, replicate_type="BRR", mse=mse)
        ref = ReplicateEstimator(RepMethod.brr, PopParam.ratio).estimate(
            y=brr["weight"], samp_weight=brr["finalwgt"], x=brr["height"], rep_weights=brr[cols], conservative=mse)
        ratio = ours.ratio("weight", "height")
        np.testing.assert_allclose([ratio.estimate, ratio.se], [ref.point_est, ref.stderror], rtol=1e-10)


# --------------------------------------------------------------------------- brute force


def brute_force_domain_mean(data, y, by, level, strata, psu, w, pop=None):
    """Domain mean and Taylor SE by explicit loops over strata and PSUs (no vectorisation, no package code)."""
    rows = data[[y, by, strata, psu, w] + ([pop] if pop else [])].copy()
    inside = (rows[by] == level) & rows[y].notna()
    total_w = rows.loc[inside, w].sum()
    mean = (rows.loc[inside, w] * rows.loc[inside, y]).sum() / total_w
    rows["z"] = np.where(inside, rows[w] * (rows[y].fillna(0) - mean) / total_w, 0.0)
    variance = 0.0
    for _, stratum_rows in rows.groupby(strata):
        totals = [part["z"].sum() for _, part in stratum_rows.groupby(psu)]
        n_h = len(totals)
        f = n_h / stratum_rows[pop].iloc[0] if pop else 0.0
        centre = sum(totals) / n_h
        variance += (1 - f) * n_h / (n_h - 1) * sum((t - centre) ** 2 for t in totals)
    return mean, variance**0.5


@pytest.mark.parametrize("seed", [7, 8])
def test_domain_mean_matches_brute_force_when_a_psu_has_no_domain_member(seed):
    data = random_design(seed, rows=400)
    # empty one PSU of group 'c' so that the domain misses a PSU the design keeps
    data.loc[(data["psu"] == data["psu"].iloc[0]) & (data["group"] == "c"), "group"] = "a"
    design = SurveyDesign(data, weights="w", strata="stratum", psu="psu", fpc="pop")
    frame = design.mean("score", by="group").to_frame().set_index("group")
    for g in ("a", "b", "c"):
        mean, se = brute_force_domain_mean(data, "score", "group", g, "stratum", "psu", "w", "pop")
        np.testing.assert_allclose(frame.loc[g, ["estimate", "se"]].to_numpy(float), [mean, se], rtol=1e-10)


def test_replicate_variance_matches_loop_over_replicates():
    data = random_design(9, rows=300)
    rng = np.random.default_rng(9)
    reps = pd.DataFrame({f"b{r}": data["w"] * rng.poisson(1.0, len(data)) for r in range(40)})
    data = pd.concat([data, reps], axis=1)
    design = SurveyDesign(data, weights="w", replicate_weights=list(reps), replicate_type="bootstrap")
    result = design.mean("score", by="group").to_frame().set_index("group")
    for g in ("a", "b", "c"):
        keep = (data["group"] == g) & data["score"].notna()
        theta = [np.average(data.loc[keep, "score"], weights=data.loc[keep, c]) for c in reps]
        se = np.sqrt(np.var(theta, ddof=1))  # bootstrap: 1/(R-1) sum (theta_r - mean)^2
        np.testing.assert_allclose(result.loc[g, "se"], se, rtol=1e-10)


def test_dense_and_sparse_aggregation_agree(monkeypatch):
    """The PSU x domain totals take a dense bincount below a size limit and a sort above; both must agree."""
    data = random_design(10, rows=2000)
    design = SurveyDesign(data, weights="w", strata="stratum", psu="psu", fpc="pop")
    dense = design.mean("score", by="group").to_frame()["se"].to_numpy()
    monkeypatch.setattr(linearize, "_DENSE_CELLS", 0)
    sparse = design.mean("score", by="group").to_frame()["se"].to_numpy()
    np.testing.assert_allclose(sparse, dense, rtol=1e-12)


def test_replicate_compare_matches_loop_over_replicates():
    data = random_design(12, rows=300)
    rng = np.random.default_rng(12)
    reps = pd.DataFrame({f"b{r}": data["w"] * rng.poisson(1.0, len(data)) for r in range(30)})
    data = pd.concat([data, reps], axis=1)
    design = SurveyDesign(data, weights="w", replicate_weights=list(reps), replicate_type="bootstrap", mse=True)
    result = design.compare("score", by="group", groups=("a", "c"))

    def diff(weight):
        means = []
        for g in ("a", "c"):
            keep = (data["group"] == g) & data["score"].notna()
            means.append(np.average(data.loc[keep, "score"], weights=data.loc[keep, weight]))
        return means[1] - means[0]

    full = diff("w")
    theta = np.array([diff(c) for c in reps])
    assert result.estimate == pytest.approx(full, rel=1e-12)
    assert result.se == pytest.approx(np.sqrt(((theta - full) ** 2).sum() / (len(theta) - 1)), rel=1e-10)


def test_jkn_replicates_of_a_total_equal_linearisation():
    """For a total (a linear statistic) the stratified jackknife equals the with-replacement linearisation exactly;
    each replicate's rscale (n_h - 1)/n_h is found from the stratum whose PSU it drops."""
    data = random_design(13, rows=600)
    psu_codes, psus = pd.factorize(data["psu"], sort=True)
    per_stratum = data.groupby("stratum")["psu"].nunique()
    n_h = data["stratum"].map(per_stratum).to_numpy()
    stratum_of_psu = data.groupby("psu")["stratum"].first().loc[psus].to_numpy()
    same_stratum = stratum_of_psu[None, :] == data["stratum"].to_numpy()[:, None]
    dropped = psu_codes[:, None] == np.arange(len(psus))[None, :]
    factor = np.where(dropped, 0.0, np.where(same_stratum, (n_h / (n_h - 1))[:, None], 1.0))
    reps = pd.DataFrame(data["w"].to_numpy()[:, None] * factor, columns=[f"jk{j}" for j in range(len(psus))])
    both = pd.concat([data, reps], axis=1)
    jkn = SurveyDesign(both, weights="w", strata="stratum", psu="psu", replicate_weights=list(reps),
                       replicate_type="JKn", mse=True).total("score", by="group")
    taylor = SurveyDesign(data, weights="w", strata="stratum", psu="psu").total("score", by="group")
    np.testing.assert_allclose(jkn.to_frame()["se"], taylor.to_frame()["se"], rtol=1e-10)
