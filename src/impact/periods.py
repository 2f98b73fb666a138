"""Periods as labs write them: parse, infer the calendar, code as integers and back.

A time or cohort column may hold integers (``2021``, ``1..T``), dates and
datetimes (Excel date cells), pandas Periods, or strings in the usual forms:
``2023-07``, ``07/2023``, ``2023-07-01``, ``01/07/2023``, ``2023Q3``,
``2023-T3`` (French *trimestre*), ``Q3 2023``, ``2023``. :func:`infer_scale`
reads a time column into a :class:`PeriodScale`; its :meth:`~PeriodScale.codes`
maps any such values (periods or cohorts) to consecutive integer codes and
:attr:`~PeriodScale.labels` maps codes back.

Decision: codes follow the calendar, not the observed values. The step of the
scale is the greatest common divisor of the gaps between observed periods
(one month for monthly data, three for quarterly data written as months, two
for a biennial survey coded by year), and code ``k`` is the ``k``-th step
after the first observed period. A month missing from every unit therefore
keeps its code (an empty period), so that event time ``t - g`` counts
calendar steps: "three months after adoption" means three months even across
a gap. On data without such gaps (the usual case) the codes equal the rank of
the distinct periods, which is what :class:`impact.data.Panel` did before.

A cohort (first treated period) must fall on the same grid: a value between
two periods (``2023-07-15`` on a monthly scale) or on another frequency
(``2023Q3`` against months) is a :class:`~impact.errors.DataError` naming it.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.errors import ConfigError, DataError

__all__ = ["PeriodScale", "infer_scale", "parse_periods", "format_period", "unit_name", "is_never", "period_text",
           "axis_values"]

#: Internal units: plain integers, months since 1970-01 (for months, quarters and years), days since 1970-01-01.
_BASES = ("int", "month", "day")

# Forms written in spreadsheets; each maps a string to (base, ordinal, written frequency).
_YEAR = re.compile(r"^(\d{4})$")
_MONTH_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_MY = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_QUARTER_YQ = re.compile(r"^(\d{4})\s*[-/ ]?\s*[QqTt]([1-4])$")
_QUARTER_QY = re.compile(r"^[QqTt]([1-4])\s*[-/ ]?\s*(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_DATE_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_INTEGER = re.compile(r"^[+-]?\d+(?:\.0*)?$")

#: Numbers from this size up are no period (a year, a code 1..T or a yyyymmdd date are far smaller); cast to
#: int64 they could wrap round.
_TOO_LARGE = 1e15

#: Cohort values meaning "never treated" besides 0 and missing (cells a spreadsheet leaves empty or blank).
_NEVER_STRINGS = {"", "0", "0.0"}

_UNIT_NAMES = {
    "en": {"month": "months", "quarter": "quarters", "year": "years", "day": "days", "week": "weeks",
           "period": "periods"},
    "fr": {"month": "mois", "quarter": "trimestres", "year": "années", "day": "jours", "week": "semaines",
           "period": "périodes"},
}


# The few report words about periods, kept here (not in the report's catalogue) so that results and
# plots, which must not import report/, can name event-time units and always-treated units too.
_TEXTS = {
    "en": {
        "always_treated": "Always treated (left out)",
        "always_treated_value": "{n} treated from {date} or before: no untreated period to compare",
        "event_time": "{unit} since adoption",
        "span": "{first} – {last} ({n} {unit})",
    },
    "fr": {
        "always_treated": "Toujours traitées (écartées)",
        "always_treated_value": "{n} traitées dès {date} ou avant : aucune période sans traitement à comparer",
        "event_time": "{unit} depuis l'adoption",
        "span": "{first} – {last} ({n} {unit})",
    },
}


def period_text(key: str, locale: str = "en", **values) -> str:
    """A report phrase about periods in ``locale`` (English and French; other languages fall back to English)."""
    texts = _TEXTS.get(str(locale)[:2], _TEXTS["en"])
    if not isinstance(key, str) or key not in texts:
        raise ConfigError(f"period_text has no phrase {key!r}; use one of {', '.join(map(repr, texts))}")
    return texts[key].format(**values)


def _show(value) -> str:
    if value is None or value is pd.NaT or value is pd.NA:
        return "missing"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (pd.Timestamp, _dt.datetime, np.datetime64)):
        ts = pd.Timestamp(value)
        return str(ts.date()) if ts == ts.normalize() else str(ts)
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _as_column(values, column: str = "cohort", role: str = "cohort") -> pd.Series:
    """``values`` as a Series: lists, arrays and Index objects are wrapped; anything else is a DataError."""
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, (pd.Index, pd.api.extensions.ExtensionArray, list, tuple)) or (
            isinstance(values, np.ndarray) and values.ndim == 1):
        return pd.Series(values)
    raise DataError(f"{role} column {column!r} must be a column of periods (a pandas Series, list or 1-D array), "
                    f"got {type(values).__name__}; pass data[{column!r}]")


def is_never(values: pd.Series) -> np.ndarray:
    """True where a cohort value means never treated: 0, ``"0"``, NaN, NaT, None or an empty string."""
    values = _as_column(values)
    missing = np.asarray(pd.isna(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return missing | (np.nan_to_num(values.to_numpy(dtype=float), nan=0.0) == 0)
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        # Decide on the distinct values (a cohort column has a handful), then map back to the rows.
        try:
            inverse, uniques = pd.factorize(values)
        except TypeError:  # unhashable cells (lists, dicts): no cohort value
            bad = values.map(lambda v: isinstance(v, (list, dict, set, np.ndarray)))
            raise DataError(f"cohort column has values that are not periods, e.g. {_show(values[bad].iloc[0])}; "
                            "write cohorts as periods, or 0 / empty for never treated") from None
        uniq = pd.Series(uniques, dtype=object)
        text = uniq.astype(str).str.strip()
        numeric = pd.to_numeric(uniq.where(uniq.map(lambda v: isinstance(v, (str, int, float, np.number)))),
                                errors="coerce")
        never_u = (text.isin(_NEVER_STRINGS) | (numeric == 0)).to_numpy(dtype=bool)
        return missing | np.append(never_u, True)[inverse]
    return missing


def _rows(index, mask, limit: int = 5) -> str:
    """``row 14`` or ``rows 14, 87 and 3 more``: index labels of the rows where ``mask`` holds."""
    rows = list(np.asarray(index)[np.asarray(mask)][:limit])
    more = int(np.asarray(mask).sum()) - len(rows)
    head = "row " if len(rows) + more == 1 else "rows "
    return head + ", ".join(_show(r) for r in rows) + (f" and {more} more" if more > 0 else "")


def _parse_strings(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse unique strings into (base code, ordinal, written frequency); base -1 where nothing matched."""
    n = len(text)
    base = np.full(n, -1)
    ordinal = np.zeros(n, dtype=np.int64)
    written = np.full(n, "", dtype=object)

    def take(pattern, fn, b, freq):
        m = text.str.extract(pattern).to_numpy()
        hit = (base < 0) & ~pd.isna(m[:, 0])
        if hit.any():
            ordinal[hit] = fn(m[hit].astype(np.int64))
            base[hit] = b
            written[hit] = freq

    month = lambda y, mo: (y - 1970) * 12 + mo - 1  # noqa: E731
    take(_YEAR, lambda m: month(m[:, 0], 1), 1, "Y")
    take(_MONTH_YM, lambda m: month(m[:, 0], m[:, 1]), 1, "M")
    take(_MONTH_MY, lambda m: month(m[:, 1], m[:, 0]), 1, "M")
    take(_QUARTER_YQ, lambda m: month(m[:, 0], 3 * m[:, 1] - 2), 1, "Q")
    take(_QUARTER_QY, lambda m: month(m[:, 1], 3 * m[:, 0] - 2), 1, "Q")
    for pattern, order in ((_DATE_ISO, (0, 1, 2)), (_DATE_DMY, (2, 1, 0))):
        m = text.str.extract(pattern).to_numpy()
        hit = (base < 0) & ~pd.isna(m[:, 0])
        if hit.any():
            parts = m[hit][:, list(order)].astype(np.int64)
            days = pd.to_datetime(
                pd.DataFrame({"year": parts[:, 0], "month": parts[:, 1], "day": parts[:, 2]}), errors="coerce")
            ok = days.notna().to_numpy()
            idx = np.flatnonzero(hit)[ok]
            ordinal[idx] = (days[ok].to_numpy().astype("datetime64[D]").astype(np.int64))
            base[idx] = 2
            written[idx] = "D"
    hit = (base < 0) & text.str.fullmatch(_INTEGER.pattern[1:-1]).fillna(False).to_numpy()
    # At most 15 digits: a longer string is no period, and cast to int64 it would wrap round silently.
    hit &= text.str.replace(r"^[+-]|\..*$", "", regex=True).str.len().fillna(99).to_numpy() <= 15
    if hit.any():
        ordinal[hit] = pd.to_numeric(text[hit]).astype(np.int64).to_numpy()
        base[hit] = 0
        written[hit] = "int"
    # Months outside 1..12 (2023-13) matched the pattern but are no month.
    months = text.str.extract(_MONTH_YM).to_numpy()[:, 1]
    months_my = text.str.extract(_MONTH_MY).to_numpy()[:, 0]
    for col in (months, months_my):
        wrong = ~pd.isna(col)
        wrong[wrong] = ~np.isin(col[wrong].astype(int), np.arange(1, 13))
        base[wrong & (written == "M")] = -1
    return base, ordinal, written


