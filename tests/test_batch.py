"""End-to-end: `impact run` on initiatives, with failures, hostile titles, interruptions and reuse.

These run the real notebook through papermill and nbconvert, so they are the slowest tests
(about a minute on two cores); they share one batch run through a module fixture.
"""

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from impact.cli import main as cli
from impact.report.batch import run_batch

ROOT = Path(__file__).resolve().parents[1]
HOUSING = ROOT / "data" / "initiatives" / "housing-digital"
EXAMPLES = ["housing-digital", "rsa-first-appointment", "co-created-service", "seniors-access-pilot"]
HOSTILE = "<script>alert('x')</script> Logement & <b>numérique</b>"
# A binary file renamed .csv: control characters, an escape sequence and would-be formulas, no NUL byte,
# so that it parses as a table and its junk reaches the error message, the index, results.csv/xlsx and the console.
BINARY = bytes(range(1, 9)) + b"\x1b[2J=cmd|' /C calc'!A0;\x0b\x0c+SUM(1);\x7f\x85\xff\n\x01;\x02;\x03\n@x;-y;\x1b]0;pwn\x07\n"

pytestmark = pytest.mark.slow


def _copy(src: Path, dest: Path, **changes) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("make_data.py", "truth.json"))
    config = yaml.safe_load((dest / "initiative.yaml").read_text())
    for key, value in changes.items():
        config[key] = value
    (dest / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    return dest


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    root = tmp_path_factory.mktemp("portfolio")
    for example in EXAMPLES:
        _copy(ROOT / "data" / "initiatives" / example, root / example)
    _copy(HOUSING, root / "hostile", id="hostile-title", title=HOSTILE, language="fr")
    broken = _copy(HOUSING, root / "broken", id="broken")
    (broken / "data.csv").write_text("city;month\nx;1\n")  # corrupt: columns missing
    binary = _copy(HOUSING, root / "binary", id="binary")
    (binary / "data.csv").write_bytes(BINARY)
    out = root / "reports"
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        code = cli(["run", str(root), "--out", str(out), "--jobs", "2", "--quiet"])
    return root, out, code, console.getvalue()


def _summary(out: Path, ident: str) -> dict:
    return json.loads((out / ident / "summary.json").read_text())


def test_batch_exits_nonzero_but_runs_the_others(portfolio):
    _, out, code, _ = portfolio
    assert code == 1
    assert _summary(out, "housing-digital")["status"] == "ok"
    assert _summary(out, "hostile-title")["status"] == "ok"
    broken = _summary(out, "broken")
    assert broken["status"] == "failed" and "processing_days" in broken["error"]
    assert broken["last_good"] is None and broken["report"] is None and broken["error_page"] == "error.html"
    assert not (out / "broken" / "report.html").exists()  # report.html is only ever a good report
    page = (out / "broken" / "error.html").read_text()
    assert "could not be produced" in page and "processing_days" in page


def test_console_says_why_each_initiative_failed(portfolio):
    *_, console = portfolio
    lines = console.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("broken "))
    why = "\n".join(lines[at + 1:at + 4])
    # the whole message: step, file, the missing column and the columns that are there
    assert "-> validate:" in why and "data.outcome (data.csv)" in why and "'processing_days' not found" in why
    assert "city, month" in why
    at = next(i for i, line in enumerate(lines) if line.startswith("binary "))
    assert "'processing_days' not found" in lines[at + 2] and "[2J=cmd" in lines[at + 2]
    assert not any(ch in console for ch in "\x00\x01\x07\x1b\x7f")  # junk is shown, never obeyed by the terminal


def test_binary_data_file_stops_neither_the_batch_nor_the_index(portfolio):
    import openpyxl

    _, out, _, _ = portfolio
    record = _summary(out, "binary")
    assert record["status"] == "failed" and record["step"] == "validate"
    assert not any(ch in record["error"] for ch in "\x00\x01\x07\x1b")
    index = (out / "index.html").read_text()
    assert "binary/error.html" in index and "\x1b" not in index
    frame = pd.read_csv(out / "results.csv")
    assert set(frame.id) == {*EXAMPLES, "hostile-title", "broken", "binary"}
    sheet = openpyxl.load_workbook(out / "results.xlsx").active
    assert sheet.max_row == len(frame) + 1
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    text = "".join(c.value for c in cells if isinstance(c.value, str))
    assert not any(ch in text for ch in "\x01\x07\x1b\x7f")


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_report_recovers_the_documented_true_effect(portfolio, example):
    _, out, _, _ = portfolio
    truth = json.loads((ROOT / "data" / "initiatives" / example / "truth.json").read_text())["att"]
    s = _summary(out, example)
    assert s["status"] == "ok"
    assert s["ci_low"] <= truth <= s["ci_high"]
    for key in ("npv", "bcr", "prob_npv_negative", "se", "estimator", "verdict"):
        assert s[key] is not None
    prov = s["provenance"]
    assert len(prov["data_sha256"]) == 64 and prov["versions"]["impact"] and prov["seed"] is not None


