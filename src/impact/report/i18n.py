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

from functools import lru_cache
from pathlib import Path

# The formats are the library's (charts need them too and must not import report/); re-exported here.
from impact.formats import (  # noqa: F401
    MINUS,
    MISSING,
    babel_locale,
    fmt_date,
    fmt_datetime,
    fmt_interval,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_pvalue,
    fmt_quantity,
)

__all__ = [
    "labels",
    "fmt_number",
    "fmt_money",
    "fmt_pct",
    "fmt_interval",
    "fmt_pvalue",
    "fmt_date",
    "fmt_datetime",
    "fmt_quantity",
    "check_lang",
    "languages",
    "catalogue_path",
    "babel_locale",
]

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
    if not isinstance(lang, str):
        raise ConfigError(f"lang must be a language code such as 'fr' (got {lang!r}); one of {', '.join(known)}")
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
    return dict(_merged(catalogue_path("en"), catalogue_path(lang)))


@lru_cache(maxsize=None)
def _merged(pot: Path, po: Path) -> dict[str, str]:
    english = {k[6:]: v for k, v in _read(pot).items() if k.startswith("__en__")}
    if po == pot:
        return english
    translated = {k: v for k, v in _read(po).items() if not k.startswith("__en__") and v}
    return {**english, **translated}


def __getattr__(name):
    # ``LABELS`` was a Python dict before the catalogue; kept readable for old callers.
    if name == "LABELS":
        return {lang: labels(lang) for lang in languages()}
    raise AttributeError(name)
