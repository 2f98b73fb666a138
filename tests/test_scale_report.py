"""An initiative whose ``data.file`` is a glob of Parquet files (issue 13): read, hashed, validated and estimated.

The files can be stacked into a DataFrame; a report whose numbers all follow from
aggregate statistics leaves them on disk (``prepare(ini)``) and gives the CSV's
headline, robustness estimates, trends figure and design table without loading them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from impact.errors import DataError
from impact.report.estimate import prepare, run_estimator
from impact.report.initiative import check_run, load_initiative

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "initiatives" / "rsa-first-appointment"


@pytest.fixture
def glob_initiative(tmp_path):
    folder = tmp_path / "rsa"
    shutil.copytree(EXAMPLE, folder)
    data = pd.read_csv(folder / "data.csv")
    (folder / "data.csv").unlink()
    units = data["departement"].unique()
    for i, part in enumerate(np.array_split(units, 3)):
        data[data["departement"].isin(part)].to_parquet(folder / f"data-{i}.parquet", index=False)
    config = yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8"))
    config["data"]["file"] = "data-*.parquet"
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return folder, data


def test_a_glob_of_parquet_files_is_the_initiative_data(glob_initiative):
    folder, data = glob_initiative
    ini = load_initiative(folder, check_data=True)
    frame = ini.read_data()
    key = ["departement", "month"]
    pd.testing.assert_frame_equal(frame.sort_values(key, ignore_index=True), data.sort_values(key, ignore_index=True),
                                  check_dtype=False)
    digest = ini.data_sha256()
    assert len(digest) == 64
    pd.read_parquet(folder / "data-1.parquet").iloc[:-1].to_parquet(folder / "data-1.parquet", index=False)
    assert ini.data_sha256() != digest
    problems, _ = check_run(load_initiative(folder))
    assert problems == []


def test_the_headline_estimator_reads_the_glob_out_of_core(glob_initiative):
    folder, data = glob_initiative
    ini = load_initiative(folder)
    ini = type(ini)(folder=ini.folder, config={**ini.config, "design": {**ini.design, "options": {
        "control": "never", "method": "reg", "n_boot": 0}}})
    in_memory = run_estimator(ini, prepare(ini, ini.read_data()))
    out_of_core = run_estimator(ini, str(folder / "data-*.parquet"))
    assert out_of_core.estimate == pytest.approx(in_memory.estimate, abs=1e-10)
    assert out_of_core.se == pytest.approx(in_memory.se, abs=1e-10)


def test_a_glob_that_matches_nothing_is_a_data_error(glob_initiative):
    folder, _ = glob_initiative
    for f in folder.glob("data-*.parquet"):
        f.unlink()
    with pytest.raises(DataError, match="matches no file"):
        load_initiative(folder).read_data()


def _exact(folder):
    """The initiative with analytic standard errors: the out-of-core draws are Gaussian, not Mammen multipliers."""
    config = yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8"))
    config["design"]["options"] = {"control": "never", "method": "reg", "n_boot": 0}
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return load_initiative(folder)


def test_a_report_from_the_glob_runs_on_aggregate_queries(glob_initiative, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from impact.report import sections as S
    from impact.report.estimate import AggregateData, comparison_table, run_all
    from impact.report.initiative import Initiative

    folder, data = glob_initiative
    csv_folder = tmp_path / "csv"
    shutil.copytree(EXAMPLE, csv_folder)
    in_memory = _exact(csv_folder)
    frame = prepare(in_memory)
    mem_results = run_all(in_memory, frame)
    mem_trends, mem_masked = S.trends_figure(in_memory, frame, "fr")

    ini = _exact(folder)
    assert check_run(ini)[0] == []
    # From here on, loading the whole data is an error: every number must come from aggregate queries.
    monkeypatch.setattr(Initiative, "read_data", lambda self: pytest.fail("the full frame was loaded"))
    agg = prepare(ini)
    assert isinstance(agg, AggregateData)
    results = run_all(ini, agg, lang="fr")
    head, mem_head = results[ini.design["estimator"]], mem_results[ini.design["estimator"]]
    for field in ("estimate", "se", "ci_low", "ci_high", "pvalue"):
        assert getattr(head, field) == pytest.approx(getattr(mem_head, field), abs=1e-10)
    # Robustness: TWFE and the event study from the same statistics; the others need unit-level data.
    for name in ("twfe", "event_study"):
        assert results[name].estimate == pytest.approx(mem_results[name].estimate, abs=1e-10)
        assert results[name].se == pytest.approx(mem_results[name].se, abs=1e-10)
    table = comparison_table(results).set_index("estimator")
    assert table.loc[["sun_abraham", "imputation"], "estimate"].isna().all()
    assert table.loc[["sun_abraham", "imputation"], "skipped"].all() and not table["skipped"].drop(
        ["sun_abraham", "imputation"]).any()
    html = S.estimates_table(comparison_table(results), "fr", headline=ini.design["estimator"])
    assert html.count("demande les données individuelles (fichiers lus hors mémoire)") == 2
    assert any(note.startswith("Non estimés") and "Sun" in note for note in head.notes)
    # The figure's lines and the design table are those of the CSV.
    fig, masked = S.trends_figure(ini, agg, "fr")
    assert masked == mem_masked
    for line, mem_line in zip(fig.axes[0].get_lines(), mem_trends.axes[0].get_lines()):
        assert line.get_label() == mem_line.get_label()
        np.testing.assert_allclose(line.get_ydata(), mem_line.get_ydata(), atol=1e-10)
        assert list(line.get_xdata()) == list(mem_line.get_xdata())
    assert S.design_table(ini, agg, "fr") == S.design_table(in_memory, frame, "fr")


def test_the_cache_key_sees_glob_parts_in_subfolders_without_reading_big_ones(glob_initiative, monkeypatch):
    import os

    from impact.report import execute

    folder, _ = glob_initiative
    (folder / "parts").mkdir()
    for f in folder.glob("data-*.parquet"):
        f.rename(folder / "parts" / f.name)
    config = yaml.safe_load((folder / "initiative.yaml").read_text(encoding="utf-8"))
    config["data"]["file"] = "parts/data-*.parquet"
    (folder / "initiative.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    key = execute.cache_key(folder, "en")
    part = folder / "parts" / "data-1.parquet"
    pd.read_parquet(part).iloc[:-1].to_parquet(part, index=False)
    assert execute.cache_key(folder, "en") != key  # a part in a subfolder counts
    # Above the limit a part counts by size and modification time; its bytes are not read.
    monkeypatch.setattr(execute, "CONTENT_HASH_LIMIT", 0)
    read = []
    monkeypatch.setattr(Path, "read_bytes", lambda self, _orig=Path.read_bytes: read.append(self.name) or _orig(self))
    big = execute.cache_key(folder, "en")
    assert not any(name.endswith(".parquet") for name in read)
    assert execute.cache_key(folder, "en") == big
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert execute.cache_key(folder, "en") != big


@pytest.mark.slow
def test_a_whole_report_from_the_glob_runs_in_its_notebook_kernel(glob_initiative, tmp_path):
    # The report notebook runs in a Jupyter kernel, where DuckDB behaves differently (it refused the progress
    # settings there): run the real thing, as impact run does, and read its summary.
    import json

    from impact.report.batch import run_batch

    folder, _ = glob_initiative
    run_batch([str(folder)], str(tmp_path / "out"), lang="fr", jobs=1)
    record = json.loads((tmp_path / "out" / "rsa-first-appointment" / "summary.json").read_text(encoding="utf-8"))
    assert record["status"] == "ok", record.get("error")
    assert record["estimate"] == pytest.approx(-64.0722, abs=1e-4)
