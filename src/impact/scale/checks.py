"""The input checks of the statistics query, raised as :class:`~impact.errors.DataError` with counts and examples.

:func:`impact.scale.stats.panel_sql` (``final="checks"``) counts, per unit,
missing units and periods, non-finite outcomes, duplicate unit-period rows,
cohorts, treatments or clusters varying within a unit and units missing
periods; it runs only when the statistics scans' totals show a problem. A
failed check then fetches a few example units with a small query.
"""

from __future__ import annotations

import difflib

import pandas as pd

from impact.data import show
from impact.errors import ConfigError, DataError
from impact.scale.calendar import MAX_PATTERN_PERIODS

__all__ = []

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "FLOAT", "DOUBLE", "REAL", "DECIMAL", "INT", "LONG", "SHORT", "BYTE", "NUMERIC")


def _check_columns(types: dict | None, **roles) -> None:
    if types is None:
        return
    for role, name in roles.items():
        if name is None:
            continue
        if not isinstance(name, str):
            raise ConfigError(f"{role} must be a column name (a string), got {name!r}")
        if name not in types:
            close = difflib.get_close_matches(name, list(types), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise DataError(f"{role} column {name!r} not found; {hint}available columns: {', '.join(list(types)[:30])}")
    for role in ("outcome", "treatment", "treated", "post"):
        name = roles.get(role)
        if name is not None and not types[name].upper().split("(")[0] in _NUMERIC:
            raise DataError(f"{role} column {name!r} must be numeric (got SQL type {types[name]}); convert it first")


def _examples(run_sql, sql, what: str, T: int) -> str:
    ex = run_sql(sql)
    cond = {
        "dup": ex["nt"] > ex["np"], "short": ex["np"] < T, "bad_y": ex["nbad"] > 0,
        "bad_key": ex["bad_key"] == 1, "bad_cl": ex["bad_cl"] == 1,
    }[what]
    units = ex.loc[cond, "u"].head(3).tolist()
    return ", ".join(show(u) for u in units) if units else "(none listed)"


def _raise_checks(tot: pd.Series, run_sql, examples_sql, *, unit, time, outcome, key, kind, cluster, T,
                  unbalanced=False):
    """One DataError per failed check, with counts and example units."""
    if tot["null_unit"] > 0:
        raise DataError(f"{int(tot['null_unit'])} rows have a missing unit ({unit!r}); drop or fill them")
    if tot["bad_t"] > 0:
        raise DataError(f"{int(tot['bad_t'])} rows have a missing period ({time!r}); drop or fill them")
    if tot["bad_y"] > 0:
        ex = _examples(run_sql, examples_sql, "bad_y", T)
        raise DataError(f"outcome column {outcome!r} has {int(tot['bad_y'])} missing or non-finite values "
                        f"(NaN, inf), e.g. in {unit}={ex}; drop those units or impute the values first")
    if tot["dup_rows"] > 0:
        ex = _examples(run_sql, examples_sql, "dup", T)
        raise DataError(
            f"{int(tot['dup_rows'])} extra rows repeat a ({unit!r}, {time!r}) pair in {int(tot['dup_units'])} units, "
            f"e.g. {unit}={ex}; keep one row per unit and period (aggregate or deduplicate first)"
        )
    if tot["bad_key"] > 0:
        ex = _examples(run_sql, examples_sql, "bad_key", T)
        what = (f"cohort column {key!r} varies within {int(tot['bad_key'])} units" if kind == "cohort" else
                f"treatment column {key!r} is not 0/1 in some rows of {int(tot['bad_key'])} units")
        raise DataError(f"{what}, e.g. {unit}={ex}; it must be " +
                        ("the same in every row of a unit" if kind == "cohort" else "0 or 1 in every row"))
    if tot["bad_cluster"] > 0:
        ex = _examples(run_sql, examples_sql, "bad_cl", T)
        raise DataError(f"cluster column {cluster!r} varies within (or is missing for) {int(tot['bad_cluster'])} "
                        f"units, e.g. {unit}={ex}; it must be the same in every row of a unit")
    if tot["short_units"] > 0 and unbalanced and T > MAX_PATTERN_PERIODS:
        ex = _examples(run_sql, examples_sql, "short", T)
        raise ConfigError(
            f"unbalanced panel with {T} periods: {int(tot['short_units'])} of {int(tot['n_units'])} units lack some "
            f"(e.g. {unit}={ex}); out of core, units are grouped by their pattern of observed periods, a bit mask of "
            f"at most {MAX_PATTERN_PERIODS} periods: aggregate {time!r} to coarser periods (e.g. months to quarters), "
            "keep the units observed in every period, or load the data into a DataFrame"
        )
    if tot["short_units"] > 0 and not unbalanced:
        ex = _examples(run_sql, examples_sql, "short", T)
        raise DataError(
            f"unbalanced panel: {int(tot['short_units'])} of {int(tot['n_units'])} units lack some of the {T} periods "
            f"({int(tot['missing_cells'])} unit-periods missing), e.g. {unit}={ex}; out-of-core estimation needs a "
            "balanced panel: keep the units observed in every period, or load the data into a DataFrame "
            "(the in-memory estimators handle unbalanced panels)"
        )
