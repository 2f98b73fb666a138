"""The checks every public entry point runs on its arguments and columns (re-exported by :mod:`impact.data`).

One bad input always gets the same kind of message: the argument or column, what was received, what is
allowed, and the fix ("alpha must be strictly between 0 and 1 (got '0.05'); write alpha=0.05 without
quotes"). A wrong type is refused here rather than surfacing as a pandas or NumPy exception, and a number
written as text is named, never guessed at: a string is not an alpha, True is not a count, and a column of
``1,234`` is not read as decimal commas when its commas may separate thousands.
"""

from __future__ import annotations

import decimal
import difflib
import numbers
import re
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from impact.errors import ConfigError, DataError
from impact.reading import MISSING_TOKENS, _grouped_numbers, _to_number

__all__ = [
    "show",
    "check_given",
    "check_columns",
    "check_numeric",
    "check_finite",
    "check_complete",
    "check_choice",
    "check_fraction",
    "check_alpha",
    "check_int",
    "OUT_OF_CORE",
]

def show(value) -> str:
    """A value as a user wrote it, for a message: ``'Évreux'``, ``2022-06``, ``2023-07-01``, ``1980``, ``2.5``.

    Strings are quoted; numbers, dates and periods are not; NumPy scalars lose their ``np.int64(...)``.
    """
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "missing"
    if isinstance(value, (np.datetime64, pd.Timestamp)) or type(value).__name__ in ("datetime", "date"):
        stamp = pd.Timestamp(value)
        return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return repr(value)


def _rows(index, mask, limit: int = 5) -> str:
    """``row 14`` or ``rows 14, 87 and 3 more`` (index labels of the rows where ``mask`` holds)."""
    rows = list(np.asarray(index)[np.asarray(mask, dtype=bool)][:limit])
    more = int(np.asarray(mask, dtype=bool).sum()) - len(rows)
    head = "row " if len(rows) + more == 1 else "rows "
    return head + ", ".join(show(r) for r in rows) + (f" and {more} more" if more > 0 else "")


#: The estimators that take a path, a glob or a DuckDB relation in place of a DataFrame (API.md, Scale).
OUT_OF_CORE = ("callaway_santanna", "twfe", "event_study", "two_by_two")


def _not_a_frame(data) -> str:
    """Why ``data`` is refused and how to turn it into the DataFrame an in-memory estimator needs."""
    import os

    head = f"data must be a pandas DataFrame (got {type(data).__name__}"
    files = [data] if isinstance(data, (str, os.PathLike)) else (
        list(data) if isinstance(data, (list, tuple)) and data
        and all(isinstance(d, (str, os.PathLike)) for d in data) else None)
    module = type(data).__module__.split(".")[0]
    only = f"only {', '.join(OUT_OF_CORE[:-1])} and {OUT_OF_CORE[-1]} read data out of core"
    if files is not None:
        name = str(files[0])
        if len(files) > 1 or any(c in name for c in "*?["):
            load = (f"load the files first, e.g. data = pd.concat(map(impact.data.read_table, "
                    f"glob.glob({name!r})))" if len(files) == 1 else
                    "load the files first, e.g. data = pd.concat(map(impact.data.read_table, paths))")
        else:
            load = f"load the file first: data = impact.data.read_table({name!r})"
        got = repr(name) if len(files) == 1 else f"of {len(files)} paths"
        return f"{head} {got}): {only} (from a path, a glob or a DuckDB relation); for this estimator {load}"
    if module == "duckdb":
        return f"{head}): {only}; for this estimator fetch the relation first: data = relation.df()"
    if module == "polars":
        fix = "data.collect().to_pandas()" if type(data).__name__ == "LazyFrame" else "data.to_pandas()"
        return f"{head}): convert the polars table first: data = {fix}"
    if isinstance(data, pd.Series):
        return f"{head}): pass the whole long-form table (one row per unit and period), not one column"
    if data is None:
        return f"{head}): pass a long-form table, one row per unit and period"
    return f"{head}): build a long-form table first, one row per unit and period: data = pd.DataFrame(...)"


