"""Indicators against targets: baseline, target, a measured series, progress and status.

An indicator is what a public-innovation lab promised to move: a delay, a
take-up rate, a satisfaction score. It has a baseline (value and date), a
target (value and date), a direction (``lower`` or ``higher`` is better) and
a series of measurements, entered by hand, computed per period from the
evaluation data (:func:`series_from_data`) or per wave from a survey (the
series then carries design-based intervals, see :mod:`impact.feedback`).

The rules (also in ``API.md``):

- the current value is the latest of the series;
- ``progress = (current - baseline) / (target - baseline)``, unclamped: above
  1 the target is passed, below 0 the indicator is worse than its baseline;
  ``None`` when the target equals the baseline ("hold the level");
- ``status`` is ``met`` (at or beyond the target in the good direction),
  ``worse`` (progress below 0), ``on_track`` (progress at least the elapsed
  share of the time from the baseline date to the target date, as of the
  current value's date) or ``behind``. A hold-the-level target is ``met`` or
  ``behind``.

This module is pure library: it knows nothing of reports or notebooks.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from impact.data import check_choice, check_columns, check_numeric
from impact.errors import ConfigError, DataError
from impact.results import Summary, SummaryDisplay

__all__ = [
    "STATUSES",
    "DIRECTIONS",
    "IndicatorResult",
    "indicator",
    "progress_status",
    "parse_date",
    "series_from_data",
    "check_indicator_spec",
]

Direction = Literal["lower", "higher"]
DIRECTIONS = ("lower", "higher")
STATUSES = ("met", "on_track", "behind", "worse")
DATA_STATISTICS = ("mean", "median", "sum")
UNITS = ("treated", "control", "all")
SERIES_COLUMNS = ("date", "value", "se", "ci_low", "ci_high", "n")


def parse_date(value: Any, where: str = "date") -> pd.Timestamp:
    """The start of the period a date label names: ``2023-07``, ``2023-07-15``, ``2023Q3``, ``2023-T3``, ``07/2023``, ``2023``.

    Labels are read by :func:`impact.periods.parse_periods` (the forms the
    evaluation data accept), and are used only to measure elapsed time; they
    are shown as written.
    """
    from impact.periods import parse_periods

    original = value
    if isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, (_dt.date, _dt.datetime, np.datetime64)):
        return pd.Timestamp(value)
    if isinstance(value, pd.Period):
        return value.start_time
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = str(int(value))  # a year; other integers are period codes, not dates
    if isinstance(value, str) and value.strip():
        try:
            (ordinal,), base, _ = parse_periods(pd.Series([value.strip()]), where, role="date")
        except DataError:
            base = None
        if base == "month":
            return pd.Timestamp(year=1970 + int(ordinal) // 12, month=int(ordinal) % 12 + 1, day=1)
        if base == "day":
            return pd.Timestamp(np.datetime64(int(ordinal), "D"))
        if base == "int" and 1000 <= int(ordinal) <= 9999:
            return pd.Timestamp(year=int(ordinal), month=1, day=1)
    raise ConfigError(
        f"{where}: cannot read {original!r} as a date; write it as 2023-07, 2023-07-15, 2023Q3, 07/2023 or 2023"
    )


def date_label(value: Any) -> str:
    """A date as the user wrote it (ISO for date objects)."""
    if isinstance(value, (_dt.datetime, pd.Timestamp)):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConfigError(f"{where} must be a number (got {value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number (got {value!r})")
    return value


def elapsed_share(baseline_date, target_date, current_date) -> float:
    """Share of the time from the baseline date to the target date elapsed at ``current_date``, in [0, 1]."""
    start, end, now = (parse_date(d, w) for d, w in ((baseline_date, "baseline.date"),
                                                         (target_date, "target.date"),
                                                         (current_date, "current date")))
    span = (end - start).total_seconds()
    if span <= 0:
        raise ConfigError(f"target.date ({date_label(target_date)}) must come after baseline.date "
                          f"({date_label(baseline_date)})")
    return float(min(max((now - start).total_seconds() / span, 0.0), 1.0))


def progress_status(baseline: float, target: float, current: float, direction: Direction,
                    elapsed: float) -> tuple[float | None, str]:
    """Progress towards the target and the status it earns.

    Parameters
    ----------
    baseline, target, current : float
        The indicator's values; the target must not be worse than the
        baseline in ``direction``.
    direction : {"lower", "higher"}
        Which way is better.
    elapsed : float
        Share of the time from baseline date to target date elapsed at the
        current value's date, in [0, 1].

    Returns
    -------
    (progress, status)
        ``progress`` is ``(current - baseline) / (target - baseline)``,
        unclamped, or ``None`` when ``target == baseline``; ``status`` is one
        of :data:`STATUSES`.
    """
    check_choice("direction", direction, DIRECTIONS)
    sign = 1.0 if direction == "higher" else -1.0
    if sign * (target - baseline) < 0:
        raise ConfigError(
            f"target {target:g} is worse than the baseline {baseline:g} for direction={direction!r}; "
            "swap the direction or correct the target"
        )
    met = sign * (current - target) >= 0
    if target == baseline:
        return None, "met" if met else "behind"
    progress = (current - baseline) / (target - baseline)
    if met:
        return progress, "met"
    if progress < 0:
        return progress, "worse"
    return progress, "on_track" if progress >= elapsed else "behind"


def _as_series(values) -> pd.DataFrame:
    """Normalise measurements to the columns of :data:`SERIES_COLUMNS`, sorted by date."""
    if values is None:
        raise ConfigError("an indicator needs measurements: values, from_data or from_survey")
    frame = pd.DataFrame(values).copy() if not isinstance(values, pd.DataFrame) else values.copy()
    missing = [c for c in ("date", "value") if c not in frame.columns]
    if missing:
        raise ConfigError(f"indicator values need 'date' and 'value' for each measurement (missing {missing}); "
                          "write values: [{date: 2023-06, value: 61}, ...]")
    for column in SERIES_COLUMNS[2:]:
        if column not in frame:
            frame[column] = np.nan
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame = frame.loc[frame["value"].notna(), list(SERIES_COLUMNS)]
    if frame.empty:
        raise DataError("indicator has no measured value; add at least one to values (or check the data)")
    frame["_t"] = [parse_date(d, "values.date") for d in frame["date"]]
    frame["date"] = [date_label(d) for d in frame["date"]]
    if frame["_t"].duplicated().any():
        dup = frame.loc[frame["_t"].duplicated(), "date"].iloc[0]
        raise DataError(f"indicator has two measurements dated {dup!r}; keep one per date")
    return frame.sort_values("_t").drop(columns="_t").reset_index(drop=True)


@dataclass(frozen=True, kw_only=True)
class IndicatorResult(SummaryDisplay):
    """An indicator measured against its baseline and target.

    Follows the results protocol: ``estimate`` is the current value, ``se``,
    ``ci_low`` and ``ci_high`` its interval when it comes from a survey (NaN
    otherwise), ``to_frame()`` the measured series.
    """

    id: str
    label: str
    unit: str
    direction: Direction
    baseline: float
    baseline_date: str
    target: float
    target_date: str
    series: pd.DataFrame = field(repr=False)
    current: float
    current_date: str
    progress: float | None
    status: str
    elapsed: float
    se: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    source: str | None = None
    method: str = "values"
    alpha: float = 0.05

    @property
    def estimate(self) -> float:
        return self.current

    @property
    def pvalue(self) -> float:
        return float("nan")

    @property
    def n_obs(self) -> int:
        return int(len(self.series))

    @property
    def has_interval(self) -> bool:
        return math.isfinite(self.ci_low) and math.isfinite(self.ci_high)

    @property
    def target_in_interval(self) -> bool | None:
        """Whether the current value's interval includes the target (None without an interval)."""
        if not self.has_interval:
            return None
        return bool(self.ci_low <= self.target <= self.ci_high)

    def to_frame(self) -> pd.DataFrame:
        """The series: ``term`` (date label), ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``pvalue``, ``n``."""
        s = self.series
        return pd.DataFrame({"term": s["date"], "estimate": s["value"], "se": s["se"], "ci_low": s["ci_low"],
                             "ci_high": s["ci_high"], "pvalue": np.nan, "n": s["n"]})

    def to_record(self) -> dict:
        """The ``summary.json`` object of this indicator (``ci_low``/``ci_high`` only with an interval)."""
        record = {
            "id": self.id, "label": self.label, "unit": self.unit, "direction": self.direction,
            "baseline": self.baseline, "baseline_date": self.baseline_date,
            "target": self.target, "target_date": self.target_date,
            "current": self.current, "current_date": self.current_date,
            "progress": self.progress, "status": self.status,
        }
        if self.method == "from_survey":
            record["ci_low"] = self.ci_low if self.has_interval else None
            record["ci_high"] = self.ci_high if self.has_interval else None
        return record

    @cached_property
    def _summary(self) -> Summary:
        progress = "-" if self.progress is None else f"{self.progress:.1%}"
        header = [
            ("Direction", f"{self.direction} is better"),
            ("Baseline", f"{self.baseline:g} ({self.baseline_date})"),
            ("Target", f"{self.target:g} ({self.target_date})"),
            ("Current", f"{self.current:g} ({self.current_date})"),
            ("Progress", progress),
            ("Time elapsed", f"{self.elapsed:.1%}"),
            ("Status", self.status),
            ("Measured by", self.method + (f" ({self.source})" if self.source else "")),
        ]
        notes = []
        if self.target_in_interval is not None:
            level = f"{100 * (1 - self.alpha):g}%"
            notes.append(f"The {level} interval of the current value [{self.ci_low:.4g}, {self.ci_high:.4g}] "
                         + ("includes" if self.target_in_interval else "excludes") + " the target.")
        title = f"{self.label} ({self.unit})" if self.unit else self.label
        return Summary(title, tuple(header), self.to_frame(), tuple(notes))


    def plot(self, ax=None, color: str | None = None):
        """Baseline, measured series (with intervals), and target; the status colours the series."""
        from impact.plots import _axes

        ax = _axes(ax, figsize=(4, 3))
        color = color or STATUS_COLOURS[self.status]
        t = [parse_date(d) for d in self.series["date"]]
        b, g = parse_date(self.baseline_date), parse_date(self.target_date)
        ax.plot(t, self.series["value"], marker="o", ms=3, color=color, lw=1.5)
        if self.series["ci_low"].notna().any():
            ax.fill_between(t, self.series["ci_low"], self.series["ci_high"], color=color, alpha=0.2, lw=0)
        ax.plot([b], [self.baseline], marker="s", color="grey", ls="none")
        ax.plot([g], [self.target], marker="*", ms=10, color="black", ls="none")
        ax.plot([b, g], [self.baseline, self.target], color="grey", ls=":", lw=1)
        ax.set_title(self.label, fontsize=9)
        if self.unit == "%":  # shares are stored as fractions
            from matplotlib.ticker import PercentFormatter

            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        elif self.unit:
            ax.set_ylabel(self.unit, fontsize=8)
        ax.tick_params(labelsize=7)
        return ax


