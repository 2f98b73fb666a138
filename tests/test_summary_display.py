"""Summaries print as text, render as HTML in Jupyter and stay strings; R argument names get our names (issue 15)."""

from __future__ import annotations

import pickle

import pytest
from sim_staggered import staggered_panel

import impact.did as did
from impact.cba import Appraisal
from impact.did import callaway_santanna, pretrend_test, twfe
from impact.errors import ConfigError
from impact.results import SummaryText


@pytest.fixture(scope="module")
def df():
    return staggered_panel(seed=2, n_units=40, n_periods=6, cohorts=(0, 3, 5))


@pytest.fixture(scope="module")
def results(df):
    cs = callaway_santanna(df, "y", "id", "t", "g", n_boot=0)
    app = Appraisal(costs={"staff": {0: 100.0}}, benefits={"savings": {1: 90.0, 2: 90.0}}, rate=0.03)
    return {"twfe": twfe(df, "y", "id", "t", "d"), "cs": cs, "dynamic": cs.aggregate("dynamic"),
            "pretrend": pretrend_test(cs.aggregate("dynamic")), "appraisal": app,
            "monte_carlo": app.monte_carlo(500)}


@pytest.mark.parametrize("name", ["twfe", "cs", "dynamic", "pretrend", "appraisal", "monte_carlo"])
def test_summary_is_text_html_and_a_string(results, name):
    s = results[name].summary()
    assert isinstance(s, SummaryText) and isinstance(s, str)
    # Backward compatible: string operations work and give plain strings.
    assert s.splitlines()[1].startswith("=") and isinstance(s + "", str) and s == str(s)
    # A terminal shows the laid-out text, not one quoted line full of \n.
    assert repr(s) == str(s) and "\n" in repr(s) and "\\n" not in repr(s)
    html = s._repr_html_()
    assert html.startswith("<div") and "<table" in html and "\n" not in html.split("<table")[0]
    assert pickle.loads(pickle.dumps(s))._repr_html_() == html


def test_jupyter_renders_the_html(results):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    data, _ = shell.display_formatter.format(results["cs"].summary())
    assert "<table" in data["text/html"]
    assert data["text/plain"].startswith("Callaway-Sant'Anna") and "\\n" not in data["text/plain"]


def test_printing_a_result_prints_its_summary(results, capsys):
    print(results["twfe"])
    assert capsys.readouterr().out.strip() == str(results["twfe"].summary()).strip()


R_CALLS = [("callaway_santanna", "yname", "outcome"), ("callaway_santanna", "tname", "time"),
           ("callaway_santanna", "idname", "unit"), ("callaway_santanna", "gname", "cohort"),
           ("callaway_santanna", "xformla", "covariates"), ("callaway_santanna", "est_method", "method"),
           ("callaway_santanna", "control_group", "control"), ("callaway_santanna", "clustervars", "cluster"),
           ("callaway_santanna", "biters", "n_boot"), ("callaway_santanna", "alp", "alpha"),
           ("event_study", "gname", "cohort"), ("sun_abraham", "yname", "outcome"), ("imputation", "idname", "unit"),
           ("twfe", "tname", "time"), ("two_by_two", "yname", "outcome"), ("bacon_decomposition", "gname", "cohort"),
           ("synthetic_control", "idname", "unit"), ("synthetic_did", "tname", "time"),
           ("wild_cluster_bootstrap", "yname", "outcome"), ("placebo_test", "gname", "cohort")]


@pytest.mark.parametrize("func, theirs, ours", R_CALLS)
def test_r_argument_names_name_ours(df, func, theirs, ours):
    with pytest.raises(ConfigError, match=f"{theirs}= is R did's name; use {ours}="):
        getattr(did, func)(df, **{theirs: "y"})


def test_every_public_estimator_checks_its_keywords():
    for name in did.__all__:
        obj = getattr(did, name)
        if callable(obj) and not isinstance(obj, type):
            assert hasattr(obj, "__wrapped__"), f"{name} does not translate R argument names"


def test_unknown_keyword_suggests_ours(df):
    with pytest.raises(ConfigError, match="has no argument clustr=; did you mean cluster="):
        twfe(df, "y", "id", "t", "d", clustr="id")


def test_warnings_still_point_at_the_callers_line():
    # The keyword check wraps each estimator; its warnings must still name the user's file, not impact's.
    import warnings

    df = staggered_panel(seed=1, n_units=40, n_periods=6, cohorts=(0, 1, 3, 5))  # cohort 1 is always treated
    for fit in (did.callaway_santanna, did.imputation, did.sun_abraham):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit(df, "y", "id", "t", "g")
        assert caught and all(w.filename == __file__ for w in caught), [(w.filename, str(w.message)) for w in caught]


def test_skipped_cell_warnings_name_the_users_periods_not_internal_codes():
    import warnings

    df = staggered_panel(seed=3, n_units=60, n_periods=6, cohorts=(0, 3, 5))
    df["t"] = df["t"].map(lambda t: f"2023-{t:02d}")
    df["g"] = df["g"].map(lambda g: f"2023-{g:02d}" if g else "")
    df = df[~((df["g"] == "2023-05") & (df["t"] == "2023-04"))]  # the base period of cohort 2023-05's first cell
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callaway_santanna(df, "y", "id", "t", "g", n_boot=0, panel=False)
    skipped = [str(w.message) for w in caught if "skipped" in str(w.message)]
    assert skipped and all("code" not in m and "2023-" in m for m in skipped), skipped


def test_warnings_survive_an_estimator_that_then_fails():
    import warnings

    from impact.did._args import accepts_r_names

    @accepts_r_names
    def fit(data):
        warnings.warn("dropped 5 rows", UserWarning)
        raise ValueError("then failed")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError):
            fit(None)
    assert [str(w.message) for w in caught] == ["dropped 5 rows"]
