"""Saved statistics (impact.scale.io): row counts, withheld cells and files that cannot be read (issue 13).

What a reloaded file must equal: the statistics of the data *without* the units
whose cohort (or cluster-cohort cell, or cohort and pattern of observed periods)
was withheld. So the estimate from the file is compared, to 1e-10, with the
in-memory estimate on the data with those units dropped by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact.did import callaway_santanna
from impact.errors import DataError
from impact.scale import load_statistics, panel_statistics, save_statistics

sys.path.insert(0, str(Path(__file__).parent))
from sim_staggered import staggered_panel  # noqa: E402

TOL = 1e-10


def _panel(unbalanced: bool, seed: int = 4) -> pd.DataFrame:
    df = staggered_panel(seed=seed, n_units=150, n_periods=6, cohorts=(0, 3, 4, 5))
    df["region"] = (df["id"] * 7919) % 9
    df.loc[df["id"] < 8, "g"] = 2  # a small cohort of eight units: the one a disclosure rule withholds
    if unbalanced:
        drop = np.random.default_rng(seed).choice(len(df), 70, replace=False)
        df = df.drop(index=df.index[drop]).reset_index(drop=True)
    return df


def _kept_units(df: pd.DataFrame, k: int, cluster: str | None) -> np.ndarray:
    """Units whose (cohort, observed periods) group, and with a cluster whose cell too, has at least k units."""
    per_unit = df.groupby("id").agg(g=("g", "first"), c=("region", "first"),
                                    pat=("t", lambda t: int(sum(1 << (int(v) - 1) for v in t))))
    ok = per_unit.groupby(["g", "pat"])["g"].transform("size") >= k
    if cluster:
        ok &= per_unit.groupby(["g", "pat", "c"])["g"].transform("size") >= k
    return per_unit.index[ok.to_numpy()].to_numpy()


@pytest.mark.parametrize("unbalanced", [False, True], ids=["balanced", "unbalanced"])
@pytest.mark.parametrize("cluster", [None, "region"])
def test_reloaded_statistics_equal_the_data_without_the_withheld_units(tmp_path, unbalanced, cluster):
    df = _panel(unbalanced)
    path = tmp_path / "panel.parquet"
    df.to_parquet(path)
    st = panel_statistics(str(path), "y", "id", "t", cohort="g", cluster=cluster, unbalanced=unbalanced)
    # Nothing withheld: the real number of rows, however many periods each unit has.
    whole = load_statistics(save_statistics(st, tmp_path / "all.json", min_cell_size=1))
    assert whole.n_obs == st.n_obs == len(df)
    k = 3 if cluster else 12
    back = load_statistics(save_statistics(st, tmp_path / "masked.json", min_cell_size=k))
    kept = df[df["id"].isin(_kept_units(df, k, cluster))]
    assert 0 < kept["id"].nunique() < df["id"].nunique()  # some withheld, some kept: the case under test
    assert back.n_obs == len(kept) and back.n_units == kept["id"].nunique()
    assert back.masked
    kw = dict(n_boot=0, cluster=cluster, control="not_yet")
    mem = callaway_santanna(kept, "y", "id", "t", "g", **kw)
    ooc = callaway_santanna(back, "y", "id", "t", "g", **kw)
    fm, fo = mem.to_frame(), ooc.to_frame()
    assert list(fm["term"]) == list(fo["term"])
    cols = ["estimate", "se", "ci_low", "ci_high"]
    np.testing.assert_allclose(fo[cols].to_numpy(float), fm[cols].to_numpy(float), atol=TOL, rtol=0)
    assert ooc.n_obs == mem.n_obs == len(kept)
    assert any("withheld" in note for note in ooc.notes)


def test_withheld_cohorts_are_named_by_their_first_period_without_their_counts(tmp_path):
    df = _panel(False)
    path = tmp_path / "panel.parquet"
    df.to_parquet(path)
    st = panel_statistics(str(path), "y", "id", "t", cohort="g")
    back = load_statistics(save_statistics(st, tmp_path / "s.json", min_cell_size=9))
    assert back.masked == ("cohort 2",)


@pytest.mark.parametrize("cluster", [None, "region"])
def test_nothing_left_to_export_is_a_data_error_not_an_empty_file(tmp_path, cluster):
    df = _panel(False)
    path = tmp_path / "panel.parquet"
    df.to_parquet(path)
    st = panel_statistics(str(path), "y", "id", "t", cohort="g", cluster=cluster)
    target = tmp_path / "empty.json"
    what = "cohort" if cluster is None else r"\(region, cohort\) cell"
    with pytest.raises(DataError, match=rf"every {what} has fewer than min_cell_size=1000 units.*lower "
                                        r"min_cell_size only if your disclosure rules allow it, or aggregate cohorts"):
        save_statistics(st, target, min_cell_size=1000)
    assert not target.exists()


def test_a_csv_with_only_a_header_says_so(tmp_path):
    (tmp_path / "empty.csv").write_text("id,t,g,y\n")
    with pytest.raises(DataError, match=r"'.*empty.csv' has no data rows \(only a header: id,t,g,y\)"):
        panel_statistics(str(tmp_path / "empty.csv"), "y", "id", "t", cohort="g")
    # One header-only part among good ones: the message names that part.
    _panel(False).to_csv(tmp_path / "part-1.csv", index=False)
    (tmp_path / "part-2.csv").write_text("id,t,g,y,tau,d,region\n\n")
    with pytest.raises(DataError, match=r"part-2.csv' has no data rows.*leave it out"):
        panel_statistics(str(tmp_path / "part-*.csv"), "y", "id", "t", cohort="g")
    (tmp_path / "blank.csv").write_text("")
    with pytest.raises(DataError, match=r"blank.csv' is empty"):
        panel_statistics(str(tmp_path / "blank.csv"), "y", "id", "t", cohort="g")


def test_files_that_cannot_be_written_or_read_back_are_impact_errors(tmp_path):
    import json

    from impact.errors import ConfigError

    df = _panel(False)
    df.to_parquet(tmp_path / "panel.parquet")
    st = panel_statistics(str(tmp_path / "panel.parquet"), "y", "id", "t", cohort="g")
    with pytest.raises(ConfigError, match="folder .*nowhere' does not exist; create it first"):
        save_statistics(st, tmp_path / "nowhere" / "s.json", min_cell_size=1)
    good = save_statistics(st, tmp_path / "s.json", min_cell_size=1)
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    doc = json.loads(good.read_text())
    for broken in ({k: v for k, v in doc.items() if k != "mean"}, {**doc, "mean": doc["mean"][:-1] + [[1.0]]},
                   {**doc, "n": "many"}):
        (tmp_path / "broken.json").write_text(json.dumps(broken))
        with pytest.raises(DataError, match="incomplete or was altered after save_statistics wrote it"):
            load_statistics(tmp_path / "broken.json")
    with pytest.raises(DataError, match="cannot read statistics from"):
        load_statistics(tmp_path)