def parse_periods(values: pd.Series, column: str, role: str = "time") -> tuple[np.ndarray, str, np.ndarray]:
    """Parse non-missing period values into ``(ordinals, base, written)``, one of each per value.

    ``base`` is ``"int"``, ``"month"`` or ``"day"``; ``ordinals`` are integers
    on that base (months since January 1970, days since 1970-01-01);
    ``written`` gives each value's written frequency (``"int"``, ``"Y"``,
    ``"Q"``, ``"M"``, ``"D"``, ``"datetime"``), used for labels.

    Raises
    ------
    DataError
        A value matches no accepted form, or the column mixes forms of
        different kinds (months and plain dates, integers and dates).
    """
    ords, base, written, inverse = _parse_distinct(values, column, role)
    return ords, base, written[inverse]


def _parse_distinct(values: pd.Series, column: str, role: str):
    """As :func:`parse_periods`, with ``written`` per distinct value and each row's distinct value.

    Only the distinct values are parsed (a hash of the column first), so ten
    million rows cost one ``pandas.factorize``.
    """
    values = _as_column(values, column, role)
    try:
        inverse, uniques = pd.factorize(values)
    except TypeError:  # unhashable cells: lists or dicts pasted into a column
        bad = values.map(lambda v: isinstance(v, (list, dict, set, np.ndarray)))
        raise DataError(f"{role} column {column!r} has values that are not periods: {_show(values[bad].iloc[0])} "
                        f"({_rows(values.index, bad.to_numpy(dtype=bool))}); write periods as integers, dates, or "
                        "strings such as 2023-07") from None
    inverse = inverse.astype(np.intp)
    if (inverse < 0).any():  # callers drop or refuse missing periods first; never code one silently
        raise DataError(f"{role} column {column!r} has missing values ({_rows(values.index, inverse < 0)}); "
                        "fill them or remove those rows")
    rows = lambda mask: _rows(values.index, np.asarray(mask)[inverse])  # noqa: E731
    ords, base, written = _parse_values(pd.Series(uniques), column, role, rows)
    return ords[inverse], base, written, inverse


