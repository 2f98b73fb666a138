r"""Numbers, money, percentages, p-values, dates and quantities for a reader's language (Babel, CLDR data).

The report (``impact.report.i18n``) and the library's charts share these, so
a French chart reads ``1 234,5`` and ``1,8 M €`` on its axes, never ``1e7``.
``lang`` is a language code Babel knows (``"en"``, ``"fr"``, ``"de"``...). A
minus sign is the typographic U+2212 in every language, so a negative number
never breaks across lines or reads as a hyphen. Missing values print ``–``.

Two conventions hold in every function: ``digits`` is a whole number of
decimals from 0 to 15, and a value that is neither a number nor missing
(``"abc"``, a list) is a :class:`~impact.errors.DataError`, never a silent
``–``. The examples run as doctests (``pytest --doctest-modules``); French
groups thousands with a narrow no-break space (U+202F) and puts a no-break
space (U+00A0) before ``%`` and ``€``, which the examples show escaped.

Examples
--------
>>> fmt_number(1234.5), fmt_number(1234.5, "fr"), fmt_number(-3, "en", 0)
('1,234.5', '1\u202f234,5', '−3')
>>> fmt_interval(1.2, 3.4), fmt_interval(1.2, 3.4, "de")
('[1.2, 3.4]', '[1,2 ; 3,4]')
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import operator
import re

__all__ = [
    "babel_locale",
    "fmt_number",
    "fmt_pct",
    "fmt_money",
    "fmt_interval",
    "fmt_pvalue",
    "fmt_date",
    "fmt_datetime",
    "fmt_quantity",
    "axis_formatter",
    "MISSING",
    "MINUS",
]

MISSING = "–"
MINUS = "\u2212"


def babel_locale(lang: str):
    """The Babel :class:`~babel.Locale` of a report language (``"fr"`` -> ``fr_FR`` conventions)."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        from impact.errors import ConfigError

        raise ConfigError(f"language {lang!r} is not a locale Babel knows ({exc}); use a code such as 'en' or 'fr'") from None


def _missing(x, func: str = "this format") -> bool:
    """True for None, NaN, infinities, ``pd.NA`` and ``NaT``; a :class:`DataError` for what is no number at all."""
    if x is None or type(x).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        from impact.errors import DataError

        raise DataError(f"{func} needs a number, got {x!r} ({type(x).__name__}); pass a number, "
                        "or None for a missing value") from None


def _check_digits(digits, name: str = "digits") -> int:
    # Babel's decimal context lays out about 28 significant digits; 15 decimals is past any report already.
    try:
        value = None if isinstance(digits, bool) else operator.index(digits)
    except TypeError:
        value = None
    if value is None or not 0 <= value <= 15:
        from impact.errors import ConfigError

        raise ConfigError(f"{name} must be a whole number of decimals from 0 to 15 (got {digits!r})")
    return value


def _check_currency(currency) -> str:
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
        from impact.errors import ConfigError

        raise ConfigError(f"currency must be an ISO 4217 code such as 'EUR' or 'USD' (got {currency!r})")
    return currency.upper()


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def _with_digits(pattern: str, digits: int) -> str:
    # Keep the locale's own pattern (grouping, spacing, sign position) and fix the decimals.
    frac = "." + "0" * digits if digits > 0 else ""
    return re.sub(r"0(\.[0#]+)?", "0" + frac, pattern, count=1)


def fmt_number(x, lang: str = "en", digits: int = 1) -> str:
    """``1,234.5`` in English, ``1 234,5`` in French (Babel); '–' for missing values."""
    from babel.numbers import format_decimal

    digits = _check_digits(digits)
    locale = babel_locale(lang)
    if _missing(x, "fmt_number"):
        return MISSING
    if abs(float(x)) >= 1e18:
        # Babel's decimal context cannot lay out 30-digit numbers; no reader wants them spelt out either.
        from babel.numbers import format_scientific

        return _minus(format_scientific(float(x), format="0.###E0", locale=locale))
    pattern = _with_digits(locale.decimal_formats[None].pattern, digits)
    return _minus(format_decimal(float(x), format=pattern, locale=locale))


