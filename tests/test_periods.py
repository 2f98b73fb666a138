"""Periods as labs write them (issue 10): parsing, calendar codes, labels, and every estimator on them."""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from impact.data import period_codes, validate_panel
from impact.errors import ConfigError, DataError, ImpactError
from impact.periods import format_period, infer_scale, is_never, period_text, unit_name
from test_bad_input import ESTIMATORS, N_PERIODS, START, panel

MONTHS = [f"2023-{m:02d}" for m in range(1, 9)]


@pytest.mark.parametrize(
    "values, frequency, unit, labels_en, labels_fr",
    [
        ([2003, 2004, 2005], "integer", "period", ["2003", "2004", "2005"], ["2003", "2004", "2005"]),
        (["2023-07", "2023-08"], "month", "month", ["Jul 2023", "Aug 2023"], ["juil. 2023", "août 2023"]),
        (["07/2023", "08/2023"], "month", "month", ["Jul 2023", "Aug 2023"], ["juil. 2023", "août 2023"]),
        (["2023-07-01", "2023-08-01"], "month", "month", ["Jul 2023", "Aug 2023"], ["juil. 2023", "août 2023"]),
        (pd.to_datetime(["2023-07-01", "2023-08-01"]), "month", "month", ["Jul 2023", "Aug 2023"],
         ["juil. 2023", "août 2023"]),
        (pd.period_range("2023-07", periods=2, freq="M"), "month", "month", ["Jul 2023", "Aug 2023"],
         ["juil. 2023", "août 2023"]),
        (["2023Q3", "2023-T4", "T1 2024"], "quarter", "quarter", ["2023 Q3", "2023 Q4", "2024 Q1"],
         ["T3 2023", "T4 2023", "T1 2024"]),
        (["2023", "2024"], "year", "year", ["2023", "2024"], ["2023", "2024"]),
        (pd.to_datetime(["2023-07-03", "2023-07-10"]), "week", "week", ["Jul 3, 2023", "Jul 10, 2023"],
         ["3 juil. 2023", "10 juil. 2023"]),
    ],
)
def test_forms_frequency_and_labels(values, frequency, unit, labels_en, labels_fr):
    scale = infer_scale(pd.Series(values), "t")
    assert scale.frequency == frequency and scale.unit == unit
    assert scale.codes(pd.Series(values)).tolist() == list(range(len(values)))
    assert scale.format(np.arange(scale.n), "en") == labels_en
    assert scale.format(np.arange(scale.n), "fr") == labels_fr


MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


_KINDS = {1: ("month", "month"), 3: ("quarter", "quarter"), 12: ("year", "year"), 24: ("year", "period")}
# Every first month for monthly, quarterly and yearly steps; the written forms alternate (each parse costs
# tens of milliseconds and they meet in one code path) so that the file stays fast.
_FIRSTS = [(first, step, "YYYY-MM-DD" if first == 7 else ("YYYY-MM", "datetime")[first % 2])
           for step in (1, 3, 12) for first in range(1, 13)] + [(1, 24, "YYYY-MM"), (7, 24, "datetime")]


@pytest.mark.parametrize("first, step, form", _FIRSTS)
def test_frequency_follows_the_step_whatever_the_first_month(first, step, form):
    # Yearly data every 1 July (fiscal or school years) were labelled quarters, and quarterly data starting in
    # February months: the step between periods decides, the month the data start in does not.
    months = pd.period_range(f"2021-{first:02d}", periods=4 * step, freq="M")[::step]
    values = {"YYYY-MM": months.strftime("%Y-%m"), "YYYY-MM-DD": months.strftime("%Y-%m-01"),
              "datetime": months.to_timestamp()}[form]
    scale = infer_scale(pd.Series(values), "t")
    frequency, unit = _KINDS[step]
    assert (scale.frequency, scale.unit, scale.step) == (frequency, unit, step)
    assert scale.codes(pd.Series(values)).tolist() == [0, 1, 2, 3]
    labels = scale.format(np.arange(scale.n), "en")
    if frequency == "year" and first == 1:
        assert labels == [str(p.year) for p in months]
    elif frequency == "quarter" and first % 3 == 1:
        assert labels == [f"{p.year} Q{p.quarter}" for p in months]
    else:  # a month that starts no year or quarter is named, so a July year reads "Jul 2021", not "2021 Q3"
        assert labels == [f"{MONTH_NAMES[p.month - 1]} {p.year}" for p in months]


