"""Report and CLI review defects: one number helper, errors that name their culprit, the error page's words
in the catalogue, batch arguments refused as ConfigErrors (no notebook is run here)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from impact.errors import ConfigError
from impact.report.estimate import prepare, run_all, run_estimator
from impact.report.initiative import ESTIMATORS, Initiative, load_initiative

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "initiatives"


# --------------------------------------------------------------------------- one "finite float or None" helper


@pytest.mark.parametrize("value, expected", [
    (1, 1.0), (-2.5, -2.5), (np.float64(3.0), 3.0), ("4.5", 4.5), (None, None), (float("nan"), None),
    (float("inf"), None), ("n/a", None), ([1], None), (10**400, None), (True, None),
])
def test_finite_gives_a_float_or_none_and_never_raises(value, expected):
    from impact.report.sanitize import finite

    assert finite(value) == expected


def test_batch_index_sections_and_glance_share_the_one_helper():
    from impact.report import batch, glance, index, sections
    from impact.report.sanitize import finite

    assert batch.finite is index.finite is sections.finite is glance.finite is finite
    for module, old in ((batch, "_number"), (index, "_num"), (sections, "_num"), (glance, "_finite")):
        assert not hasattr(module, old), f"{module.__name__}.{old} is a copy of sanitize.finite"


def test_glance_leaves_out_a_card_whose_number_is_not_finite():
    from impact.report.glance import glance_cards

    class Result:
        estimate, ci_low, ci_high = -2.0, -3.0, -1.0

    class Appraisal:
        npv, bcr = float("nan"), 2.0

    ini = load_initiative(EXAMPLES / "housing-digital")
    labels = [c["label"] for c in glance_cards(ini, Result(), "en", appraisal=Appraisal())]
    assert len(labels) == 1  # the effect only: a NaN NPV gets no card


# --------------------------------------------------------------------------- estimators: ConfigError, no bug-hiding catch


def test_an_unknown_estimator_is_a_config_error_naming_it_and_the_valid_names():
    ini = load_initiative(EXAMPLES / "housing-digital")
    with pytest.raises(ConfigError, match=r"unknown estimator 'twfee'.*two_by_two, twfe, event_study"):
        run_estimator(ini, None, "twfee")


@pytest.mark.parametrize("estimator, setting", [
    ("event_study", "data.cohort"), ("callaway_santanna", "data.cohort"), ("sun_abraham", "data.cohort"),
    ("imputation", "data.cohort"), ("two_by_two", "data.treated and data.post"),
])
def test_an_estimator_the_columns_cannot_feed_names_the_missing_setting(estimator, setting):
    # The synthetic-control example has a 0/1 treatment column and no cohort.
    ini = load_initiative(EXAMPLES / "seniors-access-pilot")
    with pytest.raises(ConfigError, match=setting):
        run_estimator(ini, None, estimator)
    ini = load_initiative(EXAMPLES / "housing-digital")  # no treated unit, no start
    with pytest.raises(ConfigError, match=r"design.treated_unit and design.start are not set"):
        run_estimator(ini, None, "synthetic_control")


def test_robustness_catches_only_does_not_apply_errors(monkeypatch):
    import impact.report.estimate as estimate

    ini = load_initiative(EXAMPLES / "seniors-access-pilot")
    config = {**ini.config, "design": {**ini.design, "robustness": ["event_study", "twfe"]}}
    ini = Initiative(folder=ini.folder, config=config)
    data = estimate.prepare(ini)
    real = estimate.run_estimator

    def buggy(initiative, frame, name=None):
        if name == "twfe":
            raise AttributeError("'NoneType' object has no attribute 'dtype'")  # a bug, not "does not apply"
        return real(initiative, frame, name)

    monkeypatch.setattr(estimate, "run_estimator", buggy)
    with pytest.raises(AttributeError):
        run_all(ini, data)
    monkeypatch.setattr(estimate, "run_estimator", real)
    results = run_all(ini, data)
    assert isinstance(results["event_study"], ConfigError) and "data.cohort" in str(results["event_study"])
    assert math.isfinite(results["twfe"].estimate)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "initiative.yaml").is_file()))
def test_each_example_robustness_estimator_runs(example):
    ini = load_initiative(EXAMPLES / example)
    results = run_all(ini, prepare(ini))
    for name in ini.design.get("robustness") or []:
        assert not isinstance(results[name], Exception), f"{example}: {name}: {results[name]}"
        assert math.isfinite(results[name].estimate)
    assert set(results) <= set(ESTIMATORS)


# --------------------------------------------------------------------------- batch arguments


@pytest.mark.parametrize("option, value, named", [
    ("timeout", "x", r"timeout \(--timeout\)"), ("timeout", float("nan"), "timeout"), ("timeout", -1, "timeout"),
    ("timeout", True, "timeout"), ("jobs", "2", r"jobs \(--jobs\)"), ("jobs", 0, "jobs"), ("seed", "a", "seed"),
    ("seed", -1, "seed"), ("force", "yes", "force"), ("pdf", 1, "pdf"), ("progress", None, "progress"),
    ("scheduler", 3, "scheduler"), ("executor", "slurm", "executor"), ("lang", 3, "lang"),
    ("notebook", "nowhere.ipynb", r"notebook \(--notebook\)"), ("notebook", __file__, "existing .ipynb"),
])
def test_run_batch_refuses_a_bad_argument_before_running_anything(tmp_path, option, value, named):
    from impact.report.batch import run_batch

    with pytest.raises(ConfigError, match=named):
        run_batch([EXAMPLES / "housing-digital"], tmp_path / "out", **{option: value})
    assert not (tmp_path / "out").exists()


def test_run_batch_takes_one_path_alone_and_refuses_no_path(tmp_path):
    from impact.report.batch import run_batch

    with pytest.raises(ConfigError, match="neither an initiative folder"):
        run_batch(str(tmp_path / "nowhere"), tmp_path / "out")  # one path, not its characters
    with pytest.raises(ConfigError, match="at least one"):
        run_batch([], tmp_path / "out")
    with pytest.raises(ConfigError, match=r"out \(--out\)"):
        run_batch([EXAMPLES / "housing-digital"], None)


@pytest.mark.parametrize("argv, named", [
    (["--timeout", "nan"], "--timeout"), (["--timeout", "-5"], "--timeout"), (["--jobs", "0"], "--jobs"),
    (["--seed", "-1"], "--seed"),
])
def test_cli_run_says_which_option_is_wrong(tmp_path, capsys, argv, named):
    from impact.cli import main

    assert main(["run", str(EXAMPLES / "housing-digital"), "--out", str(tmp_path / "out"), *argv]) == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_output_folder_that_cannot_be_made_is_a_config_error(tmp_path, capsys):
    from impact.cli import main

    (tmp_path / "taken").write_text("a file, not a folder")
    assert main(["run", str(EXAMPLES / "housing-digital"), "--out", str(tmp_path / "taken")]) == 2
    assert "out (--out)" in capsys.readouterr().err
    assert main(["new", "pilot", "--dir", str(tmp_path / "taken")]) == 2
    assert "--dir" in capsys.readouterr().err


def test_cli_new_refuses_a_bad_id_with_a_config_error(tmp_path, capsys):
    from impact.cli import _new, build_parser, main

    assert main(["new", "Bad Id", "--dir", str(tmp_path)]) == 2
    assert "'Bad Id'" in capsys.readouterr().err
    with pytest.raises(ConfigError):
        _new(build_parser().parse_args(["new", "Bad Id", "--dir", str(tmp_path)]))


def test_check_lang_refuses_a_non_text_language():
    from impact.report.i18n import check_lang

    with pytest.raises(ConfigError, match=r"language code such as 'fr' \(got 3\)"):
        check_lang(3)


# --------------------------------------------------------------------------- the error page's words


def test_error_page_words_come_from_the_catalogue(tmp_path, monkeypatch):
    import impact.report.execute as execute
    import impact.report.export as export
    from impact.report.i18n import catalogue_path, labels

    assert not hasattr(execute, "_ERROR_TEXT")  # no English/French strings in Python
    record = {"id": "x", "title": "T", "step": "validate", "error": "boom", "data_file": "d.csv",
              "last_good": {"generated": "2026-01-02"}}
    fr = labels("fr")
    page = execute.error_page(record, "fr")
    from impact.formats import fmt_datetime

    assert fr["error_last_good"].format(when=fmt_datetime("2026-01-02", "fr")) in page.replace("&#39;", "'")
    assert fr["error_open"].replace("'", "&#39;") in page and fr["error_data_file"] in page
    assert labels("en")["error_no_last_good"] in execute.error_page({**record, "last_good": None}, "en")
    # A third language translates the error page with its .po alone.
    root = tmp_path / "templates"
    (root / "locale" / "de" / "LC_MESSAGES").mkdir(parents=True)
    (root / "locale" / "impact.pot").write_bytes(catalogue_path("en").read_bytes())
    (root / "locale" / "de" / "LC_MESSAGES" / "impact.po").write_text(
        'msgid ""\nmsgstr "Language: de\\n"\n\nmsgctxt "error_open"\nmsgid "open it"\nmsgstr "öffnen"\n',
        encoding="utf-8")
    shutil.copytree(Path(export.TEMPLATES) / "report", root / "report")
    monkeypatch.setattr(export, "TEMPLATES", root)
    assert "öffnen" in execute.error_page(record, "de")