def fmt_pct(x, lang: str = "en", digits: int = 0) -> str:
    r"""A share as a percentage: ``12.5%``, ``12,5 %`` (no-break space before % in French).

    Examples
    --------
    >>> fmt_pct(0.125, "en", 1), fmt_pct(0.125, "fr", 1)
    ('12.5%', '12,5\xa0%')
    """
    digits = _check_digits(digits)
    locale = babel_locale(lang)
    if _missing(x, "fmt_pct"):
        return MISSING
    return _percent(decimal.Decimal(repr(float(x))) * 100, locale, digits)


def _percent(points: decimal.Decimal, locale, digits: int) -> str:
    """``points`` (already in percent: 12.5 for 12.5 %) laid out with the locale's percent pattern."""
    from babel.numbers import format_percent

    if abs(points) >= 10 ** 17:  # past Babel's decimal context; no share is that large anyway
        return f"{fmt_number(float(points), str(locale))}\u00a0%"
    pattern = _with_digits(locale.percent_formats[None].pattern, digits)
    # Babel multiplies by 100: hand it the share as an exact decimal, so 12.345 points never becomes 12.3449...
    return _minus(format_percent(points / 100, format=pattern, locale=locale))


def fmt_money(x, lang: str = "en", currency: str = "EUR", digits: int = 1) -> str:
    r"""Money, compact from a million up: ``−€1.8M`` / ``−1,8 M €``; whole units below: ``€759,073`` / ``759 073 €``.

    ``digits`` counts the decimals of the compact form only; amounts below a million are whole units.

    Examples
    --------
    >>> fmt_money(-1.8e6), fmt_money(759073.4), fmt_money(759073.4, "fr")
    ('−€1.8M', '€759,073', '759\u202f073\xa0€')
    """
    from babel.numbers import format_compact_currency, format_currency

    digits = _check_digits(digits)
    currency = _check_currency(currency)
    locale = babel_locale(lang)
    if _missing(x, "fmt_money"):
        return MISSING
    x = float(x)
    if abs(x) >= 1e18:  # beyond Babel's decimal context, and beyond any budget
        from babel.numbers import get_currency_symbol

        return f"{fmt_number(x, lang)} {get_currency_symbol(currency, locale=locale)}"
    if abs(x) >= 1e6:
        text = format_compact_currency(x, currency, locale=locale, fraction_digits=digits)
    else:
        text = format_currency(round(x), currency, locale=locale, currency_digits=False,
                               format=_with_digits(locale.currency_formats["standard"].pattern, 0))
    return _minus(text)


def fmt_interval(lo, hi, lang: str = "en", digits: int = 1) -> str:
    """``[1.2, 3.4]`` / ``[1,2 ; 3,4]``: bounds separated by a semicolon where the decimal mark is a comma.

    In fr, de, es, it, pt, nl... ``[1,2, 3,4]`` could be read as four numbers. The locale's decimal symbol
    (Babel's ``get_decimal_symbol``) decides, so every such locale gets the semicolon, not French alone.
    """
    from babel.numbers import get_decimal_symbol

    sep = " ; " if get_decimal_symbol(babel_locale(lang)) == "," else ", "
    return f"[{fmt_number(lo, lang, digits)}{sep}{fmt_number(hi, lang, digits)}]"


def fmt_pvalue(p, lang: str = "en", digits: int = 3) -> str:
    """``p = 0.023``, and ``p < 0.001`` rather than a misleading ``p = 0.000``."""
    digits = _check_digits(digits)
    babel_locale(lang)
    if _missing(p, "fmt_pvalue"):
        return MISSING
    floor = 10.0 ** -digits
    nbsp = "\u00a0"
    if float(p) < floor:
        return f"p{nbsp}<{nbsp}{fmt_number(floor, lang, digits)}"
    return f"p{nbsp}={nbsp}{fmt_number(p, lang, digits)}"


