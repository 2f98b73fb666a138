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
