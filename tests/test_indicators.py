"""Indicators against targets: progress, status and their edge cases (issue 12)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from impact.errors import ConfigError, DataError, ImpactError
from impact.indicators import (
    check_indicator_spec,
    elapsed_share,
    indicator,
    parse_date,
    progress_status,
    series_from_data,
)

DELAY = dict(direction="lower", baseline=92, baseline_date="2022-06", target=15, target_date="2024-12")


def _delay(*values):
    return indicator("delay", label="Delay", unit="days", **DELAY,
                     values=[{"date": d, "value": v} for d, v in values])


def test_issue_example_by_hand():
    # Baseline 2022-06-01, target 2024-12-01 (914 days); latest value dated 2024-06-01 (731 days in).
    r = _delay(("2023-06", 61), ("2024-06", 31))
    assert r.progress == pytest.approx((31 - 92) / (15 - 92), abs=1e-15)
    assert r.elapsed == pytest.approx(731 / 914, abs=1e-12)
    assert r.current == 31 and r.current_date == "2024-06"
    # 79.2 % of the way with 80.0 % of the time gone: just behind.
    assert r.status == "behind"


def test_lower_is_better_on_track():
    r = _delay(("2023-06", 61), ("2024-06", 29))
    assert r.progress == pytest.approx(63 / 77) and r.progress > r.elapsed
    assert r.status == "on_track"


def test_target_passed_is_met_and_unclamped():
    r = _delay(("2024-06", 10))
    assert r.progress == pytest.approx(82 / 77) and r.progress > 1
    assert r.status == "met"
    # Exactly at the target also counts as met.
    assert _delay(("2023-01", 15)).status == "met"


def test_worse_than_baseline():
    r = _delay(("2023-06", 100))
    assert r.progress == pytest.approx(-8 / 77) and r.progress < 0
    assert r.status == "worse"


def test_target_date_passed_without_reaching_it_is_behind():
    r = _delay(("2025-06", 16))
    assert r.elapsed == 1.0 and r.progress < 1
    assert r.status == "behind"


def test_higher_is_better():
    kw = dict(direction="higher", baseline=40, baseline_date="2022", target=60, target_date="2026")
    assert indicator("x", **kw, values=[{"date": "2024", "value": 55}]).status == "on_track"  # 75 % vs 50 %
    assert indicator("x", **kw, values=[{"date": "2024", "value": 45}]).status == "behind"  # 25 % vs 50 %
    assert indicator("x", **kw, values=[{"date": "2024", "value": 35}]).status == "worse"
    assert indicator("x", **kw, values=[{"date": "2024", "value": 61}]).status == "met"


@pytest.mark.parametrize("current, status", [(50, "met"), (52, "met"), (49.5, "behind")])
def test_target_equal_to_baseline_holds_the_level(current, status):
    r = indicator("hold", direction="higher", baseline=50, baseline_date="2023-01", target=50,
                  target_date="2024-01", values=[{"date": "2023-07", "value": current}])
    assert r.progress is None and r.status == status
    assert r.to_record()["progress"] is None


def test_hold_the_level_lower_is_better():
    assert progress_status(10, 10, 9, "lower", 0.5) == (None, "met")
    assert progress_status(10, 10, 11, "lower", 0.5) == (None, "behind")


def test_target_worse_than_baseline_is_refused():
    with pytest.raises(ConfigError, match="worse than the baseline"):
        progress_status(92, 120, 80, "lower", 0.5)


def test_elapsed_share_bounds_and_order():
    assert elapsed_share("2022-01", "2024-01", "2021-06") == 0.0
    assert elapsed_share("2022-01", "2024-01", "2023-01") == pytest.approx(365 / 730)
    with pytest.raises(ConfigError, match="target.date"):
        elapsed_share("2024-01", "2022-01", "2023-01")


@pytest.mark.parametrize("label, expected", [("2023-07", "2023-07-01"), ("2023-07-15", "2023-07-15"),
                                             ("2023Q3", "2023-07-01"), ("07/2023", "2023-07-01"),
                                             (2023, "2023-01-01"), ("2023-T3", "2023-07-01"),
                                             ("Q3 2023", "2023-07-01"), ("15/07/2023", "2023-07-15")])
def test_date_labels(label, expected):
    assert parse_date(label) == pd.Timestamp(expected)


@pytest.mark.parametrize("label", ["juin 2022", 12, "2023-13", ""])
def test_unreadable_dates(label):
    with pytest.raises(ConfigError, match=f"cannot read {label!r} as a date"):
        parse_date(label, "baseline.date")


def test_bad_date_names_the_setting():
    with pytest.raises(ConfigError, match=r"baseline.date.*'juin 2022'"):
        indicator("d", direction="lower", baseline=1, baseline_date="juin 2022", target=0, target_date="2024",
                  values=[{"date": "2023", "value": 1}])


def test_latest_value_is_current_whatever_the_order_and_missing_ignored():
    r = _delay(("2024-06", 31), ("2023-06", 61), ("2024-09", None))
    assert r.current_date == "2024-06" and list(r.to_frame()["term"]) == ["2023-06", "2024-06"]


def test_no_value_and_duplicate_dates_are_data_errors():
    with pytest.raises(DataError, match="no measured value"):
        _delay(("2023-06", None))
    with pytest.raises(DataError, match="two measurements dated"):
        _delay(("2023-06", 61), ("2023-06", 60))


def test_results_protocol():
    r = _delay(("2023-06", 61), ("2024-06", 31))
    assert r.estimate == 31 and math.isnan(r.se) and r.n_obs == 2 and r.target_in_interval is None
    assert {"term", "estimate", "se", "ci_low", "ci_high", "pvalue"} <= set(r.to_frame().columns)
    assert "behind" in r.summary() and "<table>" in r._repr_html_()
    assert "ci_low" not in r.to_record()  # only survey-based indicators carry an interval


def test_interval_says_whether_it_includes_the_target():
    values = pd.DataFrame({"date": ["2023-05", "2024-05"], "value": [0.41, 0.47], "se": [0.02, 0.02],
                           "ci_low": [0.37, 0.43], "ci_high": [0.45, 0.51], "n": [900, 900]})
    kw = dict(direction="higher", baseline=0.40, baseline_date="2023-01", target_date="2025-01",
              values=values, method="from_survey")
    inside = indicator("top", target=0.50, **kw)
    outside = indicator("top", target=0.55, **kw)
    assert inside.target_in_interval is True and outside.target_in_interval is False
    assert inside.to_record()["ci_low"] == 0.43 and inside.to_record()["ci_high"] == 0.51
    assert "includes the target" in inside.summary() and "excludes the target" in outside.summary()


def test_series_from_data_matches_pandas():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"unit": np.repeat(np.arange(10), 6), "t": np.tile(np.arange(1, 7), 10),
                         "y": rng.normal(50, 5, 60), "w": rng.integers(1, 20, 60)})
    data["label"] = data["t"].map(lambda t: f"2023-{t:02d}")
    treated = data["unit"] < 4
    s = series_from_data(data, "y", time="t", dates="label", mask=treated)
    expected = data[treated].groupby("t")["y"].mean()
    np.testing.assert_allclose(s["value"], expected.to_numpy(), rtol=1e-14)
    assert list(s["date"]) == [f"2023-{t:02d}" for t in range(1, 7)] and (s["n"] == 4).all()
    weighted = series_from_data(data, "y", time="t", dates="label", weight="w")
    by_hand = data.assign(wy=data.y * data.w).groupby("t")[["wy", "w"]].sum()
    np.testing.assert_allclose(weighted["value"], (by_hand.wy / by_hand.w).to_numpy(), rtol=1e-14)
    med = series_from_data(data, "y", time="t", dates="label", statistic="median")
    np.testing.assert_allclose(med["value"], data.groupby("t")["y"].median().to_numpy(), rtol=1e-14)


def test_series_from_data_errors_name_the_fix():
    data = pd.DataFrame({"t": [1, 2], "y": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="from_data.dates"):
        series_from_data(data, "y", time="t")
    with pytest.raises(DataError, match="'yy' not found"):
        series_from_data(data, "yy", time="t")
    with pytest.raises(ConfigError, match="statistic"):
        series_from_data(data.assign(t=["2023", "2024"]), "y", time="t", statistic="mode")


def test_baseline_value_taken_from_the_series():
    values = [{"date": "2022-06", "value": 90.0}, {"date": "2023-06", "value": 70.0}]
    r = indicator("d", direction="lower", baseline=None, baseline_date="2022-06", target=50, target_date="2024-06",
                  values=values, method="from_data")
    assert r.baseline == 90.0 and r.progress == pytest.approx(0.5)
    with pytest.raises(ConfigError, match="baseline.value is missing"):
        indicator("d", direction="lower", baseline=None, baseline_date="2022-01", target=50, target_date="2024-06",
                  values=values)


def test_spec_checks_list_every_problem():
    spec = {"id": "x", "direction": "down", "baseline": {"value": 3, "date": "2022"}, "target": {"value": 1},
            "values": [{"date": "2023", "value": 2}], "from_data": {"column": "y"}, "colour": "red"}
    problems = check_indicator_spec(spec, "indicators[0]")
    text = "\n".join(problems)
    for needle in ("indicators[0].colour", "direction", "exactly one of", "indicators[0].target"):
        assert needle in text
    ok = {"id": "sat", "direction": "higher", "baseline": {"value": 0.4, "date": "2023-05"},
          "target": {"value": 0.5, "date": "2025-05"}, "from_survey": {"question": "satisfaction",
                                                                      "statistic": "top_box"}}
    assert check_indicator_spec(ok, "i", {"satisfaction": ["mean", "top_box"]}) == []
    assert "add it to that question" in check_indicator_spec(ok, "i", {"satisfaction": ["mean"]})[0]
    assert "needs a feedback section" in check_indicator_spec(ok, "i", None)[0]


def test_every_error_is_an_impact_error():
    with pytest.raises(ImpactError):
        indicator("", direction="lower", baseline=1, baseline_date="2022", target=0, target_date="2023", values=[])


def test_labels_parsed_together_read_as_each_alone():
    import datetime as dt

    from impact.indicators import parse_date, parse_dates

    labels = ["2023-07", "2023-07-15", "2023-07-01", "2023-07-31", "2023Q3", "2023-T3", "07/2023", "2023",
              "15/07/2023", " 2024-02 ", "2024-02-29", "2023-06-30", dt.date(2023, 5, 4), pd.Timestamp("2022-01-03"),
              pd.Period("2023Q1"), 2021, "1999-12", "31/12/2023"]
    assert parse_dates(labels) == [parse_date(v) for v in labels]
    with pytest.raises(ConfigError, match="cannot read '2023-13'"):
        parse_dates(["2023-01", "2023-13"])
