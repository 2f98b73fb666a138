"""Reading data files as labs export them: CSV (French or not), Excel, Parquet.

:func:`read_table` decodes, sniffs the separator and decimal mark, and reads
the usual missing-value tokens of an otherwise numeric column as missing with
a note; :mod:`impact.data` re-exports it with the panel checks.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import ConfigError, DataError, DroppedRowsWarning

__all__ = ["read_table", "MISSING_TOKENS"]

_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


# --------------------------------------------------------------------------- reading


#: Byte-order marks, longest first: a UTF-32 little-endian mark begins with the UTF-16 one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _utf16_without_bom(raw: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when every other byte of the start is NUL (ASCII text in UTF-16), else None."""
    head = raw[:4096]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _decode(raw: bytes, path: Path) -> str:
    """Text of a file: by its byte-order mark (Excel's "Unicode text" is UTF-16 with one), else UTF-8, cp1252."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DataError(f"data file {str(path)!r} starts with a {encoding.upper().replace('-SIG', '')} "
                                f"byte-order mark but is not valid {encoding.upper().replace('-SIG', '')} "
                                f"(byte {exc.start}); re-export it as UTF-8 CSV") from None
    utf16 = _utf16_without_bom(raw)
    if utf16 is not None:
        try:
            return raw.decode(utf16)
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: the NUL check below names the file
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
    # Thousands may be grouped by a space, a no-break space (U+00A0, Excel's), a narrow one (U+202F) or,
    # with a decimal comma, a point (1.234,5).
    head = re.sub(r"[ \u00a0\u202f]", "", head)
    return bool(tail) and tail.isdigit() and (head.isdigit() or re.fullmatch(r"\d{1,3}(?:\.\d{3})+", head) is not None)


#: Cells read as missing in an otherwise numeric column (case-insensitive), as statistical offices and
#: spreadsheets write them: not available, not applicable (*sans objet*), not disclosed, Excel's error codes.
MISSING_TOKENS = frozenset({
    "", "na", "n/a", "#n/a", "nan", "null", "none", "-", "--", "\u2013", "\u2014", ".", "..", "...", "?",
    "n.d.", "n.d", "nd", "n/d", "n.c.", "nc", "n.a.", "s.o.", "s.o", "so", "s/o", "n.s.", "ns", "secret", "s",
    "#div/0!", "#value!", "#ref!", "#num!", "#name?", "#null!",
})
# pandas' own missing markers, read as missing in text columns as pandas does by default.
_PANDAS_NA = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})


def _to_number(text: pd.Series, decimal: str) -> pd.Series:
    """Numbers from strings written with ``decimal`` and spaces (plain, no-break, narrow) between thousands."""
    text = text.str.strip().str.replace(r"(?<=\d)[ \u00a0\u202f](?=\d{3}\b)", "", regex=True)
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


#: Numbers whose thousands are grouped by the mark that is not the decimal one: 1,234.5 (decimal point) or
#: 1.234,5 (decimal comma). Groups of exactly three digits after a first group that does not start with 0, so
#: 12,5, 1.5 and 0,125 (a decimal comma, never a thousand) never match.
_GROUPED = {".": re.compile(r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$"),
            ",": re.compile(r"^[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?$")}


def _grouped_numbers(text: pd.Series, numbers: pd.Series, decimal: str) -> pd.Series:
    """``numbers`` with the cells written with a thousands mark (``1,234.5``; ``1.234,5``) read as numbers.

    Decided for the whole column: only when every cell that holds the grouping mark is such a number, so a
    column mixing ``1,234`` with ``12,5`` (a decimal comma in a comma-separated file) stays as it is.
    """
    group = "," if decimal == "." else "."
    stripped = text.str.strip()
    grouped = stripped.str.fullmatch(_GROUPED[decimal].pattern[1:-1]).fillna(False).to_numpy(dtype=bool)
    if not grouped.any():
        return numbers
    marked = stripped.str.contains(group, regex=False).fillna(False).to_numpy(dtype=bool)
    if (marked & ~grouped).any():
        return numbers
    plain = stripped.where(grouped).str.replace(group, "", regex=False).str.replace(decimal, ".", regex=False)
    return numbers.mask(grouped, pd.to_numeric(plain, errors="coerce"))


def _clean_columns(frame: pd.DataFrame, path: Path, decimal: str) -> pd.DataFrame:
    """Numeric columns written with missing-value tokens become numeric, with a note counting the tokens.

    A text column in which every cell is a number (thousands grouped or not: ``1,234.5``, ``1.234,5``,
    ``1 234,5``) or a missing token (``n.d.``, ``-``, ``s.o.``, ``NA``, ``#N/A``...) is converted; the tokens are read as missing and a :class:`DroppedRowsWarning` counts them by
    token with their rows, so that nothing is dropped unseen. Other text columns are left as they are (unit
    names, period strings); pandas' own markers (``NA``, ``#N/A``...) are read as missing there, as
    :func:`pandas.read_csv` does.
    """
    notes = []
    out = {}
    for col in frame.columns:
        series = frame[col]
        if series.dtype != object and not pd.api.types.is_string_dtype(series):
            continue
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("string", "mixed", "mixed-integer", "mixed-integer-float", "empty"):
            continue
        # CSV text columns hold only strings; only Excel mixes numbers, dates and text in a column.
        pure = kind in ("string", "empty")
        is_str = series.notna().to_numpy() if pure else series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        text = series.where(is_str).astype("string")
        lowered = text.str.strip().str.lower()
        token = lowered.isin(MISSING_TOKENS).fillna(False).to_numpy(dtype=bool)
        numbers = _grouped_numbers(text, _to_number(text, decimal), decimal)
        number_cells = np.zeros(len(series), dtype=bool) if pure else np.asarray(
            series.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)), dtype=bool)
        numeric_ok = (is_str & numbers.notna().to_numpy()) | number_cells | pd.isna(series).to_numpy()
        if (numeric_ok | token).all() and (numeric_ok & ~pd.isna(series).to_numpy()).any():
            values = np.where(number_cells, pd.to_numeric(series.where(number_cells), errors="coerce"),
                              numbers.to_numpy(dtype=float, na_value=np.nan))
            out[col] = pd.Series(values, index=series.index, dtype=float)
            if token.any():
                counts = text[token].str.strip().value_counts()
                where = ", ".join(f"{tok!r} x{n}" for tok, n in counts.items())
                rows = np.flatnonzero(token)[:5] + 2
                notes.append(f"column {str(col)!r}: {int(token.sum())} cell{'s' if token.sum() > 1 else ''} read as missing ({where}; "
                             f"file lines {', '.join(map(str, rows))}{' ...' if token.sum() > 5 else ''})")
        else:
            na = text.isin(_PANDAS_NA).fillna(False).to_numpy(dtype=bool)
            if na.any():
                out[col] = series.mask(na)
    if out:
        frame = frame.copy()
        for col, values in out.items():
            frame[col] = values
    if notes:
        warnings.warn(f"{path.name}: " + "; ".join(notes) + "; rows where such a column is used are dropped",
                      DroppedRowsWarning, stacklevel=3)
    return frame


def read_table(path: str | Path, *, sheet: str | int | None = None, **kwargs) -> pd.DataFrame:
    """Read a CSV, Excel or Parquet file into a DataFrame.

    CSV files are decoded as UTF-8 (with or without BOM), falling back to
    Windows-1252/Latin-1; the separator (``,``, ``;``, tab or ``|``) and the
    decimal mark (``.`` or ``,``) are detected, so that a French spreadsheet
    export reads without options. Extra keyword arguments go to the pandas
    reader and override the detection.

    In a column of numbers, the usual missing-value tokens (:data:`MISSING_TOKENS`:
    ``NA``, ``#N/A``, ``n.d.``, ``s.o.``, ``-``...) are read as missing, with
    a :class:`~impact.errors.DroppedRowsWarning` that counts them and gives
    their lines; any other text leaves the column as text, and the estimator
    that needs it numeric names the culprit cells (:func:`check_numeric`).

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.txt``, ``.tsv``, ``.xlsx``, ``.xls``, ``.parquet`` or ``.pq``.
    sheet : str or int, optional
        Excel sheet (default: the first).

    Raises
    ------
    DataError
        The file does not exist, is empty or has only a header, cannot be
        parsed, or has an unsupported extension.
    """
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise DataError(f"path must be a file path (a str or pathlib.Path), got {type(path).__name__}; "
                        "pass e.g. 'data/panel.csv'")
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file {str(path)!r} not found; check the path (relative paths start at {Path.cwd()})")
    suffix = path.suffix.lower()
    decimal = "."
    try:
        if suffix in {".csv", ".txt", ".tsv"}:
            text = _decode(path.read_bytes(), path)
            if not text.strip():
                raise DataError(f"data file {str(path)!r} is empty")
            if "\x00" in text:
                raise DataError(f"data file {str(path)!r} holds binary data (NUL bytes), not text; "
                                "export the table as CSV, Excel or Parquet")
            sep, decimal = _sniff_csv(text)
            options = {"sep": sep, "decimal": decimal, "thousands": None, "keep_default_na": False,
                       "na_values": [""]}
            if decimal == ",":
                # French number formats group thousands with a space, a no-break space or a
                # narrow no-break space (1 234,5): make them all the one pandas can skip.
                text = re.sub(r"(?<=\d)[\u00a0\u202f](?=\d{3})", " ", text)
                options["thousands"] = " "
            options.update(kwargs)
            frame = pd.read_csv(io.StringIO(text), **options)
        elif suffix in {".xlsx", ".xlsm", ".xls"}:
            frame = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, **kwargs)
        elif suffix in {".parquet", ".pq"}:
            frame = pd.read_parquet(path, **kwargs)
        else:
            raise DataError(f"data file {str(path)!r} has extension {suffix!r}; use .csv, .xlsx or .parquet")
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - readers raise many types on malformed files; all mean "unreadable"
        options = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        if kwargs and isinstance(exc, TypeError):  # an option pandas does not take, or of the wrong type
            raise ConfigError(f"cannot read {str(path)!r} with the options {options} ({exc}); check them against "
                              "the pandas reader, or leave them out: read_table detects the separator, decimal "
                              "mark and encoding itself") from exc
        raise DataError(f"cannot read {str(path)!r} ({type(exc).__name__}: {exc}); check that it is a "
                        f"{suffix.lstrip('.').upper()} file and re-export it"
                        + (f", and the options passed ({options})" if kwargs else "")) from exc
    if frame.empty:
        raise DataError(f"data file {str(path)!r} has no data rows"
                        + (f" (only a header: {', '.join(map(str, frame.columns[:10]))})" if len(frame.columns) else "")
                        + "; export the table with its rows")
    return _clean_columns(frame, path, decimal)
