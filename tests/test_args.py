"""R argument names: the hints name our argument only where it does the same job (review defects)."""

from __future__ import annotations

import pytest

import impact.did as did
from impact.did._args import R_NAMES
from impact.errors import ConfigError


@pytest.mark.parametrize("func, theirs", [("callaway_santanna", "first_stage"), ("imputation", "first_stage"),
                                          ("callaway_santanna", "allow_unbalanced_panel"),
                                          ("twfe", "allow_unbalanced_panel")])
def test_no_misleading_hint(func, theirs):
    # did2s's first_stage is a formula, not a cohort; R did's allow_unbalanced_panel is not our panel=
    # (panel=False means repeated cross-sections): pointing to cohort= or panel= sent users astray.
    assert theirs not in R_NAMES
    with pytest.raises(ConfigError, match=f"{func} has no argument {theirs}=") as info:
        getattr(did, func)(None, **{theirs: True})
    assert "use cohort=" not in str(info.value) and "use panel=" not in str(info.value)


def test_built_in_work_is_explained_where_it_is_true():
    with pytest.raises(ConfigError, match="detected and estimated as R did's allow_unbalanced_panel=TRUE does; "
                                          "remove it"):
        did.callaway_santanna(None, allow_unbalanced_panel=True)
    with pytest.raises(ConfigError, match=r"first stage .* is built from unit=, time= and cohort=; remove it"):
        did.imputation(None, first_stage="~ 0 | id + t")
    # Elsewhere the plain message: no claim about work the function does not do.
    with pytest.raises(ConfigError) as info:
        did.synthetic_control(None, allow_unbalanced_panel=True)
    assert "detected" not in str(info.value)


def test_true_hints_still_given():
    with pytest.raises(ConfigError, match="gname= is R did's name; use cohort="):
        did.callaway_santanna(None, gname="g")


IN_MEMORY = {
    "sun_abraham": dict(outcome="y", unit="u", time="t", cohort="g"),
    "imputation": dict(outcome="y", unit="u", time="t", cohort="g"),
    "bacon_decomposition": dict(outcome="y", unit="u", time="t", cohort="g"),
    "synthetic_control": dict(outcome="y", unit="u", time="t", treated_unit=1, start=3),
    "synthetic_did": dict(outcome="y", unit="u", time="t", treatment="d"),
}


@pytest.mark.parametrize("name", sorted(IN_MEMORY))
def test_a_path_to_an_in_memory_estimator_says_how_to_load_it(name, tmp_path):
    from impact.errors import DataError

    path = str(tmp_path / "panel.csv")
    with pytest.raises(DataError) as info:
        getattr(did, name)(path, **IN_MEMORY[name])
    text = str(info.value)
    assert text.startswith(f"data must be a pandas DataFrame (got str {path!r})")
    assert "only callaway_santanna, twfe, event_study and two_by_two read data out of core" in text
    assert text.endswith(f"for this estimator load the file first: data = impact.data.read_table({path!r})")


@pytest.mark.parametrize("data, fix", [
    (["a.parquet", "b.parquet"], "pd.concat(map(impact.data.read_table, paths))"),
    ("exports/*.csv", "pd.concat(map(impact.data.read_table, glob.glob('exports/*.csv')))"),
    ({"y": [1.0]}, "data = pd.DataFrame(...)"),
    (None, "pass a long-form table, one row per unit and period"),
])
def test_other_non_frames_get_their_own_fix(data, fix):
    from impact.errors import DataError

    with pytest.raises(DataError, match="data must be a pandas DataFrame") as info:
        did.sun_abraham(data, "y", "u", "t", "g")
    assert fix in str(info.value)


def test_a_duckdb_relation_is_fetched():
    duckdb = pytest.importorskip("duckdb")
    from impact.errors import DataError

    with pytest.raises(DataError, match=r"got DuckDBPyRelation\): only callaway_santanna.*data = relation.df\(\)"):
        did.bacon_decomposition(duckdb.sql("select 1 as y"), "y", "u", "t", "g")
