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


# --------------------------------------------------------------------------- sanitising and the portfolio records

HOSTILE_CELL = "=HYPERLINK(\"http://x\")\x00\x1b[2J\x07 \ud800 fin"


def test_text_is_made_safe_for_each_medium():
    from impact.report.sanitize import clean_text, for_cell, for_console, for_html

    assert for_html("<b>\x00'x'</b>") == "&lt;b&gt;\ufffd&#x27;x&#x27;&lt;/b&gt;"
    assert clean_text("a\r\nb\x1bc") == "a\nb\ufffdc"
    assert for_cell(HOSTILE_CELL).startswith("'=HYPERLINK") and "\x00" not in for_cell(HOSTILE_CELL)
    for start in ("+1", "-2+3", "@SUM(A1)", "\tx"):
        assert for_cell(start).startswith("'"), start
    assert for_cell("Évreux, 2022-06") == "Évreux, 2022-06"
    assert for_cell(-2.5) == -2.5 and for_cell(float("nan")) is None and for_cell(None) is None
    shown = for_console("col '\x1b[2J\x00'\nnext line")
    assert "\x1b" not in shown and "\\x1b[2J" in shown and "\\x00" in shown and "\nnext line" in shown


def test_hostile_records_reach_csv_xlsx_and_html_safely(tmp_path):
    import openpyxl

    from impact.report.index import write_index

    records = [
        {"id": "ok-one", "title": "Fine", "status": "ok", "estimate": -1.5, "ci_low": -2.0, "ci_high": -1.0,
         "report": "report.html"},
        {"id": "bad", "title": "<script>x</script>\x01", "status": "failed", "error": HOSTILE_CELL,
         "error_page": "error.html", "report": "report.html", "last_good": {"generated": "2026-01-01T00:00:00+00:00"}},
        {"id": "never", "title": "-minus", "status": "failed", "error": "+boom", "error_page": "error.html",
         "report": None},
    ]
    write_index(records, tmp_path, "en")
    sheet = openpyxl.load_workbook(tmp_path / "results.xlsx").active
    cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert not any(ch in "".join(cells) for ch in "\x00\x01\x07\x1b")
    frame = pd.read_csv(tmp_path / "results.csv")
    assert frame.loc[frame.id == "bad", "last_good_at"].item() == "2026-01-01T00:00:00+00:00"
    assert frame.loc[frame.id == "never", "title"].item() == "'-minus"
    page = (tmp_path / "index.html").read_text()
    assert "<script>x" not in page and "\x01" not in page
    # a failed run links its error page, and its last good report when there is one
    assert "bad/report.html" in page and "bad/error.html" in page
    assert "never/error.html" in page and "never/report.html" not in page and "ok-one/report.html" in page


def test_collect_records_merges_the_folder_with_this_run(tmp_path):
    import json

    from impact.report.batch import collect_records

    for ident, record in {"a": {"id": "a", "status": "ok", "estimate": 1.0},
                          "b": {"id": "b", "status": "ok", "estimate": "not a number"}}.items():
        (tmp_path / ident).mkdir()
        (tmp_path / ident / "summary.json").write_text(json.dumps(record))
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "summary.json").write_bytes(b"\x00\xff{half")
    records = collect_records(tmp_path, [{"id": "a", "status": "failed", "error": "re-run failed"}])
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert records[0]["status"] == "failed" and records[0]["error"] == "re-run failed"
    assert records[1]["estimate"] is None  # a corrupt number never reaches the formatters
    assert records[2]["status"] == "failed" and "cannot be read" in records[2]["error"]


def test_error_page_escapes_and_points_to_the_last_good_report():
    from impact.report.execute import error_page, failure_record

    record = failure_record("x", "<i>T</i>", "validate", "column '\x1b[2J' not found", data_file="data.csv")
    assert "\x1b" not in record["error"]
    page = error_page({**record, "last_good": {"generated": "2026-01-01"}}, "fr")
    from impact.formats import fmt_datetime

    shown = fmt_datetime("2026-01-01", "fr")  # the last good report's time as the reader reads it
    assert "<i>T" not in page and "&lt;i&gt;T" in page and 'href="report.html"' in page and shown in page
    assert "data.csv" in page
    assert "report.html" not in error_page(record, "en")


def test_atomic_writes_leave_readable_files_and_no_temporaries(tmp_path):
    import os

    from impact.report.execute import write_atomic

    mask = os.umask(0o022)
    os.umask(mask)
    write_atomic(tmp_path / "report.html", "<p>é</p>")
    write_atomic(tmp_path / "report.html", b"<p>2</p>")
    assert (tmp_path / "report.html").read_bytes() == b"<p>2</p>"
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_two_initiatives_with_one_id_are_refused_before_anything_is_written(tmp_path):
    from impact.report.batch import run_batch

    for name in ("a", "b"):
        shutil.copytree(HOUSING, tmp_path / "in" / name)
    with pytest.raises(ConfigError, match=r"share an id.*'housing-digital'.*give each its own 'id:'"):
        run_batch([tmp_path / "in"], tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", [1e25, 1e30, -3.5e24, 1e300])
def test_absurdly_large_numbers_are_formatted_not_raised(value):
    for lang in ("en", "fr"):
        text = fmt_number(value, lang)
        assert "E" in text and fmt_money(value, lang)


def test_unknown_locale_and_non_utf8_yaml_are_config_errors(tmp_path):
    from impact.formats import fmt_number

    with pytest.raises(ConfigError, match="'zz' is not a locale"):
        fmt_number(1.0, "zz")
    (tmp_path / "initiative.yaml").write_bytes(b"id: x\ntitle: \xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8 text.*save it as UTF-8"):
        load_initiative(tmp_path)


def test_the_command_line_starts_without_importing_nbformat():
    import subprocess
    import sys

    code = "import sys, impact.cli; impact.cli.build_parser(); print('nbformat' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_event_time_reads_months_when_data_periods_gives_the_calendar():
    from types import SimpleNamespace

    from impact.report.initiative import load_initiative
    from impact.report.sections import event_time_label

    root = Path(__file__).resolve().parents[1] / "data" / "initiatives"
    integer_periods = SimpleNamespace(time_unit="period")
    rsa = load_initiative(root / "rsa-first-appointment")  # integer months with data.periods
    assert event_time_label(rsa, integer_periods, "fr") == "mois depuis l'adoption"
    assert event_time_label(rsa, integer_periods, "en") == "months since adoption"
    waves = load_initiative(root / "co-created-service")  # integer waves, no calendar
    assert event_time_label(waves, integer_periods, "en") == "periods since adoption"
    assert event_time_label(waves, SimpleNamespace(time_unit="quarter"), "fr") == "trimestres depuis l'adoption"
