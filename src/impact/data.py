"""Reading data files and validating panels.

Evaluation data in public administrations arrive as CSV exports (often French:
``;`` separator, ``,`` decimal mark, Latin-1), Excel workbooks or Parquet
files. :func:`read_table` reads all of them; :func:`validate_panel` checks
that a long-form table can support a difference-in-differences design and
maps its periods and cohorts to consecutive integers (and back).

The small ``check_*`` helpers (:mod:`impact.checks`, re-exported here) are the
validators every public entry point uses, so that one bad input always gets the
same kind of message: the argument, what was received, what is allowed, and the fix.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from impact.checks import (_rows, check_alpha, check_choice, check_columns, check_complete,
                           check_finite, check_fraction, check_int, check_numeric, show)
from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.periods import PeriodScale, infer_scale, is_never
from impact.reading import MISSING_TOKENS, read_table

__all__ = [
    "read_table",
    "validate_panel",
    "Panel",
    "check_columns",
    "check_numeric",
    "check_finite",
    "check_complete",
    "period_codes",
    "period_position",
    "MISSING_TOKENS",
    "check_choice",
    "check_alpha",
    "check_fraction",
    "check_int",
    "never_treated_mask",
    "cohort_codes",
    "show",
    "wide_panel",
]

# --------------------------------------------------------------------------- panels


def never_treated_mask(cohort: pd.Series) -> np.ndarray:
    """True where ``cohort`` means never treated: 0, ``"0"``, NaN, NaT, missing or an empty cell."""
    return is_never(cohort)


@dataclass(frozen=True)
class Panel:
    """A validated long-form panel with integer codes for units, periods and cohorts.

    ``time_codes`` number the periods on their calendar ``0..n_periods-1``
    (see :mod:`impact.periods`: a period missing from every unit keeps its
    code); ``cohort_codes`` give each row's first treated period on that scale
    (``0`` for a cohort at or before the first period: always treated;
    ``n_periods`` and beyond for a cohort after the sample; ``-1`` for never
    treated). ``periods[code]`` maps a code back to the user's label
    (integer, Timestamp or pandas Period) and :meth:`period_text` to a label
    for readers (``Jul 2023``, ``juil. 2023``).
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
    scale: PeriodScale | None = None

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

    @property
    def always_treated_units(self) -> np.ndarray:
        """Units treated from the first period on (cohort at or before it): no untreated period to compare."""
        if self.cohort_codes is None:
            return self.units[:0]
        return self.units[np.unique(self.unit_codes[self.cohort_codes == 0])]

    def period_label(self, code):
        """Original period label(s) for integer code(s).

        Integer periods come back as a NumPy integer array (or scalar); dates
        and Periods as an object array of ``Timestamp``/``Period`` (0-d for a
        scalar code, so that ``.item()`` works for every kind).
        """
        idx = np.asarray(code)
        if self.periods.dtype.kind in "iu":
            return self.periods[idx]
        out = np.empty(idx.size, dtype=object)
        out[:] = pd.Index(self.periods[idx.ravel()]).astype(object).to_numpy()
        return out.reshape(idx.shape)

    def period_text(self, code, locale: str = "en") -> list[str]:
        """Period labels for readers in ``locale``: ``Jul 2023`` / ``juil. 2023``, ``2023 Q3`` / ``T3 2023``."""
        return self.scale.format(code, locale) if self.scale is not None else [show(p) for p in self.period_label(code)]

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


def period_codes(
    data: pd.DataFrame, time: str, cohort: str | None = None
) -> tuple[PeriodScale, np.ndarray, np.ndarray | None]:
    """The calendar of ``time`` and each row's period and cohort codes on it (see :mod:`impact.periods`).

    Cohort codes are -1 for never treated (0, NaN, empty), 0 for a cohort at
    or before the first period (always treated), and may reach ``n`` or more
    for a cohort after the last period. A cohort off the calendar (between
    two periods, another frequency) is a :class:`DataError` naming it.
    """
    check_complete(data, time, "time")
    inverse, distinct = _distinct(data[time])
    try:
        scale = infer_scale(distinct, time)
        tcodes = scale.codes(distinct, "time", time)[inverse]
    except DataError:
        # Distinct values have no row numbers: redo on the column so that the message names the rows.
        infer_scale(data[time], time).codes(data[time], "time", time)
        raise
    return scale, tcodes, (cohort_codes(data, cohort, scale) if cohort is not None else None)