#: Status colours shared by the chart and the report (colour-blind-safe Okabe-Ito hues).
STATUS_COLOURS = {"met": "#009E73", "on_track": "#0072B2", "behind": "#E69F00", "worse": "#D55E00"}


def indicator(
    id: str,
    *,
    label: str | None = None,
    unit: str = "",
    direction: Direction,
    baseline: float | None,
    baseline_date,
    target: float,
    target_date,
    values,
    source: str | None = None,
    method: str = "values",
    alpha: float = 0.05,
) -> IndicatorResult:
    """Measure an indicator against its baseline and target.

    Parameters
    ----------
    id, label, unit : str
        Identifier, human label and unit ("days", "%").
    direction : {"lower", "higher"}
        Which way is better.
    baseline, target : float
        Values; ``baseline=None`` takes the series' value at ``baseline_date``.
    baseline_date, target_date
        Date labels (``2022-06``, ``2024Q4``, ...); the target date must follow the baseline date.
    values : DataFrame or list of dict
        Measurements with ``date`` and ``value``, optionally ``se``, ``ci_low``,
        ``ci_high``, ``n`` (an interval from a survey); missing values are ignored.
    method : {"values", "from_data", "from_survey"}
        How the series was obtained (shown in the summary; ``from_survey``
        adds ``ci_low``/``ci_high`` to the record).

    Returns
    -------
    IndicatorResult

    Notes
    -----
    Progress compares the latest value with the straight line from baseline to
    target: an indicator is ``on_track`` when it has covered at least the share
    of the distance that the share of elapsed time calls for. This assumes
    steady progress is expected; targets reached in steps are better judged
    with intermediate milestones (one indicator per milestone). A survey-based
    value is an estimate: when its interval includes the target, the data do
    not tell whether the target is met, whatever the status says.

    Examples
    --------
    >>> r = indicator("delay", direction="lower", baseline=92, baseline_date="2022-06",
    ...               target=15, target_date="2024-12", values=[{"date": "2024-06", "value": 31}])
    >>> round(r.progress, 3), round(r.elapsed, 3), r.status
    (0.792, 0.8, 'behind')
    """
    if not isinstance(id, str) or not id:
        raise ConfigError(f"indicator id must be a non-empty string (got {id!r})")
    check_choice(f"indicators.{id}.direction", direction, DIRECTIONS)
    series = _as_series(values)
    target = _number(target, f"indicators.{id}.target.value")
    b_label, t_label = date_label(baseline_date), date_label(target_date)
    b_time = parse_date(baseline_date, f"indicators.{id}.baseline.date")
    if baseline is None:
        at = series.loc[[parse_date(d) == b_time for d in series["date"]], "value"]
        if at.empty:
            raise ConfigError(f"indicators.{id}.baseline.value is missing and the series has no value dated "
                              f"{b_label!r}; give the value or a baseline date the series covers")
        baseline = float(at.iloc[0])
    baseline = _number(baseline, f"indicators.{id}.baseline.value")
    last = series.iloc[-1]
    current, current_date = float(last["value"]), str(last["date"])
    elapsed = elapsed_share(baseline_date, target_date, current_date)
    progress, status = progress_status(baseline, target, current, direction, elapsed)
    return IndicatorResult(
        id=id, label=label or id, unit=unit or "", direction=direction,
        baseline=baseline, baseline_date=b_label, target=target, target_date=t_label,
        series=series, current=current, current_date=current_date, progress=progress, status=status,
        elapsed=elapsed, se=float(last["se"]), ci_low=float(last["ci_low"]), ci_high=float(last["ci_high"]),
        source=source, method=method, alpha=alpha,
    )


