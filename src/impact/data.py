"""Reading data files and validating panels.

Evaluation data in public administrations arrive as CSV exports (often French:
``;`` separator, ``,`` decimal mark, Latin-1), Excel workbooks or Parquet
files. :func:`read_table` reads all of them; :func:`validate_panel` checks
that a long-form table can support a difference-in-differences design and
maps its periods and cohorts to consecutive integers (and back).

The small ``check_*`` helpers are the validators every public entry point
uses, so that one bad input always gets the same kind of message: the
argument, what was received, what is allowed, and the fix.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from impact.errors import ConfigError, DataError, DroppedRowsWarning

__all__ = [
    "read_table",
    "validate_panel",
    "Panel",
    "check_columns",
    "check_numeric",
    "check_choice",
    "check_alpha",
    "check_fraction",
    "check_int",
    "never_treated_mask",
    "cohort_codes",
    "show",
    "wide_panel",
]

_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


# --------------------------------------------------------------------------- reading


def _decode(raw: bytes, path: Path) -> str:
    for encoding in _ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{path}: cannot decode the file as UTF-8 or Latin-1; re-export it as UTF-8")


def _sniff_csv(text: str) -> tuple[str, str]:
    """Separator and decimal mark of a delimited text file."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        sep = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    # A French export uses ';' so that ',' can be the decimal mark; look for
    # numbers like 12,5 in the fields before deciding.
    decimal = "."
    if sep != ",":
        fields = [f.strip().strip('"') for line in sample.splitlines()[1:] for f in line.split(sep)]
        if any(_is_comma_decimal(f) for f in fields):
            decimal = ","
    return sep, decimal


def _is_comma_decimal(field: str) -> bool:
    head, _, tail = field.lstrip("-").partition(",")
    return bool(tail) and head.replace(" ", "").replace("\u202f", "").isdigit() and tail.isdigit()


def read_table(path: str | Path, *, sheet: str | int | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file into a DataFrame.

    CSV files are decoded as UTF-8 (with or without BOM), falling back to
    Windows-1252/Latin-1; the separator (``,``, ``;``, tab or ``|``) and the
    decimal mark (``.`` or ``,``) are detected, so that a French spreadsheet
    export reads without options. Extra keyword arguments go to the pandas
    reader and override the detection.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xls``, ``.parquet`` or ``.pq``.
    sheet : str or int, optional
        Excel sheet (default: the first).

    Raises
    ------
    DataError
        The file does not exist, is empty, or has an unsupported extension.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} not found; check the path (relative paths start at {Path.cwd()})")
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt", ".tsv"}:
            text = _decode(path.read_bytes(), path)
            if not text.strip():
                raise DataError(f"data file {str(path)!r} is empty")
            sep, decimal = _sniff_csv(text)
            options = {"sep": sep, "decimal": decimal, "thousands": None}
            if decimal == ",":
                # French number formats group thousands with a space, a no-break space or a
                # narrow no-break space (1 234,5): make them all the one pandas can skip.
                text = re.sub(r"(?<=\d)[\u00a0\u202f](?=\d{3})", " ", text)
                options["thousands"] = " "
            options.update(kwargs)
            return pd.read_csv(io.StringIO(text), **options)
        if suffix in {".xlsx", ".xlsm", ".xls"}:
            return pd.read_excel(path, sheet_name=0 if sheet is None else sheet, **kwargs)
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path, **kwargs)
    except DataError:
        raise
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        raise DataError(f"cannot read {str(path)!r}: {exc}") from exc
    raise DataError(
        f"data file {str(path)!r} has extension {suffix!r}; use .csv, .xlsx or .parquet"
    )


# --------------------------------------------------------------------------- argument checks


