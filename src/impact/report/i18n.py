"""Report messages and number, money, percentage, date and p-value formats, per language.

Messages live in a gettext catalogue under ``templates/locale`` that a
translator extends without touching Python:

- ``templates/locale/impact.pot`` holds every message in English, each under
  a ``msgctxt`` that is its key (``v_fell``, ``npv``, ...);
- ``templates/locale/<lang>/LC_MESSAGES/impact.po`` holds one language's
  translations (``msgstr``). Copying the ``.pot`` to ``de/LC_MESSAGES/impact.po``
  and filling its ``msgstr`` lines adds German; nothing is compiled, the ``.po``
  file is read with :func:`babel.messages.pofile.read_po` when a report runs.

Numbers, money, percentages and dates come from Babel (CLDR data), so French
gets ``1 234,5`` (narrow no-break space), ``1,8 M €`` and ``12,5 %`` with a
no-break space before ``%``. A minus sign is the typographic U+2212 in every
language, so that a negative number never breaks across lines or reads as a
hyphen.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from functools import lru_cache
from pathlib import Path

__all__ = [
    "labels",
    "fmt_number",
    "fmt_money",
    "fmt_pct",
    "fmt_interval",
    "fmt_pvalue",
    "fmt_date",
    "fmt_quantity",
    "check_lang",
    "languages",
    "catalogue_path",
    "babel_locale",
]

MISSING = "–"
MINUS = "\u2212"


def _templates() -> Path:
    # The report's templates folder is defined once, by the exporter (it may be package data).
    from impact.report.export import TEMPLATES

    return Path(TEMPLATES)


def catalogue_path(lang: str | None = None) -> Path:
    """The ``.pot`` template (``lang=None`` or ``"en"``) or a language's ``.po`` file."""
    root = _templates() / "locale"
    if lang in (None, "en"):
        return root / "impact.pot"
    return root / lang / "LC_MESSAGES" / "impact.po"


def languages() -> tuple[str, ...]:
    """English plus every language with a catalogue under ``templates/locale``."""
    root = _templates() / "locale"
    found = sorted(p.parent.parent.name for p in root.glob("*/LC_MESSAGES/impact.po"))
    return ("en", *[code for code in found if code != "en"])


def check_lang(lang: str) -> str:
    """Return ``lang`` if a catalogue exists for it, else raise :class:`~impact.errors.ConfigError`."""
    from impact.errors import ConfigError

    known = languages()
    if lang not in known:
        raise ConfigError(
            f"lang must be one of {', '.join(known)} (got {lang!r}); to add a language, copy "
            f"templates/locale/impact.pot to templates/locale/{lang}/LC_MESSAGES/impact.po and translate it"
        )
    return lang


@lru_cache(maxsize=None)
def _read(path: Path) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        catalog = read_po(handle)
    out = {}
    for message in catalog:
        if not message.id or message.context is None:
            continue
        # A fuzzy entry is a translator's guess awaiting review: English is safer than a wrong sentence.
        out[message.context] = "" if message.fuzzy else (message.string or "")
        out.setdefault("__en__" + message.context, message.id)
    return out


def labels(lang: str) -> dict[str, str]:
    """Every report message in ``lang``, keyed by its ``msgctxt``.

    An untranslated (empty or fuzzy) message falls back to English, as gettext does.
    """
    check_lang(lang)
    english = {k[6:]: v for k, v in _read(catalogue_path("en")).items() if k.startswith("__en__")}
    if lang == "en":
        return english
    translated = {k: v for k, v in _read(catalogue_path(lang)).items() if not k.startswith("__en__") and v}
    return {**english, **translated}


def babel_locale(lang: str):
    """The Babel :class:`~babel.Locale` of a report language (``"fr"`` -> ``fr_FR`` conventions)."""
    from babel import Locale

    return Locale.parse(lang)


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


# Units the report can put in words through CLDR (Babel), whatever the language.
_CLDR_UNITS = {
    "day": "duration-day", "days": "duration-day", "jour": "duration-day", "jours": "duration-day",
    "week": "duration-week", "weeks": "duration-week", "semaines": "duration-week",
    "month": "duration-month", "months": "duration-month", "mois": "duration-month",
    "hour": "duration-hour", "hours": "duration-hour", "heures": "duration-hour",
    "minute": "duration-minute", "minutes": "duration-minute",
    "year": "duration-year", "years": "duration-year", "ans": "duration-year",
    "%": "concentr-percent", "percent": "concentr-percent",
    "percentage points": "concentr-percent",
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


def __getattr__(name):
    # ``LABELS`` was a Python dict before the catalogue; kept readable for old callers.
    if name == "LABELS":
        return {lang: labels(lang) for lang in languages()}
    raise AttributeError(name)
