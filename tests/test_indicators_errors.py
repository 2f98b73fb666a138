"""Wrong types anywhere in an indicator's configuration give an ImpactError that names the setting, never a raw one.

``check_indicator_spec`` (``impact validate``) must list a problem without raising;
what it lets through must compute or fail with a ConfigError/DataError.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from impact.errors import ConfigError, DataError, ImpactError
from impact.indicators import check_indicator_spec, indicator, series_from_data
from impact.report.evaluation import check_evaluation, compute_indicators

FRAME = pd.DataFrame({"m": np.tile(["2023-01", "2023-02", "2023-03"], 4), "y": np.arange(12.0),
                      "_treated_group": np.repeat([0, 1], 6), "w": 1.0})
BASE = {"id": "x", "label": "X", "unit": "days", "direction": "lower", "source": "register",
        "baseline": {"value": 10, "date": "2023-01"}, "target": {"value": 2, "date": "2024-01"}}
SOURCES = {
    "values": {"values": [{"date": "2023-02", "value": 8}]},
    "from_data": {"from_data": {"column": "y", "statistic": "mean", "units": "treated", "dates": "m", "weight": "w"}},
    "from_survey": {"from_survey": {"question": "q", "statistic": "mean"}},
}
JUNK = [None, 3, -1.5, "x", "", [], [1, 2], {}, {"a": 1}, True, float("nan"), ["y"], {"date": "2023-02", "value": 3}]
COMMON = [("id",), ("label",), ("unit",), ("direction",), ("source",), ("baseline",), ("baseline", "value"),
          ("baseline", "date"), ("target",), ("target", "value"), ("target", "date")]
PATHS = {
    "values": [("values",), ("values", 0), ("values", 0, "date"), ("values", 0, "value")],
    "from_data": [("from_data",)] + [("from_data", k) for k in ("column", "statistic", "units", "dates", "weight")],
    "from_survey": [("from_survey",), ("from_survey", "question"), ("from_survey", "statistic")],
}


class _Feedback:
    alpha = 0.05

    def series(self, question, statistic):
        return pd.DataFrame({"date": ["2023-02"], "value": [5.0], "se": [1.0], "ci_low": [3.0], "ci_high": [7.0],
                             "n": [100]})


def _spec(source: str, path: tuple, value):
    spec = copy.deepcopy({**BASE, **SOURCES[source]})
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return spec


CASES = [(s, p) for s in SOURCES for p in COMMON + PATHS[s]]


@pytest.mark.parametrize("source,path", CASES, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else v)
def test_any_wrong_type_is_a_listed_problem_or_an_impact_error(source, path):
    ini = SimpleNamespace(data_spec={"time": "m", "unit": "u"}, design={}, min_cell_size=11)
    for junk in JUNK:
        spec = _spec(source, path, junk)
        problems = check_indicator_spec(spec, "indicators[0]", {"q": ["mean"]})
        # The duplicate-id check of the whole section sees a junk id too.
        twice = check_evaluation({"indicators": [spec, spec]}, None, False) if path == ("id",) else []
        assert all(isinstance(p, str) and p.startswith("indicators[") for p in problems + twice), problems
        if problems:
            # The first problem names the place of the junk (or, for a junk id, the id itself).
            assert any(f".{path[0]}" in p or "exactly one of" in p or p.startswith("indicators[0]:")
                       for p in problems), (path, junk, problems)
            continue
        ini.config = {"indicators": [spec]}
        try:
            compute_indicators(ini, FRAME, _Feedback())
        except ImpactError:
            pass


def test_values_given_as_a_mapping_or_text():
    kw = dict(direction="lower", baseline=5, baseline_date="2022", target=1, target_date="2025")
    for values in ({"date": "2023", "value": 3}, "2023: 3", 5):
        with pytest.raises(ConfigError, match=r"values must be a list of measurements.*values: \[\{date"):
            indicator("x", values=values, **kw)
    with pytest.raises(ConfigError, match="values must be numbers \\(got 'sixty' dated '2023'\\)"):
        indicator("x", values=[{"date": "2023", "value": "sixty"}], **kw)
    with pytest.raises(ConfigError, match="got True"):
        indicator("x", values=[{"date": "2023", "value": True}], **kw)
    with pytest.raises(ConfigError, match="indicators.x.label must be text"):
        indicator("x", label=["a"], values=[{"date": "2023", "value": 3}], **kw)
    with pytest.raises(ConfigError, match="cannot read None as a date"):
        indicator("x", values=[{"date": None, "value": 3}], **kw)
    problems = check_indicator_spec({**BASE, "values": {"date": "2023-02", "value": 3}}, "indicators[0]")
    assert problems == ["indicators[0].values: must be a non-empty list of {date: ..., value: ...} (got {'date': "
                        "'2023-02', 'value': 3}); write values: [{date: 2023-06, value: 61}, {date: 2024-06, value: 31}]"]
    assert "indicators[0].values[0].value: must be a number" in check_indicator_spec(
        {**BASE, "values": [{"date": "2023-02", "value": "sixty"}]}, "indicators[0]")[0]


def test_mask_of_the_wrong_length_or_kind():
    with pytest.raises(ConfigError, match=r"one True/False per row of the data \(12 rows; got 5 values\)"):
        series_from_data(FRAME, "y", time="m", mask=np.ones(5, bool))
    with pytest.raises(ConfigError, match="only True/False"):
        series_from_data(FRAME, "y", time="m", mask=[np.nan] * 12)
    as_ints = series_from_data(FRAME, "y", time="m", mask=FRAME["_treated_group"].to_numpy())
    as_bools = series_from_data(FRAME, "y", time="m", mask=FRAME["_treated_group"] == 1)
    pd.testing.assert_frame_equal(as_ints, as_bools)
    with pytest.raises(ConfigError, match="column must be one column name"):
        series_from_data(FRAME, ["y"], time="m")


def test_survey_question_given_as_a_list():
    spec = {**BASE, "from_survey": {"question": ["q"], "statistic": "mean"}}
    assert check_indicator_spec(spec, "indicators[0]", {"q": ["mean"]}) == [
        "indicators[0].from_survey.question: must be the column of one feedback question (e.g. question: "
        "satisfaction) (got ['q'])"]
    spec = {**BASE, "from_data": {"column": ["y", "z"]}}
    assert check_indicator_spec(spec, "indicators[0]") == [
        "indicators[0].from_data.column: must be the name of one column (got ['y', 'z']); give one indicator per "
        "column"]


def test_weight_with_another_statistic_is_listed():
    spec = {**BASE, "from_data": {"column": "y", "statistic": "median", "weight": "w"}}
    assert "from_data.weight: applies to statistic: mean only" in check_indicator_spec(spec, "indicators[0]")[0]
    with pytest.raises(ConfigError, match="weight applies to statistic='mean' only"):
        series_from_data(FRAME, "y", time="m", statistic="median", weight="w")
    with pytest.raises(DataError, match="'z' not found"):
        series_from_data(FRAME, "y", time="m", weight="z")


def test_a_failing_indicator_is_named_in_the_report():
    ini = SimpleNamespace(data_spec={"time": "m", "unit": "u"}, design={}, min_cell_size=11, config={"indicators": [
        {**BASE, "from_data": {"column": "yy", "units": "treated"}}]})
    with pytest.raises(DataError, match=r"^indicators.x \(from_data\): indicator column 'yy' not found; did you "
                                        r"mean 'y'\?"):
        compute_indicators(ini, FRAME)
    ini.config = {"indicators": [{**BASE, "from_survey": {"question": "q", "statistic": "mean"}}]}
    with pytest.raises(ConfigError, match=r"^indicators.x \(from_survey\): computed from the survey, but there is "
                                          "no feedback section"):
        compute_indicators(ini, FRAME)
