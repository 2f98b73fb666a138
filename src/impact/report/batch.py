"""Run a portfolio of initiatives in parallel, locally or on a Dask cluster.

Each initiative runs in its own Python process (``python -m
impact.report.execute``), so a per-initiative timeout can stop it, its
kernel included, without touching the others; one failure never stops the
batch. Locally a thread pool keeps ``jobs`` such processes busy; with Dask
each task starts the same process on a worker (workers must see the same
file system as the output folder).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from impact.data import check_choice, check_int
from impact.errors import ConfigError
from impact.report.initiative import find_initiatives

__all__ = ["run_batch", "run_in_subprocess"]


def _ident(folder: Path) -> tuple[str, str]:
    import yaml

    try:
        config = yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8")) or {}
        return str(config.get("id") or folder.name), str(config.get("title") or folder.name)
    except Exception:  # an unreadable file is reported by the worker itself
        return folder.name, folder.name


def run_in_subprocess(folder: str, out: str, lang: str | None = None, force: bool = False, seed=None,
                      timeout: float | None = None, pdf: bool = False) -> dict:
    """Run one initiative in a fresh process; on timeout kill its whole process group and record the failure."""
    from impact.report.execute import _record_failure, failure_record

    folder_path = Path(folder)
    options = json.dumps({"lang": lang, "force": force, "seed": seed, "pdf": pdf})
    cmd = [sys.executable, "-m", "impact.report.execute", str(folder_path), str(out), options]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    ident, title = _ident(folder_path)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return _record_failure(Path(out) / ident, failure_record(ident, title, "timeout",
                                                                f"stopped after {timeout:g} s (--timeout)"), lang or "en")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return _record_failure(Path(out) / ident, failure_record(ident, title, "worker",
                                                                f"exit code {proc.returncode}\n{stderr[-4000:]}"), lang or "en")
    return json.loads(lines[-1])


def run_batch(paths, out, *, jobs: int = 1, lang: str | None = None, force: bool = False, executor: str = "local",
              scheduler: str | None = None, timeout: float | None = 1800, seed=None, pdf: bool = False,
              progress: bool = True) -> list[dict]:
    """Run every initiative under ``paths`` and write ``out/index.html``, ``results.csv`` and ``results.xlsx``.

    Returns the summary records in the order of the initiatives.
    """
    from impact.report.index import write_index

    jobs = check_int("jobs", jobs, minimum=1)
    check_choice("executor", executor, ("local", "dask"))
    if lang is not None:
        check_choice("lang", lang, ("en", "fr"))
    if timeout is not None and timeout <= 0:
        raise ConfigError(f"timeout must be a positive number of seconds (got {timeout})")
    folders = find_initiatives(paths)
    if not folders:
        raise ConfigError(f"no initiative.yaml found under {', '.join(map(str, paths))}")
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    args = [(str(f.resolve()), str(out), lang, force, seed, timeout, pdf) for f in folders]
    records: dict[int, dict] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(args), desc="initiatives", unit="report", file=sys.stderr)

    def done(i: int, record: dict) -> None:
        records[i] = record
        if bar is not None:
            bar.set_postfix_str(f"{record.get('id')}: {record.get('status')}")
            bar.update()

    if executor == "local":
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(run_in_subprocess, *a): i for i, a in enumerate(args)}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    else:
        from distributed import Client, as_completed as dask_completed

        if not scheduler:
            raise ConfigError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            futures = [client.submit(run_in_subprocess, *a, pure=False) for a in args]
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in dask_completed(futures):
                done(index[fut.key], fut.result())
        finally:
            if not isinstance(scheduler, Client):
                client.close()
    if bar is not None:
        bar.close()
    ordered = [records[i] for i in range(len(args))]
    write_index(ordered, out, lang or "en")
    return ordered
