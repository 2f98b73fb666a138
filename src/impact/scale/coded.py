"""Files seen through a DuckDB relation that adds each row's period and cohort codes.

Code that works on a prepared DataFrame in memory (the report's derived 0/1
columns, for instance) can run on files instead: :func:`coded_relation` codes
the distinct periods and cohorts with :mod:`impact.periods` (as
:func:`impact.data.period_codes` does in memory) and exposes the files as a
relation with two more integer columns, ``_tcode`` (the period's calendar
code) and ``_gcode`` (the cohort's code: -1 never treated, 0 always treated,
``n`` or more after the sample), plus any columns computed from them. The
estimators of :mod:`impact.did` accept the relation as ``data``; nothing is
read until a query runs, and every query is an aggregation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from impact.errors import ConfigError
from impact.scale.calendar import Calendar, code_calendar
from impact.scale.source import TABLE, Source, _read_error, source
from impact.scale.stats import _literal, _q

__all__ = ["CodedRelation", "coded_relation"]

_FILES = "impact_files"


@dataclass(frozen=True)
class CodedRelation:
    """A relation over files with ``_tcode``/``_gcode`` columns, its connection and the calendar of the codes."""

    relation: Any
    connection: Any
    calendar: Calendar
    source: Source

    def query(self, sql: str):
        """Run ``sql`` on the relation (named ``impact_source``) and return the small result as a DataFrame."""
        try:
            return self.relation.query(TABLE, sql).df()
        except duckdb.Error as exc:
            raise _read_error(exc, self.source.label) from None

    def close(self) -> None:
        self.connection.close()


def coded_relation(data, time: str, cohort: str | None = None, extra: dict[str, str] | None = None,
                   **settings) -> CodedRelation:
    """Files (path, glob or :func:`~impact.scale.source`) as a relation with period and cohort codes.

    Parameters
    ----------
    data : path, glob, list of paths or Source
        Parquet or CSV files.
    time, cohort : str
        Columns to code; without ``cohort``, ``_gcode`` is -1.
    extra : dict, optional
        More columns, ``{name: SQL expression}``, that may use ``_tcode`` and ``_gcode``.
    **settings
        ``memory_limit``, ``temp_directory``, ``threads`` for :func:`~impact.scale.source`.

    Raises
    ------
    DataError
        Unreadable files, missing columns, periods or cohorts off the calendar
        (the messages of :func:`impact.data.period_codes`).
    """
    src = source(data, **settings)
    if src.relation is not None:
        raise ConfigError("coded_relation reads files; give a path or glob of Parquet or CSV files")
    try:
        con = src.connect()
        # The relation is queried under the name impact_source, as the estimators' statistics query expects.
        con.execute(f"ALTER VIEW {TABLE} RENAME TO {_FILES}")
        columns = {r[0] for r in con.execute(f"DESCRIBE {_FILES}").fetchall()}
    except duckdb.Error as exc:
        raise _read_error(exc, src.label) from None
    from impact.scale.stats import _check_columns

    _check_columns(dict.fromkeys(columns, "VARCHAR"), time=time, cohort=cohort)
    picked = [_q(time)] + ([_q(cohort)] if cohort else [])
    sel = ", ".join(f"{c} AS v{i}" for i, c in enumerate(picked))
    try:
        combos = con.execute(f"SELECT {sel} FROM {_FILES} GROUP BY {', '.join(picked)}").df()
    except duckdb.Error as exc:
        con.close()
        raise _read_error(exc, src.label) from None
    cal = code_calendar(combos["v0"], combos["v1"] if cohort else None, time, cohort, src.label)
    tv = _q(time)
    whens = " ".join(
        f"WHEN {tv} IN ({', '.join(_literal(v) for v in values)}) THEN {int(code)}"
        for values, code in zip(cal.columns, cal.observed))
    tcode = f"CASE {whens} END"
    gwhens = " ".join(f"WHEN {_q(cohort)} = {_literal(v)} THEN {c}" for v, c in (cal.cohort_map or {}).items())
    gcode = f"CASE {gwhens} ELSE -1 END" if gwhens else "-1"
    more = "".join(f", {expr} AS {_q(name)}" for name, expr in (extra or {}).items())
    inner = f"SELECT *, {tcode} AS _tcode, {gcode} AS _gcode FROM {_FILES}"
    relation = con.sql(f"SELECT *{more} FROM ({inner})")
    return CodedRelation(relation=relation, connection=con, calendar=cal, source=src)
