"""The argument and column checks of impact.data: wrong types are ConfigErrors naming the argument, and a text
column of numbers gets the conversion that reads it right (thousands separators are not decimal commas)."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from impact.data import (check_alpha, check_choice, check_columns, check_complete, check_finite, check_fraction,
                         check_int, check_numeric, read_table, validate_panel)
from impact.errors import ConfigError, DataError

FRAME = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "id": [1, 1, 2, 2], "t": [1, 2, 1, 2], "x": [0.5, 0.1, 0.2, 0.3]})

# --------------------------------------------------------------------------- column names


@pytest.mark.parametrize("roles, culprit", [
    ({"outcome": 5}, r"outcome must be a column name \(a string\), got 5 \(int\)"),
    ({"unit": 3.0}, r"unit must be a column name \(a string\), got 3 \(float\)"),
    ({"treatment": np.nan}, r"treatment must be a column name \(a string\), got nan \(float\)"),
    ({"outcome": b"y"}, r"outcome must be a column name \(a string\), got b'y' \(bytes\)"),
    ({"covariates": [1, "x"]}, r"covariates must be column names \(strings\), got 1 \(int\) in covariates=\[1, 'x'\]"),
    ({"covariates": ("x", None)}, r"covariates must be column names \(strings\), got None \(NoneType\)"),
    ({"covariates": 7}, r"covariates must be a column name \(a string\), got 7 \(int\)"),
])
def test_a_column_given_as_something_else_is_a_config_error_naming_the_argument(roles, culprit):
    with pytest.raises(ConfigError, match=culprit) as err:
        check_columns(FRAME, **roles)
    assert "the columns are 'y', 'id', 't', 'x'" in str(err.value)


def test_the_column_itself_gets_its_name():
    with pytest.raises(ConfigError, match=r"outcome must be a column name \(a string\), got the column itself "
                                          r"\(a pandas Series\); pass its name: outcome='y'"):
        check_columns(FRAME, outcome=FRAME["y"])


def test_columns_labelled_by_numbers_get_the_renaming():
    numbered = pd.DataFrame(np.ones((3, 3)))
    with pytest.raises(ConfigError, match=r"labelled by numbers: .*data.columns = data.columns.astype\(str\)\), "
                                          r"then pass outcome='1'"):
        check_columns(numbered, outcome=1)


def test_names_in_any_sequence_are_accepted():
    check_columns(FRAME, outcome="y", covariates=["x"], unit=("id",), time=np.array(["t"]), cohort=None)
    check_columns(FRAME, covariates=pd.Index(["x", "y"]))


def test_the_entry_point_reports_the_argument_not_a_type_error():
    with pytest.raises(ConfigError, match=r"^outcome must be a column name"):
        validate_panel(FRAME, 5, "id", "t")
    with pytest.raises(ConfigError, match=r"^covariates must be column names"):
        validate_panel(FRAME, "y", "id", "t", covariates=[1, "x"])


@pytest.mark.parametrize("check", [check_numeric, check_finite, check_complete])
def test_the_column_checks_name_a_missing_or_mistyped_column(check):
    with pytest.raises(DataError, match=r"^unit column 'idd' not found; did you mean 'id'\?"):
        check(FRAME, "idd", "unit")
    with pytest.raises(ConfigError, match=r"^unit must be a column name \(a string\), got 0 \(int\)"):
        check(FRAME, 0, "unit")


# --------------------------------------------------------------------------- numbers and choices


@pytest.mark.parametrize("value, fix", [
    ("0.05", r"\(got '0.05'\); write alpha=0.05 without quotes"),
    ("1.5", r"\(got '1.5'\); 0.05 gives"),
    ("five", r"\(got 'five'\); 0.05 gives"),
    (True, r"\(got True\); True/False is not a number"),
    (np.bool_(False), r"\(got False\); True/False is not a number"),
    (np.nan, r"\(got nan\)"),
    (None, r"\(got None\)"),
    ([0.05], r"\(got \[0.05\]\)"),
    (np.float64(1.5), r"\(got 1.5\)"),
])
def test_alpha_must_be_a_number_in_the_open_unit_interval(value, fix):
    with pytest.raises(ConfigError, match=r"^alpha must be strictly between 0 and 1 " + fix):
        check_alpha(value)


@pytest.mark.parametrize("value", [0.05, np.float64(0.1), np.float32(0.25), Fraction(1, 20), 0.999])
def test_alpha_numbers_are_accepted_as_floats(value):
    assert check_alpha(value) == pytest.approx(float(value), rel=1e-15) and type(check_alpha(value)) is float


def test_fractions_refuse_strings_too():
    with pytest.raises(ConfigError, match=r"^power must be strictly between 0 and 1 \(got '0.8'\); write power=0.8"):
        check_fraction("power", "0.8")


@pytest.mark.parametrize("value, message", [
    ("200", r"n_sims must be an integer \(got '200'\); write n_sims=200 without quotes"),
    (200.0, r"n_sims must be an integer \(got 200.0\); write n_sims=200$"),
    (5.0, r"n_sims must be an integer \(got 5.0\); give a whole number of at least 100$"),
    (True, r"n_sims must be an integer \(got True\); give a whole number of at least 100 "
           r"\(True/False is not a count\)"),
    (np.bool_(True), r"n_sims must be an integer \(got True\)"),
    (np.nan, r"n_sims must be an integer \(got nan\)"),
    ("1e3", r"n_sims must be an integer \(got '1e3'\); give a whole number"),
    ("+-500", r"n_sims must be an integer \(got '\+-500'\); give a whole number"),
    ("5\u00b2", r"n_sims must be an integer \(got '5\u00b2'\); give a whole number"),
    (99, r"n_sims must be at least 100 \(got 99\)"),
])
def test_integers_refuse_bools_strings_and_floats(value, message):
    with pytest.raises(ConfigError, match=message):
        check_int("n_sims", value, minimum=100)


def test_integers_accept_numpy_integers_and_negative_strings_get_their_fix():
    assert check_int("n", np.int64(7), minimum=1) == 7 and type(check_int("n", np.int64(7))) is int
    with pytest.raises(ConfigError, match=r"reference must be an integer \(got '-1'\); write reference=-1 without"):
        check_int("reference", "-1")


@pytest.mark.parametrize("value, allowed, message", [
    (True, (1, 2), r"x must be one of 1, 2 \(got True\)"),
    (1, (True, False), r"x must be one of True, False \(got 1\)"),
    (np.array([1, 2]), (1, 2), r"x must be one of 1, 2 \(got array"),
    (["never"], ("never", "not_yet"), r"x must be one of 'never', 'not_yet' \(got \['never'\]\)"),
    ("Never", ("never", "not_yet"), r"\(got 'Never'\); did you mean 'never'\?"),
    (np.nan, (1, 2), r"x must be one of 1, 2 \(got nan\)"),
])
def test_choices_are_matched_exactly(value, allowed, message):
    with pytest.raises(ConfigError, match=message):
        check_choice("x", value, allowed)


def test_choices_accept_equal_values_of_a_compatible_type():
    check_choice("x", np.str_("never"), ("never", "not_yet"))
    check_choice("x", np.int64(2), (1, 2))
    check_choice("x", False, (True, False))


# --------------------------------------------------------------------------- numbers written as text


def _conversions(message: str) -> list[str]:
    """Every ``pd.to_numeric(...)`` expression a message suggests, balanced on its parentheses."""
    found = []
    for start in (m.start() for m in re.finditer(re.escape("pd.to_numeric("), message)):
        depth, quoted = 0, None
        for end in range(start, len(message)):
            char = message[end]
            if quoted:
                quoted = None if char == quoted else quoted
            elif char in "'\"":
                quoted = char
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    found.append(message[start:end + 1])
                    break
    return found


def _apply(expression: str, column: pd.Series) -> np.ndarray:
    result = eval(expression, {"pd": pd, "df": pd.DataFrame({"y": column}), "col": "y"})  # noqa: S307
    return result.to_numpy(dtype=float, na_value=np.nan)


def _message(column) -> str:
    with pytest.raises(DataError) as err:
        check_numeric(pd.DataFrame({"y": column}), "y")
    return str(err.value)


@pytest.fixture
def values():
    """Amounts with two decimals spanning 0.01 to a million, so that every way of writing them shows up."""
    rng = np.random.default_rng(20261129)
    return np.round(np.exp(rng.uniform(np.log(0.01), np.log(1e6), 400)), 2)


def test_thousands_separators_are_not_decimal_commas(values):
    written = pd.Series([f"{v:,.2f}" for v in values])  # 1,234.56 (English)
    message = _message(written)
    assert "thousands separators such as '" in message and "decimal comma" not in message
    (fix,) = _conversions(message)
    np.testing.assert_allclose(_apply(fix, written), values, rtol=0, atol=1e-9)


def test_thousands_without_decimals_are_told_by_a_group_of_groups():
    written = pd.Series(["1,234", "12,500", "1,234,567", "999"])  # '1,234,567' cannot be a decimal comma
    message = _message(written)
    assert "thousands separators such as '1,234,567' (rows 0, 1, 2)" in message
    (fix,) = _conversions(message)
    np.testing.assert_array_equal(_apply(fix, written), [1234, 12500, 1234567, 999])


@pytest.mark.parametrize("form", ["plain", "point", "space", "nbsp"])
def test_decimal_commas_get_a_conversion_that_reads_them(values, form):
    group = {"plain": "", "point": ".", "space": " ", "nbsp": "\u00a0"}[form]
    written = pd.Series([f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", group) for v in values])
    message = _message(written)
    assert "decimal commas such as" in message and "thousands" not in message
    (fix,) = _conversions(message)
    np.testing.assert_allclose(_apply(fix, written), values, rtol=0, atol=1e-9)


def test_a_comma_that_can_be_either_is_named_as_ambiguous_with_both_fixes():
    written = pd.Series(["1,234", "2,500", "3", "-4,125"])
    message = _message(written)
    assert "commas that may separate thousands or mark decimals, such as '1,234' (rows 0, 1, 3), read 1234 or 1.234" \
        in message
    assert "read_table(path, thousands=',')" in message and "read_table(path, decimal=',')" in message
    as_thousands, as_decimal = _conversions(message)
    np.testing.assert_array_equal(_apply(as_thousands, written), [1234, 2500, 3, -4125])
    np.testing.assert_allclose(_apply(as_decimal, written), [1.234, 2.5, 3, -4.125], rtol=0, atol=1e-12)


@pytest.mark.parametrize("sep", [",", ";"])
def test_the_file_fixes_of_an_ambiguous_comma_read_each_way(tmp_path, sep):
    path = tmp_path / "d.csv"
    cell = '"1,234"' if sep == "," else "1,234"
    path.write_text(f"u{sep}y\na{sep}{cell}\nb{sep}7\n", encoding="utf-8")
    assert read_table(path, thousands=",")["y"].tolist() == [1234, 7]
    assert read_table(path, decimal=",")["y"].tolist() == [1.234, 7]


def test_one_decimal_comma_decides_for_the_column():
    # As impact.reading does for files: '1,234' beside '12,5' is a decimal comma (1.234), not 1234.
    written = pd.Series(["1,234", "12,5", "0,75"])
    message = _message(written)
    assert "decimal commas such as '12,5' (rows 0, 1, 2)" in message
    np.testing.assert_allclose(_apply(_conversions(message)[0], written), [1.234, 12.5, 0.75], rtol=0, atol=1e-12)


def test_a_leading_zero_is_a_decimal_comma():
    assert "decimal commas such as '0,123'" in _message(pd.Series(["0,123", "1,234"]))


def test_a_column_mixing_both_conventions_is_refused_with_an_example_of_each():
    message = _message(pd.Series(["1,234.5", "12,5", "3"]))
    assert "thousands separators in cells such as '1,234.5' (row 0) but decimal commas in cells such as '12,5' " \
           "(row 1); no one conversion reads both" in message
    assert not _conversions(message)


def test_spaces_between_thousands_are_not_decimal_commas():
    written = pd.Series(["1 234", "5", "12\u202f345"])
    message = _message(written)
    assert "spaces between thousands such as '1 234' (rows 0, 2)" in message and "comma" not in message
    (fix,) = _conversions(message)
    np.testing.assert_array_equal(_apply(fix, written), [1234, 5, 12345])


def test_markers_with_separators_get_both_fixes(values):
    written = pd.Series([f"{v:,.2f}" for v in values[:20]] + ["n.d."])
    message = _message(written)
    assert "missing-value markers 'n.d.' (row 20); thousands separators" in message
    assert "read the file with impact.data.read_table, which reads such markers as missing, or remove" in message
    (fix,) = _conversions(message)
    np.testing.assert_allclose(_apply(fix, written), np.append(values[:20], np.nan), rtol=0, atol=1e-9)


@pytest.mark.parametrize("cell, value", [("2,5", 2.5), ("1,234.5", 1234.5), ("1 234", 1234)])
def test_the_fix_keeps_the_numbers_of_a_column_mixing_numbers_and_text(cell, value):
    # An Excel column holds real numbers beside text cells; .str.replace alone would turn the numbers into NaN.
    written = pd.Series([1.5, cell, 3, None], dtype=object)
    (fix,) = _conversions(_message(written))
    np.testing.assert_array_equal(_apply(fix, written), [1.5, value, 3, np.nan])


def test_other_text_is_named_with_its_rows():
    with pytest.raises(DataError, match=r"must be numeric but has text 'douze' \(row 1\); correct or empty"):
        check_numeric(pd.DataFrame({"y": ["1,234", "douze"]}), "y")


def test_an_estimator_reports_thousands_separators():
    data = FRAME.assign(y=["1,234.5", "2,000.25", "999", "1,500"])
    with pytest.raises(DataError, match=r"outcome column 'y' must be numeric .*thousands separators such as "
                                        r"'1,234.5' \(rows 0, 1, 3\); remove the separators"):
        validate_panel(data, "y", "id", "t")


@pytest.mark.parametrize("name", ["callaway_santanna", "event_study", "sun_abraham", "imputation",
                                  "bacon_decomposition"])
def test_an_estimator_given_no_cohort_says_what_the_column_holds(name):
    import sys
    from pathlib import Path

    import impact.did as did

    sys.path.insert(0, str(Path(__file__).parent))
    from sim_staggered import staggered_panel

    df = staggered_panel(seed=1, n_units=30, n_periods=5, cohorts=(0, 3))
    with pytest.raises(ConfigError, match=rf"{name} needs cohort=: name the column holding each unit's first treated"):
        getattr(did, name)(df, "y", "id", "t", None)


@pytest.mark.parametrize("call, role", [
    (lambda did, df: did.twfe(df, "y", "id", "t", None), "treatment"),
    (lambda did, df: did.twfe(df, "y", None, "t", "d"), "unit"),
    (lambda did, df: did.two_by_two(df, "y", None, "post"), "treated"),
    (lambda did, df: did.callaway_santanna(df, "y", "id", None, "g"), "time"),
    (lambda did, df: did.event_study(df, None, "id", "t", "g"), "outcome"),
])
def test_a_required_column_given_as_none_is_named(call, role):
    import sys
    from pathlib import Path

    import impact.did as did

    sys.path.insert(0, str(Path(__file__).parent))
    from sim_staggered import staggered_panel

    df = staggered_panel(seed=1, n_units=30, n_periods=5, cohorts=(0, 3)).assign(post=0)
    with pytest.raises(ConfigError, match=rf"needs {role}=: name the"):
        call(did, df)
