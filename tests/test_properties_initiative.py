"""Property-based tests of the initiative schema: whatever a user writes, a list of problems or an initiative.

Hypothesis replaces any setting of a valid ``initiative.yaml`` with any YAML value (or writes arbitrary
text as the file) and checks that validation answers with located problems, never a raw exception, and
that a configuration it accepts gives an :class:`Initiative` whose properties work. The index and the
sanitisers are fed arbitrary text and records the same way.
"""

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from impact.errors import ImpactError
from impact.report.initiative import (Initiative, initiative_ident, load_initiative, validate_folder,
                                      validate_initiative)

ROOT = Path(__file__).resolve().parents[1]
HOUSING = ROOT / "data" / "initiatives" / "housing-digital"
# The evaluation sections (indicators, feedback, case study) have their own tests; left out here because
# checking their dates costs about a second per call, too slow for hundreds of examples.
BASE = {k: v for k, v in yaml.safe_load((HOUSING / "initiative.yaml").read_text()).items()
        if k not in ("indicators", "feedback", "case_study")}
# Every place a user can write something: top-level keys and one level below.
PLACES = [(k,) for k in BASE] + [(k, sub) for k, v in BASE.items() if isinstance(v, dict) for sub in v] + [
    ("design", "options"), ("design", "treated_unit"), ("design", "start"), ("data", "treatment"),
    ("data", "covariates"), ("data", "panel"), ("report", "min_cell_size"), ("cost_benefit", "rate"),
    ("language",), ("unknown_key",)]

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=12) | st.sampled_from(["twfe", "never", "not_yet", "data.csv", "city", "month", "", "0"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8) | st.integers(-3, 30), inner, max_size=3), max_leaves=8)


def _mutate(config: dict, place: tuple, value) -> dict:
    config = copy.deepcopy(config)
    target = config
    for key in place[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[place[-1]] = value
    return config


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    dest = tmp_path_factory.mktemp("ini") / "housing"
    shutil.copytree(HOUSING, dest, ignore=shutil.ignore_patterns("make_data.py", "truth.json"))
    return dest


def _check(problems):
    assert isinstance(problems, list) and all(isinstance(p, str) and p for p in problems)


@SETTINGS
@given(place=st.sampled_from(PLACES), value=values)
def test_any_setting_gives_problems_or_a_working_initiative(place, value):
    config = _mutate(BASE, place, value)
    problems = validate_initiative(config, check_data=False)
    _check(problems)
    if not problems:
        ini = Initiative(folder=HOUSING, config=config)
        assert isinstance(ini.id, str) and isinstance(ini.title, str)
        assert ini.language in ("en", "fr") and ini.min_cell_size >= 1
        assert isinstance(ini.design, dict) and isinstance(ini.data_spec, dict)


@SETTINGS
@given(place=st.sampled_from(PLACES), value=values)
def test_any_setting_with_the_data_gives_problems_never_a_raw_exception(folder, place, value):
    problems = validate_initiative(_mutate(BASE, place, value), folder, check_data=True)
    _check(problems)


@SETTINGS
@given(config=values)
def test_any_yaml_document_is_answered(config):
    _check(validate_initiative(config, check_data=False))


@SETTINGS
@given(text=st.text(max_size=200) | values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)))
def test_any_initiative_file_is_validated_and_filed_safely(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "some-folder"
        path.mkdir()
        (path / "initiative.yaml").write_text(text, encoding="utf-8")
        problems, notes = validate_folder(path)
        _check(problems)
        assert isinstance(notes, list)
        try:
            load_initiative(path)
        except ImpactError:
            pass
        ident, title = initiative_ident(path)
        # outputs are filed under this name: never a path, whatever the file holds
        assert "/" not in ident and "\\" not in ident and ident not in ("", ".", "..")
        assert isinstance(title, str)


@SETTINGS
@given(records=st.lists(st.dictionaries(
    st.sampled_from(["id", "title", "status", "estimate", "ci_low", "ci_high", "npv", "bcr", "error", "verdict",
                     "report", "error_page", "last_good"]), scalars, max_size=8), max_size=4))
def test_any_summary_files_give_an_index(records):
    from impact.report.batch import collect_records, write_index_safely

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for i, record in enumerate(records):
            (out / f"i{i}").mkdir()
            (out / f"i{i}" / "summary.json").write_text(json.dumps(record, allow_nan=True))
        listed = collect_records(out)
        assert [r["id"] for r in listed] == [f"i{i}" for i in range(len(records))]
        write_index_safely(listed, out, "en")
        assert (out / "index.html").is_file() and (out / "results.xlsx").is_file()
        assert len(__import__("pandas").read_csv(out / "results.csv")) == len(records)


@SETTINGS
@given(text=st.text())
def test_sanitisers_take_any_text(text):
    from impact.report.sanitize import for_cell, for_console, for_html

    control = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
    for out in (for_html(text), for_cell(text) or "", for_console(text)):
        assert not control.search(out.replace("\r", ""))
        out.encode("utf-8")
    cell = for_cell(text)
    assert cell is None or not cell.startswith(("=", "+", "-", "@", "\t"))
