"""The statistics query, written once in DuckDB's dialect, runs unchanged (transpiled by sqlglot) on other engines.

DataFusion (an embedded Rust engine, PostgreSQL-flavoured SQL) runs in-process
in a second; Spark in local mode needs pyspark (the ``spark`` extra) and Java
and is skipped without them (it passed with pyspark 4.3.0 and OpenJDK 17 in
about a minute on an idle machine; it starts a JVM, so it is marked slow). Each must give the DuckDB statistics and the
in-memory estimates.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from impact.did import callaway_santanna, event_study, twfe
from impact.scale import Engine, panel_statistics

sys.path.insert(0, str(Path(__file__).parent))
from sim_staggered import staggered_panel  # noqa: E402

TOL = 1e-10


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    df = staggered_panel(seed=3, n_units=150, n_periods=6, cohorts=(0, 3, 4, 6))
    df["region"] = df["id"] % 11
    path = tmp_path_factory.mktemp("engines") / "panel.parquet"
    df.to_parquet(path)
    return df, str(path)


def _check_engine(engine, df, path):
    for cluster in (None, "region"):
        ref = panel_statistics(path, "y", "id", "t", cohort="g", cluster=cluster)
        got = panel_statistics(engine, "y", "id", "t", cohort="g", cluster=cluster)
        np.testing.assert_array_equal(got.keys, ref.keys)
        np.testing.assert_array_equal(got.n, ref.n)
        np.testing.assert_allclose(got.mean, ref.mean, atol=TOL)
        if cluster is None:
            np.testing.assert_allclose(got.cov, ref.cov, atol=TOL)
        mem = callaway_santanna(df, "y", "id", "t", "g", n_boot=0, cluster=cluster, control="not_yet")
        ooc = callaway_santanna(engine, "y", "id", "t", "g", n_boot=0, cluster=cluster, control="not_yet")
        np.testing.assert_allclose(ooc.to_frame()[["estimate", "se"]], mem.to_frame()[["estimate", "se"]], atol=TOL)
        assert ooc.aggregate("dynamic").se == pytest.approx(mem.aggregate("dynamic").se, abs=TOL)
    assert twfe(engine, "y", "id", "t", "d").estimate == pytest.approx(twfe(df, "y", "id", "t", "d").estimate,
                                                                       abs=TOL)
    assert event_study(engine, "y", "id", "t", "g").se == pytest.approx(event_study(df, "y", "id", "t", "g").se,
                                                                        abs=TOL)


def test_datafusion_runs_the_transpiled_query(panel):
    datafusion = pytest.importorskip("datafusion", reason="datafusion (second in-process SQL engine) not installed")
    df, path = panel
    ctx = datafusion.SessionContext()
    ctx.register_parquet("claims", path)
    _check_engine(Engine(run=lambda sql: ctx.sql(sql).to_pandas(), dialect="postgres", table="claims"), df, path)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::FutureWarning:pyspark.*", "ignore::DeprecationWarning:pyspark.*",
                            "ignore:The copy keyword is deprecated")
def test_spark_local_mode_runs_the_transpiled_query(panel):
    pyspark = pytest.importorskip("pyspark", reason="pyspark not installed (pip install 'impact[spark]')")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime; none on PATH")
    from pyspark.sql import SparkSession

    df, path = panel
    spark = (SparkSession.builder.master("local[1]").appName("impact-test").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    try:
        spark.read.parquet(path).createOrReplaceTempView("claims")
        _check_engine(Engine(run=lambda sql: spark.sql(sql).toPandas(), dialect="spark", table="claims"), df, path)
    finally:
        spark.stop()
    assert pyspark.__version__
