"""The example portfolio in data/initiatives/: reproducible data, and a headline that recovers the truth.

Each example folder holds a seeded ``make_data.py`` whose docstring documents
the simulated effects and which writes ``data.csv`` and ``truth.json``
(``att`` is the estimand of the initiative's headline estimator, computed
from the simulated effects). These tests check that regenerating the data
gives the committed file byte for byte, and that the headline estimator, run
exactly as the report runs it (``impact.report.estimate``), gives a 95 %
interval that contains the true effect and excludes zero.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from impact.report import load_initiative
from impact.report.estimate import prepare, run_estimator

ROOT = Path(__file__).resolve().parents[1] / "data" / "initiatives"
EXAMPLES = ["housing-digital", "rsa-first-appointment", "co-created-service", "seniors-access-pilot"]


def _truth(example: str) -> dict:
    return json.loads((ROOT / example / "truth.json").read_text())


def _true_att(truth: dict) -> float:
    return float(truth["att"])


def _load_generator(example: str):
    path = ROOT / example / "make_data.py"
    spec = importlib.util.spec_from_file_location(f"make_data_{example.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fit(example: str, estimator: str | None = None):
    ini = load_initiative(ROOT / example)
    data = prepare(ini, ini.read_data())
    return ini, data, run_estimator(ini, data, estimator)


@pytest.mark.parametrize("example", EXAMPLES)
def test_regenerated_data_are_byte_identical(example, tmp_path):
    _load_generator(example).main(tmp_path)
    committed = ROOT / example
    assert (tmp_path / "data.csv").read_bytes() == (committed / "data.csv").read_bytes()
    if (committed / "survey.csv").exists():
        assert (tmp_path / "survey.csv").read_bytes() == (committed / "survey.csv").read_bytes()
    assert json.loads((tmp_path / "truth.json").read_text()) == _truth(example)
    # Reports must stay quick: the examples are small on purpose.
    assert (committed / "data.csv").stat().st_size < 1_000_000


@pytest.mark.parametrize("example", EXAMPLES)
def test_headline_interval_contains_the_true_effect(example):
    ini, _, res = _fit(example)
    att = _true_att(_truth(example))
    assert res.ci_low <= att <= res.ci_high, (res.estimate, res.ci_low, res.ci_high, att)
    # The examples are built so that the effect is detectable: the interval excludes zero,
    # on the side the initiative calls an improvement.
    good_sign = -1 if ini.design.get("better", "lower") == "lower" else 1
    assert good_sign * res.ci_low > 0 and good_sign * res.ci_high > 0


def test_rsa_effects_heterogeneous_enough_to_bias_twfe():
    # The documented point of the RSA example: effects differ by wave and grow with time since
    # adoption, so TWFE (which uses earlier adopters as controls) misses the truth that CS recovers.
    truth = _truth("rsa-first-appointment")
    cohorts = np.array(list(truth["att_by_cohort"].values()))
    assert np.ptp(cohorts) > 10  # days between the waves' average effects
    _, _, twfe = _fit("rsa-first-appointment", "twfe")
    assert not (twfe.ci_low <= truth["att"] <= twfe.ci_high)
    assert twfe.estimate > truth["att"]  # attenuated towards zero (effects are negative)


def test_rsa_truth_matches_the_documented_design():
    truth = _truth("rsa-first-appointment")
    data = pd.read_csv(ROOT / "rsa-first-appointment" / "data.csv")
    by_dep = data.groupby("departement")["reform_month"].first()
    assert by_dep.size == 96 and (by_dep == 0).sum() == truth["n_never_treated"]
    assert sorted(by_dep[by_dep > 0].unique()) == [7, 13, 19, 25]
    pre = data.loc[data["month"] < 7, "delay_days"].mean()
    assert 80 < pre < 100  # about three months before the reform
    # The ramp: 25 %, 50 %, 75 % of the full effect in the first three months.
    e = {int(k): v for k, v in truth["effect_by_event_time"].items()}
    np.testing.assert_allclose([e[0] / e[3], e[1] / e[3], e[2] / e[3]], [0.25, 0.5, 0.75], rtol=1e-12)


def test_co_created_small_cells_are_masked():
    from impact.report.suppress import masked_group_means

    truth = _truth("co-created-service")
    data = pd.read_csv(ROOT / "co-created-service" / "data.csv")
    assert data.groupby(["service", "wave"]).size().min() < 11
    means, n_masked = masked_group_means(data, "satisfaction", ["service", "wave"], 11, count="respondents")
    assert n_masked == truth["n_cells_below_11"] > 0
    assert means.loc[means["n"] < 11, "satisfaction"].isna().all()
    assert means.loc[means["n"] >= 11, "satisfaction"].notna().all()
    # Repeated cross-sections: every respondent appears once.
    assert data["respondent_id"].is_unique and len(data) == truth["n_respondents"]


def test_co_created_two_by_two_recovers_the_respondent_effect():
    # One adoption date, so the 2x2 (redesigned vs other services, waves 5-8 vs 1-4) targets the
    # mean effect over the redesigned services' respondents after the redesign.
    _, _, res = _fit("co-created-service", "two_by_two")
    att = _truth("co-created-service")["respondent_att"]
    assert res.ci_low <= att <= res.ci_high, (res.estimate, res.ci_low, res.ci_high, att)


def test_seniors_synthetic_did_also_recovers_the_effect():
    _, _, res = _fit("seniors-access-pilot", "synthetic_did")
    att = _true_att(_truth("seniors-access-pilot"))
    assert res.ci_low <= att <= res.ci_high, (res.estimate, res.ci_low, res.ci_high, att)


@pytest.mark.parametrize("example", EXAMPLES)
def test_a_good_effect_is_a_positive_benefit(example):
    from impact.report.sections import build_appraisal

    ini = load_initiative(ROOT / example)
    if not ini.cost_benefit:
        pytest.skip("no cost-benefit section")
    effect = SimpleNamespace(estimate=_true_att(_truth(example)), se=0.0)
    appraisal = build_appraisal(ini, effect)
    assert appraisal.pv_benefits > 0 and appraisal.pv_costs > 0


# --------------------------------------------------------------------------- evaluation sections (issue 12)


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_has_valid_indicators(example):
    from impact.report.evaluation import compute_feedback, compute_indicators

    ini = load_initiative(ROOT / example, check_data=True)
    assert ini.config.get("indicators"), "every example initiative declares indicators"
    data = prepare(ini, ini.read_data())
    feedback = compute_feedback(ini) if ini.config.get("feedback") else None
    results = compute_indicators(ini, data, feedback)
    assert {r.status for r in results} <= {"met", "on_track", "behind", "worse"}


def test_housing_and_rsa_have_a_case_study():
    for example in ("housing-digital", "rsa-first-appointment"):
        case = load_initiative(ROOT / example).config["case_study"]
        assert all(case.get(k) for k in ("context", "what_was_done", "results", "lessons", "quotes"))


@pytest.fixture(scope="module")
def barometer():
    from impact.report.evaluation import compute_feedback

    ini = load_initiative(ROOT / "co-created-service")
    return ini, compute_feedback(ini), _truth("co-created-service")["survey"]


def test_barometer_survey_recovers_the_documented_population_values(barometer):
    # Seeded simulation with known truth: every wave's 95 % interval (5 statistics x 8 waves) and every
    # first-to-last change contains the population value computed exactly from the latent model.
    _, fb, truth = barometer
    overall = fb.rows[fb.rows["group"].isna()]
    assert len(overall) == 40 and not overall["masked"].any()
    for r in overall.itertuples():
        value = truth["by_wave"][f"{r.question}.{r.statistic}"][r.wave]
        assert r.ci_low <= value <= r.ci_high, (r.question, r.statistic, r.wave, r.ci_low, value, r.ci_high)
    changes = fb.changes[fb.changes["group"].isna()]
    for r in changes.itertuples():
        value = truth["change_first_to_last"][f"{r.question}.{r.statistic}"]
        assert r.ci_low <= value <= r.ci_high and r.ci_low > 0  # co-design raised every statistic
    # The tiny outreach services are masked by service, as the documented small strata say.
    masked = fb.rows[fb.rows["masked"]]
    assert len(masked) and (masked["n"] < 11).all() and masked["estimate"].isna().all()
    per_cell = 5  # statistics per service-wave cell
    assert len(masked) == per_cell * truth["n_strata_below_11"]


def test_barometer_weights_matter(barometer):
    # The design weights undo the equal allocation across services of unequal size.
    _, fb, _ = barometer
    data = pd.read_csv(ROOT / "co-created-service" / "survey.csv")
    last = data[data["wave"] == "2024-11"]
    weighted = np.average(last["satisfaction"] >= 8, weights=last["weight"])
    row = fb.rows[(fb.rows["group"].isna()) & (fb.rows["statistic"] == "top_box")
                  & (fb.rows["question"] == "satisfaction") & (fb.rows["wave"] == "2024-11")].iloc[0]
    assert row.estimate == pytest.approx(weighted, rel=1e-12)


def test_barometer_comment_themes_match_the_planted_ones(barometer):
    from impact.report.evaluation import compute_comments

    ini, _, truth = barometer
    comments = compute_comments(ini)
    counts = comments.themes.set_index("theme")["count"]
    for theme, planted in truth["planted_theme_comments"].items():
        assert counts[theme] == planted, theme
    assert comments.n_comments == truth["n_comments"]
    planted = truth["planted_personal_data"]
    assert {kind: comments.n_masked[kind] for kind in planted} == {kind: 3 for kind in planted}


@pytest.mark.slow
def test_no_personal_data_reaches_any_output_file(tmp_path):
    """Run the barometer's report with planted personal data in comments and case-study quotes; grep every output."""
    import shutil

    import yaml

    from impact.cli import main as cli

    planted = [v for values in _truth("co-created-service")["survey"]["planted_personal_data"].values()
               for v in values]
    folder = tmp_path / "co-created-service"
    shutil.copytree(ROOT / "co-created-service", folder, ignore=shutil.ignore_patterns("make_data.py", "truth.json"))
    config = yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8"))
    # One report covers both paths: every planted item also goes into a case-study quote and the lessons.
    config["case_study"] = {"what_was_done": "Ateliers de co-conception.", "lessons": [planted[0]],
                            "quotes": [f"« Contactez-moi : {p} »" for p in planted]}
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    fragments = set(planted)
    for p in planted:
        fragments |= {p.replace(" ", ""), p.replace(" ", "\u00a0")}
        if "@" in p:
            fragments.add(p.split("@")[0])  # a half-masked address must not survive either
        digits = "".join(c for c in p if c.isdigit())
        if len(digits) >= 8:
            fragments.add(digits)
    out = tmp_path / "reports"
    code = cli(["run", str(folder), "--out", str(out), "--jobs", "1", "--quiet", "--lang", "fr"])
    summary = json.loads((out / "co-created-service" / "summary.json").read_text(encoding="utf-8"))
    assert code == 0 and summary["status"] == "ok", summary.get("error")
    assert summary["indicators"] and {r["masked"] for r in summary["feedback"]} == {True, False}
    page = (out / "co-created-service" / "report.html").read_text(encoding="utf-8")
    assert "[courriel]" in page and "[IBAN]" in page and "Enseignements" in page
    files = [f for f in out.rglob("*") if f.is_file()]
    assert len(files) >= 4
    for f in files:
        text = f.read_bytes().decode("utf-8", errors="ignore")
        for form in (text, json.dumps(text)):  # escaped forms inside notebooks and JSON too
            leaked = [fragment for fragment in fragments if fragment in form]
            assert not leaked, (f.name, leaked)
