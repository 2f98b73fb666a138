"""A report's ``from_data`` indicators from a Parquet glob, without loading the frame (issue 13).

The example initiative ``rsa-first-appointment`` has a weighted mean indicator of
the treated départements by month (``dates: month_label``). Its data are split
into three Parquet files; the indicators computed from the glob's aggregate
queries must equal those of the CSV read in memory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from impact.report.estimate import AggregateData, aggregate_data, prepare
from impact.report.evaluation import compute_indicators
from impact.report.initiative import Initiative, load_initiative

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "initiatives" / "rsa-first-appointment"


def _write(folder: Path, config: dict) -> None:
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def folders(tmp_path):
    csv = tmp_path / "csv"
    shutil.copytree(EXAMPLE, csv)
    config = yaml.safe_load((csv / "initiative.yaml").read_text(encoding="utf-8"))
    config["design"]["options"] = {"control": "never", "method": "reg", "n_boot": 0}
    # Every statistic and unit selection, beside the example's own weighted mean of the treated.
    base = next(i for i in config["indicators"] if i.get("from_data"))
    for statistic in ("mean", "median", "sum"):
        for units in ("treated", "control", "all"):
            extra = {**base, "id": f"{statistic}_{units}", "baseline": {"date": "2022-06"},
                     "from_data": {"column": "delay_days", "statistic": statistic, "units": units,
                                   "dates": "month_label"}}
            config["indicators"].append(extra)
    _write(csv, config)
    glob = tmp_path / "glob"
    shutil.copytree(csv, glob)
    data = pd.read_csv(glob / "data.csv")
    (glob / "data.csv").unlink()
    for i, part in enumerate(np.array_split(data["departement"].unique(), 3)):
        data[data["departement"].isin(part)].to_parquet(glob / f"data-{i}.parquet", index=False)
    config["data"]["file"] = "data-*.parquet"
    _write(glob, config)
    return csv, glob


def test_indicators_from_the_glob_equal_those_of_the_csv(folders, monkeypatch):
    csv, glob = folders
    mem = load_initiative(csv)
    expected = compute_indicators(mem, prepare(mem))
    ini = load_initiative(glob)
    # The statistics of the glob, as prepare() gives them to the report (the indicators play no part in them).
    without = Initiative(folder=ini.folder, config={**ini.config, "indicators": [
        i for i in ini.config["indicators"] if not i.get("from_data")]})
    monkeypatch.setattr(Initiative, "read_data", lambda self: pytest.fail("the full frame was loaded"))
    agg = aggregate_data(without)
    assert isinstance(agg, AggregateData)
    got = compute_indicators(ini, agg)
    assert [r.id for r in got] == [r.id for r in expected] and len(got) == 11
    for r, e in zip(got, expected):
        assert list(r.series["date"]) == list(e.series["date"]), r.id
        np.testing.assert_array_equal(r.series["n"].to_numpy(), e.series["n"].to_numpy())
        np.testing.assert_allclose(r.series["value"].to_numpy(float), e.series["value"].to_numpy(float),
                                   rtol=1e-12, atol=0, err_msg=r.id)
        assert (r.current, r.current_date, r.status) == (pytest.approx(e.current, rel=1e-12), e.current_date,
                                                         e.status)
        assert r.baseline == pytest.approx(e.baseline, rel=1e-12)
        assert r.progress == pytest.approx(e.progress, rel=1e-12)


def test_a_report_with_from_data_indicators_leaves_the_glob_on_disk(folders, monkeypatch):
    _, glob = folders
    monkeypatch.setattr(Initiative, "read_data", lambda self: pytest.fail("the full frame was loaded"))
    ini = load_initiative(glob)
    assert isinstance(prepare(ini), AggregateData)


def test_validate_finds_a_misspelt_from_data_column_in_the_parquet_schema(folders, monkeypatch):
    from impact.report.evaluation import check_evaluation
    from impact.report.localise import localise_config

    _, glob = folders
    config = localise_config(yaml.safe_load((glob / "initiative.yaml").read_text(encoding="utf-8")))
    assert check_evaluation(config, glob) == []
    config["indicators"][0]["from_data"].update(column="delay_day", weight="beneficiaries")
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **k: pytest.fail("rows were read"))
    problems = check_evaluation(config, glob)
    assert problems[0].startswith("indicators[0].from_data.column: column 'delay_day' not found in data-*.parquet; "
                                  "did you mean 'delay_days'?")
    assert problems[1].startswith("indicators[0].from_data.weight: column 'beneficiaries' not found")
    assert len(problems) == 2


def test_periods_follow_the_calendar_not_the_text(tmp_path):
    # Months written MM/YYYY sort as text with January 2024 before November 2023: the latest value would be
    # December's. Both paths put them in time order; in memory one month written two ways is one period.
    from impact.errors import DataError
    from impact.indicators import series_from_data

    df = pd.DataFrame({"t": ["11/2023", "12/2023", "01/2024", "02/2024"] * 2, "y": np.arange(8.0)})
    df.to_parquet(tmp_path / "m.parquet")
    for data in (df, str(tmp_path / "m.parquet")):
        got = series_from_data(data, "y", time="t")
        assert got["date"].tolist() == ["11/2023", "12/2023", "01/2024", "02/2024"]
        assert got["value"].tolist() == [2.0, 3.0, 4.0, 5.0]
    mixed = pd.DataFrame({"t": ["2023-07", "07/2023", "2023-08", "08/2023"], "y": [1.0, 3.0, 5.0, 7.0]})
    got = series_from_data(mixed, "y", time="t")
    assert got["value"].tolist() == [2.0, 6.0] and got["n"].tolist() == [2, 2]
    mixed.to_parquet(tmp_path / "mixed.parquet")
    with pytest.raises(DataError, match="writes one period in two ways"):
        series_from_data(str(tmp_path / "mixed.parquet"), "y", time="t")
