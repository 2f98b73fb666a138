"""Reading files (French CSV exports, Excel, Parquet) and validating panels."""

import warnings

import numpy as np
import pandas as pd
import pytest

from impact.data import check_alpha, check_choice, read_table, validate_panel
from impact.errors import ConfigError, DataError, DroppedRowsWarning

FRAME = pd.DataFrame(
    {
        "commune": ["Évry", "Évry", "Sète", "Sète"],
        "trimestre": [1, 2, 1, 2],
        "délai": [12.5, 10.25, 1234.5, 8.0],
        "cohorte": [2, 2, 0, 0],
    }
)


def test_french_csv_export_latin1_semicolon_decimal_comma(tmp_path):
    # What a French spreadsheet writes: ';' separator, ',' decimal mark, Windows-1252 accents,
    # and a (narrow) no-break space as thousands separator.
    text = "commune;trimestre;délai;cohorte\r\nÉvry;1;12,5;2\r\nÉvry;2;10,25;2\r\nSète;1;1 234,5;0\r\nSète;2;8;0\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    got = read_table(path)
    pd.testing.assert_frame_equal(got, FRAME)
    for space in ("\u00a0", "\u202f"):  # no-break and narrow no-break spaces, as LibreOffice and Excel write
        path.write_text(text.replace("1 234", f"1{space}234"), encoding="utf-8")
        pd.testing.assert_frame_equal(read_table(path), FRAME)


def test_utf8_bom_comma_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(FRAME.to_csv(index=False).encode("utf-8-sig"))
    pd.testing.assert_frame_equal(read_table(path), FRAME)


def test_excel_and_parquet(tmp_path):
    FRAME.to_excel(tmp_path / "d.xlsx", index=False)
    FRAME.to_parquet(tmp_path / "d.parquet")
    pd.testing.assert_frame_equal(read_table(tmp_path / "d.xlsx"), FRAME, check_dtype=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / "d.parquet"), FRAME)


@pytest.mark.parametrize(
    "name, content, match",
    [
        ("missing.csv", None, "not found"),
        ("empty.csv", b"", "is empty"),
        ("data.json", b"{}", "extension '.json'"),
    ],
)
def test_read_errors(tmp_path, name, content, match):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=match):
        read_table(tmp_path / name)


def test_validate_panel_maps_periods_and_cohorts():
    panel = validate_panel(FRAME, "délai", "commune", "trimestre", cohort="cohorte")
    assert panel.n_units == 2 and panel.n_periods == 2 and panel.balanced
    assert panel.cohort_codes.tolist() == [1, 1, -1, -1]
    assert panel.period_label(panel.time_codes).tolist() == [1, 2, 1, 2]


def test_validate_panel_with_dates():
    df = FRAME.assign(
        trimestre=pd.to_datetime(["2024-01-01", "2024-04-01"] * 2),
        cohorte=pd.to_datetime(["2024-04-01", "2024-04-01", None, None]),
    )
    panel = validate_panel(df, "délai", "commune", "trimestre", cohort="cohorte")
    assert panel.cohort_codes.tolist() == [1, 1, -1, -1]


def test_missing_outcomes_are_dropped_with_a_warning():
    df = FRAME.assign(délai=[np.nan, 10.0, 11.0, 8.0])
    with pytest.warns(DroppedRowsWarning, match="dropped 1 of 4 rows"):
        panel = validate_panel(df, "délai", "commune", "trimestre", cohort="cohorte")
    assert len(panel.data) == 3 and not panel.balanced


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"outcome": "delai"}, "outcome column 'delai' not found; did you mean 'délai'"),
        ({"data": FRAME.assign(délai=["a", "b", "c", "d"])}, "must be numeric"),
        ({"data": pd.concat([FRAME, FRAME.iloc[:1]])}, "share a"),
        ({"data": FRAME[FRAME.trimestre == 1]}, "single period"),
        ({"data": FRAME.assign(cohorte=0)}, "no treated unit"),
        ({"data": FRAME.assign(cohorte=2)}, "no untreated unit"),
        ({"data": FRAME.assign(cohorte=[2, 1, 0, 0])}, "varies within unit 'Évry'"),
    ],
)
def test_validate_panel_errors_name_the_problem(kwargs, match):
    args = {"data": FRAME, "outcome": "délai", "unit": "commune", "time": "trimestre", "cohort": "cohorte"} | kwargs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        with pytest.raises(DataError, match=match):
            validate_panel(args.pop("data"), **args)


def test_argument_checks():
    with pytest.raises(ConfigError, match=r"alpha must be strictly between 0 and 1 \(got 1.5\)"):
        check_alpha(1.5)
    with pytest.raises(ConfigError, match="control must be one of 'never', 'not_yet'"):
        check_choice("control", "nevr", ("never", "not_yet"))
