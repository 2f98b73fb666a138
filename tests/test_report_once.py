"""Each piece of a report's work is done once: the data read (or a Parquet glob scanned) once by `impact validate`
and by a run, the calendar computed once per report; and the calendar shown in months when data.periods says so.

Calls are counted with ``unittest.mock.patch(..., wraps=...)`` on the real functions; no notebook is run.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import yaml

import impact.data
import impact.scale
from impact.errors import ConfigError
from impact.report import estimate, sections
from impact.report.initiative import load_initiative, validate_folder

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "initiatives"


def _copy(example: str, dest: Path, **data_changes) -> Path:
    shutil.copytree(EXAMPLES / example, dest, ignore=shutil.ignore_patterns("make_data.py", "truth.json"))
    config = yaml.safe_load((dest / "initiative.yaml").read_text(encoding="utf-8"))
    config["data"].update(data_changes)
    config["data"] = {k: v for k, v in config["data"].items() if v is not None}
    (dest / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return dest


@pytest.fixture
def glob_folder(tmp_path):
    """rsa-first-appointment as three Parquet parts, the headline with analytic errors (read out of core)."""
    folder = _copy("rsa-first-appointment", tmp_path / "rsa", file="data-*.parquet")
    data = pd.read_csv(folder / "data.csv")
    (folder / "data.csv").unlink()
    for i, part in enumerate(np.array_split(data["departement"].unique(), 3)):
        data[data["departement"].isin(part)].to_parquet(folder / f"data-{i}.parquet", index=False)
    config = yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8"))
    config["design"]["options"] = {"control": "never", "method": "reg", "n_boot": 0}
    config["design"]["robustness"] = ["twfe"]
    config["indicators"] = [i for i in config.get("indicators") or [] if not i.get("from_data")]
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return folder


def _count_reads():
    return mock.patch.object(impact.data, "read_table", wraps=impact.data.read_table)


def _count_scans():
    return mock.patch.object(impact.scale, "panel_statistics", wraps=impact.scale.panel_statistics)


# --------------------------------------------------------------------------- impact validate


def test_validate_reads_a_csv_once():
    with _count_reads() as read:
        problems, _ = validate_folder(EXAMPLES / "housing-digital")
    assert problems == []
    assert read.call_count == 1


def test_validate_scans_a_parquet_glob_once(glob_folder):
    with _count_scans() as scan, _count_reads() as read:
        problems, _ = validate_folder(glob_folder)
    assert problems == []
    assert scan.call_count == 1 and read.call_count == 0


def test_validate_still_reports_a_data_problem(tmp_path):
    folder = _copy("housing-digital", tmp_path / "h", outcome="processing_dayz")
    with _count_reads() as read:
        problems, _ = validate_folder(folder)
    assert any("processing_dayz" in p for p in problems) and read.call_count == 1


# --------------------------------------------------------------------------- a run: load, prepare, figures, estimates


def _report_steps(folder: Path):
    """What the report notebook does with the data, in its order."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ini = load_initiative(folder, check_data=True)
    data = estimate.prepare(ini)
    fig, _ = sections.trends_figure(ini, data, "en")
    plt.close(fig)
    results = estimate.run_all(ini, data)
    table = sections.design_table(ini, data, "en")
    return ini, data, results, table


def test_a_run_reads_the_data_once_and_computes_the_calendar_once():
    with _count_reads() as read, mock.patch.object(estimate, "period_codes", wraps=estimate.period_codes) as codes:
        ini, data, results, _ = _report_steps(EXAMPLES / "housing-digital")
    assert read.call_count == 1
    assert codes.call_count == 1
    # The checked frame is prepared in place (no second copy of the panel) and gives the same estimates.
    assert data is ini.checked_data
    fresh = estimate.run_estimator(ini, estimate.prepare(ini, ini.read_data()))
    assert results["twfe"].estimate == pytest.approx(fresh.estimate, abs=1e-12)
    assert results["twfe"].se == pytest.approx(fresh.se, abs=1e-12)


def test_a_run_scans_a_parquet_glob_once(glob_folder):
    with _count_scans() as scan, _count_reads() as read:
        ini, data, results, _ = _report_steps(glob_folder)
    assert isinstance(data, estimate.AggregateData)
    assert scan.call_count == 1 and read.call_count == 0
    assert np.isfinite(results["callaway_santanna"].estimate) and np.isfinite(results["twfe"].estimate)


