"""Numbers, money, percentages, p-values, dates and quantities for a reader's language (Babel, CLDR data).

The report (``impact.report.i18n``) and the library's charts share these, so
a French chart reads ``1 234,5`` and ``1,8 M €`` on its axes, never ``1e7``.
``lang`` is a language code Babel knows (``"en"``, ``"fr"``, ``"de"``...). A
minus sign is the typographic U+2212 in every language, so a negative number
never breaks across lines or reads as a hyphen. Missing values print ``–``.
"""

from __future__ import annotations

import datetime as _dt
import math
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


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def _with_digits(pattern: str, digits: int) -> str:
    # Keep the locale's own pattern (grouping, spacing, sign position) and fix the decimals.
    frac = "." + "0" * digits if digits > 0 else ""
    return re.sub(r"0(\.[0#]+)?", "0" + frac, pattern, count=1)


def fmt_number(x, lang: str = "en", digits: int = 1) -> str:
    """``1,234.5`` in English, ``1 234,5`` in French (Babel); '–' for missing values."""
    from babel.numbers import format_decimal

    if _missing(x):
        return MISSING
    locale = babel_locale(lang)
    if abs(float(x)) >= 1e18:
        # Babel's decimal context cannot lay out 30-digit numbers; no reader wants them spelt out either.
        from babel.numbers import format_scientific

        return _minus(format_scientific(float(x), format="0.###E0", locale=locale))
    pattern = _with_digits(locale.decimal_formats[None].pattern, digits)
    return _minus(format_decimal(float(x), format=pattern, locale=locale))


def fmt_pct(x, lang: str = "en", digits: int = 0) -> str:
    """A share as a percentage: ``12.5%``, ``12,5 %`` (no-break space before % in French)."""
    from babel.numbers import format_percent

    if _missing(x):
        return MISSING
    locale = babel_locale(lang)
    pattern = _with_digits(locale.percent_formats[None].pattern, digits)
    return _minus(format_percent(float(x), format=pattern, locale=locale))


def fmt_money(x, lang: str = "en", currency: str = "EUR", digits: int = 1) -> str:
    """Money, compact from a million up: ``−€1.8M`` / ``−1,8 M €``; whole units below: ``€759,073`` / ``759 073 €``."""
    from babel.numbers import format_compact_currency, format_currency

    if _missing(x):
        return MISSING
    x = float(x)
    locale = babel_locale(lang)
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
    """``[1.2, 3.4]`` / ``[1,2 ; 3,4]`` (French separates decimals with commas, so bounds with a semicolon)."""
    sep = " ; " if lang == "fr" else ", "
    return f"[{fmt_number(lo, lang, digits)}{sep}{fmt_number(hi, lang, digits)}]"


def fmt_pvalue(p, lang: str = "en", digits: int = 3) -> str:
    """``p = 0.023``, and ``p < 0.001`` rather than a misleading ``p = 0.000``."""
    if _missing(p):
        return MISSING
    floor = 10.0 ** -digits
    nbsp = "\u00a0"
    if float(p) < floor:
        return f"p{nbsp}<{nbsp}{fmt_number(floor, lang, digits)}"
    return f"p{nbsp}={nbsp}{fmt_number(p, lang, digits)}"


def fmt_date(value, lang: str = "en", format: str = "long") -> str:
    """A date in words (``1 July 2023`` / ``1 juillet 2023``), or month and year with ``format="MMMM y"``.

    Accepts a date, datetime, pandas Timestamp or ISO string; anything else is returned as written.
    """
    from babel.dates import format_date

    if value is None:
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
    return format_date(value, format=format, locale=babel_locale(lang))


def fmt_datetime(value, lang: str = "en") -> str:
    """A moment in words with its time zone (``29 novembre 2026, 20:05:40 TU``); an ISO string is read first.

    Anything that is not a date-time is returned as written.
    """
    from babel.dates import format_datetime

    if value is None:
        return MISSING
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, _dt.datetime):
        return str(value)
    tz = value.tzinfo or _dt.timezone.utc
    return format_datetime(value, "long", tzinfo=tz, locale=babel_locale(lang))


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
    """A number with its unit in words: ``64 days`` / ``64 jours``; an unknown unit is appended as written."""
    from babel.units import format_unit

    if _missing(x):
        return MISSING
    number = fmt_number(x, lang, digits)
    if not unit:
        return number
    cldr = _CLDR_UNITS.get(unit.strip().lower())
    if cldr is None:
        return f"{number}\u00a0{unit}"
    pattern = _with_digits(babel_locale(lang).decimal_formats[None].pattern, digits)
    return _minus(format_unit(float(x), cldr, locale=babel_locale(lang), format=pattern))


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

    if kind not in ("number", "money", "percent"):
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
