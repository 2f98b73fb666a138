"""Run a portfolio of initiatives in parallel, locally or on a Dask cluster.

Each initiative runs in its own Python process (``python -m
impact.report.execute``), so a per-initiative timeout can stop it, its
kernel included, without touching the others; one failure never stops the
batch. Locally a thread pool keeps ``jobs`` such processes busy; with Dask
each task starts the same process on a worker (workers must see the same
file system as the output folder).
"""

from __future__ import annotations

import contextlib
import json
import numbers
import os
import signal
import subprocess
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from impact.data import check_choice, check_int
from impact.errors import ConfigError
from impact.report.initiative import find_initiatives, initiative_ident
from impact.report.sanitize import finite

__all__ = ["run_batch", "run_in_subprocess", "collect_records", "write_index_safely", "Interrupted"]

#: Fields of a summary that the index and results tables read as numbers.
NUMBERS = ("estimate", "se", "ci_low", "ci_high", "pvalue", "npv", "bcr", "prob_npv_negative")


class Interrupted(KeyboardInterrupt):
    """The batch was stopped by SIGTERM or SIGINT: its running workers were killed and nothing more started.

    ``signum`` is the signal; ``stopped`` the number of initiatives whose
    workers were running. Their last good reports are untouched: a stopped
    run records no failure, and the next run redoes it.
    """

    def __init__(self, signum: int, stopped: int = 0):
        super().__init__(signum)
        self.signum, self.stopped = signum, stopped

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill a worker, its process group and every process below it.

    The worker runs in a session of its own (so this kills its group without
    touching the batch), but the notebook's kernel does too (jupyter_client
    starts it with ``start_new_session``): it is found as a descendant, with
    the group stopped first so that nothing new starts while it is listed.
    """
    import psutil

    if proc.poll() is not None:  # gone already (its kernel follows it: ipykernel exits with its parent)
        return
    try:
        os.killpg(proc.pid, signal.SIGSTOP)
        below = psutil.Process(proc.pid).children(recursive=True)
    except (ProcessLookupError, psutil.NoSuchProcess):
        below = []
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for child in below:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


class _Workers:
    """The worker processes of one batch, so that a signal stops every one of them and starts no other."""

    def __init__(self):
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopping = False

    def start(self, cmd: list[str], **options) -> subprocess.Popen | None:
        with self._lock:  # a worker starts before stop_all() or not at all
            if self.stopping:
                return None
            proc = subprocess.Popen(cmd, **options)
            self._running.add(proc)
            return proc

    def finished(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(proc)

    def stop_all(self) -> int:
        with self._lock:
            self.stopping = True
            running = list(self._running)
        for proc in running:
            _kill_tree(proc)
        return len(running)


def _remove_partial_files(folder: Path, pid: int) -> None:
    """The temporary summary and notebook of a killed worker (named after its pid by :mod:`execute`)."""
    for pattern in (f".summary.{pid}-*.partial.json", f".report.{pid}-*.partial.ipynb"):
        for path in folder.glob(pattern):
            path.unlink(missing_ok=True)


def run_in_subprocess(folder: str, out: str, lang: str | None = None, force: bool = False, seed=None,
                      timeout: float | None = None, pdf: bool = False, notebook: str | None = None, *,
                      workers: _Workers | None = None) -> dict:
    """Run one initiative in a fresh process; on timeout kill it (kernel included) and record the failure.

    With ``workers`` (the batch's), the process is registered so that a
    signal to the batch kills it; a worker stopped that way records nothing
    (``step`` is ``"interrupted"`` in the returned record only).
    """
    from impact.report.execute import _record_failure, failure_record

    folder_path = Path(folder)
    options = {"lang": lang, "force": force, "seed": seed, "pdf": pdf, **({"notebook": notebook} if notebook else {})}
    cmd = [sys.executable, "-m", "impact.report.execute", str(folder_path), str(out), json.dumps(options)]
    ident, title = initiative_ident(folder_path, lang)
    interrupted = {**failure_record(ident, title, "interrupted", "stopped by a signal to the batch"), "reused": False}
    workers = workers or _Workers()
    # UTF-8 both ways whatever the locale: the record carries titles and messages in any language.
    proc = workers.start(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                         start_new_session=True, env={**os.environ, "MPLBACKEND": "Agg", "PYTHONIOENCODING": "utf-8"})
    if proc is None:
        return interrupted
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        proc.communicate()
        _remove_partial_files(Path(out) / ident, proc.pid)
        return _record_failure(Path(out) / ident, failure_record(ident, title, "timeout",
                                                                f"stopped after {timeout:g} s (--timeout)"), lang or "en")
    finally:
        workers.finished(proc)
    if workers.stopping:
        _remove_partial_files(Path(out) / ident, proc.pid)
        return interrupted
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    try:
        record = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return _record_failure(Path(out) / ident, failure_record(ident, title, "worker",
                                                                f"exit code {proc.returncode}\n{stderr[-4000:]}"), lang or "en")
    return record


def _normalise(record: dict, fallback_id: str) -> dict:
    """A summary as the index can show it whatever the file held: id and status as text, numbers or None."""
    record = dict(record)
    record["id"] = str(record.get("id") or fallback_id)
    record["status"] = "ok" if record.get("status") == "ok" else "failed"
    for key in NUMBERS:
        record[key] = finite(record.get(key))
    if not isinstance(record.get("last_good"), dict):
        record["last_good"] = None
    for key, page in (("report", "report.html"), ("error_page", "error.html")):
        if record.get(key) != page:  # links go to our own pages only
            record[key] = None
    if record["status"] == "ok" and record["report"] is None:
        record["report"] = "report.html"  # summaries written before these fields existed
    return record


def collect_records(out: str | Path, records: list[dict] | None = None) -> list[dict]:
    """Every initiative whose ``summary.json`` is in ``out``, updated by this run's ``records``, sorted by id.

    This is what ``index.html``, ``results.csv`` and ``results.xlsx`` list, so
    running some initiatives into an existing folder updates their rows and
    keeps the others. A ``summary.json`` that cannot be read is listed as
    failed with the reason rather than dropped or allowed to stop the index.
    """
    out = Path(out)
    found: dict[str, dict] = {}
    for summary in sorted(out.glob("*/summary.json")):
        folder = summary.parent.name
        try:
            record = json.loads(summary.read_text(encoding="utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:
            record = {"id": folder, "status": "failed", "step": "index", "error": f"{summary} cannot be read: {exc}"}
        # Outputs are filed by id, so the folder name is the id the links must use.
        record = _normalise(record, folder)
        record["id"] = folder
        found[folder] = record
    for record in records or []:
        record = _normalise(record, "?")
        found[record["id"]] = {**found.get(record["id"], {}), **record}
    return [found[k] for k in sorted(found)]


def _refuse_shared_ids(folders: list[Path]) -> None:
    """Outputs are filed by id: two initiatives with one id would overwrite each other's report."""
    by_id: dict[str, list[str]] = {}
    for folder in folders:
        by_id.setdefault(initiative_ident(folder)[0], []).append(str(folder))
    shared = {ident: places for ident, places in by_id.items() if len(places) > 1}
    if shared:
        listing = "; ".join(f"'{ident}' in {', '.join(places)}" for ident, places in sorted(shared.items()))
        raise ConfigError(f"two initiatives share an id, so one report would overwrite the other: {listing}; "
                          "give each its own 'id:' in initiative.yaml (or rename its folder)")


def _check_options(paths, out, *, jobs, lang, force, executor, scheduler, timeout, seed, pdf, progress, notebook):
    """Refuse, naming the argument (and its command-line option), what :func:`run_batch` cannot use.

    Returns the paths as a list (one path may be given alone) and the timeout
    as a float or None. Each check runs before any initiative starts, so a
    typing slip never costs a half-run batch.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    try:
        paths = list(paths)
    except TypeError:
        raise ConfigError(f"paths must be a folder or a list of folders (got {paths!r})") from None
    if not paths or not all(isinstance(p, (str, os.PathLike)) for p in paths):
        raise ConfigError(f"paths must name at least one initiative folder or folder of initiatives (got {paths!r})")
    if not isinstance(out, (str, os.PathLike)) or not str(out).strip():
        raise ConfigError(f"out (--out) must be a folder path (got {out!r})")
    check_int("jobs (--jobs)", jobs, minimum=1)
    check_choice("executor (--executor)", executor, ("local", "dask"))
    if lang is not None:
        from impact.report.i18n import check_lang

        check_lang(lang)
    for name, flag in (("force", force), ("pdf", pdf), ("progress", progress)):
        if not isinstance(flag, bool):
            raise ConfigError(f"{name} must be True or False (got {flag!r})")
    if scheduler is not None and not isinstance(scheduler, str) and type(scheduler).__name__ != "Client":
        raise ConfigError(f"scheduler (--scheduler) must be an address such as 'tcp://10.0.0.5:8786' or a "
                          f"distributed.Client (got {scheduler!r})")
    if seed is not None:
        check_int("seed (--seed)", seed, minimum=0)
    if timeout is not None:
        number = finite(timeout) if isinstance(timeout, numbers.Real) else None  # finite() refuses True/False
        if number is None or number <= 0:
            raise ConfigError(f"timeout (--timeout) must be a positive number of seconds, e.g. 1800, or None for no "
                              f"limit (got {timeout!r})")
        timeout = number
    if notebook is not None and not (isinstance(notebook, (str, os.PathLike)) and str(notebook).endswith(".ipynb")
                                     and Path(notebook).is_file()):
        raise ConfigError(f"notebook (--notebook) must be an existing .ipynb file (got {notebook!r})")
    return paths, timeout


@contextlib.contextmanager
def _stop_on_signals():
    """While the batch runs, SIGTERM and SIGINT raise :class:`Interrupted` in the main thread (once: a second
    signal during the clean-up is ignored). Elsewhere than the main thread, signals keep their handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _run_local(args: list[tuple], jobs: int, done) -> None:
    """Each initiative in its own worker process, ``jobs`` at a time; a signal kills every worker (kernels too)."""
    workers = _Workers()
    with _stop_on_signals(), ThreadPoolExecutor(max_workers=jobs) as pool:
        try:
            futures = {pool.submit(run_in_subprocess, *a, workers=workers): i for i, a in enumerate(args)}
            for fut in as_completed(futures):
                done(futures[fut], fut)
        except BaseException as exc:  # Interrupted, or any error here: no worker may outlive the batch
            pool.shutdown(wait=False, cancel_futures=True)
            stopped = workers.stop_all()
            if isinstance(exc, Interrupted):
                exc.stopped = stopped
            raise


def run_batch(paths, out, *, jobs: int = 1, lang: str | None = None, force: bool = False, executor: str = "local",
              scheduler: str | None = None, timeout: float | None = 1800, seed=None, pdf: bool = False,
              progress: bool = True, notebook: str | os.PathLike | None = None) -> list[dict]:
    """Run every initiative under ``paths`` and write ``out/index.html``, ``results.csv`` and ``results.xlsx``.

    The index and tables list every initiative with a summary in ``out``
    (see :func:`collect_records`), not only those run now. Returns this run's
    summary records in the order of the initiatives. ``notebook`` replaces
    the shipped report notebook (it takes the same parameters).

    Raises
    ------
    ConfigError
        For an argument it cannot use, before any initiative starts.
    Interrupted
        On SIGTERM or SIGINT (local executor): every running worker, its
        notebook kernel included, is killed first; no index is written.
    """
    from impact.report.execute import _record_failure, failure_record
    from impact.report.sanitize import for_console

    paths, timeout = _check_options(paths, out, jobs=jobs, lang=lang, force=force, executor=executor,
                                    scheduler=scheduler, timeout=timeout, seed=seed, pdf=pdf, progress=progress,
                                    notebook=notebook)
    folders = find_initiatives(paths)
    if not folders:
        raise ConfigError(f"no initiative.yaml found under {', '.join(map(str, paths))}")
    _refuse_shared_ids(folders)
    out = Path(out).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, a read-only place: say which option, before any run
        raise ConfigError(f"out (--out) {str(out)!r} cannot be used as the output folder ({exc.strerror or exc}); "
                          "choose a folder you can write to") from None
    notebook = str(Path(notebook).resolve()) if notebook is not None else None
    args = [(str(f.resolve()), str(out), lang, force, seed, timeout, pdf, notebook) for f in folders]
    records: dict[int, dict] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(args), desc="initiatives", unit="report", file=sys.stderr)

    def done(i: int, fut) -> None:
        try:
            record = fut.result()
        except Exception as exc:  # the runner itself failed (cannot start a process, lost a Dask worker)
            ident, title = initiative_ident(args[i][0], lang)
            record = _record_failure(out / ident, failure_record(
                ident, title, "worker", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"), lang or "en")
        records[i] = record
        if bar is not None:
            bar.set_postfix_str(for_console(f"{record.get('id')}: {record.get('status')}"))
            bar.update()

    if executor == "local":
        try:
            _run_local(args, jobs, done)
        finally:
            if bar is not None:
                bar.close()
    else:
        from distributed import Client, as_completed as dask_completed

        if not scheduler:
            raise ConfigError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            futures = [client.submit(run_in_subprocess, *a, pure=False) for a in args]
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in dask_completed(futures):
                done(index[fut.key], fut)
        finally:
            if not isinstance(scheduler, Client):
                client.close()
    if bar is not None:
        bar.close()
    ordered = [records[i] for i in range(len(args))]
    write_index_safely(collect_records(out, ordered), out, lang or "en")
    return ordered


def write_index_safely(records: list[dict], out: Path, lang: str = "en") -> Path:
    """:func:`~impact.report.index.write_index`, so that no record can stop the index.

    Should the index fail on the whole list, each record is tried alone; one
    that cannot be shown is listed as failed, naming why, and the others are
    shown as they are.
    """
    import tempfile

    from impact.report.index import write_index

    try:
        return write_index(records, out, lang)
    except Exception:
        pass
    shown = []
    for record in records:
        try:
            with tempfile.TemporaryDirectory(dir=out) as trial:
                write_index([record], Path(trial), lang)
            shown.append(record)
        except Exception as exc:
            shown.append({"id": record["id"], "title": record.get("title"), "status": "failed", "step": "index",
                          "error": f"summary.json holds values the index cannot show ({type(exc).__name__}: {exc})",
                          "error_page": record.get("error_page"), "report": record.get("report")})
    return write_index(shown, out, lang)
