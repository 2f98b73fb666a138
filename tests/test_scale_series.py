"""Indicator series from Parquet files in one aggregate query equal the in-memory series (issue 13).

The same random long-form data are given to :func:`impact.indicators.series_from_data`
as a DataFrame and as a glob of Parquet files (and a CSV file, a DuckDB relation);
every statistic and unit selection must agree to 1e-12.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from impact.errors import ConfigError, DataError
from impact.indicators import series_from_data
from impact.scale.series import series_sql
from impact.scale.stats import Engine, to_dialect


def _data(months: str, seed: int = 3) -> pd.DataFrame:
    """40 units over 9 months, unequal rows per period (odd and even counts), missing values, 0/1 group."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(40), 9), "m": np.tile(np.arange(1, 10), 40)})
    frame = frame.sample(frac=0.8, random_state=seed).reset_index(drop=True)  # unbalanced: counts differ
    frame["treated"] = (frame["unit"] % 3 == 0).astype(int)
    frame["y"] = rng.normal(40, 9, len(frame)).round(rng.integers(0, 4))  # ties for the median
    frame.loc[rng.random(len(frame)) < 0.08, "y"] = np.nan
    frame["w"] = rng.integers(1, 30, len(frame)).astype(float)
    frame["label"] = frame["m"].map(lambda m: f"2023-{m:02d}")
    if months == "text":
        frame["m"] = frame["label"]
    return frame


def _parquet(frame: pd.DataFrame, folder) -> str:
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return str(folder / "part-*.parquet")


CASES = [dict(statistic=s, units=u) for s in ("mean", "median", "sum") for u in ("treated", "control", "all")]
CASES += [dict(statistic="mean", units=u, weight="w") for u in ("treated", "control", "all")]


@pytest.mark.parametrize("months", ["text", "integer"])
def test_out_of_core_series_equals_in_memory(tmp_path, months):
    frame = _data(months)
    path = _parquet(frame, tmp_path)  # written once: each case is one aggregate query on the same glob
    dates = "label" if months == "integer" else None
    for case in CASES:
        where = f"{months} months, {case}"
        kw = dict(time="m", dates=dates, group="treated", **case)
        expected = series_from_data(frame, "y", **kw)
        got = series_from_data(path, "y", **kw)
        assert list(got["date"]) == list(expected["date"]) == [f"2023-{m:02d}" for m in range(1, 10)], where
        np.testing.assert_array_equal(got["n"].to_numpy(), expected["n"].to_numpy(), err_msg=where)
        np.testing.assert_allclose(got["value"].to_numpy(), expected["value"].to_numpy(), rtol=1e-12, atol=0,
                                   err_msg=where)
        # By hand with pandas, independently of series_from_data.
        rows = frame if case["units"] == "all" else frame[(frame["treated"] == 1) == (case["units"] == "treated")]
        rows = rows[rows["y"].notna()]
        if "weight" in case:
            by_hand = (rows["y"] * rows["w"]).groupby(rows["m"]).sum() / rows["w"].groupby(rows["m"]).sum()
        else:
            by_hand = rows.groupby("m")["y"].agg(case["statistic"])
        np.testing.assert_allclose(got["value"].to_numpy(), by_hand.to_numpy(), rtol=1e-12, atol=0, err_msg=where)


def test_median_is_exact_on_even_and_odd_counts_in_duckdb_and_portably():
    # Known answers: 2.5 (even count), 3 (odd count), and 0.1, 0.7 whose midpoint is not 0.4 in binary.
    frame = pd.DataFrame({"m": ["2023-01"] * 4 + ["2023-02"] * 5 + ["2023-03"] * 2,
                          "y": [4, 1, 3, 2, 5, 1, 4, 3, 2, 0.1, 0.7]})
    assert series_from_data(frame, "y", time="m", statistic="median")["value"].tolist() == [2.5, 3.0,
                                                                                          (0.1 + 0.7) / 2]
    rng = np.random.default_rng(7)
    big = pd.DataFrame({"m": rng.integers(0, 300, 20_000), "y": rng.standard_cauchy(20_000) * 1e4})
    expected = big.groupby("m")["y"].median().to_numpy()
    for form in ("median", "window"):
        sql = series_sql("y", "m", statistic="median", table="big", exact_median=form)
        got = duckdb.sql(sql).df().sort_values("tv")["value"].to_numpy()
        np.testing.assert_array_equal(got, expected)  # bit for bit, even and odd counts alike
    assert duckdb.sql(series_sql("y", "m", statistic="median", table="frame")).df().shape[0] == 3


def test_the_query_transpiles_and_other_engines_get_the_portable_median():
    frame = _data("text")
    for dialect in ("spark", "trino", "bigquery", "postgres"):
        for statistic, form, weight in (("mean", "median", None), ("mean", "median", "w"), ("sum", "median", None),
                                        ("median", "window", None)):
            sql = series_sql("y", "m", statistic=statistic, units="treated", group="treated", exact_median=form,
                             dates="label", weight=weight)
            assert "GROUP BY" in to_dialect(sql, dialect).upper()
    # An Engine in another dialect gets the row_number() median; its Postgres text also runs on DuckDB.
    con = duckdb.connect()
    con.register("impact_table", frame)
    seen = []

    def run(sql):
        seen.append(sql)
        return con.execute(sql).df()

    engine = Engine(run=run, dialect="postgres", table="impact_table")
    ref = series_from_data(frame, "y", time="m", statistic="median", units="control", group="treated")
    got = series_from_data(engine, "y", time="m", statistic="median", units="control", group="treated")
    assert "ROW_NUMBER" in seen[-1].upper() and "MEDIAN" not in seen[-1].upper()
    assert list(got["date"]) == list(ref["date"])
    np.testing.assert_array_equal(got["value"].to_numpy(), ref["value"].to_numpy())
    np.testing.assert_array_equal(got["n"].to_numpy(), ref["n"].to_numpy())


