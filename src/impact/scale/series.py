"""An indicator's series per period from files, in one aggregate query.

:func:`impact.indicators.series_from_data` computes the mean, median or sum
of a column per period, for the treated units, the comparison units or all
of them. When the data are a path or glob of Parquet/CSV files, a DuckDB
relation or another engine's table (:func:`impact.scale.is_out_of_core`),
it calls :func:`series_statistics` here instead: one ``GROUP BY`` period
query, run through the same runner as the panel statistics (memory limit,
spill directory, progress bar; :mod:`impact.scale.source`), so the rows
never reach Python. Only one small row per period comes back.

The query is written once in DuckDB's dialect and transpiled with
:func:`impact.scale.stats.to_dialect`. The median is exact everywhere: DuckDB's
``median`` interpolates the two middle values as pandas does (checked in the
tests on even and odd counts); for other engines, whose ``median`` may be
approximate (Trino, BigQuery), it is the average of the one or two middle
rows found with ``row_number()``, which every SQL engine runs. DuckDB's
``median`` holds a period's values in memory; when that exceeds the
``memory_limit``, the ``row_number()`` form, which sorts and spills to disk,
is run instead (10 million rows, 5 million selected, with a 64 to 84 MB
limit: ``median`` runs out of memory, the sort takes 13 s on the loaded
2-core machine; from 100 MB ``median`` takes under a second).
"""

from __future__ import annotations

import pandas as pd

from impact.errors import ConfigError, DataError
from impact.scale.checks import _NUMERIC, _check_columns
from impact.scale.stats import _q, _Runner, to_dialect

__all__ = ["series_sql", "series_statistics"]

STATISTICS = ("mean", "median", "sum")
UNITS = ("treated", "control", "all")


def series_sql(column: str, time: str, *, statistic: str = "mean", units: str = "all", group: str | None = None,
               dates: str | None = None, weight: str | None = None, table: str = "impact_source",
               exact_median: str = "median") -> str:
    """The per-period query (DuckDB dialect): one row per period with ``tv``, ``lv``, ``value``, ``n`` and checks.

    Columns of the result: ``tv`` the period as written, ``lv`` its date
    label (the smallest of ``dates``, or ``tv``), ``nl`` the number of
    distinct labels, ``n`` the rows with a value, ``rows`` the selected rows,
    ``nbad`` values that are not finite, ``wsum`` the weights' sum (with
    ``weight``) and ``value``. Rows whose period is missing are left out, as
    pandas' ``groupby`` does; rows without a value count in ``rows`` only.
    ``exact_median="window"`` writes the median with ``row_number()``
    (portable) instead of DuckDB's ``median``.
    """
    label = _q(dates or time)
    wsel = f", CAST({_q(weight)} AS DOUBLE) AS w" if weight else ""
    role = "1 = 1"
    if units != "all":
        # As in memory (report.evaluation._unit_mask): treated where the group column is 1, control elsewhere.
        role = f"(CASE WHEN {_q(group)} = 1 THEN 1 ELSE 0 END) = {1 if units == 'treated' else 0}"
    rows = (f"SELECT {_q(time)} AS tv, {label} AS lv, CAST({_q(column)} AS DOUBLE) AS y{wsel} FROM {table} "
            f"WHERE {_q(time)} IS NOT NULL AND {role}")
    # Labels and counts from the rows that have a value: pandas drops the others before grouping.
    aggs = ["min(CASE WHEN y IS NOT NULL THEN lv END) AS lv",
            "count(DISTINCT CASE WHEN y IS NOT NULL THEN lv END) AS nl",
            "count(y) AS n", "count(*) AS rows",
            "sum(CASE WHEN y IS NULL OR y * 0 = 0 THEN 0 ELSE 1 END) AS nbad"]
    if weight:
        aggs += ["sum(CASE WHEN y IS NOT NULL THEN w END) AS wsum", "sum(w * y) AS wy",
                 "sum(w * y) / sum(CASE WHEN y IS NOT NULL THEN w END) AS value"]
    elif statistic == "mean":
        aggs.append("avg(y) AS value")
    elif statistic == "sum":
        aggs.append("sum(y) AS value")
    elif exact_median == "median":
        aggs.append("median(y) AS value")
    cte = f"WITH r AS ({rows})"
    if statistic == "median" and exact_median == "window":
        # The one (odd count) or two (even count) middle rows: 2 * position between count and count + 2.
        cte += (", o AS (SELECT tv, y, row_number() OVER (PARTITION BY tv ORDER BY y) AS rn, "
                "count(*) OVER (PARTITION BY tv) AS c FROM r WHERE y IS NOT NULL), "
                "m AS (SELECT tv, avg(y) AS value FROM o WHERE 2 * rn BETWEEN c AND c + 2 GROUP BY tv), "
                f"a AS (SELECT tv, {', '.join(aggs)} FROM r GROUP BY tv)")
        return cte + " SELECT a.*, m.value FROM a LEFT JOIN m ON a.tv = m.tv"
    return cte + f" SELECT tv, {', '.join(aggs)} FROM r GROUP BY tv"