@pytest.mark.parametrize("values, frequency, unit, labels", [
    (["2021Q3", "2022Q3", "2023Q3"], "year", "year", ["2021 Q3", "2022 Q3", "2023 Q3"]),
    (["2023Q1", "2023Q3", "2024Q1"], "quarter", "period", ["2023 Q1", "2023 Q3", "2024 Q1"]),
    (pd.period_range("2021-07", periods=3, freq="12M"), "year", "year", ["Jul 2021", "Jul 2022", "Jul 2023"]),
    (pd.to_datetime(["2021-06-30", "2022-06-30"]), "year", "year", ["Jun 2021", "Jun 2022"]),
    (pd.to_datetime(["2023-07-04", "2023-07-18", "2023-08-01"]), "week", "period",
     ["Jul 4, 2023", "Jul 18, 2023", "Aug 1, 2023"]),
    (pd.to_datetime(["2023-07-05", "2023-07-06"]), "day", "day", ["Jul 5, 2023", "Jul 6, 2023"]),
])
def test_frequency_of_other_forms(values, frequency, unit, labels):
    scale = infer_scale(pd.Series(values), "t")
    assert (scale.frequency, scale.unit) == (frequency, unit)
    assert scale.format(np.arange(scale.n), "en") == labels


def test_cohort_on_a_july_year_calendar():
    df = pd.DataFrame({"u": np.repeat([1, 2], 3), "t": ["2021-07-01", "2022-07-01", "2023-07-01"] * 2,
                       "y": np.arange(6.0), "g": ["2022-07-01"] * 3 + [""] * 3})
    panel_ = validate_panel(df, "y", "u", "t", cohort="g")
    assert panel_.cohort_codes.tolist() == [1, 1, 1, -1, -1, -1]
    df["g"] = ["2022"] * 3 + [""] * 3  # January 2022 is no period of a calendar of Julys
    with pytest.raises(DataError, match=r"'2022', which falls between two periods of the year calendar of 't', "
                                        r"whose years start in July"):
        validate_panel(df, "y", "u", "t", cohort="g")


def test_codes_follow_the_calendar_across_a_gap():
    # No row in 2023-03: the month keeps its code, so event time counts calendar months.
    scale = infer_scale(pd.Series(["2023-01", "2023-02", "2023-04"]), "t")
    assert scale.n == 4 and scale.codes(pd.Series(["2023-04"])).tolist() == [3]
    assert str(scale.labels[2]) == "2023-03"
    # Quarterly data written as months has a three-month step.
    scale = infer_scale(pd.Series(["2023-01", "2023-04", "2023-10"]), "t")
    assert (scale.step, scale.n, scale.unit) == (3, 4, "quarter")


def test_unit_names():
    assert [unit_name(u, "fr") for u in ("month", "quarter", "year", "period")] == ["mois", "trimestres", "années",
                                                                                   "périodes"]
    assert unit_name("month", "en") == "months"
    assert format_period(642, "month", "month", "fr") == "juil. 2023"


def test_never_treated_values():
    values = pd.Series(["", " ", "0", 0, None, np.nan, "2023-07"], dtype=object)
    assert is_never(values).tolist() == [True] * 6 + [False]


@pytest.mark.parametrize(
    "cohort, match",
    [
        ("2023-03-15", r"cohort column 'g' has '2023-03-15' \(rows 0, 1\), which falls inside a month"),
        ("2023Q2", r"cohort column 'g' has '2023Q2', a quarter, but 't' holds months"),
        (5, r"cohort column 'g' holds numbers \(e.g. 5\) but the time column 't' holds months"),
        ("mars", r"cohort column 'g' has values that are not periods: 'mars' \(rows 0, 1\)"),
    ],
)
def test_cohort_off_the_calendar_is_named(cohort, match):
    df = pd.DataFrame({"u": [1, 1, 2, 2], "t": ["2023-02", "2023-03"] * 2, "y": [1.0, 2, 3, 4],
                       "g": [cohort, cohort, "", ""]})
    with pytest.raises(DataError, match=match):
        validate_panel(df, "y", "u", "t", cohort="g")


