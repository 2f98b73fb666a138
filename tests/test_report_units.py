"""Report building blocks: initiative validation, number formats, small-cell masking, verdicts."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from impact.errors import ConfigError
from impact.report import load_initiative, validate_initiative
from impact.report.i18n import fmt_money, fmt_number, fmt_pct
from impact.report.sections import header, verdict
from impact.report.suppress import masked_group_means

ROOT = Path(__file__).resolve().parents[1]
HOUSING = ROOT / "data" / "initiatives" / "housing-digital"


def _config():
    return yaml.safe_load((HOUSING / "initiative.yaml").read_text())


def test_example_initiative_is_valid():
    ini = load_initiative(HOUSING, check_data=True)
    assert ini.id == "housing-digital" and ini.min_cell_size == 11


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda c: c["design"].update(estimator="twfee"), "design.estimator: unknown estimator 'twfee'; did you mean 'twfe'?"),
        (lambda c: c["data"].pop("outcome"), "data.outcome: required key is missing"),
        (lambda c: c.update(langage="fr"), "langage: unknown key; did you mean 'language'?"),
        (lambda c: c["cost_benefit"].update(rate=-0.02, schedule=None), "cost_benefit.rate: must be a number in [0, 1)"),
        (lambda c: c["cost_benefit"]["costs"]["operation"].update({2: "lots"}), "cost_benefit.costs.operation.2: amount 'lots'"),
        (lambda c: c["design"].update(alpha=2), "design.alpha: must be strictly between 0 and 1"),
        (lambda c: c.update(id="Bad Id"), "id: 'Bad Id' must be lowercase"),
    ],
)
def test_validation_names_the_location(change, where):
    config = _config()
    change(config)
    problems = validate_initiative(config, check_data=False)
    assert any(where in p for p in problems), problems


def test_validation_lists_every_problem_and_checks_data(tmp_path):
    folder = tmp_path / "x"
    shutil.copytree(HOUSING, folder)
    config = _config()
    config["design"]["estimator"] = "nope"
    config["data"].pop("unit")
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError) as info:
        load_initiative(folder)
    assert "design.estimator" in str(info.value) and "data.unit" in str(info.value)
    config = _config()
    config["data"]["outcome"] = "delai"
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match="outcome column 'delai' not found"):
        load_initiative(folder, check_data=True)


def test_french_number_formats():
    assert fmt_number(1234.5, "fr") == "1\u202f234,5"
    assert fmt_number(1234.5, "en") == "1,234.5"
    assert fmt_number(-2.25, "fr", 2) == "−2,25"
    assert fmt_pct(0.125, "fr", 1) == "12,5\u00a0%"
    assert fmt_money(2_500_000, "fr") == "2,5\u00a0M\u00a0€"
    assert fmt_money(-108_291, "en") == "−€108,291"
    assert fmt_money(-1_802_871, "fr") == "−1,8\u00a0M\u00a0€"
    assert fmt_number(float("nan"), "fr") == "–"


def test_small_cells_are_masked():
    df = pd.DataFrame({"g": ["a"] * 12 + ["b"] * 3, "t": 1, "u": range(15), "y": np.arange(15.0)})
    out, n = masked_group_means(df, "y", ["g", "t"], 11, unit="u")
    assert n == 1
    assert np.isnan(out.loc[out.g == "b", "y"]).all() and out.loc[out.g == "a", "y"].item() == pytest.approx(5.5)
    # people behind each row count too: 3 rows of 20 respondents each are publishable
    out, n = masked_group_means(df.assign(k=20), "y", ["g", "t"], 11, unit="u", count="k")
    assert n == 0


def _result(est, lo, hi):
    return SimpleNamespace(estimate=est, ci_low=lo, ci_high=hi, method="TWFE", se=1.0)


def test_verdict_never_overstates():
    ini = load_initiative(HOUSING)
    text = verdict(ini, _result(-2.0, -5.0, 1.0), "en")
    assert "includes zero" in text and "statistically clear" not in text
    text = verdict(ini, _result(-20.0, -25.0, -15.0), "en", pretrend_p=0.01)
    assert "statistically clear" in text and "trends before adoption differed" in text
    text = verdict(ini, _result(3.0, 1.0, 5.0), "fr")
    assert "encontre du sens recherché" in text


def test_initiative_text_is_escaped():
    ini = load_initiative(HOUSING)
    ini.config["title"] = "<script>alert(1)</script> & co"
    page = header(ini, "en")
    assert "<script>" not in page and "&lt;script&gt;" in page