def test_report_html_has_no_code_and_escapes_text(portfolio):
    _, out, _, _ = portfolio
    page = (out / "hostile-title" / "report.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "import " not in page and "display(HTML" not in page
    assert "data:image/png;base64" in page  # figures embedded
    assert "Conclusion" in page and "Coûts et bénéfices" in page  # French report
    index = (out / "index.html").read_text()
    assert "<script>alert" not in index and "hostile-title/report.html" in index
    assert (out / "results.csv").is_file() and (out / "results.xlsx").is_file()


def test_rerun_reuses_up_to_date_reports_and_redoes_interrupted_ones(portfolio):
    root, out, _, _ = portfolio
    # An interrupted run: the notebook never finished, summary.json was never written.
    (out / "hostile-title" / "summary.json").unlink()
    (out / "hostile-title" / ".report.ipynb.tmp").write_text("{half a notebook")
    records = {r["id"]: r for r in run_batch([root], out, jobs=2, progress=False)}
    assert all(records[e]["reused"] is True for e in EXAMPLES)
    assert records["hostile-title"]["status"] == "ok" and records["hostile-title"]["reused"] is False
    assert records["broken"]["status"] == "failed"


def test_killed_run_leaves_no_report_marked_ok(portfolio, tmp_path):
    root, *_ = portfolio
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "impact.cli", "run", str(root / "housing-digital"), "--out", str(out), "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(4)  # a report takes about ten seconds: stop it in the middle
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    summary = out / "housing-digital" / "summary.json"
    assert not summary.exists() or json.loads(summary.read_text())["status"] != "ok"
    record = run_batch([root / "housing-digital"], out, progress=False)[0]
    assert record["status"] == "ok" and record["reused"] is False
    assert (out / "housing-digital" / "report.html").is_file()


def test_changed_data_invalidates_the_cache(portfolio, tmp_path):
    root, out, _, _ = portfolio
    data = root / "housing-digital" / "data.csv"
    original = data.read_text()
    try:
        data.write_text(original.replace("city-01,1,", "city-01,1,", 1) + "\n")
        record = run_batch([root / "housing-digital"], out, progress=False)[0]
        assert record["reused"] is False and record["status"] == "ok"
    finally:
        data.write_text(original)


def test_timeout_stops_one_initiative(portfolio, tmp_path):
    root, *_ = portfolio
    record = run_batch([root / "housing-digital"], tmp_path / "out", timeout=0.5, progress=False)[0]
    assert record["status"] == "failed" and record["step"] == "timeout"


def test_dask_executor_on_a_local_cluster(portfolio):
    distributed = pytest.importorskip("distributed")
    root, out, _, _ = portfolio
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            records = run_batch([root / "housing-digital", root / "broken"], out, executor="dask", scheduler=client,
                                progress=False)
    assert [r["status"] for r in records] == ["ok", "failed"]


def test_validate_and_new_commands(tmp_path, capsys):
    assert cli(["validate", str(HOUSING)]) == 0
    assert cli(["new", "my-pilot", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "my-pilot" / "initiative.yaml").read_text().startswith("# Schema")
    assert cli(["new", "my-pilot", "--dir", str(tmp_path)]) == 2  # never overwrites
    config = yaml.safe_load((HOUSING / "initiative.yaml").read_text())
    config["design"]["estimator"] = "twfee"
    config["data"]["outcome"] = None
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "initiative.yaml").write_text(yaml.safe_dump(config))
    shutil.copy(HOUSING / "data.csv", bad / "data.csv")
    assert cli(["validate", str(bad)]) == 1
    text = capsys.readouterr().out
    assert "design.estimator" in text and "data.outcome" in text


def test_pdf_export_when_a_browser_is_installed(portfolio, tmp_path):
    if not (shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")):
        pytest.skip("no Chromium on this machine: PDF export is optional")
    from impact.report.export import to_pdf

    _, out, _, _ = portfolio
    assert to_pdf(out / "housing-digital" / "report.html", tmp_path / "r.pdf")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_partial_run_keeps_the_other_initiatives(portfolio, tmp_path):
    root, out, _, _ = portfolio
    partial = tmp_path / "out"
    shutil.copytree(out, partial)
    records = run_batch([root / "broken"], partial, progress=False)
    assert [r["id"] for r in records] == ["broken"]
    listed = set(pd.read_csv(partial / "results.csv").id)
    assert listed == {*EXAMPLES, "hostile-title", "broken", "binary"}
    index = (partial / "index.html").read_text()
    assert all(f"{e}/report.html" in index for e in EXAMPLES)


def test_failing_rerun_keeps_the_last_good_report(portfolio, tmp_path):
    root, out, _, _ = portfolio
    partial = tmp_path / "out"
    shutil.copytree(out / "housing-digital", partial / "housing-digital")
    shutil.copytree(out / "co-created-service", partial / "co-created-service")
    good = _summary(partial, "housing-digital")
    good_page = (partial / "housing-digital" / "report.html").read_bytes()
    # the same initiative (same id), now with a data file that lost its outcome column
    changed = _copy(HOUSING, tmp_path / "housing-digital")
    (changed / "data.csv").write_text("city;month\nx;1\n")
    for attempt in range(2):  # a second failure still knows the last good report
        record = run_batch([changed], partial, progress=False)[0]
        assert record["status"] == "failed" and record["estimate"] is None and record["estimator"] == good["estimator"]
        assert record["last_good"]["generated"] == good["generated"]
        assert record["last_good"]["estimate"] == good["estimate"]
        assert (partial / "housing-digital" / "report.html").read_bytes() == good_page
        assert (partial / "housing-digital" / "report.ipynb").is_file()
        assert "processing_days" in (partial / "housing-digital" / "error.html").read_text()
    stored = _summary(partial, "housing-digital")
    assert stored["status"] == "failed" and stored["failed_at"] >= good["generated"]
    index = (partial / "index.html").read_text()
    assert "housing-digital/report.html" in index and "housing-digital/error.html" in index
    assert "co-created-service/report.html" in index
    frame = pd.read_csv(partial / "results.csv").set_index("id")
    assert frame.loc["housing-digital", "status"] == "failed"
    assert frame.loc["housing-digital", "last_good_at"] == good["generated"]
    assert frame.loc["co-created-service", "status"] == "ok"


def test_failure_inside_the_notebook_keeps_the_last_good_report_and_notebook(tmp_path):
    # A last good run, as run_one leaves it (written by hand: only what a failing re-run must keep matters here).
    out = tmp_path / "out"
    good = out / "seniors-access-pilot"
    good.mkdir(parents=True)
    (good / "report.html").write_text("<html>good report</html>")
    (good / "report.ipynb").write_text("{}")
    (good / "summary.json").write_text(json.dumps({"id": "seniors-access-pilot", "status": "ok", "estimate": 0.6,
                                                   "generated": "2026-01-02T03:04:05+00:00"}))
    # valid for load_initiative, refused by the estimator inside the notebook (the optional sections, which
    # would meet the unknown unit first, are left out)
    changed = _copy(ROOT / "data" / "initiatives" / "seniors-access-pilot", tmp_path / "seniors")
    config = yaml.safe_load((changed / "initiative.yaml").read_text())
    config["design"]["treated_unit"] = "Villebrun"
    for optional in ("indicators", "feedback", "case_study"):
        config.pop(optional, None)
    (changed / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        assert cli(["run", str(changed), "--out", str(out), "--quiet"]) == 1
    record = _summary(out, "seniors-access-pilot")
    assert record["status"] == "failed" and record["step"] == "execute" and "Villebrun" in record["error"]
    assert record["estimator"] == "synthetic_control"
    assert record["last_good"]["generated"] == "2026-01-02T03:04:05+00:00" and record["last_good"]["estimate"] == 0.6
    assert (good / "report.html").read_text() == "<html>good report</html>" and (good / "report.ipynb").read_text() == "{}"
    assert (good / "error.ipynb").is_file()
    page = (good / "error.html").read_text()
    from impact.formats import fmt_datetime

    shown = fmt_datetime("2026-01-02T03:04:05+00:00", "en")  # the moment as the reader reads it
    assert "Villebrun" in page and shown in page and 'href="report.html"' in page
    text = console.getvalue()
    assert "-> execute, data file data.csv:" in text and "Villebrun" in text and "last good report" in text