def _parse_values(values: pd.Series, column: str, role: str, rows=None):
    """Ordinals, base and written frequency of each of ``values`` (distinct values: few)."""
    rows = rows or (lambda mask: _rows(values.index, mask))
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), "int", np.zeros(0, dtype=object)
    if isinstance(values.dtype, pd.PeriodDtype):
        # The rule code, not freqstr: a multiple such as 12M has freqstr "12ME", whose first letter is a digit.
        freq = values.dtype.freq.rule_code[0]
        if freq in "MQY" or freq == "A":
            ords = values.dt.asfreq("M", how="start").array.asi8
            return ords.astype(np.int64), "month", np.full(len(values), "Y" if freq == "A" else freq, dtype=object)
        if freq in "DW":
            days = values.dt.start_time.to_numpy().astype("datetime64[D]").astype(np.int64)
            return days, "day", np.full(len(values), "D", dtype=object)
        raise DataError(f"{role} column {column!r} holds periods of frequency {values.dtype.freq.freqstr}; "
                        "use days, weeks, months, quarters or years")
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        days = stamps.to_numpy().astype("datetime64[D]")
        if (stamps.to_numpy() != days.astype(stamps.to_numpy().dtype)).any():
            bad = stamps.to_numpy() != days.astype(stamps.to_numpy().dtype)
            raise DataError(f"{role} column {column!r} holds times of day (e.g. {_show(values[bad].iloc[0])}); "
                            "give dates, months or years")
        return _dates_to_ordinals(days.astype(np.int64))
    if pd.api.types.is_bool_dtype(values):
        raise DataError(f"{role} column {column!r} holds True/False values; give periods (integers or dates)")
    if pd.api.types.is_numeric_dtype(values):
        num = values.to_numpy(dtype=float)
        bad = ~np.isfinite(num) | (num != np.round(num))
        if bad.any():
            raise DataError(f"{role} column {column!r} has values that are not whole numbers, e.g. "
                            f"{_show(values[bad].iloc[0])} ({rows(bad)}); "
                            "periods are integers, dates or strings such as 2023-07")
        huge = np.abs(num) >= _TOO_LARGE
        if huge.any():  # cast to int64 it would wrap round to a wrong period without a word
            raise DataError(f"{role} column {column!r} has {_show(values[huge].iloc[0])} ({rows(huge)}), too large "
                            "to be a period; periods are years (2023), codes (1..T), dates or strings such as 2023-07")
        return num.astype(np.int64), "int", np.full(len(num), "int", dtype=object)
    # Object or string: strings in the usual forms, or Python dates/periods/numbers (Excel mixes them).
    codes, uniques = pd.factorize(values)
    uniq = pd.Series(uniques, dtype=object)
    stamps = uniq.map(lambda v: isinstance(v, (_dt.date, np.datetime64)))
    periods_ = uniq.map(lambda v: isinstance(v, pd.Period))
    numbers = uniq.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool))
    text = uniq.where(~(stamps | periods_ | numbers), None).astype(str).str.strip()
    base, ordinal, written = _parse_strings(text.where(~(stamps | periods_ | numbers), "\x00"))
    if numbers.any():
        num = uniq[numbers].astype(float).to_numpy()
        whole = np.isfinite(num) & (num == np.round(num)) & (np.abs(num) < _TOO_LARGE)
        idx = np.flatnonzero(numbers.to_numpy())[whole]
        ordinal[idx], base[idx], written[idx] = num[whole].astype(np.int64), 0, "int"
    if periods_.any():
        idx = np.flatnonzero(periods_.to_numpy())
        per = pd.PeriodIndex(uniq[periods_].tolist()) if len({p.freqstr for p in uniq[periods_]}) == 1 else None
        if per is None:
            raise DataError(f"{role} column {column!r} mixes periods of different frequencies; use one")
        o, b, w = _parse_values(pd.Series(per), column, role)
        ordinal[idx], base[idx], written[idx] = o, {"int": 0, "month": 1, "day": 2}[b], w
    if stamps.any():
        idx = np.flatnonzero(stamps.to_numpy())
        ts = pd.to_datetime(uniq[stamps].tolist())
        o, b, w = _parse_values(pd.Series(ts), column, role)
        ordinal[idx], base[idx], written[idx] = o, {"int": 0, "month": 1, "day": 2}[b], w
    if (base < 0).any():
        bad_values = uniq[base < 0]
        bad_rows = np.isin(codes, np.flatnonzero(base < 0))
        raise DataError(
            f"{role} column {column!r} has values that are not periods: "
            f"{', '.join(_show(v) for v in bad_values[:3])} ({rows(bad_rows)}); "
            "write periods as integers, dates, or strings such as 2023-07, 07/2023, 2023-07-01, 2023Q3, 2023-T3 or 2023"
        )
    kinds = set(base.tolist())
    if len(kinds) > 1:
        # Years written as 2023 or '2023' fit a yearly (month-based) calendar; anything else is a real mix.
        if kinds == {0, 1} and (written[base == 1] == "Y").all():
            ordinal[base == 0] = (ordinal[base == 0] - 1970) * 12
            written[base == 0] = "Y"
            base[base == 0] = 1
        elif kinds == {1, 2}:
            day_idx = np.flatnonzero(base == 2)
            o, _, w = _dates_to_ordinals(ordinal[day_idx], force_month=True, column=column, role=role)
            ordinal[day_idx], base[day_idx], written[day_idx] = o, 1, w
        else:
            first = {k: uniq[base == k].iloc[0] for k in kinds}
            names = {0: "a number", 1: "a month, quarter or year", 2: "a date"}
            raise DataError(
                f"{role} column {column!r} mixes kinds of periods: "
                + ", ".join(f"{_show(v)} ({names[k]})" for k, v in first.items())
                + "; write every period the same way"
            )
    b = _BASES[int(base[0])]
    if b == "day":
        o, b2, w = _dates_to_ordinals(ordinal)
        return o[codes], b2, w[codes]
    return ordinal[codes], b, written[codes]