def series_from_data(
    data,
    column: str,
    *,
    time: str,
    statistic: str = "mean",
    mask=None,
    dates: str | None = None,
    weight: str | None = None,
    units: str = "all",
    group: str | None = None,
) -> pd.DataFrame:
    """An indicator's series computed per period from long-form data.

    Parameters
    ----------
    data : DataFrame, or a path or glob of Parquet/CSV files, a DuckDB relation
        One row per unit (or person) and period. Files and relations are not
        loaded: one aggregate query computes the series
        (:func:`impact.scale.series.series_statistics`), with the same result.
    column : str
        The measured column.
    time : str
        The period column; its values (or those of ``dates``) must read as dates.
    statistic : {"mean", "median", "sum"}
        What to compute per period.
    mask : array of bool, optional
        Rows to use (e.g. the treated units), one per row of a DataFrame; all
        rows by default. Out of core, use ``units`` and ``group`` instead.
    dates : str, optional
        A column giving each period's date label when ``time`` holds codes
        (``month`` = 1, 2, ... and ``month_label`` = 2022-01, ...).
    weight : str, optional
        Weights for the mean (e.g. the number of applications behind a rate).
    units : {"treated", "control", "all"}
        With ``group``: the rows whose group is 1 (treated), the others, or all.
    group : str, optional
        A 0/1 column marking the treated units.

    Returns
    -------
    DataFrame with ``date`` (label) , ``value`` and ``n`` (rows behind each value), one row per period.

    Notes
    -----
    Missing values of ``column`` are left out; infinite values are refused.
    Periods are the distinct values of ``time`` as written, in their sorted order.
    """
    from impact.scale.source import is_out_of_core

    for role, name in (("column", column), ("time", time), ("dates", dates), ("weight", weight), ("group", group)):
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"from_data.{role} must be one column name (a string), got {name!r}")
    check_choice("statistic", statistic, DATA_STATISTICS)
    check_choice("units", units, UNITS)
    if weight is not None and statistic != "mean":
        raise ConfigError(f"weight applies to statistic='mean' only (got statistic={statistic!r}); drop weight")
    if units != "all" and group is None:
        raise ConfigError(f"units={units!r} needs group=, the 0/1 column marking the treated units")
    if is_out_of_core(data):
        if mask is not None:
            raise ConfigError("mask selects rows of a DataFrame; for files or a DuckDB relation select units "
                              "with units='treated' or 'control' and group=<0/1 column>")
        from impact.scale.series import series_statistics

        out = series_statistics(data, column, time=time, statistic=statistic, units=units, group=group,
                                dates=dates, weight=weight)
        return _labels_read_as_dates(out, time, dates)
    check_columns(data, indicator=column, time=time, dates=dates, weight=weight, group=group)
    check_numeric(data, column, "indicator")
    if weight is not None:
        check_numeric(data, weight, "weight")
    rows = _row_mask(data, mask, units, group)
    frame = data if rows is None else data.loc[rows]
    if frame.empty:
        raise DataError(f"no rows left to compute indicator {column!r}: the unit selection is empty")
    infinite = np.isinf(frame[column].to_numpy(dtype=float))
    if infinite.any():
        raise DataError(f"indicator column {column!r} has {int(infinite.sum())} infinite values; "
                        "leave missing values empty or correct them")
    frame = frame.loc[frame[column].notna()]
    label_col = dates or time
    grouped = frame.groupby(time, sort=True)
    if weight is not None:
        w = frame[weight].to_numpy(dtype=float)
        sums = pd.DataFrame({"wy": w * frame[column].to_numpy(dtype=float), "w": w, time: frame[time]})
        totals = sums.groupby(time, sort=True)[["wy", "w"]].sum()
        if (totals["w"] <= 0).any():
            raise DataError(f"weight column {weight!r} sums to zero or less in some period; check the weights")
        value = totals["wy"] / totals["w"]
    else:
        value = grouped[column].agg(statistic)
    labels = grouped[label_col].first()
    if dates is not None and (grouped[label_col].nunique() > 1).any():
        raise DataError(f"dates column {dates!r} has several labels within one {time!r} period; "
                        "use one label per period")
    out = pd.DataFrame({"date": labels.to_numpy(), "value": value.to_numpy(dtype=float),
                        "n": grouped.size().to_numpy()})
    return _labels_read_as_dates(out, time, dates)


