"""Out of core, periods and cohorts are coded on the same calendar as in memory (issue 13).

A Parquet panel whose months are written ``MM/YYYY`` in some rows and
``YYYY-MM`` in others, with text cohorts written both ways (and ``""``/``"0"``
for never treated) and a month missing from every unit, gives the in-memory
numbers (1e-10) and labels for Callaway-Sant'Anna (every aggregation), the
TWFE event study and TWFE; the same calendar errors are raised.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.did import callaway_santanna, event_study, twfe
from impact.errors import DataError
from impact.scale import load_statistics, panel_statistics, save_statistics

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from sim_staggered import staggered_panel  # noqa: E402

TOL = 1e-10
COLS = ["estimate", "se", "ci_low", "ci_high", "pvalue"]
# Period t (1..8) is this month of 2023: April is missing from every unit.
MONTHS = np.array([1, 2, 3, 5, 6, 7, 8, 9])


def _written(month: np.ndarray, rng) -> np.ndarray:
    iso = np.char.add("2023-", np.char.zfill(month.astype(str), 2))
    slash = np.char.add(np.char.add(np.char.zfill(month.astype(str), 2), "/"), "2023")
    return np.where(rng.random(len(month)) < 0.5, iso, slash).astype(object)


def _labs_panel(seed=3):
    df = staggered_panel(seed=seed, n_units=180, n_periods=8, cohorts=(0, 3, 5, 7))
    rng = np.random.default_rng(seed)
    df["region"] = (df["id"] * 7919) % 13
    df["month"] = _written(MONTHS[df["t"].to_numpy() - 1], rng)
    treated = df["g"].to_numpy() > 0
    first = _written(MONTHS[np.clip(df["g"].to_numpy(), 1, 8) - 1], rng)
    never = np.where(df["id"].to_numpy() % 2 == 0, "", "0").astype(object)
    df["first"] = np.where(treated, first, never)
    df.loc[(~treated) & (df["id"] % 3 == 0), "first"] = None
    df["treat"] = (treated & (df["t"] >= df["g"])).astype(int)
    return df.drop(columns=["t", "g"])


@pytest.fixture(scope="module")
def labs(tmp_path_factory):
    df = _labs_panel()
    folder = tmp_path_factory.mktemp("labs")
    half = df["id"] < df["id"].median()
    df[half].to_parquet(folder / "part-0.parquet", index=False)
    df[~half].to_parquet(folder / "part-1.parquet", index=False)
    return df, str(folder / "part-*.parquet")


def _same(a, b):
    fa, fb = a.to_frame(), b.to_frame()
    assert list(fa["term"]) == list(fb["term"])
    np.testing.assert_allclose(fb[COLS].to_numpy(float), fa[COLS].to_numpy(float), atol=TOL, rtol=0)
    for col in ("cohort", "period", "event_time"):
        if col in fa:
            assert list(fb[col]) == list(fa[col])
    assert (a.n_obs, a.n_units) == (b.n_obs, b.n_units)


@pytest.mark.parametrize("control", ["never", "not_yet"])
@pytest.mark.parametrize("cluster", [None, "region"])
def test_callaway_santanna_on_written_months_equals_in_memory(labs, control, cluster):
    df, glob = labs
    kw = dict(control=control, cluster=cluster, method="reg", n_boot=0)
    with warnings.catch_warnings(record=True) as mem_w:
        warnings.simplefilter("always")
        mem = callaway_santanna(df, "y", "id", "month", "first", **kw)
    with warnings.catch_warnings(record=True) as ooc_w:
        warnings.simplefilter("always")
        ooc = callaway_santanna(glob, "y", "id", "month", "first", **kw)
    # The empty month skips the same cells (with the same warnings) in both paths.
    assert sorted(str(w.message) for w in ooc_w) == sorted(str(w.message) for w in mem_w)
    _same(mem, ooc)
    assert isinstance(ooc.periods[0], pd.Period) and str(ooc.periods[3]) == "2023-04"
    assert ooc.notes[1:] == mem.notes  # after the out-of-core note
    np.testing.assert_allclose(ooc.vcov, mem.vcov, atol=TOL)
    for kind in ("simple", "dynamic", "group", "calendar"):
        _same(mem.aggregate(kind), ooc.aggregate(kind))


@pytest.mark.parametrize("cluster", [None, "region"])
def test_event_study_and_twfe_count_calendar_months(labs, cluster):
    df, glob = labs
    mem, ooc = event_study(df, "y", "id", "month", "first", cluster=cluster), \
        event_study(glob, "y", "id", "month", "first", cluster=cluster)
    _same(mem, ooc)
    # Event time counts months across the gap: cohort May 2023 is 2 months after March, not 1.
    assert ooc.time_unit == mem.time_unit == "month"
    np.testing.assert_allclose(ooc.vcov.to_numpy(), mem.vcov.to_numpy(), atol=TOL)
    _same(twfe(df, "y", "id", "month", "treat", cluster=cluster),
          twfe(glob, "y", "id", "month", "treat", cluster=cluster))


def test_trends_and_saved_statistics_keep_the_calendar(labs, tmp_path):
    df, glob = labs
    st = panel_statistics(glob, "y", "id", "month", cohort="first")
    trends = st.trends()
    period = pd.PeriodIndex(pd.to_datetime(df["month"], format="mixed").dt.to_period("M"))
    cohort = df["first"].where(~df["first"].isin(["", "0"]) & df["first"].notna())
    cohort = pd.to_datetime(cohort, format="mixed").dt.to_period("M")
    expect = (df.assign(period=period, cohort=cohort).groupby(["cohort", "period"], dropna=False)["y"]
              .agg(["mean", "size"]).reset_index())
    got = trends.merge(expect, on=["cohort", "period"], how="outer", indicator=True)
    assert (got["_merge"] == "both").all() and len(got) == len(trends)
    assert pd.Period("2023-04", "M") not in set(trends["period"])
    np.testing.assert_allclose(got["mean_x"], got["mean_y"], atol=1e-12)
    np.testing.assert_array_equal(got["n_units"], got["size"])
    back = load_statistics(save_statistics(st, tmp_path / "st.json", min_cell_size=1))
    assert list(back.periods) == list(st.periods)
    _same(callaway_santanna(st, "y", "id", "month", "first", n_boot=0),
          callaway_santanna(back, "y", "id", "month", "first", n_boot=0))


def test_calendar_errors_are_those_of_memory(labs, tmp_path):
    df, _ = labs
    cases = {
        "a cohort inside a month": df.assign(first=df["first"].replace({"2023-06": "2023-06-15"})),
        "a quarter against months": df.assign(first=df["first"].replace({"2023-06": "2023Q2"})),
        "a period that is no period": df.assign(month=df["month"].replace({"2023-06": "June"})),
        "a cohort varying within a unit": df.assign(first=np.where(df["first"].eq("2023-06") & (df.index % 2 == 0),
                                                                   "07/2023", df["first"])),
    }
    for name, bad in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.parquet"
        bad.to_parquet(path, index=False)
        with pytest.raises(DataError) as mem:
            callaway_santanna(bad, "y", "id", "month", "first", n_boot=0)
        with pytest.raises(DataError) as ooc:
            callaway_santanna(str(path), "y", "id", "month", "first", n_boot=0)
        head = str(mem.value).split(" (row")[0].split(" within unit")[0].split(" varies")[0]
        assert str(ooc.value).startswith(head), name