def test_cohort_between_integer_periods():
    df = pd.DataFrame({"u": [1, 1, 2, 2], "t": [2, 4] * 2, "y": [1.0, 2, 3, 4], "g": [3, 3, 0, 0]})
    with pytest.raises(DataError, match=r"cohort column 'g' has 3, which falls between two periods"):
        validate_panel(df, "y", "u", "t", cohort="g")


def test_cohort_before_the_first_period_is_always_treated():
    df = pd.DataFrame({"u": [1, 1, 2, 2, 3, 3], "t": ["2023-02", "2023-03"] * 3, "y": np.arange(6.0),
                       "g": ["2022-11"] * 2 + ["2023-03"] * 2 + [""] * 2})
    panel_ = validate_panel(df, "y", "u", "t", cohort="g")
    assert panel_.cohort_codes.tolist() == [0, 0, 1, 1, -1, -1]
    assert panel_.always_treated_units.tolist() == [1]
    assert panel_.period_text([0, 1], "fr") == ["févr. 2023", "mars 2023"]


def _as_months(data: pd.DataFrame, form: str) -> pd.DataFrame:
    """The same panel with periods and cohorts written as a lab would (period 1 = January 2023)."""
    t = pd.to_datetime({"year": 2023 + (data["t"] - 1) // 12, "month": (data["t"] - 1) % 12 + 1, "day": 1})
    treated = data["g"] > 0
    g = pd.to_datetime({"year": 2023 + (data["g"] - 1) // 12, "month": (data["g"] - 1) % 12 + 1, "day": 1}).where(treated)
    out = data.copy()
    if form == "YYYY-MM":
        out["t"], out["g"] = t.dt.strftime("%Y-%m"), g.dt.strftime("%Y-%m").fillna("")
    elif form == "MM/YYYY":
        out["t"], out["g"] = t.dt.strftime("%m/%Y"), g.dt.strftime("%m/%Y")
    elif form == "datetime":
        out["t"], out["g"] = t, g
    elif form == "Period":
        out["t"], out["g"] = t.dt.to_period("M"), g.dt.to_period("M").astype(object).where(treated, 0)
    return out


FORMS = ["YYYY-MM", "MM/YYYY", "datetime", "Period"]
# Every estimator on text months and Excel dates; the other forms reach the same parser, so three quick
# estimators suffice for them (the suite stays fast).
PAIRS = [(n, f) for n in ESTIMATORS for f in FORMS
         if f in ("YYYY-MM", "datetime") or n in ("twfe", "event_study", "callaway_santanna")]
_INTEGER_FITS: dict = {}


@pytest.mark.parametrize("name, form", PAIRS)
def test_every_estimator_gives_the_same_estimate_on_months(name, form):
    """Writing periods as months changes no number: codes follow the same calendar as the integers 1..8."""
    fit = ESTIMATORS[name][0]
    base = panel()
    data = _as_months(base, form)
    if name == "synthetic_control":
        fit = lambda d: ESTIMATORS["synthetic_control"][0].__call__  # noqa: E731
        from impact.did import synthetic_control

        start = {"YYYY-MM": "2023-05", "MM/YYYY": "05/2023", "datetime": pd.Timestamp("2023-05-01"),
                 "Period": pd.Period("2023-05", "M")}[form]
        fit = lambda d, s=START: synthetic_control(d, "y", "id", "t", 0, s, predictors=["x"],  # noqa: E731
                                                   placebos=False, leave_one_out=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected, got = fit(base), fit(data, start)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name not in _INTEGER_FITS:
                _INTEGER_FITS[name] = fit(base)
            expected, got = _INTEGER_FITS[name], fit(data)
        plt.close("all")
    for field in ("estimate", "se"):
        a, b = getattr(expected, field, None), getattr(got, field, None)
        if a is not None and np.isfinite(a):
            assert b == pytest.approx(a, rel=1e-10, abs=1e-12), field


def test_event_time_counts_calendar_months_across_a_gap():
    """Dropping one month from every unit keeps event times in months (not ranks of observed periods)."""
    from impact.did import event_study

    data = _as_months(panel(), "YYYY-MM")
    data = data[data["t"] != "2023-03"]
    res = event_study(data, "y", "id", "t", "g")
    times = res.to_frame()["event_time"].tolist()
    assert -2 not in times and -4 in times and 3 in times  # March 2023 is event time -2 for May adopters


def test_period_codes_of_excel_dates_and_text_cohorts():
    df = pd.DataFrame({"t": pd.to_datetime(["2022-01-01", "2022-02-01", "2022-03-01"]),
                       "g": ["2022-02", "", "07/2022"]})
    scale, tc, gc = period_codes(df, "t", "g")
    assert tc.tolist() == [0, 1, 2] and gc.tolist() == [1, -1, 6] and scale.n == 3
    assert N_PERIODS == 8 and START == 5


# --------------------------------------------------------------------------- report sections on dates


def _initiative(form: str, always: bool = False):
    from impact.report.initiative import Initiative

    data = _as_months(panel(), form)
    if always:
        # Units 20-23 were treated before the data start (December 2022): always treated.
        early = {"YYYY-MM": "2022-12", "MM/YYYY": "12/2022", "datetime": pd.Timestamp("2022-12-01"),
                 "Period": pd.Period("2022-12", "M")}[form]
        data["g"] = data["g"].astype(object)
        data.loc[data["id"] >= 20, "g"] = early
    config = {"id": "x", "title": "x", "report": {"min_cell_size": 1},
              "data": {"file": "d.csv", "outcome": "y", "unit": "id", "time": "t", "cohort": "g"},
              "design": {"estimator": "callaway_santanna"}}
    return Initiative(folder=None, config=config), data


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("lang, adoption, span, always_text", [
    ("en", "May 2023", "Jan 2023 – Aug 2023 (8 months)", "4 treated from Jan 2023 or before"),
    ("fr", "mai 2023", "janv. 2023 – août 2023 (8 mois)", "4 traitées dès janv. 2023 ou avant"),
])
def test_design_table_speaks_in_months_and_leaves_always_treated_out(form, lang, adoption, span, always_text):
    from impact.report.estimate import prepare
    from impact.report.sections import design_table

    ini, data = _initiative(form, always=True)
    html = design_table(ini, prepare(ini, data), lang)
    assert adoption in html and span in html and always_text in html
    # 8 units adopt in May 2023, 4 are always treated, 12 are compared with them.
    cells = [c.split("</td>")[0] for c in html.split("<td>")[1:]]
    assert cells[3:5] == ["8", "12"], cells


@pytest.mark.parametrize("form", FORMS)
def test_trends_figure_on_dates_has_a_time_axis(form):
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    from impact.report.estimate import prepare
    from impact.report.sections import trends_figure

    ini, data = _initiative(form)
    fig, n_masked = trends_figure(ini, prepare(ini, data), "fr")
    ax = fig.axes[0]
    x = ax.lines[0].get_xdata()
    assert len(x) == N_PERIODS and n_masked == 0
    line = ax.lines[-1].get_xdata()[0]  # the adoption line, between April and May 2023
    line = line if isinstance(line, pd.Timestamp) else mdates.num2date(line).replace(tzinfo=None)
    assert pd.Timestamp(line) == pd.Timestamp("2023-04-16")
    assert isinstance(ax.xaxis.get_major_formatter(), (mdates.AutoDateFormatter, mdates.ConciseDateFormatter))
    plt.close(fig)


# --------------------------------------------------------------------------- results speak in the user's periods


def test_results_and_plots_on_months():
    import matplotlib.pyplot as plt

    from impact.did import callaway_santanna, event_study, synthetic_control, synthetic_did

    data = _as_months(panel(), "YYYY-MM")
    es = event_study(data, "y", "id", "t", "g")
    assert es.time_unit == "month" and es.plot().get_xlabel() == "months since adoption"
    assert es.event_time_label("fr") == "mois depuis l'adoption"
    cs = callaway_santanna(data, "y", "id", "t", "g", n_boot=0)
    assert cs.to_frame()["term"].iloc[0] == "ATT(2023-05,2023-02)"
    assert cs.aggregate("dynamic").plot(lang="fr").get_xlabel() == "mois depuis l'adoption"
    assert cs.aggregate("group").to_frame()["term"].tolist() == ["cohort 2023-05"]
    sc = synthetic_control(data, "y", "id", "t", 0, "2023-05", placebos=False, leave_one_out=False)
    for kind in ("trajectories", "gaps"):
        sc.plot(kind=kind)
    synthetic_did(data, "y", "id", "t", "d", n_reps=5, seed=1).plot()
    plt.close("all")
    excel = _as_months(panel(), "datetime")
    cs = callaway_santanna(excel, "y", "id", "t", "g", n_boot=0)
    assert cs.to_frame()["term"].iloc[0] == "ATT(2023-05-01,2023-02-01)"  # never numpy's 2023-05-01T00:00:00.000000000


# --------------------------------------------------------------------------- wrong types are named, never raw


@pytest.mark.parametrize("call, error, match", [
    (lambda: infer_scale(None, "t"), DataError, r"time column 't' must be a column of periods .* got NoneType"),
    (lambda: infer_scale(pd.Series([[1], [2]]), "t"), DataError, r"time column 't' has values that are not periods"),
    (lambda: infer_scale(pd.Series([1e300, 1.0]), "t"), DataError, r"has 1e\+300 \(row 0\), too large to be a period"),
    (lambda: infer_scale(pd.Series(["99999999999999999999", "1"]), "t"), DataError, r"values that are not periods"),
    (lambda: is_never(3), DataError, r"must be a column of periods"),
    (lambda: is_never(pd.Series([[1], 0], dtype=object)), DataError, r"cohort column has values that are not periods, "
                                                                     r"e.g. \[1\]"),
    (lambda: format_period("abc", "month", "month"), DataError, r"period ordinal must be whole numbers"),
    (lambda: format_period(np.nan, "month", "month"), DataError, r"period ordinal must be whole numbers"),
    (lambda: format_period(10 ** 30, "month", "month"), DataError, r"period ordinal must be whole numbers"),
    (lambda: format_period(10 ** 12, "month", "month"), DataError, r"no month of years 1 to 9999"),
    (lambda: format_period(5, "months", "month"), ConfigError, r"base must be one of 'int', 'month', 'day'"),
    (lambda: format_period(5, "month", pd.NA), ConfigError, r"frequency must be one of"),
    (lambda: format_period(5, "month", "month", "xx-nope"), ConfigError, r"language 'xx-nope' is not a locale"),
    (lambda: period_text("nope"), ConfigError, r"period_text has no phrase 'nope'; use one of 'always_treated'"),
])
def test_wrong_types_raise_named_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_scale_methods_check_codes_and_accept_lists():
    scale = infer_scale(pd.Series(pd.to_datetime(["2023-01-01", "2023-02-01"])), "t")
    assert scale.codes(["2023-02-01"]).tolist() == [1] and scale.codes(pd.Series([], dtype=object)).size == 0
    assert scale.label(1) == np.datetime64("2023-02-01") and scale.timestamps(0) == pd.Timestamp("2023-01-01")
    for codes in (["a"], [1.5], [np.nan], pd.NaT, None):
        with pytest.raises(DataError, match=r"period codes must be whole numbers"):
            scale.format(codes)
    with pytest.raises(DataError, match=r"fall outside the dates pandas can hold \(1677-2262\)"):
        scale.label([10 ** 6])  # NumPy would have wrapped round to a date in another century
    with pytest.raises(ConfigError, match=r"language 'zz-top' is not a locale"):
        scale.format([0], "zz-top")


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.floats(), st.text(max_size=6), st.lists(st.integers(), max_size=2),
                 st.dates(), st.booleans()),
       st.sampled_from(["int", "month", "day", "week", None]),
       st.sampled_from(["integer", "year", "quarter", "month", "week", "day", "decade"]),
       st.sampled_from(["en", "fr", "de", "", "zz", None]))
def test_format_period_never_raises_a_raw_exception(ordinal, base, frequency, locale):
    try:
        format_period(ordinal, base, frequency, locale)
    except ImpactError:
        pass


@pytest.mark.filterwarnings("error::RuntimeWarning")  # a cast that overflows would give a wrong period silently
@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-10, 3000), st.floats(), st.text(max_size=8), st.dates(),
                          st.datetimes(), st.booleans(), st.lists(st.integers(), max_size=1)), max_size=6))
def test_infer_scale_never_raises_a_raw_exception(values):
    # A float like 1e300 in a time column used to be cast to a garbage int64 period with only a RuntimeWarning.
    try:
        scale = infer_scale(pd.Series(values, dtype=object), "t")
        scale.format(np.arange(min(scale.n, 50)), "fr")
    except ImpactError:
        pass