def test_the_calendar_is_recomputed_only_for_a_frame_prepare_did_not_see():
    ini = load_initiative(EXAMPLES / "housing-digital", check_data=True)
    raw = ini.read_data()
    expected = impact.data.period_codes(raw, "month", "adoption_month")
    scale, tcodes, gcodes = estimate.period_codes_of(ini, raw)  # computed: raw has no codes
    assert scale == expected[0]
    np.testing.assert_array_equal(tcodes, expected[1])
    np.testing.assert_array_equal(gcodes, expected[2])
    prepared = estimate.prepare(ini)
    with mock.patch.object(estimate, "period_codes") as codes:
        scale, tcodes, gcodes = estimate.period_codes_of(ini, prepared)
    codes.assert_not_called()
    assert scale == expected[0]
    np.testing.assert_array_equal(tcodes, expected[1])
    np.testing.assert_array_equal(gcodes, expected[2])


# --------------------------------------------------------------------------- data.periods: months on the axis


def test_integer_months_are_shown_as_months_when_data_periods_says_so(tmp_path):
    import matplotlib.dates as mdates

    folder = _copy("housing-digital", tmp_path / "h", periods={"start": "2022-01", "frequency": "month"})
    ini, data, _, table = _report_steps(folder)
    fig, _ = sections.trends_figure(ini, data, "fr")
    x = fig.axes[0].get_lines()[0].get_xdata()
    # month 1 is January 2022, as month_label in the data says; month 24 December 2023
    labels = pd.read_csv(folder / "data.csv").groupby("month")["month_label"].first()
    assert [pd.Timestamp(v).strftime("%Y-%m") for v in x] == list(labels)
    # treated units first (and so in the same colour) in both languages
    assert [line.get_label() for line in fig.axes[0].get_lines()[:2]] == ["traitées", "témoins"]
    fig_en, _ = sections.trends_figure(ini, data, "en")
    assert [line.get_label() for line in fig_en.axes[0].get_lines()[:2]] == ["treated", "comparison"]
    assert isinstance(fig.axes[0].xaxis.get_major_formatter(), (mdates.AutoDateFormatter, mdates.ConciseDateFormatter))
    assert "Jan 2022" in table and "Dec 2023" in table and "24" in table
    assert "janv. 2022" in sections.design_table(ini, data, "fr")
    # the adoption month of the design table: cohort 19 of the data, July 2023 by its month_label
    cohorts = sorted(c for c in pd.read_csv(folder / "data.csv")["adoption_month"].unique() if c > 0)
    assert [labels[c] for c in cohorts] == ["2023-07"] and "Jul 2023" in table


def test_without_data_periods_integer_periods_stay_integers():
    ini, data, _, table = _report_steps(EXAMPLES / "co-created-service")
    fig, _ = sections.trends_figure(ini, data, "en")
    x = fig.axes[0].get_lines()[0].get_xdata()
    assert list(x) == list(range(1, 9))
    assert ini.data_spec.get("periods") is None


@pytest.mark.parametrize("periods, message", [
    ({"start": "2022-01"}, r"data.periods: must be \{start"),
    ({"start": "2022-01", "frequency": "fortnight"}, r"data.periods.frequency: must be one of month"),
    ({"start": "January", "frequency": "month"}, r"data.periods.start: 'January' is not the first month.*2022-01"),
    ({"start": "2022-02", "frequency": "quarter"}, r"data.periods.start: '2022-02' is not the first quarter"),
    ({"start": "2022-01-05", "frequency": "month"}, r"data.periods.start"),
])
def test_a_malformed_data_periods_is_refused_by_validate(tmp_path, periods, message):
    folder = _copy("housing-digital", tmp_path / "h", periods=periods)
    with pytest.raises(ConfigError, match=message):  # the configuration alone says so: no data read
        load_initiative(folder)


