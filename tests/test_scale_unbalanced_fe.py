"""Out-of-core TWFE and TWFE event study on unbalanced panels (issue 13), from statistics by (key, pattern).

1. Equal to the in-memory estimators (pyhdfe, :func:`impact.did._ols.absorbed_ols`) to 1e-10 on seeded
   random unbalanced panels: estimates, standard errors, intervals, p-values, vcov, counts, cluster
   scores; clustered by unit and by a coarser cluster; event-study windows with binned end points; from
   a Parquet file, a Parquet glob, a DuckDB relation and saved statistics.
2. Edge panels as in memory: units seen once, a period seen by one unit (pyhdfe's iterative singletons),
   periods in two unlinked blocks, a calendar period without rows, period effects nested in clusters.
3. An independent implementation: dense OLS with unit and period dummies (numpy lstsq) and CRV1 by hand.
4. A seeded simulation with a known effect.
5. Results summarise, plot and feed the pre-trend test; errors name the culprit.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.did import event_study, pretrend_test, twfe
from impact.errors import ConfigError, DataError, EstimationError
from impact.scale import load_statistics, panel_statistics, save_statistics

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from sim_staggered import staggered_panel  # noqa: E402

TOL = 1e-10
COLS = ["estimate", "se", "ci_low", "ci_high", "pvalue"]


def _unbalanced(seed=2, n_units=150, n_periods=7, cohorts=(0, 3, 5, 6, 9), share=0.2):
    """A staggered panel (never treated, three cohorts, one after the sample) with random unit-periods gone."""
    df = staggered_panel(seed=seed, n_units=n_units, n_periods=n_periods, cohorts=cohorts)
    df["region"] = (df["id"] * 7919) % 17
    drop = np.random.default_rng(seed).choice(len(df), int(share * len(df)), replace=False)
    return df.drop(index=df.index[drop]).reset_index(drop=True)


def _write(df, tmp_path, name="panel.parquet"):
    df.to_parquet(tmp_path / name)
    return str(tmp_path / name)


def _same(a, b):
    fa, fb = a.to_frame(), b.to_frame()
    assert list(fa["term"]) == list(fb["term"])
    np.testing.assert_allclose(fb[COLS].to_numpy(float), fa[COLS].to_numpy(float), atol=TOL, rtol=0)
    assert b.estimate == pytest.approx(a.estimate, abs=TOL) and b.se == pytest.approx(a.se, abs=TOL)
    assert (a.n_obs, a.n_units) == (b.n_obs, b.n_units)
    assert a.assumptions["Standard errors"] == b.assumptions["Standard errors"]  # clusters counted alike
    assert set(a.notes) <= set(b.notes)  # the same notes, and the out-of-core one
    if hasattr(a, "vcov") and a.vcov is not None:
        np.testing.assert_allclose(b.vcov.to_numpy(), a.vcov.to_numpy(), atol=TOL, rtol=0)
        assert a.n_clusters == b.n_clusters


@pytest.fixture(scope="module")
def unbalanced_file(tmp_path_factory):
    df = _unbalanced()
    return df, _write(df, tmp_path_factory.mktemp("unbalanced_fe"))


@pytest.fixture(scope="module")
def cohort_stats(unbalanced_file):
    """Statistics by (cohort, pattern) read once per cluster; the windows and references reuse them."""
    _, path = unbalanced_file
    return {cl: panel_statistics(path, "y", "id", "t", cohort="g", cluster=cl, unbalanced=True)
            for cl in (None, "region")}


# --------------------------------------------------------------------------- 1. equal to the in-memory path


@pytest.mark.parametrize("cluster", [None, "region"])
def test_twfe_equals_in_memory(unbalanced_file, cluster):
    df, path = unbalanced_file
    mem = twfe(df, "y", "id", "t", "d", cluster=cluster)
    ooc = twfe(path, "y", "id", "t", "d", cluster=cluster)
    _same(mem, ooc)
    assert "unbalanced panel" in ooc.assumptions["Data"]
    assert ooc.n_obs == len(df) < df["id"].nunique() * df["t"].nunique()


@pytest.mark.parametrize("cluster", [None, "region"])
@pytest.mark.parametrize("window", [None, (-3, 2), (-2, 0)])
def test_event_study_equals_in_memory(unbalanced_file, cohort_stats, cluster, window):
    df, path = unbalanced_file
    mem = event_study(df, "y", "id", "t", "g", window=window, cluster=cluster)
    ooc = event_study(cohort_stats[cluster], "y", "id", "t", "g", window=window, cluster=cluster)
    _same(mem, ooc)
    assert ooc.assumptions["Window"] == mem.assumptions["Window"]
    if cluster is None:
        assert ooc.scores is None  # unit scores are not in the statistics
    else:
        np.testing.assert_allclose(ooc.scores, mem.scores, atol=TOL, rtol=0)
    _same(event_study(df, "y", "id", "t", "g", window=window, reference=-2, cluster=cluster),
          event_study(cohort_stats[cluster], "y", "id", "t", "g", window=window, reference=-2, cluster=cluster))
    if window is None:
        _same(mem, event_study(path, "y", "id", "t", "g", cluster=cluster))  # straight from the file


@pytest.mark.parametrize("share", [0.0, 0.2])
def test_window_without_binning_drops_rows_as_in_memory(tmp_path, share):
    # bin_endpoints=False drops treated rows outside the window: each group keeps the periods in it (their
    # moments are already in the statistics), units left without rows leave, balanced panels included.
    df = _unbalanced(seed=4, share=share, cohorts=(0, 1, 3, 5, 6, 9))
    path = _write(df, tmp_path)
    for cluster in (None, "region"):
        st = panel_statistics(path, "y", "id", "t", cohort="g", cluster=cluster, unbalanced=True)
        for window in ((-2, 1), (-1, 0)):
            kw = dict(window=window, cluster=cluster, bin_endpoints=False)
            mem, ooc = event_study(df, "y", "id", "t", "g", **kw), event_study(st, "y", "id", "t", "g", **kw)
            _same(mem, ooc)
            assert ooc.assumptions["Window"] == mem.assumptions["Window"] == f"{window[0]}..{window[1]}"
            narrow = ooc
        # Binned, from the same statistics: the balanced path (share 0) gives the cluster scores too.
        mem, ooc = event_study(df, "y", "id", "t", "g", cluster=cluster), event_study(st, "y", "id", "t", "g",
                                                                                     cluster=cluster)
        _same(mem, ooc)
        if cluster is not None:
            np.testing.assert_allclose(ooc.scores, mem.scores, atol=TOL, rtol=0)
    assert share == 0 or narrow.n_units < df["id"].nunique()  # units seen only outside (-1, 0) are gone


def test_glob_duckdb_relation_and_saved_statistics(unbalanced_file, tmp_path):
    import duckdb

    df, _ = unbalanced_file
    for i, rows in enumerate(np.array_split(np.random.default_rng(5).permutation(len(df)), 3)):
        df.iloc[rows].to_parquet(tmp_path / f"part-{i}.parquet")  # pyarrow; rows of a unit spread over files
    glob = str(tmp_path / "part-*.parquet")
    for data in (glob, duckdb.read_parquet(glob)):
        _same(twfe(df, "y", "id", "t", "d"), twfe(data, "y", "id", "t", "d"))
        _same(event_study(df, "y", "id", "t", "g", window=(-3, 2)), event_study(data, "y", "id", "t", "g",
                                                                                window=(-3, 2)))
    # Statistics saved where the data live and reloaded elsewhere give the same clustered results.
    mem_tw, mem_es = twfe(df, "y", "id", "t", "d", cluster="region"), event_study(df, "y", "id", "t", "g",
                                                                                  cluster="region")
    for kind, est, mem in (("cohort", event_study, mem_es), ("treatment", twfe, mem_tw)):
        key = "g" if kind == "cohort" else "d"
        st = panel_statistics(glob, "y", "id", "t", cluster="region", unbalanced=True, **{kind: key})
        assert not st.balanced
        back = load_statistics(save_statistics(st, tmp_path / f"{kind}.json", min_cell_size=1))
        _same(mem, est(back, "y", "id", "t", key, cluster="region"))


# --------------------------------------------------------------------------- 2. edge panels


def _edge(case: str) -> pd.DataFrame:
    df = staggered_panel(seed=3, n_units=60, n_periods=6, cohorts=(0, 3, 5))
    df["region"] = df["id"] % 5
    if case == "seen once":  # units 0-4 keep one period: absorbed by their own effect
        return df[~((df["id"] < 5) & (df["t"] != 2))]
    if case == "period seen by one unit":  # period 6 has one row: a singleton, then unit 10 loses a row
        return df[(df["t"] != 6) | (df["id"] == 10)]
    if case == "unlinked blocks":  # no unit links periods 1-3 with 4-6: two constants in the period effects
        return df[((df["id"] < 30) & (df["t"] <= 3)) | ((df["id"] >= 30) & (df["t"] >= 4))]
    if case == "period without rows":  # period 4 empty for everyone, and random rows gone
        gone = np.random.default_rng(1).choice(len(df), 40, replace=False)
        return df[df["t"] != 4].drop(index=df.index[gone], errors="ignore")
    if case == "periods nested in clusters":  # each period's rows lie in one cluster: no period effect counted
        out = df[((df["id"] < 30) & (df["t"] <= 3)) | ((df["id"] >= 30) & (df["t"] >= 4))].copy()
        out["region"] = (out["id"] < 30).astype(int)
        return out
    raise AssertionError(case)


@pytest.mark.parametrize(("case", "cluster"), [
    ("seen once", None), ("seen once", "region"), ("period seen by one unit", None),
    ("period seen by one unit", "region"), ("unlinked blocks", None), ("period without rows", "region"),
    ("periods nested in clusters", "region"),
])
def test_edge_panels_equal_in_memory(tmp_path, case, cluster):
    data = _edge(case).reset_index(drop=True)
    path = _write(data, tmp_path)
    with warnings.catch_warnings(record=True) as seen_mem:
        warnings.simplefilter("always")
        mem_tw = twfe(data, "y", "id", "t", "d", cluster=cluster)
        mem_es = event_study(data, "y", "id", "t", "g", cluster=cluster)
    with warnings.catch_warnings(record=True) as seen_ooc:
        warnings.simplefilter("always")
        ooc_tw = twfe(path, "y", "id", "t", "d", cluster=cluster)
        ooc_es = event_study(path, "y", "id", "t", "g", cluster=cluster)
    _same(mem_tw, ooc_tw)
    _same(mem_es, ooc_es)
    # The same warnings (none for units seen once: in memory they stay in N and the cluster count).
    assert sorted(str(w.message) for w in seen_mem) == sorted(str(w.message) for w in seen_ooc)


# --------------------------------------------------------------------------- 3. an independent implementation


def _dense_ols(df: pd.DataFrame, D: np.ndarray, cluster: str):
    """OLS of y on ``D`` and explicit unit and period dummies; CRV1 with K = columns of D + periods.

    Unit effects are nested in the clusters, so they do not count in K (the Stata/fixest convention).
    """
    units, u = np.unique(df["id"], return_inverse=True)
    periods, t = np.unique(df["t"], return_inverse=True)
    k = D.shape[1]
    X = np.column_stack([D, np.eye(len(units))[u], np.eye(len(periods))[t][:, 1:]])
    y = df["y"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    e = y - X @ beta
    bread = np.linalg.pinv(X.T @ X)[:k]
    _, c = np.unique(df[cluster], return_inverse=True)
    S = np.zeros((c.max() + 1, k))
    np.add.at(S, c, (X @ bread.T) * e[:, None])  # each cluster's score for the coefficients of D
    G, N, K = c.max() + 1, len(y), k + len(periods)
    return beta[:k], G / (G - 1) * (N - 1) / (N - K) * S.T @ S


@pytest.mark.parametrize("cluster", ["id", "region"])
def test_equal_to_a_dense_dummy_regression(tmp_path, cluster):
    data = _unbalanced(seed=11, n_units=70, n_periods=5, cohorts=(0, 3, 4), share=0.25)
    path = _write(data, tmp_path)
    beta, V = _dense_ols(data, data[["d"]].to_numpy(float), cluster)
    ooc = twfe(path, "y", "id", "t", "d", cluster=cluster)
    assert ooc.estimate == pytest.approx(beta[0], abs=1e-10)
    assert ooc.se == pytest.approx(np.sqrt(V[0, 0]), abs=1e-10)
    # Event-time dummies for the treated (cohorts 3 and 4 of periods 1-5), e = -1 left out.
    event = np.where(data["g"] > 0, data["t"] - data["g"], -99)
    times = np.array([e for e in range(-3, 3) if e != -1])
    beta, V = _dense_ols(data, (event[:, None] == times[None, :]).astype(float), cluster)
    ooc = event_study(path, "y", "id", "t", "g", cluster=cluster)
    assert list(ooc.vcov.index) == list(times)
    np.testing.assert_allclose(ooc.to_frame().set_index("event_time").loc[times, "estimate"], beta, atol=1e-10)
    np.testing.assert_allclose(ooc.vcov.to_numpy(), V, atol=1e-10, rtol=0)


# --------------------------------------------------------------------------- 4. a known effect


def test_recovers_a_known_effect_on_an_unbalanced_panel(tmp_path):
    # Effects that differ by event time but not by cohort: the TWFE event study is unbiased for them, and
    # TWFE with a constant effect recovers it. Units miss a quarter of their periods at random.
    rng = np.random.default_rng(20261129)
    n, T = 3000, 8
    cohort = rng.choice([0, 3, 5, 7], n)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(np.arange(1, T + 1), n),
                       "g": np.repeat(cohort, T)})
    e = df["t"] - df["g"]
    on = (df["g"] > 0) & (e >= 0)
    df["d"] = on.astype(int)
    base = np.repeat(rng.normal(size=n), T) + 0.3 * df["t"] + rng.normal(size=len(df))
    df["y"] = base + np.where(on, 1.0 + 0.5 * e, 0.0)
    df["y_const"] = base + 2.0 * on
    df = df[rng.random(len(df)) > 0.25]
    path = _write(df, tmp_path)
    es = event_study(path, "y", "id", "t", "g")
    frame = es.to_frame().set_index("event_time")
    truth = pd.Series(np.where(frame.index >= 0, 1.0 + 0.5 * frame.index, 0.0), index=frame.index)
    z = ((frame["estimate"] - truth) / frame["se"]).dropna()
    assert (z.abs() < 4).all(), z
    tw = twfe(path, "y_const", "id", "t", "d")
    assert abs(tw.estimate - 2.0) < 4 * tw.se and tw.se < 0.05


# --------------------------------------------------------------------------- 5. results and errors


def test_results_summarise_plot_and_feed_the_pretrend_test(unbalanced_file, cohort_stats):
    df, path = unbalanced_file
    ooc = event_study(cohort_stats["region"], "y", "id", "t", "g", cluster="region")
    assert "unbalanced" in ooc.summary() and "<table" in ooc._repr_html_()
    assert ooc.plot() is not None and twfe(path, "y", "id", "t", "d").plot() is not None
    mem = event_study(df, "y", "id", "t", "g", cluster="region")
    # The cluster scores make the small-sample F test count the clusters that carry the leads, as in memory.
    assert pretrend_test(ooc).pvalue == pytest.approx(pretrend_test(mem).pvalue, abs=1e-10)


def test_errors_name_the_culprit(tmp_path):
    # Every unit treated by the end (no row dropped, so that each has a treated row for twfe's 0/1 column).
    all_treated = _unbalanced(seed=5, n_units=60, cohorts=(3, 5, 6), share=0.0)
    path = _write(all_treated, tmp_path, "all_treated.parquet")
    for est, args in ((event_study, ("y", "id", "t", "g")), (twfe, ("y", "id", "t", "d"))):
        with pytest.raises(DataError, match="no untreated unit: every unit is treated at some point according to"):
            est(all_treated, *args)
        with pytest.raises(DataError, match="no untreated unit: every unit is treated at some point according to"):
            est(path, *args)
    never = _unbalanced(seed=5, n_units=60).assign(d=0, g=0)
    path = _write(never, tmp_path, "never.parquet")
    with pytest.raises(DataError, match="no treated unit: every value of 'd' means untreated"):
        twfe(path, "y", "id", "t", "d")
    always = _unbalanced(seed=3, n_units=50, cohorts=(0, 1))  # treated in every period it has: absorbed
    for data in (always, _write(always, tmp_path, "always.parquet")):
        with pytest.raises(EstimationError, match="regressor 'd' has no variation once unit and period effects"):
            twfe(data, "y", "id", "t", "d")


@pytest.mark.parametrize("share", [0.0, 0.2])
def test_an_exact_fit_is_refused_as_in_memory(tmp_path, share):
    exact = _unbalanced(seed=9, n_units=40, share=share)
    exact["y"] = exact["id"] * 0.5 + exact["t"] ** 2 + 1.5 * exact["d"]  # unit + period effects + 1.5 d, no noise
    path = _write(exact, tmp_path)
    for data in (exact, path):
        with pytest.raises(EstimationError, match=r"the model fits the \d+ observations exactly"):
            twfe(data, "y", "id", "t", "d")


def test_more_periods_than_a_pattern_holds_is_a_config_error(tmp_path):
    long = staggered_panel(seed=1, n_units=8, n_periods=64, cohorts=(0, 30))
    long["region"] = long["id"] % 3
    path = _write(long[~((long["id"] == 2) & (long["t"] == 9))], tmp_path)
    with pytest.raises(ConfigError, match=r"unbalanced panel with 64 periods: 1 of 8 units .*id=2.*at most 62 "
                                          r"periods: aggregate 't' to coarser periods"):
        event_study(path, "y", "id", "t", "g", cluster="region")