def _row_mask(data: pd.DataFrame, mask, units: str, group: str | None) -> np.ndarray | None:
    """The rows to use: ``mask`` (one True/False per row) and/or the ``units`` whose ``group`` is 1 or not."""
    rows = None
    if mask is not None:
        rows = np.asarray(mask)
        if rows.ndim != 1 or len(rows) != len(data):
            raise ConfigError(f"mask must give one True/False per row of the data ({len(data)} rows; got "
                              f"{'shape ' + str(rows.shape) if rows.ndim != 1 else str(len(rows)) + ' values'}); "
                              "build it from the same DataFrame, e.g. data['group'] == 1")
        if rows.dtype != bool:
            as_float = pd.to_numeric(pd.Series(rows), errors="coerce").to_numpy(dtype=float)
            if not np.isin(as_float, (0.0, 1.0)).all():
                raise ConfigError("mask must hold only True/False (or 1/0) values, one per row; missing or other "
                                  "values leave it unclear whether a row counts")
            rows = as_float == 1.0
    if units != "all":
        # As the report's unit selection: treated where the group column is 1, control everywhere else.
        treated = (data[group] == 1).to_numpy(dtype=bool)
        chosen = treated if units == "treated" else ~treated
        rows = chosen if rows is None else rows & chosen
    return rows


