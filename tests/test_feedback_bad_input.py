"""Wrongly typed feedback settings raise a ConfigError naming the setting (review defects), and the defaults they imply.

Before: ``summarise_feedback(fpc=0.1)`` or ``strata=[...]`` reached pandas
(``TypeError``), ``wave=[...]`` ran on a DataFrame, a question ``column`` given
as a list raised ``AttributeError``, ``check_feedback_spec`` let a list
``wave`` or a numeric ``design.fpc`` through, ``FeedbackSummary.plot("zz")``
raised ``IndexError``, and a ``net_satisfaction`` question written as the
``initiative.yaml`` schema shows it (``threshold``, no ``dissatisfied``) was
refused.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from impact.errors import ConfigError, DataError, ImpactError
from impact.feedback import analyse_comments, check_feedback_spec, mask_comments, summarise_feedback
from impact.survey import SurveyDesign


@pytest.fixture(scope="module")
def survey():
    rng = np.random.default_rng(5)
    n = 240
    return pd.DataFrame({
        "wave": np.repeat(["2023-06", "2024-06"], n // 2), "site": rng.choice(["a", "b"], n),
        "stratum": rng.choice(["x", "y", "z"], n), "w": rng.uniform(1, 3, n), "N": 1000,
        "sat": rng.integers(0, 11, n).astype(float), "clear": rng.integers(1, 6, n).astype(float),
    })


def _question(**extra):
    return {"column": "sat", "scale": [0, 10], "statistics": ["mean", "top_box"], "threshold": 8, **extra}


def _summary(survey, **kwargs):
    args = {"questions": [_question()], "wave": "wave", "weights": "w", "strata": "stratum", **kwargs}
    return summarise_feedback(survey, **args)


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"fpc": 0.1}, r"fpc must be a column name \(a string\) \(got float 0.1\); .*data\['fpc'\] = 0.1, and pass fpc='fpc'"),
        ({"fpc": ["N"]}, r"fpc must be one column name"),
        ({"weights": 3}, r"weights must be a column name \(a string\) \(got int 3\)"),
        ({"strata": ["stratum"]}, r"strata must be one column name .*combine several into one"),
        ({"psu": ["site"]}, r"psu must be one column name"),
        ({"wave": ["wave"]}, r"wave must be one column name .*saying when each respondent answered"),
        ({"wave": 3}, r"wave must be a column name \(a string\) \(got int 3\)"),
        ({"wave": None}, r"wave must name the column saying when each respondent answered"),
        ({"group": ["site"]}, r"group must be one column name .*combine them first"),
        ({"questions": "sat"}, r"questions: must be a non-empty list of questions"),
        ({"questions": {"column": "sat"}}, r"questions: must be a non-empty list of questions"),
        ({"questions": []}, r"questions: must be a non-empty list of questions"),
        ({"extra_design": ["nest"]}, r"extra_design must be a dict of SurveyDesign options, .*got \['nest'\]"),
        ({"extra_design": {"nestt": True}}, r"extra_design: 'nestt' is not a SurveyDesign option; allowed: nest, lonely_psu"),
        ({"extra_design": {"weights": "w"}}, r"extra_design: 'weights' is an argument of summarise_feedback itself"),
        ({"min_cell_size": "5"}, r"min_cell_size must be an integer \(got '5'\)"),
        ({"alpha": 1.5}, r"alpha must be strictly between 0 and 1"),
    ],
)
def test_summarise_feedback_settings(survey, kwargs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        _summary(survey, **kwargs)


@pytest.mark.parametrize(
    "question, pattern",
    [
        ({"column": ["sat"]}, r"questions\[0\].column: must be one column name \(got \['sat'\]\)"),
        ({"column": 3}, r"questions\[0\].column: must be one column name \(got 3\)"),
        ({"label": ["Satisfaction"]}, r"questions\[0\].label: must be a text, or one text per language"),
        ({"threshold": "8"}, r"questions\[0\].threshold: statistic 'top_box' needs a numeric threshold \(got '8'\)"),
        ({"threshold": float("nan")}, r"questions\[0\].threshold: statistic 'top_box' needs a numeric threshold"),
        ({"statistics": ["mean", "mean"]}, r"questions\[0\].statistics: lists a statistic twice"),
        ({"statistics": ["proportion"], "level": [5]}, r"questions\[0\].level: statistic 'proportion' needs a numeric level"),
        ({"statistics": ["net_satisfaction"], "scale": None},
         r"questions\[0\].dissatisfied: statistic 'net_satisfaction' needs a numeric dissatisfied \(or a scale"),
        ({"statistics": ["net_satisfaction"], "dissatisfied": 9}, r"questions\[0\].dissatisfied: must be below threshold"),
        ({"statistics": ["net_satisfaction"], "threshold": 4},
         r"questions\[0\].dissatisfied: satisfied threshold 4 is not above the middle of the scale \[0, 10\]"),
        ({"scale": [10, 0]}, r"questions\[0\].scale: must be \[lowest, highest\] answer"),
    ],
)
def test_question_settings(survey, question, pattern):
    with pytest.raises(ConfigError, match=pattern):
        _summary(survey, questions=[_question(**question)])


def test_a_column_asked_twice(survey):
    with pytest.raises(ConfigError, match=r"questions: column 'sat' is asked twice; give one question with every statistic"):
        _summary(survey, questions=[_question(), _question(statistics=["mean"])])


def test_net_satisfaction_defaults_to_the_mirror_of_the_threshold(survey):
    schema = {"column": "clear", "scale": [1, 5], "statistics": ["net_satisfaction"], "threshold": 4}
    implied = _summary(survey, questions=[dict(schema)])
    explicit = _summary(survey, questions=[dict(schema, dissatisfied=2)])
    pd.testing.assert_frame_equal(implied.rows, explicit.rows)
    pd.testing.assert_frame_equal(implied.changes, explicit.changes)
    # against the design directly: share answering 4-5 minus share answering 1-2, wave by wave
    svy = SurveyDesign(survey, weights="w", strata="stratum")
    direct = svy.net_satisfaction("clear", 4, 2, by="wave").to_frame()
    np.testing.assert_allclose(implied.rows["estimate"], direct["estimate"], rtol=1e-12)
    np.testing.assert_allclose(implied.rows["se"], direct["se"], rtol=1e-12)
    spec = {"file": "survey.csv", "wave": "wave", "questions": [dict(schema)]}
    assert check_feedback_spec(spec) == [] and spec["questions"][0]["dissatisfied"] == 2  # the report labels read it


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"wave": ["wave"]}, "feedback.wave: must be one column name (got ['wave'])"),
        ({"wave": 3}, "feedback.wave: must be one column name (got 3)"),
        ({"group": ["site"]}, "feedback.group: must be one column name (got ['site'])"),
        ({"file": 3}, "feedback.file: must be a file name (got 3)"),
        ({"design": {"fpc": 0.1}}, "feedback.design.fpc: must be one column name or null (got 0.1)"),
        ({"design": {"strata": ["a", "b"]}}, "feedback.design.strata: must be one column name or null"),
        ({"design": {"nest": "yes"}}, "feedback.design.nest: must be true or false (got 'yes')"),
        ({"design": {"lonely_psu": "skip"}}, "feedback.design.lonely_psu: must be one of error, certainty, adjust, remove"),
        ({"comments": {"column": ["c"]}}, "feedback.comments.column: must be one column name (got ['c'])"),
        ({"questions": [{"column": ["sat"]}]}, "feedback.questions[0].column: must be one column name (got ['sat'])"),
        ({"questions": "sat"}, "feedback.questions: must be a non-empty list of questions"),
    ],
)
def test_check_feedback_spec_types(change, problem):
    spec = {"file": "survey.csv", "wave": "wave", "questions": [_question()], **change}
    problems = check_feedback_spec(spec)
    assert any(p.startswith(problem) for p in problems), problems


def test_plot_and_series_name_what_exists(survey):
    summary = _summary(survey, group="site")
    with pytest.raises(ConfigError, match=r"feedback has no question 'zz'; questions: 'sat'"):
        summary.plot("zz")
    with pytest.raises(ConfigError, match=r"feedback has no statistic 'zz' for question 'sat'"):
        summary.plot("sat", "zz")
    with pytest.raises(ConfigError, match=r"feedback has no question 'zz'"):
        summary.series("zz", "mean")
    with pytest.raises(ConfigError, match=r"feedback has no group 'c' for question 'sat'; groups: 'a', 'b'"):
        summary.series("sat", "mean", group="c")
    assert summary.plot("sat", "top_box").get_title().startswith("sat")


@pytest.mark.parametrize("texts", [None, 5, 2.5])
def test_comments_that_are_not_a_collection(texts):
    with pytest.raises(DataError, match=r"texts must be a list or Series of comments \(got (NoneType|int|float)\); pass"):
        analyse_comments(texts)
    with pytest.raises(DataError, match=r"texts must be a list or Series of comments"):
        mask_comments(texts)


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2, 12), st.floats(allow_nan=True), st.text(max_size=3),
                 st.sampled_from(["sat", "wave", "site", "w", "stratum"]), st.lists(st.sampled_from(["sat", 1]), max_size=2))


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["column", "label", "scale", "statistics", "threshold", "dissatisfied", "level",
                            "wave", "group", "weights", "strata", "psu", "fpc", "min_cell_size"]), value=JUNK)
def test_any_setting_gives_a_summary_or_an_impact_error(survey, key, value):
    question = _question(statistics=["mean", "top_box", "net_satisfaction"], dissatisfied=3)
    kwargs = {}
    if key in ("column", "label", "scale", "statistics", "threshold", "dissatisfied", "level"):
        question[key] = value
    else:
        kwargs[key] = value
    try:
        summary = _summary(survey, questions=[question], **kwargs)
    except ImpactError:
        return
    shown = summary.rows[~summary.rows["masked"]]
    assert np.isfinite(shown[["estimate", "se"]].to_numpy(dtype=float)).all()
