"""SurveyResult protocol, small-cell masking, compare's joint covariance, barometer statistics and proportion intervals."""

import dataclasses

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest

from impact.survey import SurveyDesign


@pytest.fixture(scope="module")
def barometer():
    """Two waves of a satisfaction survey: 6 regions (strata) x 5 sites (PSUs) visited in both waves."""
    rng = np.random.default_rng(42)
    n = 1200
    region = rng.integers(0, 6, n)
    site = rng.integers(0, 5, n)
    wave = rng.choice([2024, 2025], n)
    site_effect = rng.normal(0, 0.7, (6, 5))[region, site]
    score = np.clip(np.round(6.2 + 0.4 * (wave == 2025) + site_effect + rng.normal(0, 1.8, n)), 0, 10)
    score[rng.random(n) < 0.04] = np.nan
    channel = rng.choice(["desk", "online", "phone"], n, p=[0.5, 0.45, 0.05])
    frame = pd.DataFrame({"region": region, "site": site, "wave": wave, "score": score, "channel": channel,
                          "w": rng.uniform(20, 60, n)})
    frame.loc[frame.index[:6], "channel"] = "letter"  # a level with 6 respondents: below min_cell_size
    return frame


@pytest.fixture(scope="module")
def design(barometer):
    return SurveyDesign(barometer, weights="w", strata="region", psu="site", nest=True)


