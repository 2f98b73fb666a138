"""Wrongly typed settings of impact.survey raise a ConfigError naming the setting and the fix (review defects).

Before these checks, a string threshold reached NumPy (``UFuncTypeError``), a
list threshold broadcast silently, a list of strata reached pandas
(``TypeError``), ``replicate_scale="x"`` and ``rake(tol="x")`` raised
``ValueError``/``TypeError``, and a ratio over a zero denominator returned a
silent NaN. Also: the headline fit shared between calls with different
``by=`` (same numbers as a fresh design), and a hypothesis sweep over the
settings of the public estimators.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from impact.errors import ConfigError, DataError, EstimationWarning, ImpactError
from impact.survey import SurveyDesign
from impact.survey import estimate as estimate_module


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    n = 80
    return pd.DataFrame(
        {
            "region": np.repeat(["north", "south", "west", "east"], 20),
            "site": np.tile(np.repeat([1, 2, 3, 4], 5), 4),
            "w": rng.uniform(1, 5, n),
            "pop": np.repeat([10, 12, 8, 9], 20),
            "score": rng.integers(0, 11, n).astype(float),
            "visits": rng.uniform(0.5, 3, n),
            "wave": np.tile([1, 2], 40),
            "channel": rng.choice(["desk", "online", "phone"], n),
        }
    )


def design(data, **kwargs):
    return SurveyDesign(data, weights="w", strata="region", psu="site", nest=True, **kwargs)


def with_replicates(data):
    reps = {f"r{j}": np.where(data["site"] == j + 1, 0.0, data["w"] * 4 / 3) for j in range(4)}
    return data.assign(**reps), list(reps)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"weights": 5}, r"weights must be a column name \(a string\) \(got int 5\); leave weights=None"),
        ({"strata": ["region"]}, r"strata must be one column name .*got list \['region'\].*combine several into one"),
        ({"psu": ["site"]}, r"psu must be one column name .*second stage goes in ssu="),
        ({"fpc": 0.1}, r"fpc must be a column name \(a string\) \(got float 0.1\).*df\['fpc'\] = 0.1"),
        ({"fpc": ["pop"]}, r"fpc must be one column name"),
        ({"ssu": 3}, r"ssu must be a column name"),
        ({"replicate_weights": 5, "replicate_type": "BRR"}, r"replicate_weights must be a column name or a non-empty list"),
        ({"replicate_weights": ["w", 2], "replicate_type": "BRR"}, r"replicate_weights must hold column names.*2 is not"),
        ({"mse": "yes"}, r"mse must be True or False \(got 'yes'\)"),
        ({"replicate_scale": 2.0}, r"replicate_scale needs replicate_weights="),
        ({"mse": True}, r"mse needs replicate_weights="),
    ],
)
def test_design_settings_of_the_wrong_type(data, kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        SurveyDesign(data, **kwargs)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"replicate_scale": "x"}, r"replicate_scale must be a positive finite number \(got 'x'\).*default is 0.25"),
        ({"replicate_scale": -1}, r"replicate_scale must be a positive finite number \(got -1\)"),
        ({"replicate_scale": np.nan}, r"replicate_scale must be a positive finite number \(got nan\)"),
        ({"replicate_rscales": ["a", "b", "c", "d"]}, r"replicate_rscales must be 4 non-negative numbers.*got \['a'"),
        ({"replicate_rscales": "abcd"}, r"replicate_rscales must be 4 non-negative numbers.*got 'abcd'"),
        ({"replicate_rscales": [1, 1, 1]}, r"replicate_rscales must be 4 non-negative numbers"),
    ],
)
def test_replicate_multipliers_must_be_numbers(data, kwargs, pattern):
    data, names = with_replicates(data)
    with pytest.raises(ConfigError, match=pattern):
        SurveyDesign(data, weights="w", replicate_weights=names, replicate_type="BRR", **kwargs)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"tol": "x"}, ConfigError, r"tol must be a positive finite number \(got 'x'\)"),
        ({"tol": -1e-6}, ConfigError, r"tol must be a positive finite number \(got -1e-06\)"),
        ({"tol": np.inf}, ConfigError, r"tol must be a positive finite number"),
        ({"max_iter": 0}, ConfigError, r"max_iter must be at least 1"),
        ({"max_iter": 2.5}, ConfigError, r"max_iter must be an integer \(got 2.5\)"),
        ({"max_iter": "10"}, ConfigError, r"max_iter must be an integer \(got '10'\)"),
    ],
)
def test_rake_settings(data, kwargs, error, pattern):
    margins = {"channel": {"desk": 300, "online": 500, "phone": 200}}
    with pytest.raises(error, match=pattern):
        design(data).rake(margins, **kwargs)


@pytest.mark.parametrize(
    "margins, pattern",
    [
        ({"channel": [300, 500, 200]}, r"margin 'channel' must map each category .* \(got \[300, 500, 200\]\)"),
        ({"channel": 1000}, r"margin 'channel' must map each category"),
        ({"channel": {}}, r"margin 'channel' must map each category"),
        ({"channel": {"desk": "a", "online": 500, "phone": 200}}, r"margin 'channel': population counts must be positive numbers"),
        ({3: {"a": 1}}, r"margin 1 must be a column name \(a string\) \(got int 3\)"),
    ],
)
def test_malformed_margins(data, margins, pattern):
    with pytest.raises(ConfigError, match=pattern):
        design(data).rake(margins)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"statistic": "top_box", "threshold": "8"}, r"threshold must be a finite number \(got '8'\); a number on the score's scale"),
        ({"statistic": "top_box", "threshold": [8]}, r"threshold must be a finite number \(got \[8\]\)"),
        ({"statistic": "top_box", "threshold": np.nan}, r"threshold must be a finite number \(got nan\)"),
        ({"statistic": "top_box", "threshold": True}, r"threshold must be a finite number \(got True\)"),
        ({"statistic": "top_box"}, r"statistic='top_box' needs threshold="),
        ({"statistic": "mean", "threshold": 8}, r"threshold= is only used with statistic='top_box' \(got statistic='mean'\)"),
        ({"statistic": "mean", "level": 3}, r"level= is only used with statistic='proportion'"),
        ({"statistic": "proportion", "level": [3, 4]}, r"level must be one answer value .* \(got \[3, 4\]\)"),
        ({"statistic": "proportion", "level": {"a": 1}}, r"level must be one answer value"),
        ({"groups": 5}, r"groups must be a pair \(first, second\) of levels of 'wave' \(got 5\)"),
    ],
)
def test_compare_settings(data, kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        design(data).compare("score", by="wave", **kwargs)


def test_barometer_thresholds_and_the_dissatisfied_default(data):
    svy = design(data)
    with pytest.raises(ConfigError, match=r"threshold must be a finite number on the score's scale \(got '8'\)"):
        svy.top_box("score", "8")
    with pytest.raises(ConfigError, match=r"satisfied must be a finite number on the score's scale \(got \[9\]\)"):
        svy.net_satisfaction("score", [9], 6)
    with pytest.raises(ConfigError, match=r"net_satisfaction needs dissatisfied= .* or scale=\(lowest, highest\)"):
        svy.net_satisfaction("score", 9)
    with pytest.raises(ConfigError, match=r"satisfied threshold 5 is not above the middle of the scale \[0, 10\]"):
        svy.net_satisfaction("score", 5, scale=(0, 10))
    with pytest.raises(ConfigError, match=r"scale must be \[lowest, highest\] answer"):
        svy.net_satisfaction("score", 8, scale=(10, 0))
    # the mirror image: 8 and above against 2 and below on 0-10
    mirrored = svy.net_satisfaction("score", 8, by="wave", scale=(0, 10)).to_frame()
    explicit = svy.net_satisfaction("score", 8, 2, by="wave").to_frame()
    pd.testing.assert_frame_equal(mirrored, explicit)
    y, w = data["score"], data["w"]
    by_hand = (w * ((y >= 8).astype(float) - (y <= 2))).sum() / w.sum()
    assert svy.net_satisfaction("score", 8, scale=[0, 10]).estimate == pytest.approx(by_hand, rel=1e-12)


def test_result_settings(data):
    result = design(data).mean("score", by="wave")
    with pytest.raises(ConfigError, match=r"label must be a column of to_frame\(\) naming each row, e.g. 'wave' \(got 'zz'\)"):
        result.plot(label="zz")
    with pytest.raises(ConfigError, match=r"masked must be True or False \(got 'no'\)"):
        result.to_frame(masked="no")
    with pytest.raises(ConfigError, match=r"groups must be two different levels of 'wave' \(got \[1, 1\]"):
        design(data).compare("score", by="wave", groups=(1, 1))


def test_column_arguments_must_be_one_name(data):
    svy = design(data)
    with pytest.raises(ConfigError, match=r"column must be one column name \(a string\) \(got list \['score'\]\)"):
        svy.mean(["score"])
    with pytest.raises(ConfigError, match=r"column must be a column name \(a string\) \(got int 5\)"):
        svy.total(5)
    with pytest.raises(ConfigError, match=r"denominator must be one column name .*got list \['visits'\]"):
        svy.ratio("score", ["visits"])
    with pytest.raises(ConfigError, match=r"column must be one column name"):
        svy.proportion(["channel"])
    with pytest.raises(ConfigError, match=r"by must be a column name or a non-empty list of column names \(got 5\)"):
        svy.mean("score", by=5)
    with pytest.raises(ConfigError, match=r"by must name at least one column \(got an empty list\)"):
        svy.mean("score", by=[])


def test_proportion_levels(data):
    svy = design(data)
    both = svy.proportion("channel", level=["online", "desk"], by="wave").to_frame()
    assert list(both["level"].unique()) == ["online", "desk"]
    for lev in ("online", "desk"):
        alone = svy.proportion("channel", level=lev, by="wave").to_frame()
        np.testing.assert_allclose(both.loc[both["level"] == lev, "se"], alone["se"], rtol=1e-12)
        share = data.groupby("wave").apply(lambda g: (g["w"] * (g["channel"] == lev)).sum() / g["w"].sum())
        np.testing.assert_allclose(alone["estimate"], share.to_numpy(), rtol=1e-12)
    with pytest.raises(ConfigError, match=r"level must be one answer value .* \(got \{'a': 1\}\)"):
        svy.proportion("channel", level={"a": 1})
    with pytest.raises(ConfigError, match=r"level must be one answer value .* \(got nan\)"):
        svy.proportion("channel", level=np.nan)
    with pytest.raises(ConfigError, match=r"level lists an answer twice"):
        svy.proportion("channel", level=["desk", "desk"])
    with pytest.raises(DataError, match=r"level 'fax' does not occur in column 'channel'"):
        svy.proportion("channel", level=["desk", "fax"])


def test_ratio_over_a_zero_denominator_is_masked_with_a_note(data):
    zeroed = data.assign(visits=np.where(data["wave"] == 2, 0.0, data["visits"]))
    result = design(zeroed).ratio("score", "visits", by="wave")
    frame = result.to_frame(masked=False).set_index("wave")
    assert frame.loc[2, "masked"] and np.isnan(frame.loc[2, ["estimate", "se", "ci_low", "deff"]].astype(float)).all()
    assert "denominator 'visits' totals zero there" in result.summary() and "domain wave=2" in result.summary()
    assert "fewer than" not in result.summary()  # not a small cell
    # the other domain is untouched: a domain's estimate and variance depend on its own rows only
    intact = design(data).ratio("score", "visits", by="wave").to_frame().set_index("wave")
    np.testing.assert_allclose(frame.loc[1, ["estimate", "se", "deff"]].astype(float),
                               intact.loc[1, ["estimate", "se", "deff"]].astype(float), rtol=1e-12)
    one = data[data["wave"] == 1]
    assert frame.loc[1, "estimate"] == pytest.approx((one["w"] * one["score"]).sum() / (one["w"] * one["visits"]).sum(),
                                                     rel=1e-12)
    assert np.isfinite(result.estimate)  # the headline pools both waves
    with pytest.raises(DataError, match=r"denominator column 'visits' totals zero over the respondents selected by where="):
        design(zeroed).ratio("score", "visits", where=(zeroed["wave"] == 2).to_numpy())
    reps, names = with_replicates(zeroed)
    rep = SurveyDesign(reps, weights="w", replicate_weights=names, replicate_type="JK1").ratio("score", "visits", by="wave")
    assert rep.to_frame()["masked"].tolist() == [False, True] and np.isfinite(rep.to_frame()["se"].iloc[0])


def test_replicates_without_weight_in_a_domain_are_left_out_as_r_svrvar(data):
    rng = np.random.default_rng(8)
    reps = pd.DataFrame({f"b{r}": data["w"] * rng.poisson(1.0, len(data)) for r in range(30)})
    east = (data["region"] == "east").to_numpy()
    reps.loc[east, ["b0", "b1"]] = 0.0  # two bootstrap replicates that drew no one from the east
    svy = SurveyDesign(pd.concat([data, reps], axis=1), weights="w", replicate_weights=list(reps),
                       replicate_type="bootstrap")
    with pytest.warns(EstimationWarning, match=r"2 of 30 replicate estimates do not exist .* as R's svrVar does"):
        result = svy.mean("score", by="region")
    frame = result.to_frame().set_index("region")
    # by hand: R's svrVar drops the NA replicates, then scale * sum (theta_r - mean)^2 over the others
    y, w = data["score"].to_numpy(), reps.to_numpy()
    theta = (w[east] * y[east, None]).sum(axis=0)[2:] / w[east].sum(axis=0)[2:]
    assert frame.loc["east", "se"] == pytest.approx(np.sqrt(((theta - theta.mean()) ** 2).sum() / 29), rel=1e-12)
    north = (data["region"] == "north").to_numpy()
    theta = (w[north] * y[north, None]).sum(axis=0) / w[north].sum(axis=0)
    assert frame.loc["north", "se"] == pytest.approx(np.sqrt(((theta - theta.mean()) ** 2).sum() / 29), rel=1e-12)
    assert np.isfinite(frame["se"]).all() and np.isfinite(result.se)


HEADLINE_FIELDS = ("estimate", "se", "ci_low", "ci_high", "pvalue", "deff", "n_obs")


@pytest.mark.parametrize("kind", ["linearised", "raked", "replicates", "two_stage"])
def test_headline_comes_from_the_domain_pass_with_the_numbers_of_by_none(data, kind, monkeypatch):
    data = data.assign(score=data["score"].where(data.index % 9 != 4))  # item non-response
    if kind == "replicates":
        data, names = with_replicates(data)
        svy = SurveyDesign(data, weights="w", replicate_weights=names, replicate_type="JK1")
    elif kind == "two_stage":
        svy = SurveyDesign(data.assign(person=data.index % 5, n2=7), weights="w", strata="region", psu="site",
                           nest=True, fpc="pop", ssu="person", fpc2="n2")
    else:
        svy = design(data)
        if kind == "raked":
            svy = svy.rake({"channel": {"desk": 300, "online": 500, "phone": 200}})
    calls = []
    real = estimate_module.ratio_by_domain
    monkeypatch.setattr(estimate_module, "ratio_by_domain", lambda *a: calls.append(a[-1]) or real(*a))
    where = (data["wave"] == 1).to_numpy()
    pairs = [
        (lambda by: svy.mean("score", by=by)), (lambda by: svy.total("score", by=by, where=where)),
        (lambda by: svy.ratio("score", "visits", by=by)), (lambda by: svy.top_box("score", 8, by=by)),
        (lambda by: svy.net_satisfaction("score", 8, 3, by=by)),
        (lambda by: svy.proportion("channel", level="desk", by=by, where=where)),
    ]
    for estimate in pairs:
        calls.clear()
        split = estimate(["wave", "channel"])
        assert calls == [len(split.to_frame())]  # one pass over the rows: the domains, and the headline from them
        whole = estimate(None)
        for key in HEADLINE_FIELDS:
            assert getattr(split, key) == pytest.approx(getattr(whole, key), rel=1e-12, abs=1e-15), key


def test_headline_with_by_missing_in_some_rows_is_fitted_on_its_own(data):
    data = data.assign(channel=data["channel"].where(data.index % 7 != 0))
    svy = design(data)
    split, whole = svy.mean("score", by="channel"), svy.mean("score")
    assert split.n_obs == whole.n_obs == len(data) > split.to_frame()["n_obs"].sum()
    for key in HEADLINE_FIELDS:
        assert getattr(split, key) == pytest.approx(getattr(whole, key), rel=1e-12, abs=1e-15), key


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["score", "region", "wave", "nope", "", "8", "channel"]),
    st.lists(st.sampled_from(["score", "wave", 1, 2.5]), max_size=3), st.dictionaries(st.just("a"), st.integers()),
)


@settings(max_examples=50, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["mean", "total", "ratio", "proportion", "top_box", "net_satisfaction", "compare",
                               "design", "rake", "replicates"]),
       first=JUNK, second=JUNK, third=JUNK)
def test_any_setting_gives_a_result_or_an_impact_error(data, method, first, second, third):
    svy = design(data)
    calls = {
        "mean": lambda: svy.mean("score", by=first, where=None if second is None else second),
        "total": lambda: svy.total(first, by=second),
        "ratio": lambda: svy.ratio(first, second, by=third),
        "proportion": lambda: svy.proportion("channel", level=first, by=second, ci=third or "logit"),
        "top_box": lambda: svy.top_box("score", first, by=second),
        "net_satisfaction": lambda: svy.net_satisfaction("score", first, second, scale=third),
        "compare": lambda: svy.compare("score", "wave", statistic=first or "mean", threshold=second, level=third),
        "design": lambda: SurveyDesign(data, weights=first, strata=second, psu=third, nest=True),
        "rake": lambda: svy.rake({"channel": {"desk": 300, "online": 500, "phone": 200}}, tol=first,
                                 max_iter=100 if second is None else second).mean("score", by=third),
        "replicates": lambda: SurveyDesign(*with_replicates(data)[:1], weights="w", replicate_type="JK1",
                                           replicate_weights=with_replicates(data)[1], replicate_scale=first,
                                           replicate_rscales=second, mse=bool(third)).mean("score"),
    }
    try:
        result = calls[method]()
    except ImpactError:
        return
    if method not in ("design",):
        frame = result.to_frame(masked=False)
        shown = frame[~frame["masked"]]
        assert np.isfinite(shown[["estimate", "se"]].to_numpy(dtype=float)).all()
        assert np.isfinite([result.estimate, result.se]).all()
