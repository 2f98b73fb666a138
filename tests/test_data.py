"""Reading files (French CSV exports, Excel, Parquet) and validating panels."""

import datetime
import warnings

import numpy as np
import pandas as pd
import pytest

from impact.data import check_alpha, check_choice, read_table, show, validate_panel
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


# --------------------------------------------------------------------------- issue 10: real-world files


def _french_commune_csv(path, n_communes=6, months=6):
    """What the French lab of issue 10 exported: Latin-1, ';', decimal commas, YYYY-MM months, empty cohorts."""
    lines = ["commune;mois;délai;cohorte"]
    noise = np.random.default_rng(7).normal(0, 0.1, size=(n_communes, months + 1))
    for i in range(n_communes):
        cohort = "2022-04" if i < n_communes // 2 else ""
        for m in range(1, months + 1):
            value = 10 + i + 0.25 * m - (1.5 if cohort and m >= 4 else 0) + noise[i, m]
            lines.append(f"{['Évreux', 'Sète', 'Agen', 'Nîmes', 'Gap', 'Lunel'][i]};2022-{m:02d};{value:.2f}".replace(".", ",")
                         + f";{cohort}")
    path.write_bytes("\r\n".join(lines).encode("latin-1"))


def test_french_csv_with_months_and_empty_cohorts_estimates(tmp_path):
    from impact.did import callaway_santanna, event_study

    path = tmp_path / "communes.csv"
    _french_commune_csv(path)
    df = read_table(path)
    assert df["délai"].dtype == float and df["mois"].iloc[0] == "2022-01"
    panel = validate_panel(df, "délai", "commune", "mois", cohort="cohorte")
    assert panel.n_periods == 6 and panel.scale.frequency == "month"
    assert sorted(set(panel.cohort_codes.tolist())) == [-1, 3]
    assert panel.period_text(3, "fr") == ["avr. 2022"]
    # The effect is -1.5 from April on, with parallel trends; the months give the numbers of periods 1..6.
    coded = df.assign(mois=df["mois"].str[-2:].astype(int), cohorte=np.where(df["cohorte"].isna(), 0, 4))
    for fit in (lambda d: callaway_santanna(d, "délai", "commune", "mois", "cohorte", n_boot=0),
                lambda d: event_study(d, "délai", "commune", "mois", "cohorte")):
        res, ref = fit(df), fit(coded)
        assert res.estimate == pytest.approx(-1.5, abs=0.3)
        assert (res.estimate, res.se) == pytest.approx((ref.estimate, ref.se), rel=1e-10)


def test_excel_with_real_date_cells(tmp_path):
    from openpyxl import Workbook

    from impact.did import twfe

    wb = Workbook()
    ws = wb.active
    ws.append(["commune", "mois", "délai", "cohorte"])
    for i, name in enumerate(["Évreux", "Sète", "Agen", "Nîmes"]):
        for m in range(1, 5):
            cohort = datetime.datetime(2022, 3, 1) if i < 2 else None
            ws.append([name, datetime.datetime(2022, m, 1),
                       10.0 + i + m - (2.0 if cohort and m >= 3 else 0) + 0.1 * ((i * 7 + m * 3) % 5 - 2), cohort])
    wb.save(tmp_path / "communes.xlsx")
    df = read_table(tmp_path / "communes.xlsx")
    assert pd.api.types.is_datetime64_any_dtype(df["mois"])
    panel = validate_panel(df, "délai", "commune", "mois", cohort="cohorte")
    assert panel.cohort_codes.tolist() == [2] * 8 + [-1] * 8
    assert panel.period_text([0, 3], "en") == ["Jan 2022", "Apr 2022"]
    d = (panel.cohort_codes >= 0) & (panel.time_codes >= panel.cohort_codes)
    res = twfe(df.assign(d=d.astype(int)), "délai", "commune", "mois", "d")
    ref = twfe(df.assign(d=d.astype(int), mois=df["mois"].dt.month), "délai", "commune", "mois", "d")
    assert res.estimate == pytest.approx(-2.0, abs=0.3)
    assert (res.estimate, res.se) == pytest.approx((ref.estimate, ref.se), rel=1e-10)


def test_missing_tokens_read_as_missing_with_a_note(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("u;t;y\na;1;1,5\na;2;n.d.\nb;1;-\nb;2;2,5\nc;1;s.o.\nc;2;#N/A\n", encoding="utf-8")
    with pytest.warns(DroppedRowsWarning, match=r"column 'y': 4 cells read as missing \('n.d.' x1, '-' x1, "
                                                 r"'s.o.' x1, '#N/A' x1; file lines 3, 4, 6, 7\)"):
        df = read_table(path)
    assert df["y"].dtype == float and df["y"].isna().sum() == 4 and df["y"].iloc[0] == 1.5


def test_other_text_in_a_numeric_column_is_named_at_use(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("u;t;y\na;1;1,5\na;2;douze\nb;1;3,5\nb;2;2,5\n", encoding="utf-8")
    df = read_table(path)  # a text column may be legitimate (unit names); the estimator names it
    with pytest.raises(DataError, match=r"outcome column 'y' must be numeric but has text 'douze' \(row 1\)"):
        validate_panel(df, "y", "u", "t")


@pytest.mark.parametrize("content", [b"commune;mois;d\xe9lai\r\n", b"a,b,c\n"])
def test_header_only_file_says_no_data_rows(tmp_path, content):
    (tmp_path / "h.csv").write_bytes(content)
    with pytest.raises(DataError, match="has no data rows"):
        read_table(tmp_path / "h.csv")


def test_binary_file_is_a_data_error(tmp_path):
    (tmp_path / "b.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="binary data"):
        read_table(tmp_path / "b.csv")


def test_show_writes_values_as_a_user_would():
    assert [show(v) for v in (np.int64(3), "Évreux", pd.Timestamp("2022-06-01"), pd.Period("2022-06", "M"),
                              np.float64(2.0), None)] == ["3", "'Évreux'", "2022-06-01", "2022-06", "2", "missing"]


def test_missing_unit_or_period_is_named_not_dropped():
    df = FRAME.assign(trimestre=[1, None, 1, 2])
    with pytest.raises(DataError, match=r"time column 'trimestre' has 1 missing value \(row 1\)"):
        validate_panel(df, "délai", "commune", "trimestre", cohort="cohorte")