def fmt_date(value, lang: str = "en", format: str = "long") -> str:
    """A date in words in the locale's order (``July 1, 2023`` / ``1 juillet 2023``), or month and year with
    ``format="MMMM y"``.

    Accepts a date, datetime, pandas Timestamp or ISO string; any other text is returned as written
    (a period label such as ``2023-07`` stays as it is). ``format`` is ``"short"``, ``"medium"``,
    ``"long"``, ``"full"`` or a CLDR date pattern.

    Examples
    --------
    >>> import datetime
    >>> fmt_date(datetime.date(2023, 7, 1)), fmt_date("2023-07-01", "fr"), fmt_date("2023-07-01", "en", "MMMM y")
    ('July 1, 2023', '1 juillet 2023', 'July 2023')
    """
    from babel.dates import format_date

    if not isinstance(format, str) or not format.strip():
        from impact.errors import ConfigError

        raise ConfigError(f"format must be 'short', 'medium', 'long', 'full' or a date pattern such as 'MMMM y' "
                          f"(got {format!r})")
    locale = babel_locale(lang)
    if value is None or type(value).__name__ in ("NaTType", "NAType"):
        return MISSING
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        return str(value)
    try:
        return format_date(value, format=format, locale=locale)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # Babel's errors for a pattern it cannot apply
        from impact.errors import ConfigError

        raise ConfigError(f"format {format!r} is not a date pattern Babel can apply to a date ({exc}); use 'short', "
                          "'medium', 'long', 'full' or a pattern of date fields such as 'd MMMM y'") from None


def fmt_datetime(value, lang: str = "en") -> str:
    """A moment in words with its time zone (``29 novembre 2026, 20:05:40 TU``); an ISO string is read first.

    A moment without a time zone is taken as UTC. Anything that is not a date-time is returned as written.

    Examples
    --------
    >>> fmt_datetime("2026-11-29T20:05:40", "fr")
    '29 novembre 2026, 20:05:40 TU'
    """
    from babel.dates import format_datetime

    locale = babel_locale(lang)
    if value is None or type(value).__name__ in ("NaTType", "NAType"):
        return MISSING
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, _dt.datetime):
        return str(value)
    tz = value.tzinfo or _dt.timezone.utc
    return format_datetime(value, "long", tzinfo=tz, locale=locale)


# Units the report can put in words through CLDR (Babel), whatever the language.
_CLDR_UNITS = {
    "day": "duration-day", "days": "duration-day", "jour": "duration-day", "jours": "duration-day",
    "week": "duration-week", "weeks": "duration-week", "semaines": "duration-week",
    "month": "duration-month", "months": "duration-month", "mois": "duration-month",
    "hour": "duration-hour", "hours": "duration-hour", "heures": "duration-hour",
    "minute": "duration-minute", "minutes": "duration-minute",
    "year": "duration-year", "years": "duration-year", "ans": "duration-year",
    "%": "concentr-percent", "percent": "concentr-percent",
}