def _column_names(data: pd.DataFrame, role: str, names) -> list[str]:
    """The column names given for ``role`` (one string or a list of strings), or a ConfigError naming ``role``."""
    if isinstance(names, str):
        return [names]
    if isinstance(names, (pd.Series, pd.DataFrame)):
        label = names.name if isinstance(names, pd.Series) and isinstance(names.name, str) else "name"
        raise ConfigError(f"{role} must be a column name (a string), got the column itself (a pandas "
                          f"{type(names).__name__}); pass its name: {role}={label!r}")
    several = isinstance(names, (list, tuple, set, frozenset, pd.Index, np.ndarray))
    bad = [n for n in names if not isinstance(n, str)] if several else [names]
    if not bad:
        return list(names)
    what = "column names (strings)" if several else "a column name (a string)"
    written = show(bad[0]) if show(bad[0]) != "missing" else repr(bad[0])
    got = f"{written} ({type(bad[0]).__name__})" + (f" in {role}={names!r}" if several else "")
    if any(str(c) == show(bad[0]) for c in data.columns):
        # Columns labelled by numbers (a file read with header=None): the one case where a number names a column.
        fix = (f"the columns of data are labelled by numbers: name them with strings first "
               f"(data.columns = data.columns.astype(str)), then pass {role}={show(bad[0])!r}")
    else:
        fix = (f"name {'columns' if several else 'a column'} as text; the columns are "
               + ", ".join(repr(str(c)) for c in data.columns[:10]) + (", ..." if len(data.columns) > 10 else ""))
    raise ConfigError(f"{role} must be {what}, got {got}; {fix}")


#: What each column role holds, for the message when an estimator that needs it is given None.
_ROLE_HINTS = {
    "cohort": "the column holding each unit's first treated period (0 or empty for units never treated)",
    "treatment": "the 0/1 column that is 1 where a unit is treated in a period",
    "outcome": "the column of the outcome to compare",
    "unit": "the column identifying units (cities, people...)",
    "time": "the column of periods",
    "treated": "the 0/1 column that is 1 for the treated group",
    "post": "the 0/1 column that is 1 in the periods after the change",
}


def check_given(estimator: str, **roles) -> None:
    """Raise :class:`ConfigError` for a column role an estimator needs but was given as None.

    ``check_given("event_study", cohort=None)`` says what the column must hold,
    instead of a TypeError from deep inside the estimator.
    """
    for role, name in roles.items():
        if name is None:
            raise ConfigError(f"{estimator} needs {role}=: name {_ROLE_HINTS.get(role, 'a column')} "
                              f"(got {role}=None)")


