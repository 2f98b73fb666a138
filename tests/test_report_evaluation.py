"""Report sections for indicators, feedback and the case study; their yaml checks and summary.json fields (issue 12)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.indicators import indicator
from impact.report import load_initiative
from impact.report import evaluation as E
from impact.report.estimate import prepare
from impact.report.initiative import validate_initiative

ROOT = Path(__file__).resolve().parents[1] / "data" / "initiatives"
HOSTILE = "<script>alert('x')</script> délai & <b>attente</b>"
INDICATOR_FIELDS = {"id", "label", "unit", "direction", "baseline", "baseline_date", "target", "target_date",
                    "current", "current_date", "progress", "status"}


@pytest.fixture(scope="module")
def housing():
    ini = load_initiative(ROOT / "housing-digital")
    return ini, prepare(ini, ini.read_data())


def _config(name: str) -> dict:
    return copy.deepcopy(load_initiative(ROOT / name).config)


# --------------------------------------------------------------------------- validation


def test_examples_validate_with_the_new_sections():
    for name in ("housing-digital", "rsa-first-appointment", "co-created-service", "seniors-access-pilot"):
        assert validate_initiative(_config(name), ROOT / name, check_data=False) == []


def test_validation_lists_every_problem_with_its_place():
    config = _config("co-created-service")
    config["indicators"][0]["direction"] = "up"
    config["indicators"][1]["id"] = config["indicators"][0]["id"]
    config["indicators"][2]["from_survey"] = {"question": "waiting", "statistic": "mean"}
    config["feedback"]["questions"][0]["statistics"] = ["mean", "top_box", "median"]
    config["case_study"] = {"context": "x", "moral": "y", "lessons": [1, 2]}
    problems = "\n".join(validate_initiative(config, ROOT / "co-created-service", check_data=False))
    for needle in ("indicators[0].direction", "indicators[1].id: 'satisfied_users' is used twice",
                   "indicators[2]: give exactly one of", "unknown statistic 'median'", "case_study.moral",
                   "case_study.lessons"):
        assert needle in problems, needle


def test_survey_indicator_needs_its_statistic_among_the_questions():
    config = _config("co-created-service")
    config["feedback"]["questions"][0]["statistics"] = ["mean"]
    problems = validate_initiative(config, ROOT / "co-created-service", check_data=False)
    assert any("indicators[0].from_survey.statistic: 'top_box'" in p for p in problems)
    config.pop("feedback")
    problems = validate_initiative(config, ROOT / "co-created-service", check_data=False)
    assert any("needs a feedback section" in p for p in problems)


def test_missing_feedback_file_is_reported(tmp_path):
    config = _config("co-created-service")
    config["feedback"]["file"] = "nowhere.csv"
    problems = E.check_evaluation(config, ROOT / "co-created-service", check_data=True)
    assert problems == ["feedback.file: 'nowhere.csv' not found in " + repr(str(ROOT / "co-created-service"))]


# --------------------------------------------------------------------------- indicators from the data


def test_from_data_indicator_is_the_weighted_mean_of_the_treated_units(housing):
    ini, data = housing
    results = {r.id: r for r in E.compute_indicators(ini, data)}
    r = results["processing_time"]
    raw = pd.read_csv(ROOT / "housing-digital" / "data.csv")
    treated = raw[raw["adoption_month"] > 0]
    by_month = treated.groupby("month_label").apply(
        lambda g: np.average(g["processing_days"], weights=g["applications"]), include_groups=False)
    assert r.baseline == pytest.approx(by_month["2023-06"], rel=1e-12)  # baseline value read from the data
    assert r.current == pytest.approx(by_month["2023-12"], rel=1e-12) and r.current_date == "2023-12"
    assert r.progress == pytest.approx((by_month["2023-12"] - by_month["2023-06"]) / (15 - by_month["2023-06"]))
    assert r.status == "met" and r.progress > 1  # passed the 15-day target: unclamped
    assert results["staff_hours"].status == "worse" and results["appeals"].progress is None


def test_units_select_treated_control_or_all(housing):
    ini, data = housing
    spec = copy.deepcopy(ini.config["indicators"][0])
    spec["from_data"].pop("weight")
    raw = pd.read_csv(ROOT / "housing-digital" / "data.csv")
    for units, rows in (("control", raw["adoption_month"] == 0), ("all", slice(None))):
        spec["from_data"]["units"] = units
        config = dict(ini.config, indicators=[spec])
        other = type(ini)(folder=ini.folder, config=config)
        r = E.compute_indicators(other, data)[0]
        assert r.current == pytest.approx(raw[rows].groupby("month_label")["processing_days"].mean()["2023-12"])


def test_single_site_pilot_uses_the_treated_unit():
    ini = load_initiative(ROOT / "seniors-access-pilot")
    data = prepare(ini, ini.read_data())
    r = E.compute_indicators(ini, data)[0]
    raw = pd.read_csv(ROOT / "seniors-access-pilot" / "data.csv")
    town = raw[raw["city"] == "Villebrune"].set_index("month_label")["apa_applications_per_1000"]
    assert r.baseline == pytest.approx(town["2023-12"]) and r.current == pytest.approx(town["2024-12"])


# --------------------------------------------------------------------------- HTML and figures


def _ind(**kw):
    base = dict(direction="lower", baseline=92, baseline_date="2022-06", target=15, target_date="2024-12",
                values=[{"date": "2024-06", "value": 31}])
    return indicator("delay", **(base | kw))


def test_indicator_numbers_keep_the_precision_they_were_given(housing):
    ini, data = housing
    page = E.indicators_table(E.compute_indicators(ini, data), "en")
    assert "3.0 (2023-06)" in page and "3.2 (2023-12)" in page and "8.0 (2023-06)" in page and "15.0 (2024-06)" in page
    assert "38.9 (2023-06)" in page  # computed from the data: one decimal above 10


def test_indicator_table_escapes_and_clamps_the_bar():
    passed = _ind(label=HOSTILE, values=[{"date": "2024-06", "value": 5}])
    worse = _ind(label="Délai", values=[{"date": "2024-06", "value": 120}])
    page = E.indicators_table([passed, worse], "fr")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "width:100%" in page and "width:0%" in page  # bar clamped, figure unclamped
    assert "113" in page and "36" in page and "cible atteinte" in page and "en recul" in page
    assert "target met" in E.indicators_table([passed], "en")


def test_survey_interval_sentence_in_both_languages():
    values = pd.DataFrame({"date": ["2023-05", "2024-05"], "value": [0.40, 0.47], "se": 0.02,
                           "ci_low": [0.36, 0.43], "ci_high": [0.44, 0.51], "n": 900})
    r = indicator("sat", label="Satisfaits", unit="%", direction="higher", baseline=0.4, baseline_date="2023-01",
                  target=0.5, target_date="2025-01", values=values, method="from_survey")
    assert "includes the target (50.0%)" in E.indicators_notes([r], "en")
    assert "contient la cible (50,0" in E.indicators_notes([r], "fr")
    assert "[43,0 ; 51,0]" in E.indicators_table([r], "fr").replace("\u202f", " ")


def test_small_multiples_one_panel_per_indicator(housing):
    import matplotlib

    matplotlib.use("Agg")
    ini, data = housing
    results = E.compute_indicators(ini, data)
    fig = E.indicators_figure(results, "en")
    assert sum(ax.get_visible() for ax in fig.axes) == len(results) == 4
    assert "target met" in fig.axes[0].get_title()


def test_case_study_opening_and_closing_mask_personal_data():
    ini = load_initiative(ROOT / "rsa-first-appointment")
    for lang, placeholder, heading in (("en", "[phone]", "Lessons"), ("fr", "[téléphone]", "Enseignements")):
        opening = E.case_study_opening(ini, lang)
        closing = E.case_study_closing(ini, lang)
        assert "single orientation platform" in opening
        assert "06 12 34 56 78" not in closing and placeholder in closing and heading in closing
    housing = load_initiative(ROOT / "housing-digital")
    assert "claire.martin@exemple.fr" not in E.case_study_closing(housing, "fr")


def test_case_study_text_is_escaped_and_absent_without_one():
    ini = load_initiative(ROOT / "housing-digital")
    hostile = type(ini)(folder=ini.folder, config=dict(ini.config, case_study={
        "what_was_done": HOSTILE, "lessons": [HOSTILE], "quotes": HOSTILE}))
    for html in (E.case_study_opening(hostile, "en"), E.case_study_closing(hostile, "en")):
        assert "<script>" not in html and "&lt;b&gt;" in html
    plain = load_initiative(ROOT / "seniors-access-pilot")
    assert E.case_study_opening(plain, "en") == "" == E.case_study_closing(plain, "fr")


# --------------------------------------------------------------------------- feedback section and summary.json


@pytest.fixture(scope="module")
def barometer():
    ini = load_initiative(ROOT / "co-created-service")
    survey = E.read_feedback(ini)
    return ini, survey, E.compute_feedback(ini, survey)


def test_feedback_table_and_figure(barometer):
    import matplotlib

    matplotlib.use("Agg")
    ini, _, fb = barometer
    en, fr = E.feedback_table(fb, ini, "en"), E.feedback_table(fb, ini, "fr")
    assert "Change 2021-05 → 2024-11" in en and "Évolution 2021-05 → 2024-11" in fr
    assert en.index("Overall satisfaction") < en.index("Was the information clear")  # yaml order
    assert "share answering 8 or more" in en and "part répondant 8 ou plus" in fr
    assert "+11.5 pp [6.5, 16.4]" in en and "+0.52 [0.31, 0.72]" in en  # shares change in points
    assert "30 values based on fewer than 11" in en
    groups = E.feedback_groups_table(fb, ini, "fr")
    assert "Par service, vague 2024-11" in groups and groups.count("<tr>") == 1 + 24
    small = groups[groups.index("<td>svc-01</td>"):].split("</tr>")[0]
    assert small.count("<td>–</td>") == 5  # the small outreach service is masked in every column
    fig = E.feedback_figure(fb, ini, "en")
    assert sum(ax.get_visible() for ax in fig.axes) == 5


def test_summary_record_carries_indicators_and_feedback(barometer):
    from types import SimpleNamespace

    from impact.report.sections import summary_record

    ini, _, fb = barometer
    data = prepare(ini, ini.read_data())
    indicators = E.compute_indicators(ini, data, fb)
    result = SimpleNamespace(method="m", estimate=1.0, se=0.1, ci_low=0.8, ci_high=1.2, pvalue=0.01, n_obs=10)
    record = json.loads(json.dumps(summary_record(ini, result, indicators=indicators, feedback=fb)))
    survey_based = [r for r in record["indicators"] if r["id"] in ("satisfied_users", "clear_information")]
    assert all(set(r) == INDICATOR_FIELDS | {"ci_low", "ci_high"} for r in survey_based)
    assert set(record["indicators"][2]) == INDICATOR_FIELDS
    rows = record["feedback"]
    assert set(rows[0]) == {"question", "statistic", "wave", "group", "estimate", "se", "ci_low", "ci_high", "n",
                            "masked"}
    top = next(r for r in rows if r["question"] == "satisfaction" and r["statistic"] == "top_box"
               and r["wave"] == "2024-11" and r["group"] is None)
    assert survey_based[0]["current"] == top["estimate"] and survey_based[0]["ci_low"] == top["ci_low"]
    assert record["indicators"][0]["status"] == "on_track"
    change = next(r for r in record["feedback_changes"] if r["group"] is None and r["statistic"] == "top_box"
                  and r["question"] == "satisfaction")
    assert (change["from_wave"], change["to_wave"]) == ("2021-05", "2024-11") and change["ci_low"] > 0
    assert {r["masked"] for r in record["feedback_changes"]} == {True, False}
    plain = summary_record(ini, result)
    assert "indicators" not in plain and "feedback" not in plain


def test_survey_indicator_against_impact_survey_directly(barometer):
    from impact.survey import SurveyDesign

    ini, survey, fb = barometer
    r = E.compute_indicators(ini, prepare(ini, ini.read_data()), fb)[0]
    design = SurveyDesign(survey, weights="weight", strata="stratum", fpc="users")
    last = design.top_box("satisfaction", 8, where=(survey["wave"] == "2024-11").to_numpy())
    assert (r.current, r.ci_low, r.ci_high) == pytest.approx((last.estimate, last.ci_low, last.ci_high), rel=1e-12)
    assert r.target_in_interval is (last.ci_low <= 0.45 <= last.ci_high)


def test_comments_section_is_masked_and_escaped(barometer):
    ini, survey, _ = barometer
    hostile = survey.copy()
    hostile.loc[hostile.index[:12], "comment"] = HOSTILE + " écrivez à jean.dupont@example.fr"
    comments = E.compute_comments(ini, hostile)
    page = E.comments_html(comments, "fr")
    assert "<script>" not in page and "jean.dupont" not in page
    assert "Délais d&#x27;attente" in page and "adresses électroniques" in page
    english = E.comments_html(E.compute_comments(ini, survey, lang="en"), "en")
    assert "Waiting times" in english and "e-mail addresses" in english  # labels in the report's language
