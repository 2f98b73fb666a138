"""Parquet files that split the units by ranges are aggregated file by file, with the same statistics."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.did import callaway_santanna, event_study, twfe
from impact.errors import DataError
from impact.scale import panel_statistics, source
from impact.scale.stats import _Runner, _unit_parts

sys.path.insert(0, str(Path(__file__).parent))
from sim_staggered import staggered_panel  # noqa: E402


def _panel():
    df = staggered_panel(seed=11, n_units=300, n_periods=7, cohorts=(0, 3, 5, 6, 9))
    df["region"] = (df["id"] * 7919) % 17
    return df


def _split(df, folder, bounds, shuffle=False):
    folder.mkdir()
    rows = df.sample(frac=1, random_state=3) if shuffle else df
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        rows[(rows["id"] >= lo) & (rows["id"] < hi)].to_parquet(folder / f"part-{i}.parquet", row_group_size=97)
    return str(folder / "*.parquet")


def _parts(glob):
    with _Runner(source(glob)) as runner:
        return _unit_parts(runner, "id")


def test_disjoint_unit_ranges_are_read_file_by_file_with_equal_results(tmp_path):
    df = _panel()
    one = tmp_path / "one.parquet"
    df.to_parquet(one)
    glob = _split(df, tmp_path / "parts", [df["id"].min(), 80, 81, 200, df["id"].max() + 1], shuffle=True)
    assert len(_parts(glob)) == 4
    for cluster in (None, "region"):
        a = panel_statistics(str(one), "y", "id", "t", cohort="g", cluster=cluster)
        b = panel_statistics(glob, "y", "id", "t", cohort="g", cluster=cluster)
        np.testing.assert_array_equal(a.keys, b.keys)
        np.testing.assert_array_equal(a.n, b.n)
        np.testing.assert_allclose(b.mean, a.mean, rtol=0, atol=1e-12)
        if cluster:
            np.testing.assert_allclose(b.cl_sum, a.cl_sum, rtol=1e-13)
        else:
            np.testing.assert_allclose(b.cov, a.cov, rtol=0, atol=1e-12)
        assert (a.n_obs, b.n_obs) == (len(df), len(df))
        mem = callaway_santanna(df, "y", "id", "t", "g", n_boot=0, cluster=cluster, control="not_yet")
        ooc = callaway_santanna(glob, "y", "id", "t", "g", n_boot=0, cluster=cluster, control="not_yet")
        assert ooc.estimate == pytest.approx(mem.estimate, abs=1e-10)
        assert ooc.se == pytest.approx(mem.se, abs=1e-10)
    assert event_study(glob, "y", "id", "t", "g").se == pytest.approx(event_study(df, "y", "id", "t", "g").se,
                                                                       abs=1e-10)
    assert twfe(glob, "y", "id", "t", "d").estimate == pytest.approx(twfe(df, "y", "id", "t", "d").estimate,
                                                                      abs=1e-10)


def test_units_shared_by_files_keep_the_single_query(tmp_path):
    df = _panel()
    by_rows = tmp_path / "rows"
    by_rows.mkdir()
    for i, chunk in enumerate(np.split(np.arange(len(df)), [500, 1300])):  # units 71 and 185 straddle two files
        df.iloc[chunk].to_parquet(by_rows / f"part-{i}.parquet")
    assert _parts(str(by_rows / "*.parquet")) is None
    text = df.assign(id="u" + df["id"].astype(str))
    (tmp_path / "strings").mkdir()
    text.iloc[: len(df) // 2].to_parquet(tmp_path / "strings" / "a.parquet")
    text.iloc[len(df) // 2:].to_parquet(tmp_path / "strings" / "b.parquet")
    with _Runner(source(str(tmp_path / "strings" / "*.parquet"))) as runner:
        assert _unit_parts(runner, "id") is None  # text units: ranges are not trusted


def test_problems_inside_one_file_are_still_found(tmp_path):
    df = _panel()
    dup = pd.concat([df, df[df["id"] == 250].head(2)])
    glob = _split(dup, tmp_path / "dup", [df["id"].min(), 100, df["id"].max() + 1])
    assert len(_parts(glob)) == 2
    with pytest.raises(DataError, match=r"2 extra rows repeat a \('id', 't'\) pair in 1 units, e\.g\. id=250"):
        callaway_santanna(glob, "y", "id", "t", "g", n_boot=0)
    short = df.drop(index=df.index[(df["id"] == 20) & (df["t"] == 3)])
    glob = _split(short, tmp_path / "short", [df["id"].min(), 100, df["id"].max() + 1])
    st = panel_statistics(glob, "y", "id", "t", cohort="g", unbalanced=True)
    assert not st.balanced and st.n_obs == len(short)
    mem = callaway_santanna(short, "y", "id", "t", "g", n_boot=0)
    assert callaway_santanna(glob, "y", "id", "t", "g", n_boot=0).se == pytest.approx(mem.se, abs=1e-10)
