"""`impact validate`: every problem at once, configuration and data together, and what `run` would refuse.

Each case copies an example initiative, breaks one or several things and checks that the output names each
problem with its location. These use the small example data sets (a few seconds in all).
"""

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from impact.cli import main as cli
from impact.report.initiative import validate_folder

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "initiatives"


def _copy(example: str, dest: Path, change=None, data=None) -> Path:
    shutil.copytree(EXAMPLES / example, dest, ignore=shutil.ignore_patterns("make_data.py", "truth.json"))
    config = yaml.safe_load((dest / "initiative.yaml").read_text())
    if change:
        change(config)
    (dest / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    if data:
        frame = pd.read_csv(dest / "data.csv")
        data(frame)
        frame.to_csv(dest / "data.csv", index=False)
    return dest


def _problems(folder: Path) -> list[str]:
    problems, _ = validate_folder(folder)
    return problems


def test_examples_are_valid():
    for folder in sorted(EXAMPLES.iterdir()):
        if (folder / "initiative.yaml").is_file():
            assert _problems(folder) == [], folder


def test_configuration_and_data_problems_are_listed_together(tmp_path):
    def change(c):
        c["design"]["estimator"] = "twfee"
        c["data"]["cohort"] = "adoption"  # not a column
        c["data"]["count"] = "apps"  # not a column either

    problems = _problems(_copy("housing-digital", tmp_path / "x", change))
    # before: the data were not read while a configuration problem remained
    assert any(p.startswith("design.estimator: unknown estimator 'twfee'") for p in problems), problems
    assert any(p.startswith("data.cohort (data.csv): cohort column 'adoption' not found") for p in problems), problems
    assert any(p.startswith("data.count (data.csv): count column 'apps' not found") for p in problems), problems


def test_unreadable_data_is_a_problem_beside_the_configuration_ones(tmp_path):
    folder = _copy("housing-digital", tmp_path / "x", lambda c: c.update(langage="fr"))
    (folder / "data.csv").write_bytes(b"\x00\x01binary\x00")
    problems = _problems(folder)
    assert any("langage" in p for p in problems) and any(p.startswith("data (data.csv)") for p in problems), problems


def test_cost_signs(tmp_path):
    def change(c):
        c["cost_benefit"]["costs"]["training"] = {0: -200000}

    problems = _problems(_copy("housing-digital", tmp_path / "x", change))
    assert problems == ["cost_benefit.costs.training: holds only negative amounts; enter costs as positive amounts "
                        "(savings belong among the benefits)"]


def test_never_treated_group_required_by_control_never(tmp_path):
    def every_unit_treated(frame):
        frame.loc[frame.reform_month == 0, "reform_month"] = 31

    problems = _problems(_copy("rsa-first-appointment", tmp_path / "x", data=every_unit_treated))
    assert len(problems) == 1, problems
    assert problems[0].startswith("data (data.csv): no untreated unit") and "'reform_month'" in problems[0]


def test_cohorts_outside_the_data(tmp_path):
    def between(frame):  # a cohort between two months
        frame["reform_month"] = frame["reform_month"].astype(float)
        frame.loc[frame.departement == "dep-01", "reform_month"] = 19.5

    problems = _problems(_copy("rsa-first-appointment", tmp_path / "x", data=between))
    assert len(problems) == 1 and "'reform_month'" in problems[0] and "19.5" in problems[0], problems

    def after(frame):  # every cohort after the last month
        frame["reform_month"] = 99

    problems = _problems(_copy("rsa-first-appointment", tmp_path / "y", data=after))
    assert len(problems) == 1 and "'reform_month'" in problems[0], problems


def test_always_treated_cohort_is_a_note(tmp_path):
    def early(frame):
        frame.loc[frame.departement == "dep-01", "reform_month"] = 1

    problems, notes = validate_folder(_copy("rsa-first-appointment", tmp_path / "x", data=early))
    assert problems == []
    assert any("already treated in the first period" in n for n in notes), notes


def test_synthetic_control_needs_its_treated_unit_in_the_data(tmp_path):
    folder = _copy("seniors-access-pilot", tmp_path / "x", lambda c: c["design"].update(treated_unit="Villebrun"))
    problems = _problems(folder)
    assert len(problems) == 1 and problems[0].startswith("design.estimator (synthetic_control) on data.csv:"), problems
    assert "Villebrun" in problems[0]


def test_synthetic_control_needs_treated_unit_and_start(tmp_path):
    folder = _copy("seniors-access-pilot", tmp_path / "x", lambda c: c["design"].pop("treated_unit"))
    assert "design.treated_unit / design.start: synthetic_control needs both" in _problems(folder)


def test_yaml_errors_and_missing_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "initiative.yaml").write_text("id: [unclosed\n")
    assert _problems(tmp_path / "a")[0].startswith("initiative.yaml: not valid YAML")
    folder = _copy("housing-digital", tmp_path / "b", lambda c: c["data"].update(file="missing.csv"))
    assert any(p.startswith("data (missing.csv):") for p in _problems(folder))


def test_cli_lists_every_problem_with_its_location(tmp_path, capsys):
    def change(c):
        c["design"]["alpha"] = 2
        c["data"]["outcome"] = "delai"
        c["cost_benefit"]["costs"]["training"] = {0: -1}

    folder = _copy("housing-digital", tmp_path / "x", change)
    good = _copy("housing-digital", tmp_path / "y")
    assert cli(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"invalid {folder} (3 problems)"
    assert sorted(line.split(":")[0] for line in out[1:4]) == [
        "  - cost_benefit.costs.training", "  - data.outcome (data.csv)", "  - design.alpha"]
    assert out[4] == f"ok      {good}"


def test_an_option_the_estimator_does_not_take(tmp_path):
    folder = _copy("rsa-first-appointment", tmp_path / "x", lambda c: c["design"]["options"].update(controll="never"))
    problems = _problems(folder)
    assert len(problems) == 1 and problems[0].startswith("design.estimator (callaway_santanna) on data.csv:")
    assert "controll" in problems[0] and "did you mean control" in problems[0]


def test_a_wrong_path_does_not_hide_the_other_folders(tmp_path, capsys):
    assert cli(["validate", str(tmp_path / "nope"), str(EXAMPLES / "housing-digital")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"invalid {tmp_path / 'nope'}" and "neither an initiative folder" in out[1]
    assert out[2] == f"ok      {EXAMPLES / 'housing-digital'}"
