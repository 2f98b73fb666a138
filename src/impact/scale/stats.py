"""Sufficient statistics of a panel, computed in one engine-portable SQL aggregation.

Without covariates, on a balanced panel, every estimator of
:mod:`impact.scale.estimators` is a function of a few statistics per group of
units that share a *key*: their cohort (Callaway-Sant'Anna, the TWFE event
study) or their 0/1 treatment path (TWFE). Per key: the number of units, the
period means and the period-by-period covariance matrix. The covariances come
from sums of products of outcomes centred on their cohort's period means,
known from the first, distinct-values scan: raw sums of products would lose
precision, and ``covar_pop`` (a stable one-pass algorithm) costs more per
value; centred, they keep the digits that matter (tested on outcomes near
1e7, against a two-pass covariance, to 1e-12).
With clusters coarser than units, per (cluster, key): the number of units
and the period sums. A unit's influence function (or regression score) is
affine in its outcome vector with coefficients that depend on its key only,
so these statistics give the estimates, their cluster-robust covariance and
every aggregation exactly (the "compress once" idea of Wong, Lewis and
Wardrop 2021).

The SQL is written once, in DuckDB's dialect, with portable constructs only
(CTEs, ``CASE``, ``count``/``sum``/``avg``/``max``/``covar_pop``), and
transpiled by sqlglot for Spark, Trino, BigQuery or Postgres
(:func:`to_dialect`). The two scans also check the input: duplicate
unit-period rows, a key or cluster that varies within a unit, units missing
periods, and non-finite or missing outcomes. Their totals come cheaply (per
period and cohort, and per group of units); only when one of them is off does
a third query count every problem per unit, so that each is a
:class:`~impact.errors.DataError` with counts and example units.

References
----------
Wong, J., Lewis, R. and Wardrop, M. (2021). You only compress once: optimal
data compression for estimating linear models. arXiv:2102.11297.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from impact.data import show
from impact.errors import ConfigError, DataError
from impact.scale.calendar import MAX_PATTERN_PERIODS, code_calendar, observed_columns, to_calendar
from impact.scale.checks import _check_columns, _raise_checks
from impact.scale.source import TABLE, Source, is_out_of_core, source

__all__ = ["PanelStats", "CellStats", "Engine", "panel_statistics", "cell_statistics", "to_dialect", "panel_sql"]

# A treatment path is stored as a bit mask in a 64-bit integer.
_MAX_PATH_PERIODS = MAX_PATTERN_PERIODS


@dataclass(frozen=True)
class Engine:
    """Another SQL engine: ``run(sql) -> DataFrame``, its sqlglot ``dialect`` and the ``table`` holding the data.

    Pass it as ``data`` to an estimator (or to :func:`panel_statistics`): the
    statistics query is transpiled to ``dialect`` and run where the data live,
    and only the aggregates come back.

    Examples
    --------
    >>> spark_engine = Engine(run=lambda sql: spark.sql(sql).toPandas(), dialect="spark",
    ...                       table="claims")                                  # doctest: +SKIP
    >>> callaway_santanna(spark_engine, "y", "person", "month", "first_month")  # doctest: +SKIP
    """

    run: Callable[[str], pd.DataFrame]
    dialect: str
    table: str


@dataclass(frozen=True)
class PanelStats:
    """Per-key statistics of a panel (see the module docstring).

    ``kind`` is ``"cohort"`` (``keys`` are cohort codes on the period scale,
    -1 never treated, ``len(periods)`` or more treated after the sample) or
    ``"path"`` (``keys`` are bit masks of the 0/1 treatment by period).
    ``n[k]`` units, ``mean[k]`` period means and ``cov[k]`` the population
    covariance of their outcomes across periods; with a cluster,
    ``cl_index``/``cl_key``/``cl_n``/``cl_sum`` give each non-empty
    (cluster, key) cell and ``cov`` is not needed (None). ``masked`` lists the
    keys whose statistics were withheld on export (fewer than
    ``min_cell_size`` units).

    An unbalanced panel (read with ``unbalanced=True``) is grouped by key and
    pattern of observed periods (bit ``t`` of ``patterns[k]``, and of
    ``cl_pattern`` per cluster cell): ``keys`` then repeat, and the moments
    of unobserved periods are 0.
    """

    outcome: str
    unit: str
    time: str
    key: str
    kind: str
    cluster: str | None
    periods: np.ndarray
    keys: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    cov: np.ndarray | None
    n_obs: int
    cl_labels: np.ndarray | None = None
    cl_index: np.ndarray | None = None
    cl_key: np.ndarray | None = None
    cl_n: np.ndarray | None = None
    cl_sum: np.ndarray | None = None
    masked: tuple = field(default=())
    patterns: np.ndarray | None = None
    cl_pattern: np.ndarray | None = None

    @property
    def balanced(self) -> bool:
        """True unless some units miss periods (then ``patterns`` holds each group's observed periods)."""
        return self.patterns is None

    @property
    def n_units(self) -> int:
        return int(self.n.sum())

    def trends(self, by_code: bool = False) -> pd.DataFrame:
        """Mean outcome by cohort and period (a trends figure without the unit-level data).

        One row per (cohort, period) with units observed: ``cohort`` (the
        first treated period's label, or None for never treated and for
        cohorts after the sample), ``period``, ``mean`` and ``n_units``.
        With ``by_code``, ``cohort`` is the cohort's code instead (-1 never
        treated; cohorts after the sample keep theirs) and ``period_code``
        is added. Cohort statistics only.
        """
        if self.kind != "cohort":
            raise ConfigError("trends() needs statistics by cohort (panel_statistics(..., cohort=...))")
        T = len(self.periods)
        # Units treated after the sample are never treated within it: pooled with the never treated.
        pooled = (self.keys < 0) if by_code else (self.keys < 0) | (self.keys >= T)
        keys, inv = np.unique(np.where(pooled, -1, self.keys), return_inverse=True)
        seen = np.ones((len(self.keys), T)) if self.balanced else \
            ((self.patterns[:, None] >> np.arange(T)[None, :]) & 1).astype(float)
        n = np.zeros((len(keys), T))
        np.add.at(n, inv, self.n[:, None] * seen)  # units observed in each period (unbalanced panels differ)
        mean = np.zeros((len(keys), T))
        np.add.at(mean, inv, self.n[:, None] * seen * self.mean)
        labels = keys if by_code else np.where(keys < 0, None, self.periods[np.clip(keys, 0, T - 1)].astype(object))
        frame = pd.DataFrame({
            "cohort": np.repeat(labels, T), "period": np.tile(self.periods, len(keys)),
            "mean": (mean / np.where(n > 0, n, 1)).ravel(), "n_units": n.ravel().astype(np.int64),
        })
        if by_code:
            frame["period_code"] = np.tile(np.arange(T), len(keys))
        return frame[frame["n_units"] > 0].reset_index(drop=True)  # periods without a row have no mean

    def check_columns(self, **roles: str | None) -> None:
        """Raise unless the statistics were computed with these column roles."""
        have = {"outcome": self.outcome, "unit": self.unit, "time": self.time, self.kind: self.key,
                "cluster": self.cluster}
        for role, name in roles.items():
            if have.get(role) != name:
                raise ConfigError(
                    f"these statistics were computed with {role}={have.get(role)!r}, not {name!r}; "
                    "recompute them with impact.scale.panel_statistics for these columns"
                )


@dataclass(frozen=True)
class CellStats:
    """Per (treated, post) cell statistics for the 2x2: counts, means, population variances (and cluster sums)."""

    outcome: str
    treated: str
    post: str
    cluster: str | None
    d: np.ndarray
    p: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    n_obs: int
    n_units: int | None
    cl_index: np.ndarray | None = None
    cl_cell: np.ndarray | None = None
    cl_n: np.ndarray | None = None
    cl_sum: np.ndarray | None = None


# --------------------------------------------------------------------------- SQL text


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(value) -> str:
    """A SQL literal for a period or cohort value as the engine returned it."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        return f"TIMESTAMP '{pd.Timestamp(value).isoformat(sep=' ')}'"
    if isinstance(value, _dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _sum_of(terms: list[str]) -> str:
    return " + ".join(terms) if terms else "0"


def panel_sql(outcome: str, unit: str, time: str, key: str, kind: str, periods, cohort_map: dict | None = None,
              cluster: str | None = None, final: str = "stats", table: str = TABLE, row_codes: bool = False,
              shifts=None) -> str:
    """The statistics query (DuckDB dialect).

    ``final="stats"`` gives the statistics per key and pattern of observed
    periods with the few per-unit checks that need the unit (a key or cluster
    varying within it, a missing unit); ``"checks"`` counts every problem per
    unit (duplicates, non-finite outcomes, missing periods), run only when the
    cheap totals say something is wrong; ``"examples"`` lists failing units.
    ``shifts`` are subtracted before the sums of products: a dict
    ``key -> one value per period`` (the cohort's period means) or one value
    per period for every unit. Near the group means, the shifted sums are as
    accurate as a one-pass covariance and cheaper than ``covar_pop``.

    ``periods`` are the sorted period values (column ``i`` of the pivot is
    period ``i``; a tuple when one period is written several ways, e.g.
    ``("2023-07", "07/2023")``); ``cohort_map`` maps each treated cohort
    value to its code (``kind="cohort"``; other values are never treated).
    Rows are only grouped by unit and pivoted (one ``max(CASE ...)`` per
    period); every mapping and check then works on one row per unit, which
    keeps the scan close to the cost of reading the data. With
    ``row_codes`` the cohort is coded row by row (text cohorts, whose
    written order is not the calendar's).
    """
    T = len(periods)
    groups = [p if isinstance(p, tuple) else (p,) for p in periods]
    conds = [f"tv = {_literal(g[0])}" if len(g) == 1 else f"tv IN ({', '.join(_literal(v) for v in g)})"
             for g in groups]
    cl_sel = f", {_q(cluster)} AS c" if cluster else ""

    def code(col):
        whens = " ".join(f"WHEN {col} = {_literal(v)} THEN {c}" for v, c in (cohort_map or {}).items() if c >= 0)
        return f"(CASE {whens} ELSE -1 END)" if whens else "-1"

    key_sel = f", {code(_q(key))} AS gv" if kind == "cohort" and row_codes else f", {_q(key)} AS gv"
    rows = (f"SELECT {_q(unit)} AS u, {_q(time)} AS tv{key_sel}, CAST({_q(outcome)} AS DOUBLE) AS y{cl_sel} "
            f"FROM {table}")
    pivot = [f"max(CASE WHEN {cond} THEN y END) AS y{i}" for i, cond in enumerate(conds)]
    if kind == "cohort":
        key_aggs = "min(gv) AS g1, max(gv) AS g2, count(gv) AS gc"
    else:
        key_aggs = "count(gv) AS gc"
        pivot += [f"max(CASE WHEN {cond} THEN gv END) AS d{i}" for i, cond in enumerate(conds)]
    cl_aggs = ", min(c) AS c, max(c) AS c2, count(c) AS nc" if cluster else ""
    units = (f"SELECT u, {key_aggs}{cl_aggs}, count(*) AS nr, count(tv) AS nt, count(y) AS ny, {', '.join(pivot)} "
             f"FROM r GROUP BY u")
    if kind == "cohort" and row_codes:
        kexpr = "g1"  # already codes (-1 never treated), never missing
        bad_key = "CASE WHEN g1 = g2 THEN 0 ELSE 1 END"
    elif kind == "cohort":
        kexpr = code("g1")
        # Codes, not raw values, must agree (0 and missing both mean never treated).
        bad_key = f"CASE WHEN {code('g1')} = {code('g2')} AND (gc = nr OR {code('g1')} = -1) THEN 0 ELSE 1 END"
    else:
        kexpr = _sum_of([f"CASE WHEN d{i} = 1 THEN {2**i} ELSE 0 END" for i in range(T)])
        bad_key = "CASE WHEN " + " AND ".join(f"(d{i} IS NULL OR d{i} = 0 OR d{i} = 1)" for i in range(T)) + \
                  " AND gc = nr THEN 0 ELSE 1 END"
    present = _sum_of([f"CASE WHEN y{i} IS NULL THEN 0 ELSE 1 END" for i in range(T)])
    nonfinite = _sum_of([f"CASE WHEN y{i} IS NULL OR y{i} * 0 = 0 THEN 0 ELSE 1 END" for i in range(T)])
    bad_cl = "CASE WHEN nc = nr AND c = c2 THEN 0 ELSE 1 END" if cluster else "0"
    pattern = (_sum_of([f"CASE WHEN y{i} IS NULL THEN 0 ELSE {2**i} END" for i in range(T)])
               if T <= _MAX_PATH_PERIODS else "0")
    flags = (f"SELECT *, {kexpr} AS k, {bad_key} AS bad_k, {bad_cl} AS bad_c, {present} AS np, "
             f"{nonfinite} + nr - ny AS nbad, {pattern} AS pat FROM units")
    cte = f"WITH r AS ({rows}), units AS ({units}), f AS ({flags}) "
    if final == "examples":
        return cte + (
            f"SELECT u, k, nr, nt, np, nbad, bad_k AS bad_key, bad_c AS bad_cl FROM f "
            f"WHERE u IS NULL OR nbad > 0 OR nt < nr OR nt > np OR np < {T} OR bad_k = 1 OR bad_c = 1 LIMIT 200"
        )
    checks = [
        "count(*) AS n_units", "sum(nr) AS n_rows", "sum(bad_k) AS bad_key", "sum(bad_c) AS bad_cluster",
        "sum(CASE WHEN nt > np THEN 1 ELSE 0 END) AS dup_units", "sum(nt - np) AS dup_rows",
        f"sum(CASE WHEN np < {T} THEN 1 ELSE 0 END) AS short_units", f"sum({T} - np) AS missing_cells",
        "sum(nbad) AS bad_y", "sum(nr - nt) AS bad_t", "sum(CASE WHEN u IS NULL THEN nr ELSE 0 END) AS null_unit",
    ]
    if final == "checks":
        return cte + f"SELECT {', '.join(checks)} FROM f"
    # The statistics: per-unit expressions kept to the key, the pattern and two flags, since expressions over
    # every period of every unit cost as much as the aggregation itself.
    lean = (f"SELECT u, nr, {kexpr} AS k, {bad_key} AS bad_k, {bad_cl} AS bad_c{', c' if cluster else ''}, "
            f"{pattern} AS pat, {', '.join(f'y{i}' for i in range(T))} FROM units")
    if isinstance(shifts, dict):
        # Centred on their cohort's period means: a join with a small table, cheaper than a CASE per period.
        table_rows = " UNION ALL ".join(
            f"SELECT {int(k)} AS kk, " + ", ".join(f"{_literal(float(v))} AS h{i}" for i, v in enumerate(row))
            for k, row in shifts.items())
        lean = (f"SELECT u, nr, k, bad_k, bad_c, pat, {', '.join(f'y{i} - h{i} AS y{i}' for i in range(T))} "
                f"FROM ({lean}) AS lf JOIN ({table_rows}) AS sh ON lf.k = sh.kk")
    elif shifts is not None:
        lean = (f"SELECT u, nr, k, bad_k, bad_c, pat, "
                f"{', '.join(f'y{i} - {_literal(float(shifts[i]))} AS y{i}' for i in range(T))} FROM ({lean}) AS lf")
    totals = ["count(*) AS n_units", "sum(nr) AS n_rows", "sum(bad_k) AS bad_key", "sum(bad_c) AS bad_cluster",
              "sum(CASE WHEN u IS NULL THEN nr ELSE 0 END) AS null_unit"]
    if T > _MAX_PATH_PERIODS:  # no pattern: count the observed cells per period instead
        totals += [f"count(y{i}) AS o{i}" for i in range(T)]
    cte = f"WITH r AS ({rows}), units AS ({units}), f AS ({lean}) "
    if cluster:
        moments = [f"sum(y{i}) AS s{i}" for i in range(T)]
        return cte + f"SELECT k, pat, c, {', '.join(totals + moments)} FROM f GROUP BY k, pat, c"
    moments = [f"sum(y{i}) AS s{i}" for i in range(T)]
    moments += [f"sum(y{i} * y{j}) AS p{i}_{j}" for i in range(T) for j in range(i, T)]
    return cte + f"SELECT k, pat, {', '.join(totals + moments)} FROM f GROUP BY k, pat"


def to_dialect(sql: str, dialect: str) -> str:
    """Transpile a statistics query to another engine's SQL dialect with sqlglot (e.g. "spark", "trino")."""
    if dialect == "duckdb":
        return sql
    import sqlglot

    try:
        return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
    except (sqlglot.errors.ParseError, ValueError, KeyError) as exc:
        raise ConfigError(f"cannot write the statistics query in SQL dialect {dialect!r}: {exc}") from None


# --------------------------------------------------------------------------- running it


class _Runner:
    """``run(sql) -> DataFrame`` with its dialect, table name and column types (None when unknown)."""

    def __init__(self, data):
        self.session = None
        if isinstance(data, Engine):
            self.dialect, self.table, self.types = data.dialect, data.table, None
            self.label = f"table {data.table!r}"

            def run(sql, _run=data.run, _engine=data):
                try:
                    return _run(sql)
                except Exception as exc:  # the engine's own error types are unknown here
                    first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
                    raise DataError(f"the {_engine.dialect} engine could not run the statistics query on table "
                                    f"{_engine.table!r}: {first}; check the table and its column names") from None

            self.run = run
        else:
            self.session = (data if isinstance(data, Source) else source(data)).session()
            self.label = self.session.src.label
            self.run, self.dialect, self.table = self.session.query, "duckdb", TABLE
            self.types = self.session.columns()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.session is not None:
            self.session.close()


def _distinct(run, dialect, table, columns: list[str], outcome: str | None = None) -> pd.DataFrame:
    """The distinct combinations of a few small-cardinality columns (periods, cohorts), in one scan.

    With ``outcome``, also each combination's rows ``nr``, outcomes ``ny``
    and mean outcome ``my``: the totals that tell, before the statistics
    query, whether outcomes are missing or non-finite, and the period means
    that centre its sums of products.
    """
    sel = ", ".join(f"{_q(c)} AS v{i}" for i, c in enumerate(columns))
    if outcome is not None:
        y = f"CAST({_q(outcome)} AS DOUBLE)"
        sel += f", count(*) AS nr, count({y}) AS ny, avg({y}) AS my"
    return run(to_dialect(f"SELECT {sel} FROM {table} GROUP BY {', '.join(_q(c) for c in columns)}", dialect))


def _shifts(combos: pd.DataFrame, columns: list, cohort_map: dict | None):
    """The centres of the sums of products: each period's mean outcome, per cohort code when there are cohorts.

    A dict ``code -> means by period`` (every code the query can give: -1 and
    the cohort codes), or one array for treatment paths; 0 where unknown.
    """
    T = len(columns)
    ny = combos["ny"].to_numpy(float)
    my = pd.to_numeric(combos["my"], errors="coerce").to_numpy(float)
    ok = (ny > 0) & np.isfinite(my)
    period = np.full(len(combos), -1)
    for i, written in enumerate(columns):
        period[combos["v0"].isin(list(written)).to_numpy()] = i
    ok &= period >= 0
    w = np.where(ok, ny, 0.0)
    wy = np.where(ok, ny * np.where(ok, my, 0.0), 0.0)

    def means(rows):
        tot = np.bincount(period[rows & ok], weights=w[rows & ok], minlength=T)
        return np.bincount(period[rows & ok], weights=wy[rows & ok], minlength=T) / np.where(tot > 0, tot, 1)

    overall = means(np.ones(len(combos), dtype=bool))
    if cohort_map is None:
        return overall
    codes = np.array([cohort_map.get(v, -1) if not pd.isna(v) else -1 for v in combos["v1"].tolist()])
    out = {}
    for k in sorted(set(cohort_map.values()) | {-1}):
        rows = codes == k
        out[k] = means(rows) if rows.any() else overall
    return out


_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT")


def _unit_parts(runner, unit: str) -> list[str] | None:
    """One table per Parquet file when the files hold disjoint ranges of (integer) units, else None.

    Administrative extracts are usually split by ranges of people: then each
    file's units are its own, the statistics (counts and sums) add up across
    files, and grouping file by file keeps the per-unit hash table in memory
    instead of spilling a billion rows' worth to disk. Decided from the files'
    own min/max statistics (no data read); any doubt (no statistics, text
    units, overlapping ranges) keeps the single query over every file.
    """
    session = runner.session
    if session is None or session.src.relation is not None or session.src.format != "parquet" \
            or len(session.src.paths) < 2:
        return None
    if str(runner.types.get(unit, "")).upper() not in _INTEGER_TYPES:
        return None
    files = ", ".join(_literal(p) for p in session.src.paths)
    try:
        meta = runner.run(
            f"SELECT file_name AS f, min(TRY_CAST(stats_min_value AS HUGEINT)) AS lo, "
            f"max(TRY_CAST(stats_max_value AS HUGEINT)) AS hi, count(*) AS n_groups, "
            f"count(TRY_CAST(stats_min_value AS HUGEINT)) + count(TRY_CAST(stats_max_value AS HUGEINT)) AS n_stats "
            f"FROM parquet_metadata([{files}]) WHERE path_in_schema = {_literal(unit)} GROUP BY file_name")
    except DataError:
        return None
    if len(meta) != len(session.src.paths) or (meta["n_stats"] != 2 * meta["n_groups"]).any():
        return None
    meta = meta.sort_values("lo", ignore_index=True)
    lo, hi = meta["lo"].to_numpy(float), meta["hi"].to_numpy(float)
    if not (hi[:-1] < lo[1:]).all():
        return None
    return [f"read_parquet({_literal(f)})" for f in meta["f"]]


def _add_up(parts: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """Statistics of disjoint sets of units summed by group (every column is a count or a sum)."""
    both = pd.concat(parts, ignore_index=True)
    return both.groupby(keys, as_index=False, dropna=False).sum(min_count=1)


def _observed(out: pd.DataFrame, T: int) -> np.ndarray:
    """Groups x periods: True where the group's units have the period (all of them, above 62 periods)."""
    if T > _MAX_PATH_PERIODS:
        return np.ones((len(out), T), dtype=bool)
    return ((out["pat"].to_numpy(np.int64)[:, None] >> np.arange(T)[None, :]) & 1).astype(bool)


def _totals(out: pd.DataFrame, combos: pd.DataFrame, T: int, unbalanced: bool) -> dict:
    """The cheap totals of the first two scans, and whether anything calls for the full per-unit checks.

    Rows without a period, missing or non-finite outcomes come from the
    distinct-values scan; extra rows (duplicates) are the rows beyond the
    observed unit-period cells; missing cells come from the patterns.
    """
    n_units, n_rows = int(out["n_units"].sum()), int(out["n_rows"].sum())
    if T > _MAX_PATH_PERIODS:
        cells = int(out[[f"o{i}" for i in range(T)]].to_numpy(float).sum())
        short = int(cells < n_units * T)  # not countable here; the checks query counts them
    else:
        full = out["pat"].to_numpy(np.int64) == (1 << T) - 1
        cells = int((out["n_units"].to_numpy(np.int64) * _observed(out, T).sum(axis=1)).sum())
        short = int(out["n_units"].to_numpy(np.int64)[~full].sum())
    nr, ny = combos["nr"].to_numpy(float), combos["ny"].to_numpy(float)
    my = pd.to_numeric(combos["my"], errors="coerce").to_numpy(float)
    bad_y = (nr - ny).sum() > 0 or not np.isfinite(my[ny > 0]).all()
    no_time = bool((pd.isna(combos["v0"]).to_numpy() & (nr > 0)).any())
    flags = [out[c].astype(float).fillna(0).sum() > 0 for c in ("bad_key", "bad_cluster", "null_unit")]
    suspect = (bad_y or no_time or any(flags) or n_rows > cells
               or (short > 0 and not (unbalanced and T <= _MAX_PATH_PERIODS)))
    return {"n_units": n_units, "n_rows": n_rows, "short_units": short, "missing_cells": n_units * T - cells,
            "suspect": suspect}


def _check_sums(out: pd.DataFrame, T: int, outcome: str) -> None:
    """Finite outcomes whose sums overflow (values near 1e308) would give infinite statistics: refuse them."""
    seen = _observed(out, T)
    sums = [c for c in out.columns if c[0] in "sp" and c[1:2].isdigit()]
    for c in sums:
        i = int(c[1:].split("_")[0])
        j = int(c.split("_")[1]) if "_" in c else i
        vals = out[c].to_numpy(float)[seen[:, i] & seen[:, j]]
        if not np.isfinite(vals).all():
            raise DataError(f"outcome column {outcome!r} holds values so large that their sums overflow; "
                            "rescale it (e.g. thousands of euros instead of euros) first")


def _moments(out: pd.DataFrame, T: int, shifts: np.ndarray) -> pd.DataFrame:
    """Means ``m`` and population covariances ``v`` from the shifted sums and sums of products.

    Every unit of a (key, pattern) group has the same periods, so each sum
    runs over the group's ``n_units``; unobserved periods stay missing.
    """
    n = out["n_units"].to_numpy(float)
    s = out[[f"s{i}" for i in range(T)]].to_numpy(float) / n[:, None]
    keys = out["k"].to_numpy(np.int64)
    centre = np.array([shifts[k] for k in keys]) if isinstance(shifts, dict) else np.tile(shifts, (len(out), 1))
    cols = {f"m{i}": s[:, i] + centre[:, i] for i in range(T)}
    for i in range(T):
        for j in range(i, T):
            cols[f"v{i}_{j}"] = out[f"p{i}_{j}"].to_numpy(float) / n - s[:, i] * s[:, j]
    keep = [c for c in out.columns if not (c[0] in "sp" and c[1:2].isdigit())]
    return pd.concat([out[keep], pd.DataFrame(cols, index=out.index)], axis=1)


def panel_statistics(data, outcome: str, unit: str, time: str, *, cohort: str | None = None,
                     treatment: str | None = None, cluster: str | None = None,
                     unbalanced: bool = False) -> PanelStats:
    """Per-cohort (or per-treatment-path) statistics of a panel, in two scans.

    Parameters
    ----------
    data : path, glob, DuckDB relation, :class:`~impact.scale.source.Source` or :class:`Engine`
        The long panel, one row per unit and period.
    outcome, unit, time : str
        Columns.
    cohort : str, optional
        First treated period (0 or missing: never treated); groups units by cohort.
    treatment : str, optional
        0/1 treatment column; groups units by their treatment path (for TWFE).
        Exactly one of ``cohort`` and ``treatment``.
    cluster : str, optional
        Cluster coarser than the unit (constant within unit); adds per
        (cluster, key) counts and sums.
    unbalanced : bool
        Accept units that miss periods (grouping them by their pattern of
        observed periods, up to 62 periods); by default an unbalanced panel is
        a :class:`~impact.errors.DataError`.

    Returns
    -------
    PanelStats

    Raises
    ------
    DataError
        Missing column, non-numeric outcome, duplicates, a cohort, treatment or
        cluster varying within a unit, an unbalanced panel, non-finite outcomes.

    Notes
    -----
    Two scans: the distinct (period, cohort) pairs with their row counts and
    mean outcomes, coded on their calendar by :mod:`impact.periods` as in
    memory (:mod:`impact.scale.calendar`), then one grouped aggregation (by
    unit, then by cohort and pattern of observed periods). A third scan,
    counting every problem per unit, runs only when the totals of these two
    show one.

    Examples
    --------
    >>> st = panel_statistics("claims/*.parquet", "y", "person", "month", cohort="first")  # doctest: +SKIP
    >>> save_statistics(st, "claims_stats.json", min_cell_size=11)                          # doctest: +SKIP
    >>> callaway_santanna(load_statistics("claims_stats.json"), "y", "person", "month", "first")  # doctest: +SKIP
    """
    if (cohort is None) == (treatment is None):
        raise ConfigError("give exactly one of cohort= (Callaway-Sant'Anna, event study) or treatment= (TWFE)")
    if cluster == unit:
        cluster = None  # the unit is always a cluster
    with _Runner(data) as runner:
        return _panel_statistics(runner, outcome, unit, time, cohort, treatment, cluster, unbalanced)


def _panel_statistics(runner, outcome, unit, time, cohort, treatment, cluster, unbalanced=False) -> PanelStats:
    run, dialect, table, types = runner.run, runner.dialect, runner.table, runner.types
    kind, key = ("cohort", cohort) if cohort is not None else ("path", treatment)
    _check_columns(types, outcome=outcome, unit=unit, time=time, cohort=cohort, treatment=treatment, cluster=cluster)
    combos = _distinct(run, dialect, table, [time] + ([cohort] if kind == "cohort" else []), outcome)
    # Periods and cohorts coded by impact.periods on their distinct values, exactly as in memory.
    cal = code_calendar(combos["v0"], combos["v1"] if kind == "cohort" else None, time, cohort, runner.label)
    columns, cohort_map = cal.columns, cal.cohort_map
    T = len(columns)
    periods = cal.labels if kind == "cohort" else cal.labels[cal.observed]
    if kind == "cohort" and cal.gaps and len(cal.labels) > _MAX_PATH_PERIODS:
        empty = np.setdiff1d(np.arange(len(cal.labels)), cal.observed)
        raise DataError(f"time column {time!r} has no row at all in {len(empty)} of its {len(cal.labels)} calendar "
                        f"periods (e.g. {show(cal.labels[empty[0]])}); out of core, a calendar with empty periods "
                        f"is handled up to {_MAX_PATH_PERIODS} periods: load the data into a DataFrame, or aggregate "
                        "the periods")
    if kind != "cohort" and T > _MAX_PATH_PERIODS:
        raise ConfigError(f"out-of-core TWFE handles up to {_MAX_PATH_PERIODS} periods ({time!r} has {T}); "
                          "use event_study with a cohort column, or aggregate the periods")
    row_codes = kind == "cohort" and not (pd.api.types.is_numeric_dtype(combos["v1"])
                                          or pd.api.types.is_datetime64_any_dtype(combos["v1"]))
    shifts = None if cluster else _shifts(combos, columns, cohort_map if kind == "cohort" else None)
    parts = _unit_parts(runner, unit)
    if parts is None:
        out = run(to_dialect(panel_sql(outcome, unit, time, key, kind, columns, cohort_map, cluster, table=table,
                                       row_codes=row_codes, shifts=shifts), dialect))
    else:
        out = _add_up([run(panel_sql(outcome, unit, time, key, kind, columns, cohort_map, cluster, table=part,
                                     row_codes=row_codes, shifts=shifts)) for part in parts],
                      ["k", "pat", "c"] if cluster else ["k", "pat"])
    tot = _totals(out, combos, T, unbalanced)
    if tot["suspect"]:
        # Something is wrong: count every problem per unit (a second scan, only on this path) for the message.
        checks_sql = panel_sql(outcome, unit, time, key, kind, columns, cohort_map, cluster, final="checks",
                               table=table, row_codes=row_codes)
        tot = run(to_dialect(checks_sql, dialect)).iloc[0].astype(float).fillna(0)
        examples_sql = panel_sql(outcome, unit, time, key, kind, columns, cohort_map, cluster, final="examples",
                                 table=table, row_codes=row_codes)
        _raise_checks(tot, lambda q: run(to_dialect(q, dialect)), examples_sql, unit=unit, time=time,
                      outcome=outcome, key=key, kind=kind, cluster=cluster, T=T, unbalanced=unbalanced)
    _check_sums(out, T, outcome)
    if not cluster:
        out = _moments(out, T, shifts)
    out = out.sort_values(["k", "pat", "c"] if cluster else ["k", "pat"], ignore_index=True)
    common = dict(outcome=outcome, unit=unit, time=time, key=key, kind=kind, cluster=cluster, periods=periods,
                  n_obs=int(tot["n_rows"]))
    if kind == "cohort" and cal.gaps:
        # Laid out on the whole calendar; the empty periods are unobserved in every group.
        return _unbalanced_stats(to_calendar(out, cal.observed, len(periods)), len(periods), cluster, common)
    if tot["short_units"] > 0:
        return _unbalanced_stats(out, T, cluster, common)
    if cluster:
        cl_labels, cl_index = np.unique(out["c"].to_numpy(), return_inverse=True)
        cl_key = out["k"].to_numpy(np.int64)
        cl_n = out["n_units"].to_numpy(np.int64)
        cl_sum = out[[f"s{i}" for i in range(T)]].to_numpy(float)
        keys, inv = np.unique(cl_key, return_inverse=True)
        n = np.bincount(inv, weights=cl_n).astype(np.int64)
        sums = np.zeros((len(keys), T))
        np.add.at(sums, inv, cl_sum)
        return PanelStats(keys=keys, n=n, mean=sums / n[:, None], cov=None, cl_labels=cl_labels,
                          cl_index=cl_index.astype(np.int64), cl_key=cl_key, cl_n=cl_n, cl_sum=cl_sum, **common)
    mean = out[[f"m{i}" for i in range(T)]].to_numpy(float)
    cov = np.empty((len(out), T, T))
    for i in range(T):
        for j in range(i, T):
            cov[:, i, j] = cov[:, j, i] = out[f"v{i}_{j}"].to_numpy(float)
    return PanelStats(keys=out["k"].to_numpy(np.int64), n=out["n_units"].to_numpy(np.int64), mean=mean, cov=cov,
                      **common)


def _unbalanced_stats(out: pd.DataFrame, T: int, cluster, common: dict) -> PanelStats:
    """Statistics by (key, pattern of observed periods); unobserved moments are 0."""
    pairs = out[["k", "pat"]].to_numpy(np.int64)
    groups, inv = np.unique(pairs, axis=0, return_inverse=True)
    inv = inv.ravel()
    if cluster:
        cl_labels, cl_index = np.unique(out["c"].to_numpy(), return_inverse=True)
        cl_n = out["n_units"].to_numpy(np.int64)
        cl_sum = np.nan_to_num(out[[f"s{i}" for i in range(T)]].to_numpy(float))
        n = np.bincount(inv, weights=cl_n, minlength=len(groups)).astype(np.int64)
        sums = np.zeros((len(groups), T))
        np.add.at(sums, inv, cl_sum)
        return PanelStats(keys=groups[:, 0], patterns=groups[:, 1], n=n, mean=sums / n[:, None], cov=None,
                          cl_labels=cl_labels, cl_index=cl_index.astype(np.int64), cl_key=pairs[:, 0],
                          cl_pattern=pairs[:, 1], cl_n=cl_n, cl_sum=cl_sum, **common)
    mean = np.nan_to_num(out[[f"m{i}" for i in range(T)]].to_numpy(float))
    cov = np.zeros((len(out), T, T))
    for i in range(T):
        for j in range(i, T):
            cov[:, i, j] = cov[:, j, i] = np.nan_to_num(out[f"v{i}_{j}"].to_numpy(float))
    return PanelStats(keys=groups[:, 0], patterns=groups[:, 1], n=out["n_units"].to_numpy(np.int64), mean=mean,
                      cov=cov, **common)


def cell_statistics(data, outcome: str, treated: str, post: str, *, cluster: str | None = None,
                    unit: str | None = None) -> CellStats:
    """Counts, means and variances of the outcome in the four (treated, post) cells, in one scan.

    With ``cluster``, per (cluster, cell) counts and sums as well. Missing or
    non-finite values, and treated/post values other than 0/1, are a
    :class:`~impact.errors.DataError`.
    """
    with _Runner(data) as runner:
        return _cell_statistics(runner, outcome, treated, post, cluster, unit)


def _cell_statistics(runner, outcome, treated, post, cluster, unit) -> CellStats:
    run, dialect, table, types = runner.run, runner.dialect, runner.table, runner.types
    _check_columns(types, outcome=outcome, treated=treated, post=post, cluster=cluster, unit=unit)
    cl_sel = f", {_q(cluster)} AS c" if cluster else ""
    rows = (f"SELECT CASE WHEN {_q(treated)} = 1 THEN 1 WHEN {_q(treated)} = 0 THEN 0 END AS d, "
            f"CASE WHEN {_q(post)} = 1 THEN 1 WHEN {_q(post)} = 0 THEN 0 END AS p, "
            f"CAST({_q(outcome)} AS DOUBLE) AS y{cl_sel} FROM {table}")
    group = "d, p, c" if cluster else "d, p"
    sql = (f"WITH r AS ({rows}) SELECT {group}, count(*) AS n, avg(y) AS m, var_pop(y) AS v, sum(y) AS s, "
           f"sum(CASE WHEN y * 0 = 0 THEN 0 ELSE 1 END) AS bad_y FROM r GROUP BY {group}")
    out = run(to_dialect(sql, dialect))
    if out["bad_y"].sum() > 0:
        raise DataError(f"outcome column {outcome!r} has {int(out['bad_y'].sum())} missing or non-finite values; "
                        "drop or impute them before estimating")
    for col, name in (("d", treated), ("p", post)):
        if out[col].isna().any():
            n_bad = int(out.loc[out[col].isna(), "n"].sum())
            raise DataError(f"column {name!r} must hold only 0 and 1 ({n_bad} rows hold something else or nothing)")
    if cluster and out["c"].isna().any():
        raise DataError(f"cluster column {cluster!r} has {int(out.loc[out['c'].isna(), 'n'].sum())} missing values; "
                        "fill them")
    n_units = None
    if unit is not None:
        n_units = int(run(to_dialect(f"SELECT count(DISTINCT {_q(unit)}) AS n FROM {table}", dialect))["n"].iloc[0])
    cell = (out["d"].to_numpy(np.int64) * 2 + out["p"].to_numpy(np.int64))
    n = np.bincount(cell, weights=out["n"], minlength=4)
    sums = np.bincount(cell, weights=out["s"].astype(float), minlength=4)
    for c in range(4):
        if n[c] == 0:
            raise DataError(f"the 2x2 design needs observations in all four cells; none with {treated}={c // 2} "
                            f"and {post}={c % 2}")
    mean = sums / n
    if cluster:
        # Pooled within-cell variance from the per-cluster pieces (Chan et al.'s parallel update).
        dev = out["m"].to_numpy(float) - mean[cell]
        ss = out["n"].to_numpy(float) * (out["v"].to_numpy(float) + dev**2)
        var = np.bincount(cell, weights=ss, minlength=4) / n
        cl_labels, cl_index = np.unique(out["c"].to_numpy(), return_inverse=True)
        extra = dict(cl_index=cl_index.astype(np.int64), cl_cell=cell, cl_n=out["n"].to_numpy(np.int64),
                     cl_sum=out["s"].to_numpy(float))
    else:
        order = np.argsort(cell)
        mean = out["m"].to_numpy(float)[order]
        var = out["v"].to_numpy(float)[order]
        extra = {}
    return CellStats(outcome=outcome, treated=treated, post=post, cluster=cluster, d=np.array([0, 0, 1, 1]),
                     p=np.array([0, 1, 0, 1]), n=n.astype(np.int64), mean=mean, var=var, n_obs=int(n.sum()),
                     n_units=n_units, **extra)


def as_panel_stats(data, outcome, unit, time, *, cohort=None, treatment=None, cluster=None,
                   unbalanced=False) -> PanelStats:
    """``data`` if it already is matching :class:`PanelStats`, else computed from it."""
    if isinstance(data, PanelStats):
        data.check_columns(outcome=outcome, unit=unit, time=time, cluster=None if cluster == unit else cluster,
                           **({"cohort": cohort} if cohort is not None else {"path": treatment}))
        if not unbalanced:
            observed_columns(data)  # raises unless balanced apart from periods without any row
        return data
    if not is_out_of_core(data) and not isinstance(data, Engine):
        raise ConfigError(f"expected files, a DuckDB relation or statistics (got {type(data).__name__})")
    return panel_statistics(data, outcome, unit, time, cohort=cohort, treatment=treatment, cluster=cluster,
                            unbalanced=unbalanced)
