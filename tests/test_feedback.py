"""Beneficiaries' feedback: statistics by question, wave and group against impact.survey and by hand (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from impact.errors import ConfigError, DataError, ImpactError
from impact.feedback import check_feedback_spec, feedback_from_spec, summarise_feedback
from impact.indicators import indicator
from impact.survey import SurveyDesign

WAVES = ["2023-03", "2023-09", "2024-03"]
QUESTIONS = [
    {"column": "sat", "label": "Satisfaction", "scale": [0, 10], "statistics": ["mean", "top_box"], "threshold": 8},
    {"column": "clear", "scale": [1, 5], "statistics": ["net_satisfaction", "proportion"], "threshold": 4,
     "dissatisfied": 2, "level": 5},
]


@pytest.fixture(scope="module")
def survey():
    """Three independent waves, each stratified by six sites of unequal size; one tiny site."""
    rng = np.random.default_rng(12)
    sites = [f"s{i}" for i in range(6)]
    population = np.array([5000, 12000, 800, 3000, 20000, 150])
    rows = []
    for k, wave in enumerate(WAVES):
        n = rng.integers(60, 120, 6)
        n[5] = 6 + k  # below min_cell_size in every wave
        for s, (size, m) in enumerate(zip(population, n)):
            latent = 5.5 + 0.4 * s + 0.5 * k + rng.normal(0, 2, m)
            rows.append(pd.DataFrame({
                "wave": wave, "site": sites[s], "stratum": f"{wave}/{sites[s]}", "N": size, "w": size / m,
                "sat": np.clip(np.rint(latent), 0, 10), "clear": np.clip(np.rint(3 + 0.3 * k + rng.normal(0, 1, m)), 1, 5),
            }))
    data = pd.concat(rows, ignore_index=True)
    data.loc[rng.choice(len(data), 15, replace=False), "sat"] = np.nan  # item non-response
    return data


@pytest.fixture(scope="module")
def summary(survey):
    return summarise_feedback(survey, questions=[dict(q) for q in QUESTIONS], wave="wave", group="site",
                              weights="w", strata="stratum", fpc="N", min_cell_size=11)


def _by_hand_mean(data: pd.DataFrame, y: np.ndarray, in_domain: np.ndarray, alpha=0.05):
    """Stratified, weighted domain mean with its Taylor-linearised variance, written out independently."""
    ok = ~np.isnan(y)
    w = data["w"].to_numpy() * in_domain * ok
    yy = np.where(ok, y, 0.0)
    est = (w * yy).sum() / w.sum()
    z = w * (yy - est) / w.sum()
    # Without-replacement fraction per stratum: sampled rows over population (the fpc column).
    frame = pd.DataFrame({"h": data["stratum"], "z": z,
                          "f": data.groupby("stratum")["w"].transform("size") / data["N"]})
    g = frame.groupby("h")
    n_h, f_h = g.size(), g["f"].first()
    ss = g["z"].apply(lambda s: ((s - s.mean()) ** 2).sum())
    var = ((1 - f_h) * n_h / (n_h - 1) * ss).sum()
    df = len(data) - data["stratum"].nunique()
    t = stats.t.ppf(1 - alpha / 2, df)
    return est, np.sqrt(var), est - t * np.sqrt(var), est + t * np.sqrt(var)


def _row(summary, question, statistic, wave, group=None):
    r = summary.rows
    sel = r[(r.question == question) & (r.statistic == statistic) & (r.wave == wave)]
    sel = sel[sel.group.isna()] if group is None else sel[sel.group == group]
    assert len(sel) == 1
    return sel.iloc[0]


def test_wave_means_match_a_hand_written_linearisation(survey, summary):
    for wave in WAVES:
        est, se, lo, hi = _by_hand_mean(survey, survey["sat"].to_numpy(), (survey["wave"] == wave).to_numpy())
        row = _row(summary, "sat", "mean", wave)
        np.testing.assert_allclose([row.estimate, row.se, row.ci_low, row.ci_high], [est, se, lo, hi], rtol=1e-10)
        assert row.n == survey.loc[survey.wave == wave, "sat"].notna().sum() and not row.masked


def test_top_box_and_net_satisfaction_by_hand(survey, summary):
    wave = WAVES[1]
    in_wave = (survey["wave"] == wave).to_numpy()
    sat = survey["sat"].to_numpy()
    top = np.where(np.isnan(sat), np.nan, (sat >= 8).astype(float))
    est, se, _, _ = _by_hand_mean(survey, top, in_wave)
    row = _row(summary, "sat", "top_box", wave)
    np.testing.assert_allclose([row.estimate, row.se], [est, se], rtol=1e-10)
    clear = survey["clear"].to_numpy()
    net = (clear >= 4).astype(float) - (clear <= 2).astype(float)
    est, se, lo, hi = _by_hand_mean(survey, net, in_wave)
    row = _row(summary, "clear", "net_satisfaction", wave)
    np.testing.assert_allclose([row.estimate, row.se], [est, se], rtol=1e-10)
    share5 = _row(summary, "clear", "proportion", wave).estimate
    w = survey["w"].to_numpy() * in_wave
    assert share5 == pytest.approx((w * (clear == 5)).sum() / w.sum(), rel=1e-12)


def test_rows_are_impact_survey_estimates(survey, summary):
    design = SurveyDesign(survey, weights="w", strata="stratum", fpc="N")
    direct = design.top_box("sat", 8, by="wave").to_frame().set_index("wave")
    for wave in WAVES:
        row = _row(summary, "sat", "top_box", wave)
        np.testing.assert_allclose([row.estimate, row.ci_low, row.ci_high],
                                   direct.loc[wave, ["estimate", "ci_low", "ci_high"]].to_numpy(dtype=float),
                                   rtol=1e-12)


def test_change_first_to_last_wave(survey, summary):
    # Independent samples per wave in distinct strata: no covariance, var(diff) = var(first) + var(last).
    ch = summary.changes
    overall = ch[(ch.question == "sat") & (ch.statistic == "mean") & ch.group.isna()].iloc[0]
    first, last = _row(summary, "sat", "mean", WAVES[0]), _row(summary, "sat", "mean", WAVES[-1])
    assert overall.from_wave == WAVES[0] and overall.to_wave == WAVES[-1]
    assert overall.estimate == pytest.approx(last.estimate - first.estimate, rel=1e-12)
    assert overall.se == pytest.approx(np.hypot(first.se, last.se), rel=1e-10)
    design = SurveyDesign(survey, weights="w", strata="stratum", fpc="N")
    direct = design.compare("sat", "wave", groups=(WAVES[0], WAVES[-1]), statistic="top_box", threshold=8)
    top = ch[(ch.question == "sat") & (ch.statistic == "top_box") & ch.group.isna()].iloc[0]
    np.testing.assert_allclose([top.estimate, top.se, top.ci_low, top.ci_high],
                               [direct.estimate, direct.se, direct.ci_low, direct.ci_high], rtol=1e-12)
    net = ch[(ch.question == "clear") & (ch.statistic == "net_satisfaction") & ch.group.isna()].iloc[0]
    n0, n1 = _row(summary, "clear", "net_satisfaction", WAVES[0]), _row(summary, "clear", "net_satisfaction", WAVES[-1])
    assert net.estimate == pytest.approx(n1.estimate - n0.estimate, rel=1e-12)
    assert net.se == pytest.approx(np.hypot(n0.se, n1.se), rel=1e-10)


def test_group_rows_keep_the_whole_design(survey, summary):
    # A site within a wave is a domain of the whole survey: same as SurveyDesign with where=.
    design = SurveyDesign(survey, weights="w", strata="stratum", fpc="N")
    in_site = (survey["site"] == "s1").to_numpy()
    direct = design.mean("sat", by="wave", where=in_site).to_frame().set_index("wave")
    row = _row(summary, "sat", "mean", WAVES[2], "s1")
    np.testing.assert_allclose([row.estimate, row.se], direct.loc[WAVES[2], ["estimate", "se"]].to_numpy(float),
                               rtol=1e-12)


def test_small_cells_are_masked(summary):
    tiny = summary.rows[summary.rows.group == "s5"]
    assert len(tiny) and tiny["masked"].all() and tiny["estimate"].isna().all() and (tiny["n"] < 11).all()
    assert not summary.rows.loc[summary.rows.group.isna(), "masked"].any()
    ch = summary.changes[summary.changes.group == "s5"]
    assert ch["masked"].all() and ch["estimate"].isna().all()
    records = summary.records()
    masked = [r for r in records if r["masked"]]
    assert masked and all(r["estimate"] is None and r["ci_low"] is None for r in masked)
    assert set(records[0]) == {"question", "statistic", "wave", "group", "estimate", "se", "ci_low", "ci_high", "n",
                               "masked"}
    assert {r["group"] for r in records} == {None, "s0", "s1", "s2", "s3", "s4", "s5"}
    assert all(isinstance(r["wave"], str) for r in records)


def test_waves_in_time_order_and_dates_as_iso(survey):
    data = survey.assign(wave=pd.to_datetime(survey["wave"] + "-15"))
    s = summarise_feedback(data, questions=[dict(QUESTIONS[0])], wave="wave", weights="w", strata="stratum")
    assert s.waves == ("2023-03-15", "2023-09-15", "2024-03-15")


def test_survey_based_indicator_is_the_survey_estimate(survey, summary):
    series = summary.series("sat", "top_box")
    r = indicator("sat", direction="higher", baseline=None, baseline_date=WAVES[0], target=0.5,
                  target_date="2025-03", values=series, method="from_survey")
    design = SurveyDesign(survey, weights="w", strata="stratum", fpc="N")
    last = design.top_box("sat", 8, where=(survey["wave"] == WAVES[-1]).to_numpy())
    first = design.top_box("sat", 8, where=(survey["wave"] == WAVES[0]).to_numpy())
    assert r.current == pytest.approx(last.estimate, rel=1e-12) and r.baseline == pytest.approx(first.estimate)
    assert (r.ci_low, r.ci_high) == pytest.approx((last.ci_low, last.ci_high), rel=1e-12)
    assert r.target_in_interval == (last.ci_low <= 0.5 <= last.ci_high)
    assert set(r.to_record()) >= {"ci_low", "ci_high"}


@pytest.mark.parametrize("change, message", [
    ({"statistics": ["median"]}, "unknown statistic 'median'"),
    ({"statistics": ["top_box"], "threshold": None}, "needs a numeric threshold"),
    ({"scale": [10]}, "scale"),
])
def test_bad_questions_name_the_setting(survey, change, message):
    q = dict(QUESTIONS[0]) | change
    with pytest.raises(ConfigError, match=message):
        summarise_feedback(survey, questions=[q], wave="wave", weights="w", strata="stratum")


def test_answers_outside_the_scale_and_missing_columns(survey):
    bad = survey.assign(sat=survey["sat"].where(survey.index != 3, 11))
    with pytest.raises(DataError, match=r"'sat' has 1 answers outside its scale \[0, 10\]"):
        summarise_feedback(bad, questions=[dict(QUESTIONS[0])], wave="wave", weights="w", strata="stratum")
    with pytest.raises(DataError, match="'vague' not found"):
        summarise_feedback(survey, questions=[dict(QUESTIONS[0])], wave="vague", weights="w")
    with pytest.raises(ImpactError):
        summarise_feedback(survey, questions=[], wave="wave")


def test_spec_checks_and_from_spec(survey):
    spec = {"file": "s.csv", "design": {"weights": "w", "strata": "stratum", "fpc": "N", "clusters": "x"},
            "wave": "wave", "questions": [dict(QUESTIONS[0])], "comments": {"column": "c", "language": "de"}}
    text = "\n".join(check_feedback_spec(spec))
    assert "feedback.design: unknown keys ['clusters']" in text and "feedback.comments.language" in text
    spec["design"].pop("clusters")
    spec["comments"]["language"] = "fr"
    s = feedback_from_spec(spec, survey, min_cell_size=11)
    assert s.waves == tuple(WAVES) and s.design == {"weights": "w", "strata": "stratum", "fpc": "N"}


def test_a_question_left_out_of_one_wave_leaves_the_others_and_their_numbers(survey, summary):
    data = survey.copy()
    data.loc[data.wave == "2023-09", "clear"] = np.nan  # not asked in the middle wave
    data.loc[data.site == "s2", "sat"] = np.nan  # nobody at one site answered
    out = summarise_feedback(data, questions=[dict(q) for q in QUESTIONS], wave="wave", group="site",
                             weights="w", strata="stratum", fpc="N", min_cell_size=11)
    clear = out.rows[(out.rows.question == "clear") & out.rows.group.isna()]
    assert set(clear.wave) == {"2023-03", "2024-03"}
    assert not ((out.rows.question == "sat") & (out.rows.group == "s2")).any()
    # the clarity rows of the waves that asked it are the ones computed on the full data
    for stat in ("net_satisfaction", "proportion"):
        assert _row(out, "clear", stat, "2024-03")["estimate"] == pytest.approx(
            _row(summary, "clear", stat, "2024-03")["estimate"], abs=1e-12)
