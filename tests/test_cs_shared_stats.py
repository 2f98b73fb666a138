"""In-memory Callaway-Sant'Anna from per-cohort statistics (issue 13): one implementation with the out-of-core path.

On a balanced panel without covariates or weights, with analytic standard
errors, :func:`impact.did.callaway_santanna` reduces the data to per-cohort
statistics (:func:`impact.did.cs_data.cohort_statistics`) and estimates with
:func:`impact.scale.estimators.cs_from_stats`, the code that estimates out of
core. These tests hold it to the unit-level path (influence function of every
unit, the path kept for the bootstrap, covariates, weights and unbalanced
panels) to 1e-10 on seeded random panels: never and not-yet-treated controls,
clustered or not, both base periods, anticipation, always-treated units and
cohorts after the sample, rows sorted by unit and period (recognised without
coding the units) or shuffled; every aggregation and both pre-tests. Then a
seeded simulation with a known effect, the features that keep the unit-level
path, and the input checks of the sorted-rows shortcut.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.did import callaway_santanna, staggered
from impact.did.cs_data import _codes, _offset_codes
from impact.did.staggered import GroupTimeResult
from impact.errors import DataError
from impact.scale.estimators import StatsGroupTimeResult

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from sim_staggered import staggered_panel  # noqa: E402

TOL = 1e-10
COLS = ["estimate", "se", "ci_low", "ci_high", "pvalue"]
KINDS = [("simple", {}), ("dynamic", {}), ("group", {}), ("calendar", {}),
         ("dynamic", dict(min_e=-2, max_e=2, balance_e=1)), ("group", dict(max_e=1))]


def _panel(seed, cohorts=(0, 1, 3, 5, 6, 9), n_units=180, n_periods=7, shuffle=False):
    """Cohort 1 is always treated (dropped), 9 after the sample (never treated in it); region -1 (the first) only holds
    always-treated units, so dropping them empties a cluster."""
    df = staggered_panel(seed=seed, n_units=n_units, n_periods=n_periods, cohorts=cohorts)
    df["region"] = (df["id"] * 7919) % 16
    df.loc[df["g"] == 1, "region"] = -1
    if shuffle:
        df = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return df


def _both(df, **kw):
    """(per-cohort statistics, unit-level influence functions) fits of the same call."""
    kw.setdefault("n_boot", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = callaway_santanna(df, "y", "id", "t", "g", **kw)
        staggered._SHARED_STATS = False
        try:
            slow = callaway_santanna(df, "y", "id", "t", "g", **kw)
        finally:
            staggered._SHARED_STATS = True
    return fast, slow


def _same(a, b):
    fa, fb = a.to_frame(), b.to_frame()
    assert list(fa.columns) == list(fb.columns)
    assert list(fa["term"]) == list(fb["term"])
    np.testing.assert_allclose(fa[COLS].to_numpy(float), fb[COLS].to_numpy(float), atol=TOL, rtol=0)
    for name in COLS:
        assert getattr(a, name) == pytest.approx(getattr(b, name), abs=TOL, nan_ok=True)
    assert (a.n_obs, a.n_units) == (b.n_obs, b.n_units)


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("cluster", [None, "region"])
@pytest.mark.parametrize("base_period,anticipation,shuffle", [("varying", 0, False), ("universal", 1, True)])
def test_equals_unit_level_path(control, cluster, base_period, anticipation, shuffle):
    df = _panel(seed=3, shuffle=shuffle)
    fast, slow = _both(df, control=control, cluster=cluster, base_period=base_period, anticipation=anticipation,
                       method="dr")
    assert isinstance(fast, StatsGroupTimeResult) and not isinstance(slow, StatsGroupTimeResult)
    assert fast.inffunc.shape[0] < slow.inffunc.shape[0] == slow.n_ids  # pseudo-rows, not units
    _same(fast, slow)
    np.testing.assert_allclose(fast.att, slow.att, atol=TOL, rtol=0)
    np.testing.assert_allclose(fast.vcov, slow.vcov, atol=TOL, rtol=0)
    assert fast.notes == slow.notes
    assert fast.r_pretest_stat == pytest.approx(slow.r_pretest_stat, rel=TOL)
    assert fast.r_pretest_pvalue == pytest.approx(slow.r_pretest_pvalue, abs=TOL)
    assert fast.pretest_stat == pytest.approx(slow.pretest_stat, rel=TOL)
    assert fast.pretest_pvalue == pytest.approx(slow.pretest_pvalue, abs=TOL)
    assert (fast.pretest.df, fast.pretest.df2, fast.pretest.n_clusters) == \
        (slow.pretest.df, slow.pretest.df2, slow.pretest.n_clusters)
    for kind, kw in KINDS:
        a, b = fast.aggregate(kind, **kw), slow.aggregate(kind, **kw)
        _same(a, b)
        if kind == "dynamic":
            np.testing.assert_allclose(a.vcov.to_numpy(), b.vcov.to_numpy(), atol=TOL, rtol=0)
            assert (a.n_clusters, a.cov_df) == (b.n_clusters, b.cov_df)


def test_every_method_and_a_panel_without_never_treated_units():
    df = _panel(seed=5, cohorts=(3, 5, 6))
    for method in ("dr", "ipw", "reg"):
        fast, slow = _both(df, control="not_yet", method=method)
        _same(fast, slow)
        _same(fast.aggregate("dynamic"), slow.aggregate("dynamic"))
        assert any("no never-treated units" in note for note in fast.notes)


def test_dates_text_units_and_a_cluster_equal_to_the_unit():
    base = _panel(seed=6, shuffle=True)
    start = pd.Timestamp("2020-01-06")
    df = base.assign(
        id="u" + base["id"].astype(str),  # text labels: coded by hashing, not by offset
        t=start + pd.to_timedelta((base["t"] - 1) * 7, unit="D"),
        g=(start + pd.to_timedelta((base["g"] - 1) * 7, unit="D")).where(base["g"] > 0),  # NaT: never treated
    )
    fast, slow = _both(df, cluster="id")
    assert isinstance(fast, StatsGroupTimeResult)
    _same(fast, slow)
    assert list(fast.to_frame()["cohort"]) == list(slow.to_frame()["cohort"])
    _same(fast.aggregate("calendar"), slow.aggregate("calendar"))


def test_recovers_a_known_effect():
    # Effect 1 + 0.5 e in every cohort (slope only): the dynamic aggregation must find it.
    df = staggered_panel(seed=11, n_units=3000, n_periods=8, cohorts=(0, 4, 6), noise=1.0, slope=0.5)
    res = callaway_santanna(df, "y", "id", "t", "g", n_boot=0)
    assert isinstance(res, StatsGroupTimeResult)
    dyn = res.aggregate("dynamic").to_frame().set_index("event_time")
    treated = df[df["g"] > 0]
    truth = treated.groupby(treated["t"] - treated["g"])["tau"].mean()
    post = dyn.loc[dyn.index >= 0]
    z = (post["estimate"] - truth.loc[post.index]) / post["se"]
    assert np.all(np.abs(z) < 4), z
    pre = dyn.loc[dyn.index < 0]
    assert np.all(np.abs(pre["estimate"] / pre["se"]) < 4)


def test_features_that_need_units_keep_the_unit_level_path():
    df = _panel(seed=7, cohorts=(0, 3, 5))
    df["w"] = 1.0 + (df["id"] % 3)
    df["x"] = np.repeat(np.random.default_rng(0).normal(size=df["id"].nunique()), 7)
    unbalanced = df.drop(index=[0, 9])
    cases = [dict(n_boot=99), dict(covariates=["x"]), dict(weights="w"), dict(panel=False),
             dict(data=unbalanced)]
    for kw in cases:
        data = kw.pop("data", df)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = callaway_santanna(data, "y", "id", "t", "g", **{"n_boot": 0, **kw})
        assert type(res) is GroupTimeResult, kw
        assert res.inffunc.shape[0] == res.n_ids


def test_sorted_rows_shortcut_keeps_every_check():
    df = _panel(seed=8, cohorts=(0, 3, 5))
    bad = df.copy()
    bad.loc[3, "g"] = 3 if bad.loc[0, "g"] != 3 else 5  # unit 0 changes cohort in its 4th row, rows still sorted
    with pytest.raises(DataError, match=r"cohort column 'g' varies within unit 0 \(1 units in all\)"):
        callaway_santanna(bad, "y", "id", "t", "g", n_boot=0)
    with pytest.raises(DataError, match=r"cohort column 'g' varies within unit 0 \(1 units in all\)"):
        callaway_santanna(bad.iloc[::-1], "y", "id", "t", "g", n_boot=0)
    dup = df.copy()
    dup.loc[7:13, "id"] = 0  # unit 1's rows relabelled as unit 0: sorted, but two rows per period
    with pytest.raises(DataError, match=r"7 rows share a \('id', 't'\) pair|14 rows share"):
        callaway_santanna(dup, "y", "id", "t", "g", n_boot=0)
    region = df.copy()
    region["region"] = region["id"] % 4
    region.loc[5, "region"] = 3  # unit 0 in two regions
    with pytest.raises(DataError, match=r"cluster column 'region' varies within unit 0"):
        callaway_santanna(region, "y", "id", "t", "g", n_boot=0, cluster="region")


@pytest.mark.parametrize("values", [
    np.array([5, -3, 5, 12, 0, -3], dtype=np.int64),
    np.array([7, 2, 7, 9], dtype=np.uint32),
    np.array([10**15, 3, 10**15], dtype=np.int64),  # spans too many integers: hashed instead
    np.array([10**12 + 3, 10**12, 10**12 + 3], dtype=np.int64),  # large labels, narrow span: shifted
])
def test_integer_unit_codes_equal_sorted_factorize(values):
    codes, uniques = _codes(pd.Series(values))
    ref_codes, ref_uniques = pd.factorize(pd.Series(values), sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_array_equal(uniques, np.asarray(ref_uniques))
    assert (_offset_codes(values) is None) == (values.max() - values.min() > 10**9)


def _prepared(df, sorted_shortcut=True, monkeypatch=None):
    from impact.did import cs_data

    if not sorted_shortcut:
        monkeypatch.setattr(cs_data, "_sorted_panel", lambda *a: None)
    return cs_data.prepare(df, "y", "id", "t", "g", [], None, None, True)


@pytest.mark.parametrize("variant", ["ints", "float_nan_cohorts", "dates_nat_cohorts"])
def test_sorted_rows_are_coded_as_the_general_path_codes_them(variant, monkeypatch):
    df = _panel(seed=9, cohorts=(0, 3, 5, 9))
    if variant == "float_nan_cohorts":
        df = df.assign(g=df["g"].where(df["g"] > 0).astype(float), id=df["id"].astype(float))
    elif variant == "dates_nat_cohorts":
        start = pd.Timestamp("2021-01-01")
        df = df.assign(t=start + pd.to_timedelta(df["t"] - 1, unit="D"),
                       g=(start + pd.to_timedelta(df["g"] - 1, unit="D")).where(df["g"] > 0))
    fast = _prepared(df)
    assert fast.unit_blocks
    general = _prepared(df, False, monkeypatch)
    assert not general.unit_blocks
    for name in ("periods", "units", "unit_cohort", "y"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(general, name))
    np.testing.assert_array_equal(fast.unit_ids(), general.unit_ids())
    np.testing.assert_array_equal(fast.row_tcode(), general.row_tcode())
    np.testing.assert_array_equal(fast.row_cohort(), general.row_cohort())


def test_unsorted_gapped_or_text_panels_take_the_general_path():
    df = _panel(seed=10, cohorts=(0, 3, 5))
    assert not _prepared(df.iloc[::-1]).unit_blocks  # units decreasing
    swapped = df.copy()
    swapped.iloc[[0, 1]] = swapped.iloc[[1, 0]].to_numpy()  # periods out of order within unit 0
    assert not _prepared(swapped).unit_blocks
    gap = df[df["t"] != 4]  # a period with no row: the calendar has a gap, the panel is unbalanced
    assert not _prepared(gap).unit_blocks
    fast, slow = _both(gap)
    _same(fast, slow)
    assert not _prepared(df.assign(id="u" + df["id"].astype(str).str.zfill(4))).unit_blocks


def test_sorted_rows_report_coding_errors_as_the_general_path(monkeypatch):
    df = _panel(seed=12, cohorts=(0, 3, 5)).astype({"g": float})
    df.loc[df["g"] == 5, "g"] = 4.5  # between two periods: off the calendar
    messages = []
    for shortcut in (True, False):
        with pytest.raises(DataError) as err:
            _prepared(df, shortcut, monkeypatch)
        messages.append(str(err.value))
    assert "4.5" in messages[0] and messages[0] == messages[1]