def _dates_to_ordinals(days: np.ndarray, force_month: bool = False, column: str = "", role: str = "time"):
    """Days since epoch -> month ordinals when every date is the first (or last) of its month, else days."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    first = (d == month.astype("datetime64[D]")).all()
    last = (d == ((month + 1).astype("datetime64[D]") - 1)).all()
    if first or last:
        return month.astype(np.int64), "month", np.full(len(d), "datetime", dtype=object)
    if force_month:
        bad = d[d != month.astype("datetime64[D]")][0]
        raise DataError(f"{role} column {column!r} mixes months with a date inside a month ({bad}); "
                        "give every period as a month (2023-07) or as the first day of it")
    return days.astype(np.int64), "day", np.full(len(d), "datetime", dtype=object)


@dataclass(frozen=True)
class PeriodScale:
    """The calendar of a time column: code ``k`` is ``start + k * step`` on ``base``.

    ``base`` is ``"int"`` (plain integers), ``"month"`` (months since January
    1970: monthly, quarterly and yearly data) or ``"day"`` (days since
    1970-01-01: daily and weekly data). ``written`` is how the time column was
    written (``"int"``, ``"Y"``, ``"Q"``, ``"M"``, ``"D"`` or
    ``"datetime"``) and decides the type of :attr:`labels`.
    """

    base: str
    start: int
    step: int
    n: int
    written: str
    column: str = "time"

    @property
    def frequency(self) -> str:
        """``"integer"``, ``"year"``, ``"quarter"``, ``"month"``, ``"week"`` or ``"day"``."""
        if self.base == "int":
            return "integer"
        if self.base == "day":
            return "week" if self.step % 7 == 0 else "day"
        # The step decides, whatever month the data start in: yearly data every 1 July (a fiscal or school
        # year) are years, not quarters, and a quarterly survey fielded in February, May... is quarterly.
        if self.step % 12 == 0 or self.written == "Y":
            return "year"
        if self.step % 3 == 0 or self.written == "Q":
            return "quarter"
        return "month"

    @property
    def unit(self) -> str:
        """The unit of one step of event time: month, quarter, year, week, day or period."""
        if self.base == "int":
            return "period"
        if self.base == "day":
            return {1: "day", 7: "week"}.get(self.step, "period")
        return {1: "month", 3: "quarter", 12: "year"}.get(self.step, "period")

    def ordinals(self, codes) -> np.ndarray:
        """``start + codes * step``: the codes' positions on ``base``; codes must be whole numbers."""
        return self.start + _whole(codes, "period codes") * self.step

    @property
    def labels(self) -> np.ndarray:
        """One label per code, of the type the user wrote: integers, Timestamps or pandas Periods."""
        return self.label(np.arange(self.n))

    def label(self, codes) -> np.ndarray:
        """The label of each code (a scalar code gives one label)."""
        o = self.ordinals(np.atleast_1d(codes))
        if self.base == "int":
            out = o
        elif self.written == "datetime" or self.base == "day":
            out = self._stamps(o)
        else:
            freq = {"Y": "Y", "Q": "Q", "M": "M"}.get(self.written, "M")
            months = pd.PeriodIndex.from_ordinals(o, freq="M")
            out = np.asarray(months.asfreq(freq), dtype=object)
        return out[0] if np.ndim(codes) == 0 else out

    def _stamps(self, o: np.ndarray) -> np.ndarray:
        # NumPy casts datetime64 units without an overflow check: a code past 2262 would wrap round silently.
        first, last = pd.Timestamp.min, pd.Timestamp.max
        if self.base == "month":  # the months whose first day pandas can hold: October 1677 to April 2262
            lo, hi = (first.year - 1970) * 12 + first.month, (last.year - 1970) * 12 + last.month - 1
        else:
            lo, hi = (first.ceil("D") - pd.Timestamp(0)).days, (last.floor("D") - pd.Timestamp(0)).days
        if o.size and (o.min() < lo or o.max() > hi):
            raise DataError(f"period codes of {self.column!r} fall outside the dates pandas can hold (1677-2262); "
                            "check the codes passed")
        unit = "datetime64[M]" if self.base == "month" else "datetime64[D]"
        return o.astype(unit).astype("datetime64[ns]")

    def timestamps(self, codes) -> pd.DatetimeIndex:
        """Dates for a time axis (start of each period); integer scales give their integers back."""
        o = self.ordinals(np.atleast_1d(codes))
        if self.base == "int":
            return o if np.ndim(codes) else o[0]
        stamps = pd.DatetimeIndex(self._stamps(o))
        return stamps if np.ndim(codes) else stamps[0]

    def format(self, codes, locale: str = "en") -> list[str]:
        """Labels for readers: ``Jul 2023`` / ``juil. 2023``, ``2023 Q3`` / ``T3 2023``, ``2023``, dates.

        Years that start in another month than January read as their first month (``Jul 2021``), unless
        they were written as quarters (``2021Q3`` stays ``2021 Q3``).
        """
        shown = "quarter" if self.written == "Q" else self.frequency
        _locale(locale)
        return [format_period(o, self.base, shown, locale) for o in self.ordinals(np.atleast_1d(codes))]

    def unit_name(self, locale: str = "en") -> str:
        """Plural name of one step of event time in ``locale``: months / mois, quarters / trimestres..."""
        return unit_name(self.unit, locale)

    def codes(self, values: pd.Series, role: str = "time", column: str | None = None) -> np.ndarray:
        """Integer codes of ``values`` (no missing values) on this calendar.

        Codes may fall outside ``0..n-1`` (cohorts before or after the
        sample). A value off the grid is a :class:`DataError` naming it.
        """
        column = column or self.column
        values = _as_column(values, column, role)
        if len(values) == 0:
            return np.zeros(0, dtype=np.int64)
        ords, base, written, inverse = _parse_distinct(values, column, role)
        # Checks run on the distinct values (few); a failing one is mapped back to its rows for the message.
        ords_u = np.zeros(len(written), dtype=np.int64)
        ords_u[inverse] = ords

        def fail(mask_u, text):
            rows_mask = np.asarray(mask_u)[inverse]
            raise DataError(text.format(value=_show(values[rows_mask].iloc[0]), rows=_rows(values.index, rows_mask)))

        coarse = {"Y": ("month", "quarter"), "Q": ("month",)}
        wrong = np.isin(written, [w for w, f in coarse.items() if self.frequency in f])
        if base == self.base == "month" and wrong.any():
            name = {"Y": "a year", "Q": "a quarter"}[written[wrong][0]]
            fail(wrong, f"{role} column {column!r} has {{value}}, {name}, but {self.column!r} holds "
                        f"{self.frequency}s ({{rows}}); give the first treated {self.frequency}")
        if base == "day" and self.base == "month":
            d = ords_u.astype("datetime64[D]")
            fail(d != d.astype("datetime64[M]").astype("datetime64[D]"),
                 f"{role} column {column!r} has {{value}} ({{rows}}), which falls inside a {self.frequency} of "
                 f"{self.column!r} rather than on its first day; give the first treated {self.frequency} "
                 "(e.g. 2023-07 or 2023-07-01)")
        if base != self.base:
            if self.base == "month" and base == "int" and self.frequency == "year":
                ords, ords_u = (ords - 1970) * 12, (ords_u - 1970) * 12
            elif self.base == "int" and base == "month" and (written == "Y").all():
                ords, ords_u = ords // 12 + 1970, ords_u // 12 + 1970
            else:
                kind = {"int": "numbers", "month": "months, quarters or years", "day": "dates"}
                raise DataError(
                    f"{role} column {column!r} holds {kind[base]} (e.g. {_show(values.iloc[0])}) but the time column "
                    f"{self.column!r} holds {kind[self.base]}; write both the same way"
                )
        off = (ords_u - self.start) % self.step != 0
        if off.any():
            # Count the step in the scale's own unit: a yearly scale on months has step 12 but is every year.
            every = self.step // {"year": 12, "quarter": 3, "week": 7}.get(self.frequency, 1)
            what = self.frequency if every == 1 else f"{self.frequency} grid (every {every})"
            july = (f", whose years start in {_dt.date(2000, self.start % 12 + 1, 1):%B}"
                    if self.base == "month" and self.frequency == "year" and self.start % 12 else "")
            fail(off, f"{role} column {column!r} has {{value}}, which falls between two periods of the {what} "
                      f"calendar of {self.column!r}{july} ({{rows}}); give the first treated period as one of the "
                      f"periods of {self.column!r}")
        return (ords - self.start) // self.step


