"""Run one initiative: load, validate, execute the notebook, export, summarise.

Like papermill's own ``execute.py``, this only calls the steps in turn. A
failure is recorded before anything else happens: the initiative gets an
error page naming the failing step, cell and message, and a ``failed``
summary. Every output is written to a temporary file in the destination
folder and renamed into place; ``summary.json`` is written last, so a
report is never marked ``ok`` unless all of it is there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from impact import __version__
from impact.errors import ImpactError
from impact.report.export import shipped_folder
from impact.report.initiative import initiative_ident, load_initiative
from impact.report.sanitize import clean_text, for_html

__all__ = ["run_one", "cache_key", "NOTEBOOK", "failure_record", "write_atomic", "error_page"]

#: The report notebook (package data ``impact._notebooks``, or ``notebooks/`` in a source checkout).
NOTEBOOK = shipped_folder("notebooks") / "evaluation.ipynb"

#: Headline fields kept from the last good run when a re-run fails (under ``last_good``).
HEADLINE = ("estimator", "estimate", "se", "ci_low", "ci_high", "pvalue", "npv", "bcr", "prob_npv_negative", "verdict")


#: Files up to this size are hashed by content; larger ones (Parquet parts of a big panel) by size and mtime.
CONTENT_HASH_LIMIT = 64 * 2**20


def cache_key(folder: Path, lang: str | None, seed=None, notebook: Path = NOTEBOOK) -> str:
    """Hash of everything a report depends on: notebook, configuration, data files, package version, options.

    The files are the folder's own and every file ``data.file`` matches (a
    glob may reach into subfolders). A file up to
    :data:`CONTENT_HASH_LIMIT` counts by its content; a larger one by its
    path, size and modification time, so that a 100-million-row Parquet glob
    is not read on every run (a change that keeps both size and time, rare
    outside deliberate tampering, goes unseen: ``--force`` re-runs).
    """
    import glob as _glob

    import yaml

    folder = Path(folder)
    digest = hashlib.sha256()
    digest.update(notebook.read_bytes())
    files = {p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}
    try:
        pattern = str(yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8"))["data"]["file"])
        files |= {p for p in folder.glob(pattern) if p.is_file()} if _glob.has_magic(pattern) else set()
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        pass  # an unreadable configuration fails the run itself; its bytes are hashed above
    for file in sorted(files):
        stat = file.stat()
        digest.update(f"{file.relative_to(folder).as_posix()}\0{stat.st_size}\0".encode())
        digest.update(file.read_bytes() if stat.st_size <= CONTENT_HASH_LIMIT else str(stat.st_mtime_ns).encode())
    digest.update(f"{__version__}|{lang}|{seed}".encode())
    return digest.hexdigest()


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Read once at import, before any thread runs: os.umask can only be read by setting it.
_UMASK = _read_umask()


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a uniquely named temporary file beside ``path`` and rename it into place.

    A reader (a browser, another batch) sees the old file or the new one, never
    half of one; two writers never share a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; a report is for others to read
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json(path: Path, record: dict) -> None:
    write_atomic(path, json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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


def failure_record(ident: str, title: str, step: str, message: str, cell: str = "", data_file: str | None = None) -> dict:
    """The ``summary.json`` record of a failed run: headline fields null, the message cleaned of control characters."""
    return {"id": ident, "title": clean_text(title), "status": "failed", "step": step, "error": clean_text(message),
            "failing_cell": clean_text(cell), "data_file": clean_text(data_file) if data_file else None,
            "estimator": None, "estimate": None, "se": None, "ci_low": None, "ci_high": None}


def error_page(record: dict, lang: str = "en") -> str:
    """A self-contained HTML page naming the failing step, the message and the last good report, if any.

    Rendered from ``templates/report/error.html.j2``; should that fail (a
    broken template must not hide the failure it reports), a plain page with
    the same content is built here.
    """
    from impact.formats import fmt_datetime
    from impact.report.i18n import labels, languages

    # The words come from the catalogue (templates/locale), so a new language's .po translates this page too.
    try:
        lang = lang if lang in languages() else "en"
        L = labels(lang)
    except Exception:  # a broken catalogue must not hide the failure this page reports
        lang, L = "en", {}
    last = record.get("last_good")
    # The moment in the reader's words ("30 novembre 2026, 00:28:37 TU"), not the record's ISO string.
    when = fmt_datetime((last or {}).get("generated") or "?", lang)
    T = {"last_good": L.get("error_last_good", "{when}").format(when=when),
         "open": L.get("error_open", "report.html"), "none": L.get("error_no_last_good", ""),
         "file": L.get("error_data_file", "")}
    context = {"title": record.get("title") or record.get("id"), "step": record.get("step") or "",
               "message": record.get("error") or "", "cell": record.get("failing_cell") or "",
               "data_file": record.get("data_file") or "", "last_good": bool(last), "text": T}
    try:
        from impact.report.templating import render

        return render("error.html.j2", lang, **context)
    except Exception:
        pass
    esc = for_html
    cell = f"<h3>Failing step</h3><pre>{esc(context['cell'])}</pre>" if context["cell"] else ""
    data_file = f"<p>{esc(T['file'])}: <code>{esc(context['data_file'])}</code></p>" if context["data_file"] else ""
    previous = (f"<p>{esc(T['last_good'])} <a href='report.html'>{esc(T['open'])}</a></p>" if last
                else f"<p>{esc(T['none'])}</p>")
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{esc(context['title'])}</title>"
        "<style>pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>{esc(context['title'])}</h1><div class='error-banner'><h2>This report could not be produced</h2>"
        f"<p><strong>{esc(context['step'])}</strong></p>{data_file}<pre>{esc(context['message'])}</pre>{cell}</div>"
        f"{previous}</body></html>"
    )


def _last_good(out: Path) -> dict | None:
    """What is known of the last good report in ``out``: its time and headline numbers, or None."""
    if not (out / "report.html").is_file():
        return None
    try:
        previous = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(previous, dict):
        return None
    if previous.get("status") == "ok":
        generated = previous.get("generated") or (previous.get("provenance") or {}).get("generated")
        return {"generated": generated, "report": "report.html", **{k: previous.get(k) for k in HEADLINE}}
    last = previous.get("last_good")
    return last if isinstance(last, dict) else None


def _configured_estimator(out: Path) -> str | None:
    try:
        previous = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        return str(previous["estimator"]) if isinstance(previous, dict) and previous.get("estimator") else None
    except (OSError, ValueError, KeyError):
        return None


def _record_failure(out: Path, record: dict, lang: str) -> dict:
    """Record a failure before anything else: ``error.html`` and a ``failed`` summary.

    The last good ``report.html`` (and ``report.ipynb``) stay in place. The
    summary's headline fields describe this run and are null; the last good
    run's time and numbers are kept under ``last_good`` so that nothing
    already published is lost.
    """
    out.mkdir(parents=True, exist_ok=True)
    record = {**record, "failed_at": _now(), "error_page": "error.html"}
    if record.get("estimator") is None:  # API.md: every summary names its estimator (null when unknown)
        record["estimator"] = _configured_estimator(out)
    last = _last_good(out)
    record["last_good"] = last
    record["report"] = "report.html" if last else None
    write_atomic(out / "error.html", error_page(record, lang))
    _write_json(out / "summary.json", record)
    return record


def run_one(folder: str | Path, out_dir: str | Path, lang: str | None = None, force: bool = False,
            seed=None, cell_timeout: int | None = 600, pdf: bool = False, notebook: str | Path | None = None) -> dict:
    """Produce ``out_dir/<id>/report.html``, ``report.ipynb`` and ``summary.json`` for one initiative.

    Returns the summary record (``status`` "ok" or "failed"; reuse of an
    up-to-date report is reported as ``reused: true``). Never raises for a
    problem of the initiative, whatever its files hold: that is recorded in
    its summary and ``error.html``, and the last good report is kept.
    ``notebook`` replaces the shipped report notebook (same parameters).
    """
    folder = Path(folder)
    ident, title = initiative_ident(folder, lang)
    try:
        return _run_one(folder, Path(out_dir), lang, force, seed, cell_timeout, pdf, Path(notebook or NOTEBOOK))
    except Exception as exc:  # a bug or an I/O error must not stop the batch: record it like any failure
        message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}"
        return _record_failure(Path(out_dir) / ident, failure_record(ident, title, "internal", message), lang or "en")


def _run_one(folder: Path, out_dir: Path, lang, force, seed, cell_timeout, pdf, notebook: Path) -> dict:
    started = time.perf_counter()
    ident, title = initiative_ident(folder, lang)
    # The configuration only: whether the report is fresh follows from the files' hashes, and the data are
    # checked by the notebook, which estimates from what it checked (one read, or one scan of a glob, per run).
    try:
        initiative = load_initiative(folder, check_data=False, lang=lang)
    except ImpactError as exc:
        return _record_failure(out_dir / ident, failure_record(ident, title, "validate", str(exc)), lang or "en")
    ident, lang = initiative.id, lang or initiative.language
    out = out_dir / ident
    out.mkdir(parents=True, exist_ok=True)
    key = cache_key(initiative.folder, lang, seed, notebook)
    if not force and _is_fresh(out, key):
        record = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        record["reused"] = True
        return record

    # Names of this run only: a run left behind by a killed batch may still be writing into the same folder.
    run = f"{os.getpid()}-{time.time_ns()}"
    summary_tmp = out / f".summary.{run}.partial.json"
    notebook_tmp = out / f".report.{run}.partial.ipynb"  # papermill warns about names not ending in .ipynb
    try:
        return _execute(initiative, out, lang, seed, cell_timeout, pdf, key, started, summary_tmp, notebook_tmp,
                        notebook)
    finally:
        summary_tmp.unlink(missing_ok=True)
        notebook_tmp.unlink(missing_ok=True)


def _is_validation(exc, initiative) -> bool:
    """Whether the notebook stopped in its ``load_initiative(..., check_data=True)``: a ConfigError whose
    message starts with the initiative's ``initiative.yaml``, as :func:`load_initiative` writes it."""
    prefix = f"{initiative.folder / 'initiative.yaml'}:"
    return exc.ename == "ConfigError" and str(exc.evalue).startswith(prefix)