@pytest.mark.parametrize("periods, first, last", [
    ({"start": "2022Q1", "frequency": "quarter"}, "2022 Q1", "2027 Q4"),
    ({"start": 2001, "frequency": "year"}, "2001", "2024"),
    ({"start": "2022-01-03", "frequency": "week"}, "Jan 3, 2022", "Jun 13, 2022"),
])
def test_quarters_years_and_weeks_are_counted_from_the_start(tmp_path, periods, first, last):
    folder = _copy("housing-digital", tmp_path / "h", periods=periods)
    ini = load_initiative(folder, check_data=True)
    table = sections.design_table(ini, estimate.prepare(ini), "en")
    assert first in table and last in table


def test_data_periods_on_a_time_column_of_dates_is_refused(tmp_path):
    folder = _copy("housing-digital", tmp_path / "h", time="month_label", periods={"start": "2022-01",
                                                                                  "frequency": "month"})
    frame = pd.read_csv(folder / "data.csv")
    frame["adoption_month"] = frame["adoption_month"].map(lambda m: f"{2022 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}"
                                                          if m > 0 else "")
    frame.to_csv(folder / "data.csv", index=False)
    problems, _ = validate_folder(folder)
    assert any("data.periods" in p and "already holds dates" in p for p in problems), problems


# --------------------------------------------------------------------------- execute: freshness first, data in the notebook


def _fake_papermill(calls: list):
    """papermill.execute_notebook doing the notebook's data steps in this process (load with checks, prepare),
    raising what papermill raises when a cell fails, and writing the notebook and summary a run leaves."""
    import json

    import nbformat
    import papermill as pm

    def execute_notebook(source, output, parameters, **_):
        calls.append(parameters)
        try:
            ini = load_initiative(parameters["initiative"], check_data=True, lang=parameters["lang"])
            estimate.prepare(ini)
        except Exception as exc:
            raise pm.PapermillExecutionError(1, 1, "ini = load_initiative(...)", type(exc).__name__, str(exc), [])
        nbformat.write(nbformat.v4.new_notebook(), output)
        Path(parameters["summary_path"]).write_text(json.dumps({"id": ini.id, "estimator": "twfe", "estimate": 1.0}))

    return execute_notebook


@pytest.fixture
def fake_notebook(monkeypatch):
    import papermill as pm

    from impact.report import export

    calls: list = []
    monkeypatch.setattr(pm, "execute_notebook", _fake_papermill(calls))
    monkeypatch.setattr(export, "to_html", lambda notebook, title, lang: "<html>report</html>")
    return calls


def test_a_run_reads_its_data_once_between_the_runner_and_the_notebook(tmp_path, fake_notebook):
    from impact.report.execute import run_one

    with _count_reads() as read:
        record = run_one(EXAMPLES / "housing-digital", tmp_path / "out")
    assert record["status"] == "ok" and len(fake_notebook) == 1
    assert read.call_count == 1  # the notebook's; the runner checked the configuration only


def test_a_parquet_glob_is_scanned_once_per_run(tmp_path, glob_folder, fake_notebook):
    from impact.report.execute import run_one

    with _count_scans() as scan:
        record = run_one(glob_folder, tmp_path / "out")
    assert record["status"] == "ok" and scan.call_count == 1


def test_a_fresh_report_is_reused_without_reading_its_data(tmp_path, glob_folder, fake_notebook):
    from impact.report.execute import run_one

    run_one(EXAMPLES / "housing-digital", tmp_path / "out")
    run_one(glob_folder, tmp_path / "out")
    with _count_reads() as read, _count_scans() as scan:
        again = [run_one(EXAMPLES / "housing-digital", tmp_path / "out"), run_one(glob_folder, tmp_path / "out")]
    assert [r["reused"] for r in again] == [True, True] and len(fake_notebook) == 2
    assert read.call_count == 0 and scan.call_count == 0


def test_data_refused_by_the_notebook_is_a_validate_failure(tmp_path, fake_notebook):
    from impact.report.execute import run_one

    folder = _copy("housing-digital", tmp_path / "h", outcome="processing_dayz")
    record = run_one(folder, tmp_path / "out")
    assert record["status"] == "failed" and record["step"] == "validate"
    assert record["error"].startswith(str(folder / "initiative.yaml")) and "'processing_dayz' not found" in record["error"]
    assert record["failing_cell"] == "" and not (tmp_path / "out" / "housing-digital" / "error.ipynb").exists()
    assert "processing_dayz" in (tmp_path / "out" / "housing-digital" / "error.html").read_text()