def _whole(codes, what: str) -> np.ndarray:
    """``codes`` as int64, or a :class:`DataError` for text, booleans, fractions, NaN or numbers past 2**53."""
    arr = np.asarray(codes)
    if arr.dtype.kind in "iu" and (arr.size == 0 or np.abs(arr).max() < 2 ** 53):
        return arr.astype(np.int64)
    if arr.dtype.kind == "f" and np.isfinite(arr).all() and (arr == np.round(arr)).all() and (
            arr.size == 0 or np.abs(arr).max() < 2 ** 53):
        return arr.astype(np.int64)
    if arr.size == 0 and arr.dtype.kind in "fO":
        return arr.astype(np.int64)
    sample = arr.ravel()[0] if arr.size else arr
    raise DataError(f"{what} must be whole numbers (got {_show(sample)} of type {type(sample).__name__}); "
                    "pass integer codes such as those of PeriodScale.codes")


def _locale(locale):
    """Babel's locale for ``locale``, a :class:`~impact.errors.ConfigError` naming it when Babel knows none."""
    from impact.formats import babel_locale

    return babel_locale(locale)


def infer_scale(values: pd.Series, column: str = "time") -> PeriodScale:
    """The calendar of a time column (no missing values): base, first period, step, number of codes."""
    ords, base, written, inverse = _parse_distinct(values, column, "time")
    if ords.size == 0:
        raise DataError(f"time column {column!r} has no values")
    ords_u = np.zeros(len(written), dtype=np.int64)
    ords_u[inverse] = ords
    uniq = np.unique(ords_u)
    start = int(uniq[0])
    step = int(np.gcd.reduce(np.diff(uniq))) if len(uniq) > 1 else 1
    n = (int(uniq[-1]) - start) // step + 1
    kinds = pd.unique(written)
    writ = kinds[0] if len(kinds) == 1 else ("datetime" if "datetime" in kinds else "M")
    if n > 100 * len(uniq) + 1000:
        raise DataError(f"time column {column!r} spans {n} periods but has only {len(uniq)} distinct values; "
                        "check for a stray value (e.g. a year typed 20023)")
    return PeriodScale(base=base, start=start, step=step, n=n, written=str(writ), column=column)


