"""Make any text safe for the medium it is written to: HTML, a spreadsheet cell, the console.

Text from users (titles, column names, values) and error messages built from
their files can hold anything: a binary file renamed ``.csv`` puts NUL bytes
and escape sequences into a column name, and from there into an error
message. Each medium fails or misbehaves differently:

- HTML: markup must be escaped; C0 control characters are not allowed in
  HTML documents (browsers show them as replacement characters).
- XLSX: openpyxl refuses control characters (``IllegalCharacterError``),
  and a cell whose text starts with ``=`` becomes a formula. CSV opened in a
  spreadsheet has the same formula problem ("CSV injection"; OWASP), also for
  ``+``, ``-``, ``@``, tab and carriage return.
- Console: an escape sequence (``ESC [``) can rewrite the terminal.

Numbers read back from a ``summary.json`` (or handed over by a result) can be
missing, text, infinite or NaN: :func:`finite` makes them a float or None,
for JSON (which has no NaN), the index and the console alike.

Every function here takes any value and never raises.
"""

from __future__ import annotations

import html
import math
import re

__all__ = ["clean_text", "for_html", "for_cell", "for_console", "cell_frame", "finite"]

# C0 controls except tab and newline, DEL, C1 controls, lone surrogates (unencodable in UTF-8).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> str:
    if value is None:
        return ""
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:  # a hostile __str__ must not stop a report
        return f"<{type(value).__name__}>"


def clean_text(value, keep_newlines: bool = True) -> str:
    """``value`` as text without control characters (tab and newline kept unless ``keep_newlines`` is False).

    Carriage returns become newlines, so Windows line ends survive as line ends.
    """
    text = _text(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("\ufffd", text)
    if not keep_newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    return text


def for_html(value) -> str:
    """Escaped text for an HTML element or a quoted attribute value."""
    return html.escape(clean_text(value), quote=True)


def for_cell(value):
    """A CSV/XLSX cell value: numbers pass through; text is cleaned and cannot start a formula.

    A text that a spreadsheet would read as a formula gets a leading
    apostrophe (OWASP's advice for CSV injection), which shows the text as
    written.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value if not (isinstance(value, float) and math.isnan(value)) else None
    text = clean_text(value, keep_newlines=True)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text


def cell_frame(frame):
    """A copy of a DataFrame whose text cells (and column names) went through :func:`for_cell`."""
    out = frame.copy()
    out.columns = [for_cell(c) if isinstance(c, str) else c for c in out.columns]
    for column in out.columns[out.dtypes.eq(object).to_numpy()]:
        out[column] = out[column].map(lambda v: for_cell(v) if isinstance(v, str) else v)
    return out


def for_console(value) -> str:
    """Text for a terminal: control characters shown as ``\\x1b``-style escapes, newlines kept."""
    text = _text(value).replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def finite(value) -> float | None:
    """``value`` as a finite float, or None when it is missing, not a number (a boolean neither), infinite or NaN.

    JSON has no NaN or infinity, and a summary edited by hand may hold text
    or a number too large for a float: each of these reads as "no number"
    rather than stopping the index or the summary.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None