def _labels_read_as_dates(out: pd.DataFrame, time: str, dates: str | None) -> pd.DataFrame:
    """``out`` unchanged, once its first label reads as a date (codes 1, 2, ... need a ``dates`` column)."""
    label_col = dates or time
    try:
        [parse_date(d, f"{label_col} values") for d in out["date"].head(1)]
    except ConfigError as exc:
        raise ConfigError(f"{exc}; when {time!r} holds period codes, name a column of date labels with "
                          "from_data.dates (e.g. dates: month_label)") from None
    return out


def check_indicator_spec(spec: Any, where: str, questions: dict | None = None) -> list[str]:
    """Every problem in one ``indicators`` entry of ``initiative.yaml``, each prefixed with its location.

    ``questions`` maps the feedback questions' columns to their statistics, so
    that a ``from_survey`` indicator can be checked against them.
    """
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping with id, label, direction, baseline, target and values"]
    allowed = {"id", "label", "unit", "direction", "baseline", "target", "values", "from_data", "from_survey",
               "source"}
    problems = [f"{where}.{k}: unknown key; allowed: {', '.join(sorted(allowed))}" for k in spec if k not in allowed]
    if not isinstance(spec.get("id"), str) or not spec.get("id"):
        problems.append(f"{where}.id: required (a short name such as 'delay')")
    if spec.get("direction") not in DIRECTIONS:
        problems.append(f"{where}.direction: must be 'lower' or 'higher' (got {spec.get('direction')!r})")
    sources = [k for k in ("values", "from_data", "from_survey") if spec.get(k) is not None]
    if len(sources) != 1:
        problems.append(f"{where}: give exactly one of values, from_data, from_survey (got {sources or 'none'})")
    for key in ("baseline", "target"):
        part = spec.get(key)
        if not isinstance(part, dict) or "date" not in part:
            problems.append(f"{where}.{key}: must be {{value: ..., date: ...}}")
            continue
        try:
            parse_date(part["date"], f"{where}.{key}.date")
        except ConfigError as exc:
            problems.append(str(exc))
        value = part.get("value")
        if value is None and not (key == "baseline" and sources and sources[0] != "values"):
            problems.append(f"{where}.{key}.value: required")
        elif value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            problems.append(f"{where}.{key}.value: must be a number (got {value!r})")
    if not problems:
        try:
            b, t = spec["baseline"], spec["target"]
            elapsed_share(b["date"], t["date"], t["date"])
            if b.get("value") is not None:
                progress_status(float(b["value"]), float(t["value"]), float(t["value"]), spec["direction"], 1.0)
        except ConfigError as exc:
            problems.append(f"{where}: {exc}")
    values = spec.get("values")
    if values is not None:
        if not isinstance(values, list) or not values or not all(isinstance(v, dict) and "date" in v and "value" in v
                                                                 for v in values):
            problems.append(f"{where}.values: must be a non-empty list of {{date: ..., value: ...}}")
    data = spec.get("from_data")
    if data is not None:
        if not isinstance(data, dict) or not data.get("column"):
            problems.append(f"{where}.from_data: must be {{column, statistic, units}}")
        else:
            extra = set(data) - {"column", "statistic", "units", "dates", "weight"}
            if extra:
                problems.append(f"{where}.from_data: unknown keys {sorted(extra)}; allowed: column, statistic, "
                                "units, dates, weight")
            if data.get("statistic", "mean") not in DATA_STATISTICS:
                problems.append(f"{where}.from_data.statistic: must be one of {', '.join(DATA_STATISTICS)} "
                                f"(got {data['statistic']!r})")
            if data.get("units", "all") not in UNITS:
                problems.append(f"{where}.from_data.units: must be one of {', '.join(UNITS)} (got {data['units']!r})")
    survey = spec.get("from_survey")
    if survey is not None:
        if not isinstance(survey, dict) or not survey.get("question") or not survey.get("statistic"):
            problems.append(f"{where}.from_survey: must be {{question, statistic}}")
        elif questions is None:
            problems.append(f"{where}.from_survey: needs a feedback section with the question {survey['question']!r}")
        elif survey["question"] not in questions:
            problems.append(f"{where}.from_survey.question: {survey['question']!r} is not a feedback question "
                            f"(questions: {', '.join(questions) or 'none'})")
        elif survey["statistic"] not in questions[survey["question"]]:
            problems.append(f"{where}.from_survey.statistic: {survey['statistic']!r} is not computed for question "
                            f"{survey['question']!r}; add it to that question's statistics "
                            f"(now {questions[survey['question']]})")
    return problems
