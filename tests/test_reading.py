"""read_table on UTF-16 exports and on numbers written with thousands separators (review defects).

Each file is written here from one table, and what read_table finds is checked against pandas told the
encoding, separator, decimal and thousands marks explicitly (an independent reading of the same bytes).
"""

from __future__ import annotations

import codecs
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.reading import read_table

TABLE = "unit\tperiod\tvalue\nÉvreux\t2023-07\t1,5\nSaint-Étienne\t2023-08\t2,25\nLyon\t2023-09\t-3\n"


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                                        (codecs.BOM_UTF32_LE, "utf-32-le"), (b"", "utf-16-le")])
def test_unicode_text_export_is_read(tmp_path, bom, codec):
    # Excel's "Unicode text" (.txt) is UTF-16 with a byte-order mark, tab-separated; it used to be refused as
    # binary data (its NUL bytes). A file without the mark is recognised by its every-other-byte NULs.
    path = tmp_path / "export.txt"
    path.write_bytes(bom + TABLE.encode(codec))
    got = read_table(path)
    encoding = codec.rsplit("-", 1)[0] if bom else codec  # "utf-16" reads the mark, "utf-16-le" needs none
    expected = pd.read_csv(path, sep="\t", decimal=",", encoding=encoding)
    assert got["unit"].tolist() == ["Évreux", "Saint-Étienne", "Lyon"] == expected["unit"].tolist()
    assert got["value"].to_numpy(dtype=float).tolist() == [1.5, 2.25, -3.0] == expected["value"].tolist()
    assert got["period"].tolist() == expected["period"].tolist()


def test_binary_and_broken_unicode_are_still_named(tmp_path):
    binary = tmp_path / "data.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00\xff\x00binary")
    with pytest.raises(DataError, match="holds binary data"):
        read_table(binary)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(codecs.BOM_UTF16_LE + "a,b\n1,2\n".encode("utf-16-le")[:-1])  # an odd number of bytes
    with pytest.raises(DataError, match=r"starts with a UTF-16 byte-order mark but is not valid UTF-16.*re-export"):
        read_table(broken)


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_quoted_thousands_in_a_comma_separated_file(tmp_path):
    path = _write(tmp_path, 'unit,amount,n\nA,"1,234.5",3\nB,"12,000",4\nC,999.5,5\nD,"-1,000,000",6\n')
    got = read_table(path)
    expected = pd.read_csv(path, thousands=",")
    assert got["amount"].dtype == float and got["amount"].tolist() == expected["amount"].tolist()
    assert got["amount"].tolist() == [1234.5, 12000.0, 999.5, -1e6]


@pytest.mark.parametrize("group", [".", " ", "\u00a0", "\u202f"])
def test_thousands_with_a_decimal_comma_in_a_semicolon_file(tmp_path, group):
    # 1.234,5 (German, Spanish, Italian exports) and 1 234,5 with a space, Excel's no-break space or the narrow
    # no-break space (French). A file whose only decimal commas follow a no-break space was read as text.
    text = f"unit;amount\nA;1{group}234,5\nB;12{group}000\nC;2{group}500{group}000,25\n"
    got = read_table(_write(tmp_path, text))
    expected = pd.read_csv(io.StringIO(text.replace(group, "")), sep=";", decimal=",")
    assert got["amount"].tolist() == expected["amount"].tolist() == [1234.5, 12000.0, 2500000.25]


def test_grouped_numbers_with_missing_tokens_warn_as_before(tmp_path):
    path = _write(tmp_path, 'unit,amount\nA,"1,234.5"\nB,n.d.\nC,"2,000"\n')
    with pytest.warns(DroppedRowsWarning, match=r"column 'amount': 1 cell read as missing \('n.d.' x1; file lines 3\)"):
        got = read_table(path)
    assert got["amount"].iloc[[0, 2]].tolist() == [1234.5, 2000.0] and np.isnan(got["amount"].iloc[1])


@pytest.mark.parametrize("text, column", [
    ('unit,code\nA,"1,234"\nB,"12,5"\n', "code"),         # 12,5 is no thousands grouping: the column is text
    ('unit,code\nA,"1,2345"\nB,"1,234"\n', "code"),       # groups of four digits: not a number
    ('unit,label\nA,"1,234 cases"\nB,"2,000"\n', "label"),  # text beside numbers
])
def test_ambiguous_columns_stay_text(tmp_path, text, column):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedRowsWarning)
        got = read_table(_write(tmp_path, text))
    assert not pd.api.types.is_numeric_dtype(got[column])


def test_a_point_that_cannot_group_thousands_is_a_decimal_point(tmp_path):
    # 1.5 shows that this column writes decimals with a point, so 12.000 is twelve, as before this change.
    got = read_table(_write(tmp_path, "unit;code\nA;1.5\nB;12.000\nC;7,5\n"))
    assert got["code"].tolist() == [1.5, 12.0, 7.5]


def test_plain_files_unchanged(tmp_path):
    got = read_table(_write(tmp_path, "unit,y,t\nA,1.5,2023-07\nB,2,2023-08\n"))
    assert got["y"].tolist() == [1.5, 2.0] and got["t"].tolist() == ["2023-07", "2023-08"]
    got = read_table(_write(tmp_path, "unit;y\nA;1,5\nB;2\n", "fr.csv"))
    assert got["y"].tolist() == [1.5, 2.0]


@pytest.mark.parametrize("path", [None, b"data.csv", 3, ["a.csv"]])
def test_a_path_that_is_no_path_is_named(path):
    with pytest.raises(DataError, match=r"path must be a file path \(a str or pathlib.Path\), got "):
        read_table(path)


def test_options_pandas_refuses_are_named_as_options(tmp_path):
    path = _write(tmp_path, "unit,y\nA,1\n")
    with pytest.raises(ConfigError, match=r"with the options foo=1 .*leave them out: read_table detects"):
        read_table(path, foo=1)
    with pytest.raises(DataError, match=r"re-export it, and the options passed \(usecols=\['zzz'\]\)"):
        read_table(path, usecols=["zzz"])


def test_a_leading_zero_never_groups_thousands(tmp_path):
    # "0,125" is a decimal comma (a thousand is never written with a leading 0): read as 125 it would be a wrong
    # answer; the column stays text, which the estimators' numeric check then explains.
    path = tmp_path / "zero.csv"
    path.write_text('u,y\na,"0,125"\nb,"1,250"\n', encoding="utf-8")
    assert read_table(path)["y"].tolist() == ["0,125", "1,250"]
    path.write_text('u;y\na;0.125\nb;1.250\n', encoding="utf-8")
    assert read_table(path)["y"].tolist() == [0.125, 1.25]