def show(value) -> str:
    """A unit or period label for a message: ``'Utah'``, ``1980``, ``'2020-01-01'`` (no ``np.int64(...)``)."""
    if isinstance(value, np.datetime64):
        return repr(str(pd.Timestamp(value)))
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def check_columns(data: pd.DataFrame, **roles: str | Sequence[str] | None) -> None:
    """Check that every named column exists; the message names the role and suggests a fix.

    ``check_columns(df, outcome="delay", unit="city")`` raises
    ``DataError("outcome column 'delai' not found; did you mean 'delay'? ...")``.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame (got {type(data).__name__})")
    available = [str(c) for c in data.columns]
    for role, names in roles.items():
        if names is None:
            continue
        for name in [names] if isinstance(names, str) else list(names):
            if not isinstance(name, str):
                raise ConfigError(f"{role} must be a column name (a string), got {name!r}")
            if name not in data.columns:
                close = difflib.get_close_matches(name, available, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise DataError(
                    f"{role} column {name!r} not found; {hint}available columns: {', '.join(available[:30])}"
                )


def check_numeric(data: pd.DataFrame, column: str, role: str = "outcome") -> None:
    """Raise :class:`DataError` unless ``column`` is numeric (bool excluded)."""
    series = data[column]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        sample = series.dropna().astype(str).head(3).tolist()
        raise DataError(
            f"{role} column {column!r} must be numeric (got dtype {series.dtype}, values like {sample}); "
            "convert it, e.g. pd.to_numeric(df[col].str.replace(',', '.'))"
        )


def check_choice(name: str, value, allowed: Iterable) -> None:
    """Raise :class:`ConfigError` unless ``value`` is one of ``allowed``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(repr(a) for a in allowed)} (got {value!r})")


def check_fraction(name: str, value, hint: str = "") -> float:
    """A number strictly between 0 and 1 (a significance level, a power); ``hint`` suggests a usual value."""
    try:
        ok = 0 < float(value) < 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{name} must be strictly between 0 and 1 (got {value!r})" + (f"; {hint}" if hint else ""))
    return float(value)


def check_alpha(alpha) -> float:
    """Significance level strictly between 0 and 1."""
    return check_fraction("alpha", alpha, "0.05 gives 95% intervals")