def unit_name(unit: str, locale: str = "en") -> str:
    """``months``/``mois``, ``quarters``/``trimestres``, ``years``/``années``, ``periods``/``périodes``..."""
    names = _UNIT_NAMES.get(str(locale)[:2], _UNIT_NAMES["en"])
    return names.get(unit, names["period"]) if isinstance(unit, str) else names["period"]


def format_period(ordinal: int, base: str, frequency: str, locale: str = "en") -> str:
    """One period label for ``locale`` with Babel (month and quarter names, date order)."""
    from babel.dates import format_date

    if not isinstance(base, str) or base not in _BASES:
        raise ConfigError(f"base must be one of {', '.join(map(repr, _BASES))} (got {base!r})")
    frequencies = ("integer", "year", "quarter", "month", "week", "day")
    if not isinstance(frequency, str) or frequency not in frequencies:
        raise ConfigError(f"frequency must be one of {', '.join(map(repr, frequencies))} (got {frequency!r})")
    if np.ndim(ordinal) != 0:
        raise DataError(f"format_period takes one ordinal (got {type(ordinal).__name__}); "
                        "use PeriodScale.format for several")
    ordinal = int(_whole(ordinal, "a period ordinal"))
    locale = _locale(locale)
    if base == "int":
        return str(int(ordinal))
    if base == "day":
        try:
            day = _dt.date(1970, 1, 1) + _dt.timedelta(days=ordinal)
        except OverflowError:
            raise DataError(f"period ordinal {ordinal} (days since 1970-01-01) is no date of years 1 to 9999") from None
        return format_date(day, "medium", locale=locale)
    year, month = 1970 + ordinal // 12, ordinal % 12 + 1
    if not 1 <= year <= 9999:
        raise DataError(f"period ordinal {ordinal} (months since January 1970) is no month of years 1 to 9999")
    if frequency == "year" and month == 1:
        return str(year)
    day = _dt.date(year, month, 1)
    lang = str(locale)[:2]
    if frequency == "quarter" and month % 3 == 1:
        return format_date(day, "QQQ y" if lang == "fr" else "y QQQ", locale=locale)
    return format_date(day, "MMM y", locale=locale)


def axis_values(values):
    """Period labels a matplotlib axis can place: pandas Periods become the Timestamp of their start.

    Integers and dates pass unchanged; a scalar gives a scalar. Used by the
    plots of results whose periods were written as months or quarters.
    """
    if isinstance(values, pd.Period):
        return values.to_timestamp()
    arr = np.asarray(values)
    if arr.dtype == object and arr.size and isinstance(arr.flat[0], pd.Period):
        return pd.PeriodIndex(list(arr.ravel())).to_timestamp().to_numpy().reshape(arr.shape)
    return arr
