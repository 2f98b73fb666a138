"""What a result says, in the reader's words: the effect with its unit, the method by name, the notes.

A decision-maker reads "the delay fell by 64 days (95% interval: 61 to
67), according to the method of Callaway and Sant'Anna (2021)", not
"callaway_santanna: -64.07". Every word comes from the message catalogue;
numbers and units from Babel.
"""

from __future__ import annotations

import re

from impact.report.i18n import fmt_number, fmt_quantity, labels
from impact.formats import _CLDR_UNITS

__all__ = ["method_words", "method_name", "outcome_parts", "effect_digits", "effect_sentence", "note_words"]


def method_words(estimator: str, lang: str, fallback: str | None = None) -> str:
    """The estimator as words in a sentence ("the method of Callaway and Sant'Anna (2021)")."""
    return labels(lang).get(f"method_{estimator}", fallback or estimator)


def method_name(estimator: str, lang: str, fallback: str | None = None) -> str:
    """The estimator's short name for a table ("Callaway and Sant'Anna (2021)")."""
    return labels(lang).get(f"name_{estimator}", fallback or estimator)


def outcome_parts(label: str) -> tuple[str, str | None]:
    """Split "processing time (days)" into ("processing time", "days") when the bracket is a known unit.

    Any other bracket ("satisfaction (0-10)") stays part of the label and the unit is None.
    """
    match = re.fullmatch(r"\s*(.*?)\s*\(([^()]*)\)\s*", label or "")
    if match and match.group(2).strip().lower() in _CLDR_UNITS:
        return match.group(1), match.group(2).strip()
    return label, None


def effect_digits(estimate: float, ci_low: float, ci_high: float) -> int:
    """Decimals worth reading: none from 10 up, one from 1 up, two below."""
    # A reader quotes "64 days", not "64.07 days"; the interval is shown with the same decimals.
    scale = abs(estimate) or max(abs(ci_low), abs(ci_high))
    if scale >= 10:
        return 0
    if scale >= 1:
        return 1
    return 2


def effect_sentence(outcome_label: str, estimate: float, ci_low: float, ci_high: float, method: str, lang: str) -> str:
    """"The delay fell by 64 days (95% interval: 61 to 67) because of the initiative, according to <method>."

    When the interval excludes zero the bounds are given as sizes of the rise
    or fall; when it includes zero they keep their sign, so "−3 to 2" shows
    both directions are possible.
    """
    L = labels(lang)
    noun, unit = outcome_parts(outcome_label)
    digits = effect_digits(estimate, ci_low, ci_high)
    key = "v_fell" if estimate < 0 else "v_rose"
    if ci_low > 0 or ci_high < 0:
        lo, hi = sorted((abs(ci_low), abs(ci_high)))
        lo_text, hi_text = fmt_number(lo, lang, digits), fmt_quantity(hi, unit, lang, digits)
    else:
        lo_text, hi_text = fmt_number(ci_low, lang, digits), fmt_quantity(ci_high, unit, lang, digits)
    if fmt_number(abs(estimate), lang, digits) == fmt_number(0, lang, digits):
        key = "v_unchanged"
    return L[key].format(outcome=noun, amount=fmt_quantity(abs(estimate), unit, lang, digits), lo=lo_text,
                         hi=hi_text, method=method)


# Notes the library attaches to its results, recognised so a report can say them in its own language.
_NOTES = (
    (re.compile(r"only (\d+) clusters"), "note_few_clusters", lambda m, lang: {"n": m.group(1)}),
    (re.compile(r"staggered adoption: TWFE|treatment starts at \d+ different dates"), "note_staggered_twfe", None),
    (re.compile(r"(\d+) always-treated units dropped"), "note_always_treated", lambda m, lang: {"n": m.group(1)}),
    (re.compile(r"unbalanced panel"), "note_unbalanced", None),
    (re.compile(r"Pre-treatment RMSPE ([-+0-9.eE]+)"), "note_rmspe",
     lambda m, lang: {"rmspe": fmt_number(float(m.group(1)), lang, 3)}),
    (re.compile(r"Placebo standard error"), "note_placebo_se", None),
)


def note_words(note: str, lang: str) -> tuple[str, bool]:
    """A library note in the report's language, and whether it was recognised.

    An unrecognised note is kept as written, introduced as a technical note in
    English, so nothing the estimator warned about is lost.
    """
    L = labels(lang)
    for pattern, key, args in _NOTES:
        match = pattern.search(note)
        if match:
            return L[key].format(**(args(match, lang) if args else {})), True
    if lang == "en":
        return note, False
    return L["note_other"].format(note=note), False