def check_columns(data: pd.DataFrame, **roles: str | Sequence[str] | None) -> None:
    """Check that every named column exists; the message names the role and suggests a fix.

    ``check_columns(df, outcome="delay", unit="city")`` raises
    ``DataError("outcome column 'delai' not found; did you mean 'delay'? ...")``. Anything but a
    DataFrame is refused with the way to load it: a path gets :func:`read_table`, a DuckDB relation
    ``.df()``, a polars table ``.to_pandas()``.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(_not_a_frame(data))
    available = [str(c) for c in data.columns]
    for role, names in roles.items():
        if names is None:
            continue
        for name in _column_names(data, role, names):
            if name not in data.columns:
                close = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise DataError(
                    f"{role} column {name!r} not found; {hint}available columns: {', '.join(available[:30])}"
                )


#: A number whose thousands a comma groups, with a decimal point or none: ``1,234``, ``12,345.6``. The first group
#: does not start with 0, as no thousands separator follows a leading zero (``0,123`` is a decimal comma).
_COMMA_THOUSANDS = r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?"


def check_numeric(data: pd.DataFrame, column: str, role: str = "outcome") -> None:
    """Raise :class:`DataError` unless ``column`` is numeric (bool excluded), naming the cells that are not.

    The hint fits the culprit, and never suggests a conversion that would change a number:

    * decimal commas (``12,5``; ``1.234,5``) get the replacement that reads them;
    * thousands separators (``1,234.5``; ``12,345,678``) get the removal of the commas;
    * a comma that can be either (``1,234``: 1234 or 1.234) when no cell tells which is named as ambiguous,
      with the fix for each reading; a column holding both kinds is refused with an example of each;
    * spaces between thousands (``1 234``) get their removal;
    * missing-value tokens (``n.d.``, ``-``...) get :func:`read_table` or ``pd.to_numeric(..., errors='coerce')``;
    * other text gets its rows.

    As :func:`read_table` does for files, the reading is decided for the whole column: commas are thousands
    separators only when every cell holding one is a number grouped that way.
    """
    check_columns(data, **{role: column})
    series = data[column]
    if pd.api.types.is_bool_dtype(series):
        raise DataError(f"{role} column {column!r} holds True/False values; convert it to 0/1 numbers "
                        "(e.g. df[col].astype(int))")
    if pd.api.types.is_numeric_dtype(series):
        return
    if pd.api.types.is_datetime64_any_dtype(series):
        raise DataError(f"{role} column {column!r} holds dates, not numbers (e.g. {show(series.dropna().iloc[0])})")
    text = series.astype("string").str.strip()
    present = series.notna().to_numpy()
    token = present & text.str.lower().isin(MISSING_TOKENS).fillna(False).to_numpy(dtype=bool)
    cells = present & ~token & pd.to_numeric(text, errors="coerce").isna().to_numpy()
    comma = text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    thousands = cells & text.str.fullmatch(_COMMA_THOUSANDS).fillna(False).to_numpy(dtype=bool)
    decimal = cells & comma & _grouped_numbers(text, _to_number(text, ","), ",").notna().to_numpy()
    spaced = cells & ~comma & _to_number(text, ".").notna().to_numpy()
    junk = cells & ~thousands & ~decimal & ~spaced
    if junk.any():
        values = pd.unique(series[junk])[:3]
        raise DataError(
            f"{role} column {column!r} must be numeric but has text {', '.join(show(v) for v in values)} "
            f"({_rows(series.index, junk)}); correct or empty these cells"
        )
    head = f"{role} column {column!r} must be numeric but holds text (dtype {series.dtype})"

    def example(mask, shown=None) -> str:
        return f"{show(series[mask if shown is None else shown].iloc[0])} ({_rows(series.index, mask)})"

    only_thousands, only_decimal = thousands & ~decimal, decimal & ~thousands
    if only_thousands.any() and only_decimal.any():
        raise DataError(f"{head}: its commas are thousands separators in cells such as {example(only_thousands)} "
                        f"but decimal commas in cells such as {example(only_decimal)}; no one conversion reads "
                        "both: correct the cells so that the column follows one convention")
    coerce = ", errors='coerce'" if token.any() else ""
    # .str methods turn the numbers of a column mixing numbers and text (Excel) into NaN: make them text first.
    source = "df[col]" if pd.api.types.infer_dtype(series, skipna=True) == "string" else "df[col].astype('string')"
    space = ".str.replace(r'\\s', '', regex=True)" if text[cells].str.contains(r"\s").any() else ""
    point = ".str.replace('.', '', regex=False)" if text[decimal].str.contains(".", regex=False).any() else ""
    as_thousands = f"pd.to_numeric({source}{space}.str.replace(',', '', regex=False){coerce})"
    as_decimal = f"pd.to_numeric({source}{space}{point}.str.replace(',', '.', regex=False){coerce})"
    parts, fixes = [], []
    if token.any():
        parts.append(f"missing-value markers {', '.join(show(v) for v in pd.unique(series[token])[:3])} "
                     f"({_rows(series.index, token)})")
        fixes.append("read the file with impact.data.read_table, which reads such markers as missing, or")
    if only_thousands.any():
        parts.append(f"thousands separators such as {example(thousands, only_thousands)}")
        fixes.append(f"remove the separators: {as_thousands}")
    elif only_decimal.any():
        parts.append(f"decimal commas such as {example(decimal, only_decimal)}")
        fixes.append(f"convert with {as_decimal}")
    elif thousands.any():
        first = text[thousands].iloc[0]
        parts.append(f"commas that may separate thousands or mark decimals, such as {example(thousands)}, read "
                     f"{first.replace(',', '')} or {first.replace(',', '.')}: nothing in the column tells which")
        fixes.append(f"check the source, then if the commas separate thousands convert with {as_thousands} (a file: "
                     f"impact.data.read_table(path, thousands=',')); if they are decimal commas convert with "
                     f"{as_decimal} (a file: impact.data.read_table(path, decimal=','))")
    if spaced.any():
        parts.append(f"spaces between thousands such as {example(spaced)}")
        if not comma[cells].any():
            fixes.append(f"remove the spaces: pd.to_numeric({source}.str.replace(r'\\s', '', regex=True){coerce})")
    if not fixes or fixes[-1].endswith(", or"):
        fixes.append(f"convert with pd.to_numeric(df[col]{coerce})" if fixes else "convert it with pd.to_numeric")
    raise DataError(head + (f": {'; '.join(parts)}" if parts else "") + "; " + " ".join(fixes))


def check_finite(data: pd.DataFrame, column: str, role: str = "outcome") -> None:
    """Raise :class:`DataError` naming the rows where a numeric column is ``inf`` or ``-inf``.

    A non-finite value makes least squares diverge (the fixed-effect solver
    then iterates without converging) or poisons a mean; missing values are
    handled elsewhere (dropped with a warning, or refused).
    """
    check_columns(data, **{role: column})
    values = data[column].to_numpy(dtype=float, na_value=np.nan)
    bad = np.isinf(values)
    if bad.any():
        raise DataError(
            f"{role} column {column!r} has {int(bad.sum())} infinite value{'s' if bad.sum() > 1 else ''} "
            f"({_rows(data.index, bad)}); replace them with numbers, or empty the cells to drop those rows"
        )


def check_complete(data: pd.DataFrame, column: str, role: str) -> None:
    """Raise :class:`DataError` naming the rows where an identifier column (unit, time) is missing."""
    check_columns(data, **{role: column})
    missing = np.array(pd.isna(data[column]), dtype=bool)
    if data[column].dtype == object or pd.api.types.is_string_dtype(data[column]):
        # Blank cells count as missing; decided on the distinct values, then mapped back to the rows.
        inverse, uniques = pd.factorize(data[column])
        blank = (pd.Series(uniques, dtype=object).map(lambda v: isinstance(v, str) and not v.strip())).to_numpy(dtype=bool)
        missing = missing | np.append(blank, False)[inverse]
    if missing.any():
        raise DataError(
            f"{role} column {column!r} has {int(missing.sum())} missing value{'s' if missing.sum() > 1 else ''} "
            f"({_rows(data.index, missing)}); every row needs its {role}: fill them or remove those rows"
        )


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _number(value) -> float | None:
    """``value`` as a float when it is a real number (a bool or a string is not), else None."""
    if _is_bool(value) or not isinstance(value, (numbers.Real, decimal.Decimal)):
        return None
    return float(value)


def _got(value) -> str:
    """``value`` as the caller wrote it: ``'0.05'``, ``True``, ``1.5`` (a NumPy scalar without ``np.float64(...)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def check_choice(name: str, value, allowed: Iterable) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of ``allowed``.

    ``True`` is not taken for ``1`` (nor ``1`` for ``True``), and an array is refused rather than compared
    element by element; a misspelt string gets the closest choice.
    """
    allowed = tuple(allowed)

    def same(choice) -> bool:
        if _is_bool(choice) != _is_bool(value):
            return False
        try:
            return bool(value == choice)
        except (TypeError, ValueError):  # an array or another object that has no single truth value
            return False

    if not any(same(choice) for choice in allowed):
        texts = [a for a in allowed if isinstance(a, str)]
        close = difflib.get_close_matches(value.lower(), [a.lower() for a in texts], n=1, cutoff=0.6) if (
            isinstance(value, str)) else []
        hint = f"; did you mean {texts[[a.lower() for a in texts].index(close[0])]!r}?" if close else ""
        raise ConfigError(f"{name} must be one of {', '.join(repr(a) for a in allowed)} (got {_got(value)}){hint}")


def check_fraction(name: str, value, hint: str = "") -> float:
    """A number strictly between 0 and 1 (a significance level, a power); ``hint`` suggests a usual value.

    A string (``"0.05"``), a bool and NaN are refused: a number written as text is a mistake to show, not
    to guess at.
    """
    number = _number(value)
    if number is None or not 0 < number < 1:
        written = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0] if isinstance(value, str) else np.nan
        fix = (f"; write {name}={show(float(written))} without quotes" if 0 < written < 1 else
               "; True/False is not a number" if _is_bool(value) else "")
        raise ConfigError(f"{name} must be strictly between 0 and 1 (got {_got(value)}){fix}"
                          + (f"; {hint}" if hint else ""))
    return number


def check_alpha(alpha) -> float:
    """Significance level strictly between 0 and 1."""
    return check_fraction("alpha", alpha, "0.05 gives 95% intervals")


def check_int(name: str, value, minimum: int | None = None) -> int:
    """An integer argument, at least ``minimum``; a bool, a string or a float (even ``5.0``) is refused."""
    if _is_bool(value) or not isinstance(value, (int, np.integer)):
        number = _number(value)
        text = value.strip() if isinstance(value, str) else ""
        whole, how = ((int(number), "") if number is not None and number.is_integer() else
                      (int(text), " without quotes") if re.fullmatch(r"[+-]?[0-9]+", text) else (None, ""))
        want = "a whole number" + (f" of at least {minimum}" if minimum is not None else "")
        fix = (f"write {name}={whole}{how}" if whole is not None and (minimum is None or whole >= minimum) else
               f"give {want}" + (" (True/False is not a count)" if _is_bool(value) else ""))
        raise ConfigError(f"{name} must be an integer (got {_got(value)}); {fix}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {value})")
    return int(value)