def series_statistics(data, column: str, *, time: str, statistic: str = "mean", units: str = "all",
                      group: str | None = None, dates: str | None = None,
                      weight: str | None = None) -> pd.DataFrame:
    """Mean, median or sum of ``column`` per period, from files, a DuckDB relation or an :class:`Engine`.

    Parameters
    ----------
    data : path, glob, list of paths, DuckDB relation, :class:`~impact.scale.source.Source` or :class:`Engine`
        Long-form data, one row per unit (or person) and period.
    column, time : str
        The measured column and the period column.
    statistic : {"mean", "median", "sum"}
        Per period, over the rows that have a value.
    units : {"treated", "control", "all"}
        Rows whose ``group`` is 1 (treated), the others (control) or all.
    group : str, optional
        0/1 column marking the treated units; required unless ``units="all"``.
    dates : str, optional
        Column of date labels, one per period (when ``time`` holds codes).
    weight : str, optional
        Weights of a weighted mean.

    Returns
    -------
    DataFrame
        ``date`` (the label as stored), ``value``, ``n`` (rows behind each
        value), one row per period with a value, sorted by the period as
        written (as pandas' ``groupby`` sorts). Labels are checked as dates by
        :func:`impact.indicators.series_from_data`, which calls this.

    Raises
    ------
    DataError
        Missing or non-numeric columns, an empty unit selection, values
        that are not finite, weights summing to zero or less in a period,
        several date labels in one period, unreadable files.
    ConfigError
        An unknown statistic or unit selection, ``weight`` with a statistic
        other than the mean, ``units`` without ``group``.

    Notes
    -----
    A value that is NaN in the files (not missing) is refused as non-finite
    rather than skipped: pandas writes missing values to Parquet as nulls,
    and engines disagree on how NaN compares, so only nulls count as missing.
    """
    if statistic not in STATISTICS:
        raise ConfigError(f"statistic must be one of {', '.join(map(repr, STATISTICS))} (got {statistic!r})")
    if units not in UNITS:
        raise ConfigError(f"units must be one of {', '.join(map(repr, UNITS))} (got {units!r})")
    if units != "all" and group is None:
        raise ConfigError(f"units={units!r} needs group=, the 0/1 column marking treated units (e.g. "
                          "'_treated_group' in a report's data)")
    if weight is not None and statistic != "mean":
        raise ConfigError(f"weight applies to statistic='mean' only (got statistic={statistic!r}); drop weight")
    with _Runner(data) as runner:
        types = runner.types
        _check_columns(types, indicator=column, time=time, dates=dates, weight=weight, group=group)
        for role, name in (("indicator", column), ("weight", weight)):
            if name is not None and types is not None and types[name].upper().split("(")[0] not in _NUMERIC:
                raise DataError(f"{role} column {name!r} must be numeric (its type in {runner.label} is "
                                f"{types[name]}); convert it in the files, or name a numeric column")
        exact = "median" if runner.dialect == "duckdb" else "window"
        kw = dict(statistic=statistic, units=units, group=group, dates=dates, weight=weight, table=runner.table)
        try:
            out = runner.run(to_dialect(series_sql(column, time, exact_median=exact, **kw), runner.dialect))
        except DataError as exc:
            # DuckDB's median keeps a period's values in memory; past memory_limit (impact.scale.source's "ran out
            # of memory" error) the row_number() form, whose sort spills to the temporary directory, still runs.
            if not (statistic == "median" and exact == "median" and "ran out of memory" in str(exc)):
                raise
            out = runner.run(series_sql(column, time, exact_median="window", **kw))
    return _checked(out, column, time, dates, weight, units, runner.label)


def _checked(out: pd.DataFrame, column, time, dates, weight, units, label) -> pd.DataFrame:
    """The query's checks as the in-memory errors, then one row per period with a value, sorted as pandas sorts."""
    if int(out["rows"].sum()) == 0:
        raise DataError(f"no rows left to compute indicator {column!r} in {label}: the unit selection "
                        f"({units}) is empty")
    if out["nbad"].sum() > 0:
        raise DataError(f"indicator column {column!r} has {int(out['nbad'].sum())} values that are not finite "
                        f"(NaN or infinite) in {label}; leave missing values empty (null) or correct them")
    out = out.loc[out["n"] > 0]
    if dates is not None and (out["nl"] > 1).any():
        raise DataError(f"dates column {dates!r} has several labels within one {time!r} period; "
                        "use one label per period")
    # A period whose weights are all missing sums to zero, as in pandas.
    if weight is not None and (out["wsum"].astype(float).fillna(0.0) <= 0).any():
        raise DataError(f"weight column {weight!r} sums to zero or less in some period; check the weights")
    out = out.sort_values("tv", kind="stable")
    return pd.DataFrame({"date": out["lv"].to_numpy(), "value": out["value"].to_numpy(dtype=float),
                         "n": out["n"].to_numpy(dtype="int64")})