def _distinct(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's distinct value and the distinct values (a hash, so that 10M rows parse as a few dozen)."""
    inverse, uniques = pd.factorize(series)
    return inverse, pd.Series(uniques)


def cohort_codes(data: pd.DataFrame, cohort: str, periods) -> np.ndarray:
    """Each row's first treated period as a code on the calendar of ``periods``; -1 for never treated.

    ``periods`` is a :class:`~impact.periods.PeriodScale` or the sorted
    period labels. A cohort before the first period gets 0 (always treated);
    a cohort after the last period gets ``n_periods`` or more; a cohort between
    two periods is a :class:`DataError`.
    """
    scale = periods if isinstance(periods, PeriodScale) else infer_scale(pd.Series(periods), "time")
    series = data[cohort]
    # Decided on the distinct values (a handful), then mapped back to the rows: 10M rows cost one hash.
    inverse, distinct = _distinct(series)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        if np.isinf(distinct.to_numpy(dtype=float, na_value=np.nan)).any():
            inf = np.isinf(series.to_numpy(dtype=float, na_value=np.nan))
            raise DataError(
                f"cohort column {cohort!r} has {int(inf.sum())} infinite values ({_rows(series.index, inf)}); "
                "write 0 or leave the cell empty for never-treated units"
            )
    treated = ~is_never(distinct)
    codes_u = np.full(len(distinct) + 1, -1, dtype=np.int64)  # the extra last entry: missing (code -1 of factorize)
    if treated.any():
        try:
            codes_u[:-1][treated] = np.maximum(scale.codes(distinct[treated], "cohort", cohort), 0)
        except DataError:
            scale.codes(series[~is_never(series)], "cohort", cohort)  # the same error, naming the rows
            raise
    return codes_u[inverse]


def period_position(periods, value, name: str) -> int:
    """Code of one period given as an argument (``start="2023-07"``) on the calendar of the labels ``periods``.

    The value may be written in any form :mod:`impact.periods` reads, whatever
    the form of the data (``"2023-07"``, ``pd.Timestamp("2023-07-01")``,
    ``"07/2023"`` against Excel dates). The code may fall outside the data;
    the caller checks the range.
    """
    scale = infer_scale(pd.Series(periods), "time")
    try:
        return int(scale.codes(pd.Series([value], dtype=object), "argument", name)[0])
    except DataError as exc:
        raise ConfigError(
            f"{name}={show(value)} is not one of the periods of the data ({show(periods[0])} ... {show(periods[-1])}); "
            f"give one of them, written like {show(periods[0])}"
        ) from exc


def _unit_codes(values: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """Sorted unit labels and each row's code; True when the labels had to be read as text."""
    try:
        units, codes = np.unique(values.to_numpy(), return_inverse=True)
    except TypeError:
        # A column mixing numbers and text (Excel: 75001 and '2A004') is coded on its text.
        units, codes = np.unique(values.astype(str).to_numpy(), return_inverse=True)
        return units, codes, True
    return units, codes, False


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

    Checks, each with a message that names the column, the rows and the fix:
    the columns exist; the outcome (and covariates, treatment) are numeric and
    finite; no unit or period is missing; periods and cohorts are written in a
    form :mod:`impact.periods` reads and on one calendar; no unit appears
    twice in a period (unless ``repeated_cross_section``); at least two
    periods; treated and untreated units are both present; the cohort is
    constant within a unit; a 0/1 ``treatment`` holds only 0 and 1. Rows with
    a missing outcome, covariate or treatment are dropped with a
    :class:`~impact.errors.DroppedRowsWarning` that says how many.

    Returns
    -------
    Panel
    """
    covariates = list(covariates or [])
    check_columns(data, outcome=outcome, unit=unit, time=time, cohort=cohort, treatment=treatment, covariates=covariates)
    numeric = [(outcome, "outcome"), *[(c, "covariate") for c in covariates]] + ([(treatment, "treatment")] if treatment else [])
    for col, role in numeric:
        check_numeric(data, col, role)
        check_finite(data, col, role)
    check_complete(data, unit, "unit")
    check_complete(data, time, "time")

    required = [c for c, _ in numeric]
    missing = data[required].isna().any(axis=1).to_numpy()
    if missing.any():
        counts = data[required].isna().sum()
        detail = ", ".join(f"{c!r}: {n}" for c, n in counts.items() if n)
        warnings.warn(
            f"dropped {int(missing.sum())} of {len(data)} rows with missing values ({detail}; {_rows(data.index, missing)})",
            DroppedRowsWarning,
            stacklevel=2,
        )
    frame = data.loc[~missing].reset_index(drop=True)
    if frame.empty:
        raise DataError(f"no rows left after dropping missing values in {required}")

    scale, time_codes, codes = period_codes(frame, time, cohort)
    periods = scale.labels
    if scale.n < 2:
        raise DataError(f"time column {time!r} has a single period ({show(periods[0])}); "
                        "a before/after comparison needs at least two")
    units, unit_codes, as_text = _unit_codes(frame[unit], unit)
    if as_text:  # the estimators cluster and group on this column: give them the labels the panel uses
        frame[unit] = frame[unit].astype(str)

    if not repeated_cross_section:
        cell = unit_codes.astype(np.int64) * scale.n + time_codes
        dup = pd.Series(cell).duplicated(keep=False).to_numpy()
        if dup.any():
            first = np.flatnonzero(dup)[0]
            raise DataError(
                f"{int(dup.sum())} rows share a ({unit!r}, {time!r}) pair, e.g. {unit}={show(frame[unit].iloc[first])}, "
                f"{time}={show(periods[time_codes[first]])}; keep one row per unit and period (aggregate or deduplicate "
                "first), or pass panel=False for repeated cross-sections"
            )

    if cohort is not None:
        if not repeated_cross_section:
            spread = pd.Series(codes).groupby(unit_codes).nunique()
            if (spread > 1).any():
                bad = units[spread.index[spread > 1][0]]
                raise DataError(
                    f"cohort column {cohort!r} varies within unit {show(bad)} ({int((spread > 1).sum())} units in all); "
                    "the cohort is the first treated period and must be the same in every row of a unit"
                )
        # A cohort after the last period is untreated within the sample: a comparison unit, not a treated one.
        is_treated = (codes >= 0) & (codes < scale.n)
    elif treatment is not None:
        values = frame[treatment].to_numpy()
        if not np.isin(values, [0, 1]).all():
            bad = values[~np.isin(values, [0, 1])][0]
            raise DataError(f"treatment column {treatment!r} must hold only 0 and 1 (found {show(bad)})")
        ever = pd.Series(values).groupby(unit_codes).transform("max").to_numpy()
        is_treated = ever == 1
    else:
        is_treated = None

    if is_treated is not None:
        column = cohort or treatment
        if require_treated and not is_treated.any():
            raise DataError(f"no treated unit: every value of {column!r} means untreated (0, empty, or after the last "
                            f"period {show(periods[-1])}); check the column and its coding")
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
        scale=scale,
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