def _execute(initiative, out: Path, lang, seed, cell_timeout, pdf, key, started, summary_tmp: Path,
             notebook_tmp: Path, notebook: Path = NOTEBOOK) -> dict:
    import nbformat
    import papermill as pm

    from impact.report.export import to_html, to_pdf

    ident, data_file = initiative.id, str(initiative.data_spec.get("file"))
    estimator = str(initiative.design.get("estimator", "twfe"))
    params = {"initiative": str(initiative.folder), "lang": lang, "summary_path": str(summary_tmp), "seed": seed}
    try:
        # The output folder is the working directory: the installed notebook's folder may be read-only.
        pm.execute_notebook(str(notebook), str(notebook_tmp), parameters=params, cwd=str(out),
                            progress_bar=False, execution_timeout=cell_timeout, kernel_name="python3",
                            log_output=False)
    except pm.PapermillExecutionError as exc:
        if _is_validation(exc, initiative):
            # The notebook's load refused the data: the same failure as a refused configuration, before any cell
            # of the report ran (no failing cell, no error notebook).
            return _record_failure(out, failure_record(ident, initiative.title, "validate", exc.evalue), lang)
        cell = ""
        if notebook_tmp.is_file():
            cell, _ = _failing_cell(nbformat.read(notebook_tmp, as_version=4))
            # The failed notebook goes beside the last good one, never over it.
            notebook_tmp.replace(out / "error.ipynb")
        return _record_failure(out, {**failure_record(ident, initiative.title, "execute", f"{exc.ename}: {exc.evalue}",
                                                      cell, data_file), "estimator": estimator}, lang)
    except Exception as exc:  # kernel died, timeout, I/O: the batch must go on
        return _record_failure(out, {**failure_record(ident, initiative.title, "execute",
                                                      f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}",
                                                      data_file=data_file), "estimator": estimator}, lang)

    notebook = nbformat.read(notebook_tmp, as_version=4)
    try:
        page = to_html(notebook, initiative.title, lang)
    except Exception as exc:
        return _record_failure(out, {**failure_record(ident, initiative.title, "export", f"{type(exc).__name__}: {exc}",
                                                      data_file=data_file), "estimator": estimator}, lang)
    write_atomic(out / "report.html", page)
    notebook_tmp.replace(out / "report.ipynb")
    record = json.loads(summary_tmp.read_text(encoding="utf-8"))
    if pdf and to_pdf(out / "report.html", out / ".report.pdf.tmp"):
        (out / ".report.pdf.tmp").replace(out / "report.pdf")
        record["pdf"] = "report.pdf"
    record.update(status="ok", cache_key=key, seconds=round(time.perf_counter() - started, 1), reused=False,
                  generated=_now(), report="report.html", error_page=None)
    for stale in ("error.html", "error.ipynb"):
        (out / stale).unlink(missing_ok=True)
    _write_json(out / "summary.json", record)
    return record


def main(argv: list[str] | None = None) -> int:
    """Entry point for a batch worker process: ``python -m impact.report.execute FOLDER OUT [OPTIONS_JSON]``.

    ``OPTIONS_JSON`` holds keyword arguments of :func:`run_one` (lang, force, seed, pdf, notebook).
    """
    argv = sys.argv[1:] if argv is None else argv
    options = json.loads(argv[2]) if len(argv) > 2 else {}
    record = run_one(argv[0], argv[1], **options)
    # The whole record on one line: the parent reads it (including `reused`, which is not stored).
    print(json.dumps(record, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