def test_csv_files_and_a_duckdb_relation_give_the_same_series(tmp_path):
    frame = _data("text")
    frame.to_csv(tmp_path / "data.csv", index=False)
    expected = series_from_data(frame, "y", time="m", units="treated", group="treated", weight="w")
    from_csv = series_from_data(str(tmp_path / "data.csv"), "y", time="m", units="treated", group="treated",
                                weight="w")
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{_parquet(frame, tmp_path)}')")
    from_relation = series_from_data(relation, "y", time="m", units="treated", group="treated", weight="w")
    for got in (from_csv, from_relation):
        assert list(got["date"]) == list(expected["date"])
        np.testing.assert_allclose(got["value"], expected["value"], rtol=1e-12, atol=0)


def test_a_seeded_simulation_recovers_the_period_means(tmp_path):
    rng = np.random.default_rng(11)
    truth = np.linspace(30, 12, 12)  # a delay falling by 18 days over a year
    n = 4_000
    frame = pd.DataFrame({"m": np.repeat([f"2024-{k:02d}" for k in range(1, 13)], n)})
    frame["y"] = np.repeat(truth, n) + rng.normal(0, 5, len(frame))
    got = series_from_data(_parquet(frame, tmp_path), "y", time="m")
    assert np.abs(got["value"].to_numpy() - truth).max() < 4 * 5 / np.sqrt(n)
    assert (got["n"] == n).all()


def test_out_of_core_errors_match_the_in_memory_ones(tmp_path):
    frame = _data("integer")
    path = _parquet(frame, tmp_path)
    with pytest.raises(ConfigError, match="from_data.dates"):
        series_from_data(path, "y", time="m")
    with pytest.raises(DataError, match="'yy' not found"):
        series_from_data(path, "yy", time="m", dates="label")
    with pytest.raises(DataError, match="'label' must be numeric"):
        series_from_data(path, "label", time="m", dates="label")
    with pytest.raises(ConfigError, match="mask selects rows of a DataFrame"):
        series_from_data(path, "y", time="m", dates="label", mask=np.ones(len(frame), bool))
    with pytest.raises(ConfigError, match="needs group="):
        series_from_data(path, "y", time="m", dates="label", units="treated")
    with pytest.raises(DataError, match="unit selection"):
        series_from_data(_parquet(frame.assign(treated=0), tmp_path), "y", time="m", dates="label",
                         units="treated", group="treated")
    frame2 = frame.assign(label=np.where(frame["unit"] == 5, "2021-01", frame["label"]))
    with pytest.raises(DataError, match="several labels within one 'm' period"):
        series_from_data(_parquet(frame2, tmp_path), "y", time="m", dates="label")
    frame3 = frame.assign(w=0.0)
    with pytest.raises(DataError, match="sums to zero"):
        series_from_data(_parquet(frame3, tmp_path), "y", time="m", dates="label", weight="w")
    frame4 = frame.assign(y=np.where(frame["unit"] == 2, np.inf, frame["y"]))
    with pytest.raises(DataError, match="not finite"):
        series_from_data(_parquet(frame4, tmp_path), "y", time="m", dates="label")
    with pytest.raises(DataError, match="infinite"):
        series_from_data(frame4, "y", time="m", dates="label")


def test_date_typed_periods_come_back_as_the_same_dates(tmp_path):
    from impact.indicators import indicator

    frame = _data("text")
    frame["m"] = pd.to_datetime(frame["label"] + "-01")
    path = _parquet(frame, tmp_path)
    expected = series_from_data(frame, "y", time="m", statistic="median")
    got = series_from_data(path, "y", time="m", statistic="median")
    assert list(got["date"]) == list(expected["date"])
    np.testing.assert_array_equal(got["value"].to_numpy(), expected["value"].to_numpy())
    kw = dict(direction="lower", baseline=None, baseline_date="2023-01", target=30, target_date="2024-01")
    a, b = indicator("d", values=expected, **kw), indicator("d", values=got, **kw)
    assert list(a.series["date"]) == list(b.series["date"]) == [f"2023-{m:02d}-01" for m in range(1, 10)]
    assert (a.baseline, a.current, a.status) == (b.baseline, b.current, b.status)


def test_a_median_past_the_memory_limit_falls_back_to_the_sorting_form(tmp_path, monkeypatch):
    import importlib

    src_module = importlib.import_module("impact.scale.source")  # the module, not impact.scale.source()
    frame = _data("text")
    path = _parquet(frame, tmp_path)
    real = src_module._with_progress
    ran = []

    def tight(con, sql, progress, label):
        ran.append(sql)
        if "median(" in sql:  # as DuckDB does when a period's values exceed memory_limit
            raise duckdb.OutOfMemoryException("failed to allocate data of size 16.0 MiB")
        return real(con, sql, progress, label)

    monkeypatch.setattr(src_module, "_with_progress", tight)
    got = series_from_data(path, "y", time="m", statistic="median", units="treated", group="treated")
    assert "median(" in ran[-2] and "row_number()" in ran[-1]
    ref = series_from_data(frame, "y", time="m", statistic="median", units="treated", group="treated")
    np.testing.assert_array_equal(got["value"].to_numpy(), ref["value"].to_numpy())
    with pytest.raises(DataError, match="ran out of memory"):  # other statistics have no second form
        monkeypatch.setattr(src_module, "_with_progress", lambda *a: (_ for _ in ()).throw(
            duckdb.OutOfMemoryException("failed to allocate")))
        series_from_data(path, "y", time="m")
