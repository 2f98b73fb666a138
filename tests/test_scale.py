"""Out-of-core estimation from Parquet/CSV files via sufficient statistics (issue 13).

1. Every estimator that accepts files gives the in-memory numbers to 1e-10 on
   seeded random panels: Callaway-Sant'Anna (never and not-yet-treated
   controls, clustered or not, both base periods, every aggregation), TWFE,
   the TWFE event study and the 2x2.
2. diff-diff 3.13's ``CallawaySantAnna`` (an independent implementation) on mpdta.
3. A seeded simulation with a known effect.
4. Input checks at scale, unsupported features, save/reload, sources.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.did import callaway_santanna, event_study, two_by_two, twfe
from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.scale import cell_statistics, load_statistics, panel_statistics, save_statistics, source
from impact.scale.estimators import StatsGroupTimeResult

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from sim_staggered import staggered_panel, true_event_effects  # noqa: E402

TOL = 1e-10
COLS = ["estimate", "se", "ci_low", "ci_high", "pvalue"]


def _panel(seed=1, n_units=240, n_periods=7, cohorts=(0, 3, 5, 6, 9)):
    df = staggered_panel(seed=seed, n_units=n_units, n_periods=n_periods, cohorts=cohorts)
    df["region"] = (df["id"] * 7919) % 17
    df["post"] = (df["t"] >= 4).astype(int)
    df["treat"] = (df["g"] == 3).astype(int)
    return df


@pytest.fixture(scope="module")
def panel_file(tmp_path_factory):
    df = _panel()
    path = tmp_path_factory.mktemp("scale") / "panel.parquet"
    df.to_parquet(path)
    return df, str(path)


def _same(a, b, cols=COLS):
    fa, fb = a.to_frame(), b.to_frame()
    assert len(fa) == len(fb)
    assert list(fa["term"]) == list(fb["term"])
    np.testing.assert_allclose(fb[cols].to_numpy(float), fa[cols].to_numpy(float), atol=TOL, rtol=0)
    for field in ("estimate", "se"):
        assert getattr(b, field) == pytest.approx(getattr(a, field), abs=TOL, nan_ok=True)
    assert (a.n_obs, a.n_units) == (b.n_obs, b.n_units)


# --------------------------------------------------------------------------- 1. equal to the in-memory path


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("cluster", [None, "region"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_callaway_santanna_equals_in_memory(panel_file, control, cluster, base_period):
    df, path = panel_file
    kw = dict(control=control, cluster=cluster, base_period=base_period, method="reg", n_boot=0)
    mem = callaway_santanna(df, "y", "id", "t", "g", **kw)
    ooc = callaway_santanna(path, "y", "id", "t", "g", **kw)
    assert isinstance(ooc, StatsGroupTimeResult)
    _same(mem, ooc)
    np.testing.assert_allclose(ooc.vcov, mem.vcov, atol=TOL)
    assert ooc.pretest_pvalue == pytest.approx(mem.pretest_pvalue, abs=1e-8)
    for kind in ("simple", "dynamic", "group", "calendar"):
        a, b = mem.aggregate(kind), ooc.aggregate(kind)
        _same(a, b)
    a, b = mem.aggregate("dynamic", min_e=-2, max_e=2, balance_e=1), ooc.aggregate("dynamic", min_e=-2, max_e=2,
                                                                                    balance_e=1)
    _same(a, b)
    np.testing.assert_allclose(b.vcov.to_numpy(), a.vcov.to_numpy(), atol=TOL)


def test_callaway_santanna_edge_cohorts_equal_in_memory(tmp_path):
    # Cohort 1 is always treated (dropped), cohort 9 is after the sample (never treated in it),
    # anticipation shifts the base periods; then a panel without never-treated units.
    df = _panel(seed=4, cohorts=(0, 1, 3, 5, 9))
    df.to_parquet(tmp_path / "a.parquet")
    for kw in (dict(anticipation=1, control="not_yet"), dict(control="never")):
        with pytest.warns(DroppedRowsWarning):
            mem = callaway_santanna(df, "y", "id", "t", "g", method="reg", n_boot=0, **kw)
        with pytest.warns(DroppedRowsWarning, match="already treated"):
            ooc = callaway_santanna(str(tmp_path / "a.parquet"), "y", "id", "t", "g", method="reg", n_boot=0, **kw)
        _same(mem, ooc)
        _same(mem.aggregate("dynamic"), ooc.aggregate("dynamic"))
    none_never = _panel(seed=5, cohorts=(3, 5, 6))
    none_never.to_parquet(tmp_path / "b.parquet")
    mem = callaway_santanna(none_never, "y", "id", "t", "g", control="not_yet", method="dr", n_boot=0)
    ooc = callaway_santanna(str(tmp_path / "b.parquet"), "y", "id", "t", "g", control="not_yet", method="dr",
                            n_boot=0)
    _same(mem, ooc)
    _same(mem.aggregate("group"), ooc.aggregate("group"))
    with pytest.raises(DataError, match="control='never' needs never-treated units; none of the 240"):
        callaway_santanna(str(tmp_path / "b.parquet"), "y", "id", "t", "g", n_boot=0)


@pytest.mark.parametrize("cluster", [None, "region"])
def test_twfe_event_study_and_2x2_equal_in_memory(panel_file, cluster):
    df, path = panel_file
    _same(twfe(df, "y", "id", "t", "d", cluster=cluster), twfe(path, "y", "id", "t", "d", cluster=cluster))
    for window in (None, (-3, 2)):
        mem = event_study(df, "y", "id", "t", "g", window=window, cluster=cluster)
        ooc = event_study(path, "y", "id", "t", "g", window=window, cluster=cluster)
        _same(mem, ooc)
        np.testing.assert_allclose(ooc.vcov.to_numpy(), mem.vcov.to_numpy(), atol=TOL)
    _same(two_by_two(df, "y", "treat", "post", cluster=cluster, unit="id"),
          two_by_two(path, "y", "treat", "post", cluster=cluster, unit="id"))
    cells = cell_statistics(path, "y", "treat", "post", cluster=cluster, unit="id")
    _same(two_by_two(df, "y", "treat", "post", cluster=cluster, unit="id"),
          two_by_two(cells, "y", "treat", "post", cluster=cluster, unit="id"))
    with pytest.raises(ConfigError, match="computed with post='post', not 'd'"):
        two_by_two(cells, "y", "treat", "d", cluster=cluster)


def test_gaussian_draws_give_the_uniform_band(panel_file):
    df, path = panel_file
    ooc = callaway_santanna(path, "y", "id", "t", "g", method="reg", n_boot=4000, seed=3)
    analytic = callaway_santanna(path, "y", "id", "t", "g", method="reg", n_boot=0)
    frame = ooc.to_frame()
    assert {"cband_low", "cband_high"} <= set(frame.columns)
    assert ooc.crit > 1.96
    # Bootstrap SEs (IQR of draws from the exact covariance) approach the analytic ones.
    ok = analytic.to_frame()["se"].notna()
    np.testing.assert_allclose(frame["se"][ok], analytic.to_frame()["se"][ok], rtol=0.06)
    dyn = ooc.aggregate("dynamic")
    assert "cband_low" in dyn.to_frame() and "Gaussian draws" in ooc.assumptions["Inference"]
    again = callaway_santanna(path, "y", "id", "t", "g", method="reg", n_boot=4000, seed=3)
    assert again.crit == ooc.crit


# --------------------------------------------------------------------------- 2. diff-diff


def test_matches_diff_diff_on_mpdta(tmp_path):
    dd = pytest.importorskip("diff_diff")
    mpdta = pd.read_csv(HERE / "data" / "mpdta.csv").rename(columns={"first.treat": "ft"})
    mpdta["state"] = mpdta["countyreal"] // 1000
    mpdta.to_parquet(tmp_path / "mpdta.parquet")
    for cluster in (None, "state"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = dd.CallawaySantAnna(estimation_method="reg", cluster=cluster).fit(
                mpdta, "lemp", "countyreal", "year", "ft", aggregate="all")
        ours = callaway_santanna(str(tmp_path / "mpdta.parquet"), "lemp", "countyreal", "year", "ft", method="reg",
                                 n_boot=0, cluster=cluster)
        # diff-diff applies G/(G-1) to clustered standard errors; R did and impact do not.
        factor = 1.0 if cluster is None else np.sqrt(mpdta["state"].nunique() / (mpdta["state"].nunique() - 1))
        cells = ours.to_frame().set_index(["cohort", "period"])
        for (g, t), eff in ref.group_time_effects.items():
            assert cells.loc[(g, t), "estimate"] == pytest.approx(eff["effect"], abs=1e-10)
            assert cells.loc[(g, t), "se"] * factor == pytest.approx(eff["se"], rel=1e-8)
        assert ours.estimate == pytest.approx(ref.overall_att, abs=1e-10)
        assert ours.se * factor == pytest.approx(ref.overall_se, rel=1e-8)


# --------------------------------------------------------------------------- 3. known effect


def test_recovers_a_known_dynamic_effect(tmp_path):
    df = staggered_panel(seed=11, n_units=3000, n_periods=8, cohorts=(0, 3, 5, 6), noise=0.5)
    df.to_parquet(tmp_path / "sim.parquet")
    dyn = callaway_santanna(str(tmp_path / "sim.parquet"), "y", "id", "t", "g", n_boot=0).aggregate("dynamic")
    frame = dyn.to_frame().set_index("event_time")
    truth = true_event_effects(df)
    post = frame.index[frame.index >= 0]
    # Within four standard errors at every event time (the estimand is the cohort-share weighted effect).
    err = (frame.loc[post, "estimate"] - truth.loc[post]).abs() / frame.loc[post, "se"]
    assert (err < 4).all()
    assert (frame.loc[frame.index < 0, "estimate"].abs() < 4 * frame.loc[frame.index < 0, "se"]).all()


# --------------------------------------------------------------------------- 4. checks, limits, io, sources


def _write(df, tmp_path, name="bad.parquet"):
    df.to_parquet(tmp_path / name)
    return str(tmp_path / name)


def test_input_checks_name_counts_and_examples(tmp_path):
    df = _panel(n_units=60)
    dup = pd.concat([df, df[df["id"].isin([4, 9])].head(3)])
    with pytest.raises(DataError, match=r"3 extra rows repeat a \('id', 't'\) pair in \d+ units, e\.g\. id=(4|9)"):
        callaway_santanna(_write(dup, tmp_path), "y", "id", "t", "g", n_boot=0)
    varying = df.copy()
    varying.loc[(varying["id"] == 7) & (varying["t"] == 2), "g"] = 5 if df.loc[df["id"] == 7, "g"].iloc[0] != 5 else 3
    with pytest.raises(DataError, match=r"cohort column 'g' varies within 1 units, e\.g\. id=7"):
        callaway_santanna(_write(varying, tmp_path), "y", "id", "t", "g", n_boot=0)
    short = df.drop(index=df.index[(df["id"].isin([2, 3])) & (df["t"] == 4)])
    with pytest.raises(DataError, match=r"unbalanced panel: 2 of 60 units lack some of the 7 periods .*id=2"):
        panel_statistics(_write(short, tmp_path), "y", "id", "t", cohort="g")  # unbalanced=True accepts it
    nonfinite = df.copy()
    nonfinite.loc[nonfinite.index[[5, 40]], "y"] = [np.nan, np.inf]
    with pytest.raises(DataError, match="outcome column 'y' has 2 missing or non-finite values"):
        twfe(_write(nonfinite, tmp_path), "y", "id", "t", "d")
    cl = df.copy()
    cl.loc[cl.index[0], "region"] = 99
    with pytest.raises(DataError, match="cluster column 'region' varies within"):
        callaway_santanna(_write(cl, tmp_path), "y", "id", "t", "g", cluster="region", n_boot=0)
    with pytest.raises(DataError, match="outcome column 'yy' not found; did you mean 'y'"):
        callaway_santanna(_write(df, tmp_path), "yy", "id", "t", "g", n_boot=0)
    with pytest.raises(DataError, match="no file matches"):
        twfe(str(tmp_path / "nothing-*.parquet"), "y", "id", "t", "d")
    bad_d = df.assign(d=df["d"] * 2)
    with pytest.raises(DataError, match="treatment column 'd' is not 0/1"):
        twfe(_write(bad_d, tmp_path), "y", "id", "t", "d")


def test_features_that_need_unit_level_data_say_so(panel_file):
    _, path = panel_file
    with pytest.raises(ConfigError, match="covariates .* need unit-level data.*DataFrame"):
        callaway_santanna(path, "y", "id", "t", "g", covariates=["region"], n_boot=0)
    with pytest.raises(ConfigError, match="multiplier bootstrap needs unit-level"):
        callaway_santanna(path, "y", "id", "t", "g", boot_weights="rademacher")
    with pytest.raises(ConfigError, match="weights"):
        callaway_santanna(path, "y", "id", "t", "g", weights="region", n_boot=0)
    # bin_endpoints=False (rows outside the window dropped) is exact out of core: test_scale_unbalanced_fe.py
    with pytest.raises(ConfigError, match="memory_limit"):
        source(path, memory_limit="lots")


def test_statistics_save_reload_and_mask_small_cohorts(panel_file, tmp_path):
    df, path = panel_file
    for cluster in (None, "region"):
        st = panel_statistics(path, "y", "id", "t", cohort="g", cluster=cluster)
        saved = save_statistics(st, tmp_path / "stats.json", min_cell_size=1)
        back = load_statistics(saved)
        _same(callaway_santanna(df, "y", "id", "t", "g", n_boot=0, cluster=cluster),
              callaway_santanna(back, "y", "id", "t", "g", n_boot=0, cluster=cluster))
    st = panel_statistics(path, "y", "id", "t", cohort="g")
    small = int(st.n[st.keys == 5][0])
    back = load_statistics(save_statistics(st, tmp_path / "masked.json", min_cell_size=small + 1))
    assert 5 not in back.keys and len(back.masked) >= 1
    res = callaway_santanna(back, "y", "id", "t", "g", n_boot=0)
    assert 5 not in set(res.cohort_code) and any("withheld" in n for n in res.notes)
    with pytest.raises(ConfigError, match="computed with cohort='g', not 'h'"):
        callaway_santanna(back, "y", "id", "t", "h", n_boot=0)
    (tmp_path / "junk.json").write_text("{}")
    with pytest.raises(DataError, match="not a statistics file"):
        load_statistics(tmp_path / "junk.json")


def test_globs_csv_and_duckdb_relations(tmp_path):
    import duckdb

    df = _panel(n_units=90)
    mem = callaway_santanna(df, "y", "id", "t", "g", n_boot=0)
    for i, rows in enumerate(np.array_split(np.arange(len(df)), 3)):
        df.iloc[rows].to_parquet(tmp_path / f"part-{i}.parquet")
    df.to_csv(tmp_path / "panel.csv", index=False)
    glob = str(tmp_path / "part-*.parquet")
    for data in (glob, tmp_path / "panel.csv", source(glob, memory_limit="200MB", threads=1, progress=True),
                 duckdb.read_parquet(glob)):
        _same(mem, callaway_santanna(data, "y", "id", "t", "g", n_boot=0))


def test_sql_transpiles_to_distributed_engines(panel_file):
    from impact.scale.stats import panel_sql, to_dialect

    sql = panel_sql("y", "id", "t", "g", "cohort", np.arange(1, 8), {3: 2, 5: 4}, cluster="region")
    for dialect in ("spark", "trino", "bigquery", "postgres", "snowflake"):
        out = to_dialect(sql, dialect)
        assert "COVAR_POP" in out.upper() or "SUM(" in out.upper()
    with pytest.raises(ConfigError, match="dialect"):
        to_dialect(sql, "no-such-dialect")


def test_trends_are_cohort_period_means(panel_file):
    df, path = panel_file
    trends = panel_statistics(path, "y", "id", "t", cohort="g").trends()
    treated_in_sample = (df["g"] > 0) & (df["g"] <= df["t"].max())
    expect = (df.assign(cohort=df["g"].where(treated_in_sample, -1)).groupby(["cohort", "t"])["y"]
              .agg(["mean", "size"]).reset_index())
    got = trends.assign(cohort=trends["cohort"].fillna(-1).astype(int)).sort_values(["cohort", "period"])
    np.testing.assert_array_equal(got[["cohort", "period"]].to_numpy(), expect[["cohort", "t"]].to_numpy())
    np.testing.assert_allclose(got["mean"], expect["mean"], atol=1e-12)
    np.testing.assert_array_equal(got["n_units"], expect["size"])


def test_date_periods_and_date_cohorts(tmp_path):
    df = _panel(seed=8, n_units=120)
    months = pd.date_range("2023-01-01", periods=df["t"].max(), freq="MS")
    df["month"] = months[df["t"] - 1]
    df["first"] = pd.Series(months[np.clip(df["g"] - 1, 0, len(months) - 1)]).where(
        (df["g"] > 0) & (df["g"] <= len(months))).to_numpy()
    df.to_parquet(tmp_path / "dates.parquet")
    mem = callaway_santanna(df, "y", "id", "month", "first", n_boot=0, control="not_yet")
    ooc = callaway_santanna(str(tmp_path / "dates.parquet"), "y", "id", "month", "first", n_boot=0,
                            control="not_yet")
    _same(mem, ooc)
    assert list(ooc.to_frame()["period"]) == list(mem.to_frame()["period"])
    mem_es = event_study(df, "y", "id", "month", "first")
    ooc_es = event_study(str(tmp_path / "dates.parquet"), "y", "id", "month", "first")
    _same(mem_es, ooc_es)
    assert getattr(ooc_es, "time_unit", None) == getattr(mem_es, "time_unit", None)


def test_results_summarise_plot_and_feed_the_diagnostics(panel_file):
    from impact.did import honest_did, pretrend_test

    df, path = panel_file
    res = callaway_santanna(path, "y", "id", "t", "g", n_boot=0)
    assert "out of core" in res.summary() and "<table" in res._repr_html_()
    res.plot()
    dyn = res.aggregate("dynamic")
    dyn.plot()
    mem_dyn = callaway_santanna(df, "y", "id", "t", "g", n_boot=0).aggregate("dynamic")
    assert pretrend_test(dyn).pvalue == pytest.approx(pretrend_test(mem_dyn).pvalue, abs=1e-8)
    kw = dict(n_boot=0, base_period="universal")  # HonestDiD needs coefficients normalised at e = -1
    a = honest_did(callaway_santanna(df, "y", "id", "t", "g", **kw).aggregate("dynamic")).to_frame()
    b = honest_did(callaway_santanna(path, "y", "id", "t", "g", **kw).aggregate("dynamic")).to_frame()
    np.testing.assert_allclose(b.select_dtypes("number").to_numpy(float), a.select_dtypes("number").to_numpy(float),
                               atol=1e-8)


def test_engine_and_file_errors_are_data_errors(tmp_path):
    from impact.scale import Engine

    def failing(sql):
        raise RuntimeError("Table not found: claims")

    with pytest.raises(DataError, match="the postgres engine could not run the statistics query on table 'claims'"):
        callaway_santanna(Engine(run=failing, dialect="postgres", table="claims"), "y", "id", "t", "g", n_boot=0)
    (tmp_path / "broken.parquet").write_bytes(b"not a parquet file")
    with pytest.raises(DataError, match="DuckDB could not read"):
        twfe(str(tmp_path / "broken.parquet"), "y", "id", "t", "d")


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("cluster", [None, "region"])
def test_unbalanced_panel_equals_in_memory(tmp_path, control, cluster):
    # Units missing periods: statistics by (cohort, pattern of observed periods), as R did's
    # allow_unbalanced_panel does in memory; every method gives the same without covariates.
    df = _panel(seed=2, n_units=150)
    drop = np.random.default_rng(0).choice(len(df), 80, replace=False)
    data = df.drop(index=df.index[drop]).reset_index(drop=True)
    path = _write(data, tmp_path, "unbalanced.parquet")
    for base_period in ("varying", "universal"):
        kw = dict(n_boot=0, control=control, cluster=cluster, base_period=base_period)
        mem = callaway_santanna(data, "y", "id", "t", "g", **kw)
        ooc = callaway_santanna(path, "y", "id", "t", "g", **kw)
        assert "unbalanced" in ooc.assumptions["Data"]
        _same(mem, ooc)
        for kind in ("simple", "dynamic", "group", "calendar"):
            _same(mem.aggregate(kind), ooc.aggregate(kind))
    st = panel_statistics(path, "y", "id", "t", cohort="g", cluster=cluster, unbalanced=True)
    back = load_statistics(save_statistics(st, tmp_path / "unbalanced.json", min_cell_size=1))
    _same(callaway_santanna(data, "y", "id", "t", "g", n_boot=0, cluster=cluster),
          callaway_santanna(back, "y", "id", "t", "g", n_boot=0, cluster=cluster))
    # The event study is exact on unbalanced statistics too (tests/test_scale_unbalanced_fe.py).
    _same(event_study(data, "y", "id", "t", "g", cluster=cluster),
          event_study(back, "y", "id", "t", "g", cluster=cluster))


def test_unbalanced_edge_cases_equal_in_memory(tmp_path):
    # Always-treated units dropped, a cohort after the sample, cells without observations skipped,
    # then no never-treated units (periods from the last cohort on dropped).
    df = _panel(seed=6, n_units=60, cohorts=(0, 1, 3, 5, 9))
    gone = (df["g"] == 5) & (df["t"] == 4)  # cohort 5 unobserved in period 4: its cells there are skipped
    drop = np.random.default_rng(1).choice(len(df), 25, replace=False)
    data = df[~gone].drop(index=df.index[drop], errors="ignore").reset_index(drop=True)
    path = _write(data, tmp_path, "edge.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mem = callaway_santanna(data, "y", "id", "t", "g", n_boot=0, control="not_yet")
        ooc = callaway_santanna(path, "y", "id", "t", "g", n_boot=0, control="not_yet")
    _same(mem, ooc)
    _same(mem.aggregate("dynamic"), ooc.aggregate("dynamic"))
    none_never = _panel(seed=7, n_units=80, cohorts=(3, 5, 6))
    none_never = none_never.drop(index=none_never.index[np.random.default_rng(2).choice(len(none_never), 30,
                                                                                        replace=False)])
    path = _write(none_never, tmp_path, "nonever.parquet")
    _same(callaway_santanna(none_never, "y", "id", "t", "g", n_boot=0, control="not_yet"),
          callaway_santanna(path, "y", "id", "t", "g", n_boot=0, control="not_yet"))


def test_unbalanced_matches_diff_diff_on_mpdta(tmp_path):
    dd = pytest.importorskip("diff_diff")
    mpdta = pd.read_csv(HERE / "data" / "mpdta.csv").rename(columns={"first.treat": "ft"})
    drop = np.random.default_rng(1).choice(len(mpdta), 150, replace=False)
    data = mpdta.drop(index=drop).reset_index(drop=True)
    data.to_parquet(tmp_path / "mpdta_unbalanced.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = dd.CallawaySantAnna(estimation_method="reg", allow_unbalanced_panel=True).fit(
            data, "lemp", "countyreal", "year", "ft", aggregate="all")
    ours = callaway_santanna(str(tmp_path / "mpdta_unbalanced.parquet"), "lemp", "countyreal", "year", "ft",
                             n_boot=0)
    assert ours.n_units == 500
    cells = ours.to_frame().set_index(["cohort", "period"])
    # diff-diff scales unbalanced-panel standard errors by n/(n-1), as the in-memory test documents.
    factor = np.sqrt(500 / 499)
    for (g, t), eff in ref.group_time_effects.items():
        assert cells.loc[(g, t), "estimate"] == pytest.approx(eff["effect"], abs=1e-10)
        assert cells.loc[(g, t), "se"] * factor == pytest.approx(eff["se"], rel=1e-8)
    assert ours.estimate == pytest.approx(ref.overall_att, abs=1e-10)


def test_progress_is_tracked_but_only_our_bar_is_drawn(panel_file):
    # Outside a terminal DuckDB tracks no progress unless asked (query_progress() stays -1, the tqdm bar at 0 %);
    # inside one it would print its own bar beside ours.
    _, path = panel_file
    con = source(path).connect()
    try:
        got = con.execute("SELECT current_setting('enable_progress_bar'), "
                          "current_setting('enable_progress_bar_print')").fetchone()
    finally:
        con.close()
    assert got == (True, False)


def test_a_jupyter_kernel_that_refuses_progress_settings_still_scans(panel_file, monkeypatch):
    # DuckDB in a Jupyter kernel without ipywidgets refuses SET enable_progress_bar (the report notebooks ran
    # into it): the settings are skipped, the bar shows the elapsed time only, the estimate is unchanged.
    import duckdb

    df, path = panel_file
    real = duckdb.connect

    class Refusing:
        def __init__(self, con):
            self._con = con

        def execute(self, sql, *args):
            if "progress_bar" in sql and sql.lstrip().upper().startswith("SET"):
                raise duckdb.InvalidInputException("Could not change the progress bar setting because: "
                                                   "'required package 'ipywidgets' is missing'")
            return self._con.execute(sql, *args)

        def __getattr__(self, name):
            return getattr(self._con, name)

    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: Refusing(real(*a, **k)))
    got = callaway_santanna(source(path, progress=True), "y", "id", "t", "g", n_boot=0)
    assert got.estimate == pytest.approx(callaway_santanna(df, "y", "id", "t", "g", n_boot=0).estimate, abs=1e-10)
