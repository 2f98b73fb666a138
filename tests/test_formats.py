"""Number, interval, percent, date and quantity formats (impact.formats): review defects and input checks."""

from __future__ import annotations

import datetime as dt
import doctest

import numpy as np
import pandas as pd
import pytest
from babel.numbers import get_decimal_symbol

import impact.formats as F
from impact.errors import ConfigError, DataError


def test_docstring_examples_run():
    # The examples of fmt_date ("1 July 2023" for English) and fmt_quantity ("64 days" with one decimal) were
    # wrong; they are doctests now, so they cannot drift from what the functions return.
    failed, attempted = doctest.testmod(F, optionflags=doctest.ELLIPSIS)
    assert attempted >= 8 and failed == 0


@pytest.mark.parametrize("lang", ["fr", "de", "es", "it", "pt", "nl", "ru", "pl", "sv", "fr_CH"])
def test_interval_uses_a_semicolon_wherever_the_decimal_mark_is_a_comma(lang):
    assert get_decimal_symbol(lang) == ","  # the reason, from CLDR, not a list of our own
    text = F.fmt_interval(1.25, 3.5, lang, 1)
    assert text.count(";") == 1 and text.startswith("[") and text.endswith("]")
    lo, hi = text[1:-1].split(" ; ")
    assert lo == F.fmt_number(1.25, lang, 1) and hi == F.fmt_number(3.5, lang, 1)


@pytest.mark.parametrize("lang", ["en", "en_GB", "ja", "hi", "de_CH"])
def test_interval_keeps_a_comma_where_the_decimal_mark_is_a_point(lang):
    assert F.fmt_interval(1.25, 3.5, lang, 1) == f"[{F.fmt_number(1.25, lang, 1)}, {F.fmt_number(3.5, lang, 1)}]"


def test_percent_quantity_is_in_percent_as_given():
    # Callers (effect sentence, glance card, index, break-even) write the interval with fmt_number on the same
    # scale: "%" is the unit of the number as given, never a share to rescale (that is fmt_pct).
    assert F.fmt_quantity(45, "%") == "45.0%" == F.fmt_pct(0.45, "en", 1)
    assert F.fmt_quantity(45, "%", "fr", 1) == F.fmt_pct(0.45, "fr", 1) == "45,0\u00a0%"
    assert F.fmt_quantity(0.45, "percent", "en", 2) == "0.45%"
    assert F.fmt_quantity(-2.5, "%", "en", 1) == "−2.5%"
    assert F.fmt_quantity(12.345, "%", "en", 2) == F.fmt_number(12.345, "en", 2) + "%"
    # Every locale's own placement of the sign (no-break space in French and German, none in English).
    assert F.fmt_quantity(45, "%", "de", 0) == "45\u00a0%" and F.fmt_quantity(45, "%", "it", 0) == "45%"


def test_quantity_units():
    assert F.fmt_quantity(64, "days", "en", 0) == "64 days"
    assert F.fmt_quantity(1, "days", "en", 0) == "1 day"
    assert F.fmt_quantity(64.25, "jours", "fr", 1) == "64,2\u00a0jours"  # Babel rounds half to even
    assert F.fmt_quantity(12, "per 1,000", "en", 0) == "12\u00a0per 1,000"
    assert F.fmt_quantity(12, None, "en", 0) == "12" == F.fmt_quantity(12, "  ", "en", 0)
    assert F.fmt_quantity(None, "days") == F.MISSING == F.fmt_quantity(np.nan, "%")
    assert F.fmt_quantity(2e18, "days", "en", 0).endswith("\u00a0days")  # no decimal.InvalidOperation


def test_dates():
    assert F.fmt_date(dt.date(2023, 7, 1)) == "July 1, 2023"
    assert F.fmt_date(pd.Timestamp("2023-07-01"), "fr") == "1 juillet 2023"
    assert F.fmt_date("2023-07") == "2023-07"  # a period label is not a date: returned as written
    assert F.fmt_date(pd.NaT) == F.MISSING == F.fmt_datetime(pd.NaT) == F.fmt_date(None)


@pytest.mark.parametrize("call, match", [
    (lambda: F.fmt_number(1.0, "en", "2"), r"digits must be a whole number of decimals from 0 to 15 \(got '2'\)"),
    (lambda: F.fmt_pct(0.1, "en", 1.5), r"digits must be .* \(got 1.5\)"),
    (lambda: F.fmt_pvalue(0.1, "en", None), r"digits must be .* \(got None\)"),
    (lambda: F.fmt_interval(1, 2, "en", 100), r"digits must be .* \(got 100\)"),
    (lambda: F.fmt_money(2e6, "en", "EUR", True), r"digits must be .* \(got True\)"),
    (lambda: F.fmt_money(1.0, "en", 978), r"currency must be an ISO 4217 code such as 'EUR' .* \(got 978\)"),
    (lambda: F.axis_formatter("en", "money", currency=["EUR"]), r"currency must be an ISO 4217 code"),
    (lambda: F.axis_formatter("en", kind=pd.NA), r"kind must be 'number', 'money' or 'percent' \(got <NA>\)"),
    (lambda: F.axis_formatter("xx-nope"), r"language 'xx-nope' is not a locale Babel knows"),
    (lambda: F.fmt_interval(1, 2, pd.NA), r"language <NA> is not a locale Babel knows"),
    (lambda: F.fmt_quantity(1, 5), r"unit must be text such as 'days' or '%', or None \(got 5\)"),
    (lambda: F.fmt_date(dt.date(2023, 1, 1), "en", None), r"format must be 'short', 'medium', 'long', 'full'"),
    (lambda: F.fmt_date(dt.date(2023, 1, 1), "en", "HH:mm"), r"format 'HH:mm' is not a date pattern Babel can apply"),
])
def test_wrong_arguments_are_config_errors(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


@pytest.mark.parametrize("value", ["abc", [1, 2], {"a": 1}, dt.date(2023, 1, 1), object()])
@pytest.mark.parametrize("func", [F.fmt_number, F.fmt_pct, F.fmt_money, F.fmt_pvalue,
                                  lambda x: F.fmt_quantity(x, "days")])
def test_a_value_that_is_no_number_is_named_not_hidden(func, value):
    # It used to print '–' as if missing, hiding a caller's mistake in a report.
    with pytest.raises(DataError, match=r"needs a number, got .*; pass a number, or None for a missing value"):
        func(value)


def test_missing_values_of_every_kind():
    for value in (None, np.nan, float("inf"), pd.NA, pd.NaT, np.float64("nan")):
        assert F.fmt_number(value) == F.fmt_pct(value) == F.fmt_money(value) == F.MISSING
    assert F.fmt_number("12.5") == "12.5" and F.fmt_number(np.int64(3), "en", 0) == "3"
