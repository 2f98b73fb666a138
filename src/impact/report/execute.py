"""Run one initiative: load, validate, execute the notebook, export, summarise.

Like papermill's own ``execute.py``, this only calls the steps in turn. A
failure is recorded before anything else happens: the initiative gets an
error page naming the failing step, cell and message, and a ``failed``
summary. Every output is written to a temporary file in the destination
folder and renamed into place; ``summary.json`` is written last, so a
report is never marked ``ok`` unless all of it is there.
"""

from __future__ import annotations

import hashlib
import html
import json
import sys
import time
import traceback
from pathlib import Path

from impact import __version__
from impact.errors import ImpactError
from impact.report.initiative import load_initiative
from impact.report.sections import write_json_atomic

__all__ = ["run_one", "cache_key", "NOTEBOOK", "failure_record"]

#: The report notebook.
NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "evaluation.ipynb"


def cache_key(folder: Path, lang: str | None, seed=None, notebook: Path = NOTEBOOK) -> str:
    """Hash of everything a report depends on: notebook, configuration, data files, package version, options."""
    digest = hashlib.sha256()
    digest.update(notebook.read_bytes())
    for file in sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".")):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    digest.update(f"{__version__}|{lang}|{seed}".encode())
    return digest.hexdigest()


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _is_fresh(out: Path, key: str) -> bool:
    summary = out / "summary.json"
    try:
        record = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return record.get("status") == "ok" and record.get("cache_key") == key and (out / "report.html").is_file()


def _failing_cell(notebook) -> tuple[str, str]:
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return cell.source, f"{output.get('ename')}: {output.get('evalue')}"
    return "", ""


def failure_record(ident: str, title: str, step: str, message: str, cell: str = "") -> dict:
    return {"id": ident, "title": title, "status": "failed", "step": step, "error": message, "failing_cell": cell,
            "estimate": None, "se": None, "ci_low": None, "ci_high": None}


def error_page(record: dict, lang: str = "en") -> str:
    from impact.report.i18n import labels

    L = labels(lang if lang in ("en", "fr") else "en")
    esc = html.escape
    cell = f"<h3>{esc(L['failed_cell'])}</h3><pre>{esc(record.get('failing_cell') or '')}</pre>" if record.get("failing_cell") else ""
    return (
        f"<!DOCTYPE html><html lang='{esc(lang)}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(record.get('title') or record['id'])}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:auto;padding:1rem;line-height:1.5}"
        ".error-banner{border:2px solid #c9191e;background:#fff4f4;padding:1rem;border-radius:.3rem}"
        "pre{white-space:pre-wrap;word-break:break-word}</style></head><body>"
        f"<h1>{esc(record.get('title') or record['id'])}</h1><div class='error-banner'>"
        f"<h2>{esc(L['failed'])}</h2><p><strong>{esc(record.get('step', ''))}</strong></p>"
        f"<pre>{esc(record.get('error') or '')}</pre>{cell}</div></body></html>"
    )


def _record_failure(out: Path, record: dict, lang: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    _write_text_atomic(out / "report.html", error_page(record, lang))
    write_json_atomic(out / "summary.json", record)
    return record


def run_one(folder: str | Path, out_dir: str | Path, lang: str | None = None, force: bool = False,
            seed=None, cell_timeout: int | None = 600, pdf: bool = False) -> dict:
    """Produce ``out_dir/<id>/report.html``, ``report.ipynb`` and ``summary.json`` for one initiative.

    Returns the summary record (``status`` "ok", "cached" reuse is reported as
    ``reused: true``, or "failed"). Never raises for a problem of the
    initiative itself: that is recorded in its summary and error page.
    """
    import nbformat
    import papermill as pm

    from impact.report.export import to_html, to_pdf

    folder = Path(folder)
    started = time.perf_counter()
    ident = folder.name
    try:
        initiative = load_initiative(folder, check_data=True)
    except ImpactError as exc:
        return _record_failure(Path(out_dir) / ident, failure_record(ident, ident, "validate", str(exc)), lang or "en")
    ident, lang = initiative.id, lang or initiative.language
    out = Path(out_dir) / ident
    out.mkdir(parents=True, exist_ok=True)
    key = cache_key(initiative.folder, lang, seed)
    if not force and _is_fresh(out, key):
        record = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        record["reused"] = True
        return record

    summary_tmp = out / ".summary.partial.json"
    summary_tmp.unlink(missing_ok=True)
    notebook_tmp = out / ".report.ipynb.tmp"
    params = {"initiative": str(initiative.folder), "lang": lang, "summary_path": str(summary_tmp), "seed": seed}
    try:
        pm.execute_notebook(str(NOTEBOOK), str(notebook_tmp), parameters=params, cwd=str(NOTEBOOK.parent),
                            progress_bar=False, execution_timeout=cell_timeout, kernel_name="python3",
                            log_output=False)
    except pm.PapermillExecutionError as exc:
        cell = ""
        if notebook_tmp.is_file():
            cell, _ = _failing_cell(nbformat.read(notebook_tmp, as_version=4))
            notebook_tmp.replace(out / "report.ipynb")
        return _record_failure(out, failure_record(ident, initiative.title, "execute",
                                                   f"{exc.ename}: {exc.evalue}", cell), lang)
    except Exception as exc:  # kernel died, timeout, I/O: the batch must go on
        return _record_failure(out, failure_record(ident, initiative.title, "execute",
                                                   f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"), lang)

    notebook = nbformat.read(notebook_tmp, as_version=4)
    try:
        page = to_html(notebook, initiative.title, lang)
    except Exception as exc:
        return _record_failure(out, failure_record(ident, initiative.title, "export", f"{type(exc).__name__}: {exc}"), lang)
    _write_text_atomic(out / "report.html", page)
    notebook_tmp.replace(out / "report.ipynb")
    record = json.loads(summary_tmp.read_text(encoding="utf-8"))
    summary_tmp.unlink()
    if pdf and to_pdf(out / "report.html", out / ".report.pdf.tmp"):
        (out / ".report.pdf.tmp").replace(out / "report.pdf")
        record["pdf"] = "report.pdf"
    record.update(status="ok", cache_key=key, seconds=round(time.perf_counter() - started, 1), reused=False)
    write_json_atomic(out / "summary.json", record)
    return record


def main(argv: list[str] | None = None) -> int:
    """Entry point for a batch worker process: ``python -m impact.report.execute FOLDER OUT [OPTIONS_JSON]``.

    ``OPTIONS_JSON`` holds keyword arguments of :func:`run_one` (lang, force, seed, pdf).
    """
    argv = sys.argv[1:] if argv is None else argv
    options = json.loads(argv[2]) if len(argv) > 2 else {}
    record = run_one(argv[0], argv[1], **options)
    # The whole record on one line: the parent reads it (including `reused`, which is not stored).
    print(json.dumps(record, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