def fmt_quantity(x, unit: str | None, lang: str = "en", digits: int = 1) -> str:
    r"""A number with its unit in words: ``64 days`` / ``64 jours``; an unknown unit is appended as written.

    The number is shown as it is, in the unit it is given in: this function never rescales. With
    ``unit="%"`` (or ``"percent"``) ``x`` is therefore already in percent (or percentage points): an
    outcome labelled "share of files closed on time (%)" holds 45 for 45 %, and its effect, interval
    and break-even are all written on that scale, so ``fmt_quantity(45, "%")`` reads ``45.0%`` and
    ``fmt_quantity(0.45, "%", digits=2)`` reads ``0.45%``. A share stored as a fraction (0.45 for 45 %, as
    indicators with ``unit: "%"`` are) is written with :func:`fmt_pct` instead. The percent sign is
    placed as the locale places it (``45,0 %`` in French).

    Examples
    --------
    >>> fmt_quantity(64, "days", digits=0), fmt_quantity(64, "jours", "fr", 0), fmt_quantity(2.5, "weeks")
    ('64 days', '64\xa0jours', '2.5 weeks')
    >>> fmt_quantity(45, "%"), fmt_quantity(45, "%", "fr"), fmt_quantity(12, "per 1,000", digits=0)
    ('45.0%', '45,0\xa0%', '12\xa0per 1,000')
    """
    from babel.units import format_unit

    digits = _check_digits(digits)
    if unit is not None and not isinstance(unit, str):
        from impact.errors import ConfigError

        raise ConfigError(f"unit must be text such as 'days' or '%', or None (got {unit!r})")
    locale = babel_locale(lang)
    if _missing(x, "fmt_quantity"):
        return MISSING
    number = fmt_number(x, lang, digits)
    if not unit or not unit.strip():
        return number
    cldr = _CLDR_UNITS.get(unit.strip().lower())
    if cldr is None or abs(float(x)) >= 1e18:  # past Babel's decimal context: the number as fmt_number writes it
        return f"{number}\u00a0{unit.strip()}"
    if cldr == "concentr-percent":
        # CLDR's percent unit spells the word out ("45 percent", "45 pour cent"); reports write the sign.
        return _percent(decimal.Decimal(repr(float(x))), locale, digits)
    pattern = _with_digits(locale.decimal_formats[None].pattern, digits)
    return _minus(format_unit(float(x), cldr, locale=locale, format=pattern))


def _tick_digits(step: float) -> int:
    # The decimals the tick step itself needs (2.5 -> 1, 0.25 -> 2, 20 -> 0): every tick then reads exactly.
    if not math.isfinite(step) or step <= 0:
        return 0
    for digits in range(7):
        if abs(round(step, digits) - step) <= 1e-9 * max(1.0, step):
            return digits
    return 6


def axis_formatter(lang: str = "en", kind: str = "number", currency: str = "EUR"):
    """A matplotlib tick formatter in ``lang``: ``kind`` "number" (``1 234,5``), "money" (``1,8 M €``) or "percent".

    No offset and no scientific notation: each tick reads as a whole number a
    reader can quote. Set it with ``ax.yaxis.set_major_formatter(axis_formatter("fr", "money"))``.
    """
    from matplotlib.ticker import Formatter

    babel_locale(lang)
    currency = _check_currency(currency)
    if not isinstance(kind, str) or kind not in ("number", "money", "percent"):
        from impact.errors import ConfigError

        raise ConfigError(f"kind must be 'number', 'money' or 'percent' (got {kind!r})")

    class _Babel(Formatter):
        def __call__(self, x, pos=None):
            locs = [v for v in (self.axis.get_majorticklocs() if self.axis is not None else [x]) if math.isfinite(v)]
            steps = [b - a for a, b in zip(sorted(locs), sorted(locs)[1:]) if b > a]
            step = min(steps) if steps else (abs(x) or 1.0)
            if abs(x) < step * 1e-9:
                x = 0.0
            if kind == "percent":
                return fmt_pct(x, lang, _tick_digits(step * 100))
            if kind == "money":
                from babel.numbers import format_compact_currency

                top = max((abs(v) for v in locs), default=abs(x))
                if top >= 1e6:
                    scale = 1e9 if top >= 1e9 else 1e6
                    return _minus(format_compact_currency(x, currency, locale=babel_locale(lang),
                                                          fraction_digits=_tick_digits(step / scale)))
                return fmt_money(x, lang, currency)
            return fmt_number(x, lang, _tick_digits(step))

    return _Babel()