def test_to_frame_one_row_per_domain_with_by_column(design, barometer):
    result = design.mean("score", by="wave")
    frame = result.to_frame()
    assert list(frame.columns) == ["term", "estimate", "se", "ci_low", "ci_high", "pvalue", "wave", "n_obs",
                                   "n_missing", "df", "deff", "masked"]
    assert frame["wave"].tolist() == [2024, 2025]
    answered = barometer.groupby("wave")["score"].count().to_numpy()
    missing = barometer["score"].isna().groupby(barometer["wave"]).sum().to_numpy()
    np.testing.assert_array_equal(frame["n_obs"], answered)
    np.testing.assert_array_equal(frame["n_missing"], missing)
    assert result.df == 30 - 6 and (frame["df"] == 24).all()
    # headline: every respondent
    assert result.n_obs == barometer["score"].notna().sum()
    assert result.estimate == pytest.approx(np.average(barometer["score"].dropna(),
                                                       weights=barometer.loc[barometer["score"].notna(), "w"]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.estimate = 0.0


def test_where_is_a_domain_of_the_full_design(design, barometer):
    by_wave = design.mean("score", by="wave").to_frame().set_index("wave")
    only = design.mean("score", where=barometer["wave"] == 2025)
    assert only.estimate == pytest.approx(by_wave.loc[2025, "estimate"], rel=1e-12)
    assert only.se == pytest.approx(by_wave.loc[2025, "se"], rel=1e-12)
    # subsetting the data instead would drop PSUs without respondents and change the variance in general;
    # the design's df stays that of the whole sample
    assert only.df == design.df


def test_small_cells_masked_in_table_summary_and_plot(design, barometer):
    """A domain estimate resting on fewer than min_cell_size respondents (the 'letter' channel) is masked."""
    result = design.mean("score", by="channel")
    frame = result.to_frame().set_index("channel")
    letter = barometer.loc[barometer["channel"] == "letter", "score"].notna().sum()
    assert frame.loc["letter", "n_obs"] == letter < 11
    assert frame.loc["letter", "masked"] and np.isnan(frame.loc["letter", "estimate"])
    assert np.isnan(frame.loc["letter", ["se", "ci_low", "ci_high", "pvalue", "deff"]].astype(float)).all()
    raw = result.to_frame(masked=False).set_index("channel")
    assert np.isfinite(raw.loc["letter", "estimate"]) and raw.loc["letter", "masked"]
    assert not frame.loc[["desk", "online", "phone"], "masked"].any()
    assert result.n_masked == 1
    text = result.summary()
    assert "1 estimate(s) resting on fewer than 11 respondents are masked" in text
    html = result._repr_html_()
    assert "masked" in html and "<table" in html
    ax = result.plot()
    assert isinstance(ax, matplotlib.axes.Axes)
    assert "1 masked" in ax.get_title()
    assert design.mean("score", by="channel", min_cell_size=5).n_masked == 0
    # a proportion rests on every respondent of its domain, whatever the level's count
    assert design.proportion("channel").n_masked == 0
    assert design.proportion("channel", by="channel").to_frame().groupby("channel")["masked"].all()["letter"]


def test_compare_independent_waves_as_strata_adds_variances():
    """Two waves drawn independently are two strata of one design: no covariance, Var(diff) = Var1 + Var2."""
    rng = np.random.default_rng(3)
    rows = 800
    frame = pd.DataFrame({"wave": np.repeat([1, 2], rows // 2), "psu": rng.integers(0, 20, rows),
                          "w": rng.uniform(1, 3, rows), "score": rng.normal(7, 2, rows)})
    design = SurveyDesign(frame, weights="w", strata="wave", psu="psu", nest=True)
    diff = design.compare("score", by="wave")
    parts = design.mean("score", by="wave").to_frame()
    assert diff.estimate == pytest.approx(parts["estimate"].iloc[1] - parts["estimate"].iloc[0], rel=1e-12)
    assert diff.se == pytest.approx(np.sqrt((parts["se"] ** 2).sum()), rel=1e-12)
    table = diff.to_frame()
    assert table["term"].iloc[2] == "mean(score): 2 - 1" and len(table) == 3


def test_compare_shared_psus_uses_the_covariance(design, barometer):
    """Waves sharing sites are correlated; the SE must equal a brute-force linearisation of the difference."""
    result = design.compare("score", by="wave")
    ok = barometer["score"].notna()
    z = np.zeros(len(barometer))
    for sign, wave in ((-1, 2024), (1, 2025)):
        inside = ok & (barometer["wave"] == wave)
        total = barometer.loc[inside, "w"].sum()
        mean = (barometer.loc[inside, "w"] * barometer.loc[inside, "score"]).sum() / total
        z += sign * np.where(inside, barometer["w"] * (barometer["score"].fillna(0) - mean) / total, 0.0)
    variance = 0.0
    for _, stratum in barometer.assign(z=z).groupby("region"):
        t = stratum.groupby("site")["z"].sum().to_numpy()
        variance += len(t) / (len(t) - 1) * ((t - t.mean()) ** 2).sum()
    assert result.se == pytest.approx(np.sqrt(variance), rel=1e-10)
    separate = design.mean("score", by="wave").to_frame()["se"]
    assert abs(result.se - np.sqrt((separate**2).sum())) > 1e-4  # the covariance matters here


def test_compare_proportion_and_top_box(design, barometer):
    recoded = barometer.assign(top=(barometer["score"] >= 8).astype(float).where(barometer["score"].notna()))
    twin = SurveyDesign(recoded, weights="w", strata="region", psu="site", nest=True)
    top = design.compare("score", by="wave", statistic="top_box", threshold=8)
    ref = twin.compare("top", by="wave", statistic="mean")
    assert (top.estimate, top.se) == pytest.approx((ref.estimate, ref.se), rel=1e-12)
    share = design.compare("channel", by="wave", statistic="proportion", level="online")
    assert -1 < share.estimate < 1 and share.se > 0


def test_top_box_is_the_proportion_of_the_indicator(design, barometer):
    recoded = barometer.assign(top=(barometer["score"] >= 8).map({True: "yes", False: "no"})
                               .where(barometer["score"].notna()))
    twin = SurveyDesign(recoded, weights="w", strata="region", psu="site", nest=True)
    top = design.top_box("score", 8, by="wave").to_frame()
    ref = twin.proportion("top", level="yes", by="wave").to_frame()
    for column in ("estimate", "se", "ci_low", "ci_high", "n_obs"):
        np.testing.assert_allclose(top[column], ref[column], rtol=1e-12)


def test_net_satisfaction(design, barometer):
    result = design.net_satisfaction("score", satisfied=9, dissatisfied=6, by="wave")
    frame = result.to_frame()
    np.testing.assert_allclose(frame["estimate"], frame["share_satisfied"] - frame["share_dissatisfied"], rtol=1e-12)
    recoded = barometer.assign(net=((barometer["score"] >= 9).astype(float) - (barometer["score"] <= 6))
                               .where(barometer["score"].notna()))
    ref = SurveyDesign(recoded, weights="w", strata="region", psu="site", nest=True).mean("net", by="wave").to_frame()
    np.testing.assert_allclose(frame[["estimate", "se", "ci_low", "ci_high"]], ref[["estimate", "se", "ci_low", "ci_high"]],
                               rtol=1e-12)


def test_proportion_intervals(design):
    logit = design.proportion("channel", level="phone", ci="logit")
    wald = design.proportion("channel", level="phone", ci="wald")
    wilson = design.proportion("channel", level="phone", ci="wilson")
    assert logit.se == wald.se == wilson.se
    p, se = logit.estimate, logit.se
    assert wald.ci_high - p == pytest.approx(p - wald.ci_low)
    assert (logit.ci_high - p) > (p - logit.ci_low) > 0  # asymmetric towards 0.5
    t = (wald.ci_high - p) / se
    n_eff = p * (1 - p) / se**2
    centre = (p + t**2 / (2 * n_eff)) / (1 + t**2 / n_eff)
    assert (wilson.ci_low + wilson.ci_high) / 2 == pytest.approx(centre, rel=1e-12)
    eta = np.log(p / (1 - p))
    assert logit.ci_low == pytest.approx(1 / (1 + np.exp(-(eta - t * se / (p * (1 - p))))), rel=1e-12)


def test_proportion_at_zero_has_a_finite_interval():
    frame = pd.DataFrame({"g": ["a"] * 30 + ["b"] * 30, "psu": np.arange(60) % 10, "yes": [0] * 30 + [0, 1] * 15})
    result = SurveyDesign(frame, psu="psu").proportion("yes", level=1, by="g").to_frame().set_index("g")
    assert result.loc["a", "estimate"] == 0 and result.loc["a", "ci_low"] == pytest.approx(0, abs=1e-12)
    assert 0 < result.loc["a", "ci_high"] < 0.2


def test_binary_proportion_headlines_the_yes_share(design, barometer):
    flagged = barometer.assign(top=(barometer["score"] >= 8).astype(int))
    twin = SurveyDesign(flagged, weights="w", strata="region", psu="site", nest=True)
    both = twin.proportion("top")
    assert both.to_frame()["level"].tolist() == [0, 1]
    assert both.estimate == pytest.approx(twin.proportion("top", level=1).estimate, rel=1e-12)
    assert "Headline fields give level 1" in both.summary()