def check_int(name: str, value, minimum: int | None = None) -> int:
    """An integer argument, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer (got {value!r})")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {value})")
    return int(value)


def never_treated_mask(cohort: pd.Series) -> np.ndarray:
    """True where ``cohort`` means never treated: 0, NaN or missing."""
    values = pd.to_numeric(cohort, errors="coerce") if not pd.api.types.is_datetime64_any_dtype(cohort) else cohort
    missing = np.array(pd.isna(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values):
        missing |= values.fillna(0).to_numpy() == 0
    return missing


# --------------------------------------------------------------------------- panels


@dataclass(frozen=True)
class Panel:
    """A validated long-form panel with integer codes for units, periods and cohorts.

    ``time_codes`` number the sorted distinct periods ``0..n_periods-1``;
    ``cohort_codes`` give each row's first treated period on that scale
    (``n_periods`` and beyond for a cohort after the sample, ``-1`` for never
    treated). ``periods[code]`` maps a code back to the original label.
    """

    data: pd.DataFrame
    outcome: str
    unit: str
    time: str
    cohort: str | None
    treatment: str | None
    periods: np.ndarray
    unit_codes: np.ndarray
    time_codes: np.ndarray
    cohort_codes: np.ndarray | None
    units: np.ndarray

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def y(self) -> np.ndarray:
        return self.data[self.outcome].to_numpy(dtype=float)

    @property
    def balanced(self) -> bool:
        return len(self.data) == self.n_units * self.n_periods

    def period_label(self, code):
        """Original period label(s) for integer code(s)."""
        return self.periods[np.asarray(code)]

    def require_balanced(self, need: str) -> None:
        """Raise :class:`DataError` naming the first missing (unit, period) unless every unit has every period."""
        if self.balanced:
            return
        seen = np.zeros((self.n_units, self.n_periods), dtype=bool)
        seen[self.unit_codes, self.time_codes] = True
        i, t = np.argwhere(~seen)[0]
        raise DataError(
            f"the panel is unbalanced: no row for {self.unit}={show(self.units[i])} in {self.time}={show(self.periods[t])} "
            f"({int((~seen).sum())} unit-periods missing in all); {need} needs every unit in every period: "
            "fill the gaps or remove the unit"
        )

    def wide(self, column: str | None = None) -> np.ndarray:
        """``(n_units x n_periods)`` matrix of ``column`` (default: the outcome); NaN where a unit has no row."""
        matrix = np.full((self.n_units, self.n_periods), np.nan)
        matrix[self.unit_codes, self.time_codes] = self.data[column or self.outcome].to_numpy(dtype=float)
        return matrix


def _period_codes(values: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        periods = np.sort(values.dropna().unique())
    except TypeError as exc:
        raise DataError(f"time column {column!r} mixes values that cannot be ordered ({exc}); use integers or dates") from exc
    return periods, np.searchsorted(periods, values.to_numpy())


def cohort_codes(data: pd.DataFrame, cohort: str, periods: np.ndarray) -> np.ndarray:
    """Each row's first treated period as an index into the sorted ``periods``; -1 for never treated.

    A cohort between two observed periods starts at the next observed one; a
    cohort after the last period gets ``len(periods)``.
    """
    series = data[cohort]
    never = never_treated_mask(series)
    codes = np.full(len(series), -1, dtype=np.int64)
    treated_values = series.to_numpy()[~never]
    if pd.api.types.is_datetime64_any_dtype(series) or np.issubdtype(periods.dtype, np.datetime64):
        treated_values = pd.to_datetime(treated_values).to_numpy()
    try:
        # A cohort between two observed periods starts at the next observed one.
        codes[~never] = np.searchsorted(periods, treated_values, side="left")
    except TypeError as exc:
        raise DataError(
            f"cohort column {cohort!r} holds values that cannot be compared with the periods ({exc}); "
            "give the first treated period on the same scale as the time column, 0 or empty for never treated"
        ) from exc
    return codes


def validate_panel(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    *,
    cohort: str | None = None,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    repeated_cross_section: bool = False,
    require_treated: bool = True,
    require_untreated: bool = True,
) -> Panel:
    """Validate a long-form panel and map its periods and cohorts to integers.

    Checks, each with a message that names the column and the fix: the
    columns exist; the outcome (and covariates) are numeric; no unit appears
    twice in a period (unless ``repeated_cross_section``); at least two
    periods; treated and untreated units are both present; the cohort is
    constant within a unit; a 0/1 ``treatment`` holds only 0 and 1. Rows with
    a missing outcome, unit, period or covariate are dropped with a
    :class:`~impact.errors.DroppedRowsWarning` that says how many.

    Returns
    -------
    Panel
    """
    covariates = list(covariates or [])
    check_columns(data, outcome=outcome, unit=unit, time=time, cohort=cohort, treatment=treatment, covariates=covariates)
    check_numeric(data, outcome, "outcome")
    for cov in covariates:
        check_numeric(data, cov, "covariate")
    if treatment is not None:
        check_numeric(data, treatment, "treatment")
    if cohort is not None and not (
        pd.api.types.is_numeric_dtype(data[cohort]) or pd.api.types.is_datetime64_any_dtype(data[cohort])
    ):
        raise DataError(
            f"cohort column {cohort!r} must be numeric or a date (got dtype {data[cohort].dtype}); "
            "give the first treated period, 0 or empty for never treated"
        )

    required = [outcome, unit, time, *covariates] + ([treatment] if treatment else [])
    missing = data[required].isna().any(axis=1).to_numpy()
    if missing.any():
        counts = data[required].isna().sum()
        detail = ", ".join(f"{c!r}: {n}" for c, n in counts.items() if n)
        warnings.warn(
            f"dropped {int(missing.sum())} of {len(data)} rows with missing values ({detail})",
            DroppedRowsWarning,
            stacklevel=2,
        )
    frame = data.loc[~missing].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"no rows left after dropping missing values in {required}")

    if not repeated_cross_section:
        dup = frame.duplicated([unit, time], keep=False)
        if dup.any():
            first = frame.loc[dup, [unit, time]].iloc[0]
            raise DataError(
                f"{int(dup.sum())} rows share a ({unit!r}, {time!r}) pair, e.g. {unit}={first[unit]!r}, "
                f"{time}={first[time]!r}; keep one row per unit and period (aggregate or deduplicate first), "
                "or pass panel=False for repeated cross-sections"
            )

    periods, time_codes = _period_codes(frame[time], time)
    if len(periods) < 2:
        raise DataError(f"time column {time!r} has a single period ({periods[0]!r}); a before/after comparison needs at least two")

    units, unit_codes = np.unique(frame[unit].to_numpy(), return_inverse=True)

    codes = None
    if cohort is not None:
        codes = cohort_codes(frame, cohort, periods)
        if not repeated_cross_section:
            spread = pd.Series(codes).groupby(unit_codes).nunique()
            if (spread > 1).any():
                bad = units[spread.index[spread > 1][0]]
                raise DataError(
                    f"cohort column {cohort!r} varies within unit {bad!r} ({int((spread > 1).sum())} units in all); "
                    "the cohort is the first treated period and must be the same in every row of a unit"
                )
        is_treated = codes >= 0
    elif treatment is not None:
        values = frame[treatment].to_numpy()
        if not np.isin(values, [0, 1]).all():
            bad = values[~np.isin(values, [0, 1])][0]
            raise DataError(f"treatment column {treatment!r} must hold only 0 and 1 (found {bad!r})")
        ever = pd.Series(values).groupby(unit_codes).transform("max").to_numpy()
        is_treated = ever == 1
    else:
        is_treated = None

    if is_treated is not None:
        column = cohort or treatment
        if require_treated and not is_treated.any():
            raise DataError(f"no treated unit: every value of {column!r} means untreated; check the column and its coding")
        if require_untreated and is_treated.all():
            raise DataError(
                f"no untreated unit: every unit is treated at some point according to {column!r}; "
                "a comparison group is needed (never-treated or not-yet-treated units)"
            )

    return Panel(
        data=frame,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        treatment=treatment,
        periods=periods,
        unit_codes=unit_codes.astype(np.int64),
        time_codes=time_codes.astype(np.int64),
        cohort_codes=codes,
        units=units,
    )


def wide_panel(
    data: pd.DataFrame, outcome: str, unit: str, time: str, need: str, columns: Sequence[str] = (),
    role: str = "column",
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Complete, balanced ``(units x periods)`` matrices of ``outcome`` and ``columns``.

    For methods that cannot drop anything silently (synthetic weights, power
    simulations): a missing value or a missing (unit, period) row is a
    :class:`DataError` naming the first unit and period concerned, and
    ``need`` (what requires the complete panel). ``role`` names ``columns`` in
    messages (e.g. "predictor"). Returns the matrices by column, the sorted
    units and the sorted periods.
    """
    columns = [c for c in columns if c != outcome]
    check_columns(data, outcome=outcome, unit=unit, time=time, **{f"{role}s": columns or None})
    for col, col_role in [(outcome, "outcome"), *[(c, role) for c in columns]]:
        check_numeric(data, col, col_role)
    for col in [outcome, *columns, unit, time]:
        missing = data[col].isna().to_numpy()
        if missing.any():
            row = data.loc[missing].iloc[0]
            raise DataError(
                f"column {col!r} is missing for {unit}={show(row[unit])} in {time}={show(row[time])} "
                f"({int(missing.sum())} missing values in all); {need} needs a complete panel: "
                "fill the gaps or remove the unit"
            )
    panel = validate_panel(data, outcome, unit, time, covariates=columns)
    panel.require_balanced(need)
    return {col: panel.wide(col) for col in [outcome, *columns]}, panel.units, panel.periods
