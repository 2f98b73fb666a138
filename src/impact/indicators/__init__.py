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
import functools
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from impact.data import check_choice
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
    original = value
    if value is pd.NaT or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        value = None  # a missing date is refused below, never turned into NaT
    elif isinstance(value, pd.Timestamp):
        return value
    if isinstance(value, (_dt.date, _dt.datetime, np.datetime64)):
        return pd.Timestamp(value)
    if isinstance(value, pd.Period):
        return value.start_time
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = str(int(value))  # a year; other integers are period codes, not dates
    if isinstance(value, str) and value.strip():
        stamp = _parse_text(value.strip())
        if stamp is not None:
            return stamp
    raise ConfigError(
        f"{where}: cannot read {original!r} as a date; write it as 2023-07, 2023-07-15, 2023Q3, 07/2023 or 2023"
    )


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> pd.Timestamp | None:
    """The date a text label names, or None; cached, since one report reads the same few labels many times."""
    from impact.periods import parse_periods

    try:
        (ordinal,), base, _ = parse_periods(pd.Series([text]), "date", role="date")
    except DataError:
        return None
    if base == "month":
        return pd.Timestamp(year=1970 + int(ordinal) // 12, month=int(ordinal) % 12 + 1, day=1)
    if base == "day":
        return pd.Timestamp(np.datetime64(int(ordinal), "D"))
    if base == "int" and 1000 <= int(ordinal) <= 9999:
        return pd.Timestamp(year=int(ordinal), month=1, day=1)
    return None


def parse_dates(values, where: str = "date") -> list[pd.Timestamp]:
    """:func:`parse_date` of each of ``values``, with every text label parsed in one vectorised pass.

    A series has one label per period (dozens to hundreds); parsing them one
    by one cost a pass of :mod:`impact.periods` each. The result is the same as
    ``[parse_date(v, where) for v in values]`` (checked in the tests): a date
    on the first or last day of its month stands for that month, as alone.
    """
    from impact.periods import _parse_strings

    values = list(values)
    out: list = [None] * len(values)
    text_at = [i for i, v in enumerate(values) if isinstance(v, str) and v.strip()]
    if text_at:
        base, ordinal, _ = _parse_strings(pd.Series([values[i].strip() for i in text_at], dtype=object))
        months = np.where(base == 1, ordinal, 0)
        days = np.where(base == 2, ordinal, 0).astype("datetime64[D]")
        month_of_day = days.astype("datetime64[M]")
        whole_month = (days == month_of_day.astype("datetime64[D]")) | (
            days == (month_of_day + 1).astype("datetime64[D]") - 1)
        starts = np.where(base == 1, months.astype("datetime64[M]"),
                          np.where(whole_month, month_of_day, np.datetime64("NaT", "M"))).astype("datetime64[D]")
        stamps = np.where((base == 2) & ~whole_month, days, starts)
        years = (base == 0) & (ordinal >= 1000) & (ordinal <= 9999)
        stamps = np.where(years, (ordinal - 1970).astype("datetime64[Y]").astype("datetime64[D]"), stamps)
        for k, i in enumerate(text_at):
            if base[k] in (1, 2) or years[k]:
                out[i] = pd.Timestamp(stamps[k])
    return [parse_date(v, where) if o is None else o for v, o in zip(values, out)]


def date_label(value: Any) -> str:
    """A date as the user wrote it (ISO for date objects)."""
    if isinstance(value, (_dt.datetime, pd.Timestamp)) and value is not pd.NaT:
        value = pd.Timestamp(value)
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
    hint = "write values: [{date: 2023-06, value: 61}, {date: 2024-06, value: 31}]"
    if values is None:
        raise ConfigError("an indicator needs measurements: values, from_data or from_survey")
    if isinstance(values, pd.DataFrame):
        frame = values.copy()
    elif isinstance(values, (list, tuple)) and all(isinstance(v, dict) for v in values):
        frame = pd.DataFrame(list(values))
    else:
        shown = repr(values) if len(repr(values)) <= 60 else repr(values)[:57] + "..."
        raise ConfigError(f"indicator values must be a list of measurements, each {{date, value}} (got "
                          f"{type(values).__name__} {shown}); {hint}")
    missing = [c for c in ("date", "value") if c not in frame.columns]
    if missing:
        raise ConfigError(f"indicator values need 'date' and 'value' for each measurement (missing {missing}); {hint}")
    for column in SERIES_COLUMNS[2:]:
        if column not in frame:
            frame[column] = np.nan
    raw = frame["value"]
    frame["value"] = pd.to_numeric(raw.where(~raw.map(lambda v: isinstance(v, (bool, np.bool_)))), errors="coerce")
    # Missing measurements are skipped; anything else that is not a number is a mistake to show, not to skip.
    wrong = frame["value"].isna() & raw.notna()
    if wrong.any():
        first = raw[wrong].iloc[0]
        first = first.item() if isinstance(first, np.generic) else first
        raise ConfigError(f"indicator values must be numbers (got {first!r} dated "
                          f"{date_label(frame.loc[wrong, 'date'].iloc[0])!r}); leave a missing measurement empty")
    frame = frame.loc[frame["value"].notna(), list(SERIES_COLUMNS)]
    if frame.empty:
        raise DataError("indicator has no measured value; add at least one to values (or check the data)")
    frame["_t"] = parse_dates(frame["date"], "values.date")
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
        t = parse_dates(self.series["date"])
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
    for name, text in (("label", label), ("unit", unit), ("source", source)):
        if text is not None and not isinstance(text, str):
            raise ConfigError(f"indicators.{id}.{name} must be text (got {text!r})")
    check_choice(f"indicators.{id}.direction", direction, DIRECTIONS)
    series = _as_series(values)
    target = _number(target, f"indicators.{id}.target.value")
    b_label, t_label = date_label(baseline_date), date_label(target_date)
    b_time = parse_date(baseline_date, f"indicators.{id}.baseline.date")
    if baseline is None:
        at = series.loc[[t == b_time for t in parse_dates(series["date"])], "value"]
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


# Computed from the evaluation data, and the checks of an initiative.yaml entry: in their own modules.
from impact.indicators.from_data import series_from_data  # noqa: E402
from impact.indicators.spec import check_indicator_spec  # noqa: E402
