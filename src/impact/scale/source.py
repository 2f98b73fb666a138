"""Where out-of-core data come from: a path or glob of Parquet/CSV files, or a DuckDB relation.

The estimators of :mod:`impact.did` take, in place of a DataFrame, anything
:func:`is_out_of_core` recognises. Files are read by DuckDB (an embedded,
vectorised SQL engine) with a ``memory_limit`` and a spill directory, so
that a panel larger than the machine's memory is aggregated in one streaming
pass (:mod:`impact.scale.stats`) and never loaded whole.

To choose the memory limit, the spill directory or the number of threads,
wrap the path in :func:`source`::

    from impact.scale import source
    callaway_santanna(source("claims/*.parquet", memory_limit="4GB"), "y", "id", "month", "first")
"""

from __future__ import annotations

import glob as _glob
import os
import re
import tempfile
import threading
import time as _time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.errors import ConfigError, DataError

__all__ = ["Source", "source", "is_out_of_core", "default_memory_limit"]

_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}
# The statistics query reads the data through this view name in every engine.
TABLE = "impact_source"
# A scan that takes longer than this shows a progress bar (when progress is not switched off).
_PROGRESS_AFTER_S = 2.0


def default_memory_limit() -> str:
    """About half the machine's physical memory, as a DuckDB size string (e.g. ``"11GB"``)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(1, int(total / 2 / 2**30))}GB"


def _is_relation(data) -> bool:
    return type(data).__name__ == "DuckDBPyRelation" and type(data).__module__.startswith("duckdb")


@dataclass(frozen=True)
class Source:
    """Files (or a DuckDB relation) to aggregate, and the engine settings to do it with.

    Build it with :func:`source`. ``paths`` are the expanded files, all of one
    ``format`` ("parquet" or "csv"); ``relation`` a DuckDB relation instead.
    """

    paths: tuple[str, ...]
    format: str
    relation: Any = None
    memory_limit: str = ""
    temp_directory: str = ""
    threads: int | None = None
    progress: bool | None = None
    label: str = ""

    def connect(self):
        """A DuckDB connection with the memory limit and spill directory set, and the data as ``impact_source``."""
        import duckdb

        if self.format == "csv":
            _check_csv_rows(self.paths)
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{self.memory_limit}'")
        Path(self.temp_directory).mkdir(parents=True, exist_ok=True)
        con.execute("SET temp_directory = ?", [self.temp_directory])
        # Aggregating does not need input order; dropping it lets DuckDB stream and spill freely.
        con.execute("SET preserve_insertion_order = false")
        # Progress tracking on (off by default outside a terminal, which left the tqdm bar of _with_progress at
        # 0 %), DuckDB's own printed bar off: the tqdm bar is the one shown. In a Jupyter kernel without
        # ipywidgets DuckDB refuses both settings; the bar then shows the elapsed time only.
        for setting in ("enable_progress_bar_print = false", "enable_progress_bar = true"):
            try:
                con.execute(f"SET {setting}")
            except duckdb.Error:
                break
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        reader = "read_parquet" if self.format == "parquet" else "read_csv_auto"
        files = ", ".join("'" + p.replace("'", "''") + "'" for p in self.paths)
        con.execute(f"CREATE VIEW {TABLE} AS SELECT * FROM {reader}([{files}])")
        return con

    def session(self) -> "_Session":
        """An open connection for several queries (close it, or use it as a context manager)."""
        return _Session(self)


class _Session:
    """One DuckDB connection (or the relation's own) for the queries of one estimate."""

    def __init__(self, src: Source):
        import duckdb

        self.src = src
        try:
            self.con = None if src.relation is not None else src.connect()
        except duckdb.Error as exc:
            raise _read_error(exc, src.label) from None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.con is not None:
            self.con.close()
            self.con = None

    def columns(self) -> dict[str, str]:
        """Column names and their SQL types."""
        if self.src.relation is not None:
            return dict(zip(self.src.relation.columns, (str(t) for t in self.src.relation.types)))
        return {r[0]: r[1] for r in self.con.execute(f"DESCRIBE {TABLE}").fetchall()}

    def query(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` (which reads ``impact_source``) and return the (small) result as a DataFrame.

        A scan that lasts more than a couple of seconds shows a tqdm progress
        bar fed by DuckDB's own progress estimate (unless ``progress=False``).
        """
        import duckdb

        try:
            if self.src.relation is not None:
                return self.src.relation.query(TABLE, sql).df()
            return _with_progress(self.con, sql, self.src.progress, self.src.label)
        except duckdb.OutOfMemoryException as exc:
            raise DataError(
                f"the scan of {self.src.label} ran out of memory within memory_limit={self.src.memory_limit!r} "
                f"({exc}); raise memory_limit or point temp_directory at a disk with more free space"
            ) from None
        except duckdb.Error as exc:
            raise _read_error(exc, self.src.label) from None


def _read_error(exc: Exception, label: str) -> DataError:
    """DuckDB's error as a DataError: unreadable files, or a column whose type does not fit its role."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(f"DuckDB could not read {label}: {first}; check the files and the column types (outcome "
                     "numeric, cohort on the scale of the time column)")


def _with_progress(con, sql: str, progress: bool | None, label: str) -> pd.DataFrame:
    """Execute in a worker thread while the caller polls DuckDB's progress into a tqdm bar."""
    if progress is False:
        return con.execute(sql).df()
    box: dict[str, Any] = {}

    def run():
        try:
            box["out"] = con.execute(sql).df()
        except BaseException as exc:  # re-raised in the caller's thread
            box["err"] = exc

    tracked = _tracks_progress(con)  # asked before the query runs: a connection runs one statement at a time
    worker = threading.Thread(target=run, daemon=True)
    start = _time.perf_counter()
    worker.start()
    bar = None
    while worker.is_alive():
        worker.join(0.1)
        if bar is None and (progress or _time.perf_counter() - start > _PROGRESS_AFTER_S) and worker.is_alive():
            from tqdm.auto import tqdm

            bar = tqdm(total=100 if tracked else None, desc=f"scanning {label}", unit="%", leave=False,
                       bar_format=None if tracked else "{desc}: {elapsed}")
        if bar is not None and bar.total:
            pct = con.query_progress()
            if pct is not None and pct >= 0:
                bar.n = min(100.0, round(float(pct), 1))
                bar.refresh()
        elif bar is not None:
            bar.refresh()
    if bar is not None:
        bar.close()
    if "err" in box:
        raise box["err"]
    return box["out"]


def _tracks_progress(con) -> bool:
    """Whether DuckDB estimates this connection's progress (it may refuse to, see Source.connect)."""
    try:
        return bool(con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0])
    except Exception:  # a connection that cannot say (another engine's): no percentage shown
        return False


def _check_csv_rows(paths) -> None:
    """Refuse an empty or header-only CSV file, as :func:`impact.reading.read_table` does in memory.

    DuckDB cannot tell a lone header from a data row, so it would read one as
    data and name the columns ``column0``, ``column1``...; only the first two
    lines of each file are read here.
    """
    for path in paths:
        with open(path, "rb") as f:
            header = f.readline()
            row = f.readline()
            while row and not row.strip():
                row = f.readline()
        if not header.strip():
            raise DataError(f"data file {path!r} is empty; export the table with its header and rows"
                            + (", or leave it out of the files read" if len(paths) > 1 else ""))
        if not row:
            names = header.decode("utf-8", "replace").strip().lstrip("\ufeff")
            names = names if len(names) <= 80 else names[:77] + "..."
            raise DataError(f"data file {path!r} has no data rows (only a header: {names}); export the table "
                            "with its rows" + (", or leave it out of the files read" if len(paths) > 1 else ""))


def _expand(path: str) -> list[str]:
    p = os.path.expanduser(str(path))
    if os.path.isdir(p):
        found = sorted(f for f in _glob.glob(os.path.join(p, "**", "*"), recursive=True)
                       if Path(f).suffix.lower() in _FORMATS)
    elif _glob.has_magic(p):
        found = sorted(_glob.glob(p, recursive=True))
    else:
        found = [p] if os.path.exists(p) else []
    return found


def source(data, *, memory_limit: str | None = None, temp_directory: str | os.PathLike | None = None,
           threads: int | None = None, progress: bool | None = None) -> Source:
    """Describe out-of-core data: a path, glob or folder of Parquet/CSV files, or a DuckDB relation.

    Parameters
    ----------
    data : str, Path, list of paths, DuckDB relation or Source
        ``"claims/*.parquet"``, ``"claims/"`` (every Parquet/CSV file
        below), one file, a list of files, or ``duckdb.sql(...)``.
    memory_limit : str, optional
        DuckDB memory limit such as ``"4GB"``; default about half the
        machine's memory. Beyond it DuckDB spills to ``temp_directory``.
    temp_directory : path, optional
        Spill directory (default: ``impact-duckdb-spill`` in the system
        temporary folder). It needs free disk space of the order of the data.
    threads : int, optional
        Worker threads (default: all cores).
    progress : bool, optional
        ``True`` always shows a progress bar, ``False`` never; by default it
        appears when a scan takes more than two seconds.

    Returns
    -------
    Source
    """
    if isinstance(data, Source):
        base = data
        paths, fmt, relation, label = base.paths, base.format, base.relation, base.label
    elif _is_relation(data):
        paths, fmt, relation, label = (), "relation", data, "DuckDB relation"
    elif isinstance(data, (str, os.PathLike, list, tuple)):
        items = [data] if isinstance(data, (str, os.PathLike)) else list(data)
        if not items:
            raise DataError("no file given: pass a path, glob or folder of Parquet or CSV files")
        paths = []
        for item in items:
            if not isinstance(item, (str, os.PathLike)):
                raise ConfigError(f"data must be paths of Parquet or CSV files (got {type(item).__name__} in the list)")
            found = _expand(item)
            if not found:
                raise DataError(f"no file matches {str(item)!r}; check the path or glob (e.g. 'data/*.parquet')")
            paths.extend(found)
        kinds = {_FORMATS.get(Path(p).suffix.lower()) for p in paths}
        if None in kinds:
            bad = next(p for p in paths if Path(p).suffix.lower() not in _FORMATS)
            raise ConfigError(f"cannot read {bad!r}: out-of-core estimation reads Parquet (.parquet) or CSV (.csv) files")
        if len(kinds) > 1:
            raise ConfigError(f"{str(items[0])!r} mixes Parquet and CSV files; give one format")
        fmt, relation = kinds.pop(), None
        label = str(items[0]) + (f" (+{len(items) - 1} more)" if len(items) > 1 else "")
        paths = tuple(dict.fromkeys(paths))
    else:
        raise ConfigError(
            f"data must be a DataFrame, a path or glob of Parquet/CSV files or a DuckDB relation (got {type(data).__name__})"
        )
    if isinstance(data, Source):
        memory_limit = memory_limit or data.memory_limit
        temp_directory = temp_directory or data.temp_directory
        threads = threads or data.threads
        progress = data.progress if progress is None else progress
    if memory_limit is not None and (not isinstance(memory_limit, str)
                                     or not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory_limit.strip(), re.I)):
        raise ConfigError(f"memory_limit must be a size such as '4GB' or '500MB' (got {memory_limit!r})")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1):
        raise ConfigError(f"threads must be a positive integer (got {threads!r})")
    return Source(paths=tuple(paths), format=fmt, relation=relation,
                  memory_limit=memory_limit or default_memory_limit(),
                  temp_directory=str(temp_directory or Path(tempfile.gettempdir()) / "impact-duckdb-spill"),
                  threads=threads, progress=progress, label=label)


def is_out_of_core(data) -> bool:
    """True when ``data`` is not a DataFrame but files, a DuckDB relation, another engine's table or statistics.

    The estimators of :mod:`impact.did` call this first and hand such data to
    :mod:`impact.scale.estimators`.
    """
    if isinstance(data, pd.DataFrame):
        return False
    if isinstance(data, (str, os.PathLike, Source)) or _is_relation(data):
        return True
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (str, os.PathLike)) for d in data):
        return True
    return type(data).__name__ in ("PanelStats", "CellStats", "Engine") and type(data).__module__ == "impact.scale.stats"
