"""Run the estimators an initiative names, with the columns it declares.

This is the only place that maps an ``initiative.yaml`` to library calls;
every number comes from :mod:`impact.did`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from impact.data import period_codes
from impact.errors import ConfigError, ImpactError
from impact.report.initiative import Initiative

__all__ = ["prepare", "run_estimator", "run_all", "AggregateData", "aggregate_data"]

# Estimators whose numbers follow from aggregate statistics (impact.scale): a Parquet glob stays on disk for them.
OUT_OF_CORE = ("callaway_santanna", "twfe", "event_study", "two_by_two")


@dataclass(frozen=True)
class AggregateData:
    """An initiative's Parquet glob left on disk: every number of the report comes from aggregate queries.

    ``coded`` is the files as a DuckDB relation with the derived 0/1 columns
    :func:`prepare` adds in memory (computed in SQL from the calendar codes),
    which the estimators of :data:`OUT_OF_CORE` read as ``data``; ``stats``
    the per-cohort statistics (:class:`impact.scale.PanelStats`, one scan)
    behind the trends figure and the design table.
    """

    coded: Any
    stats: Any
    files: tuple[str, ...]

    @property
    def relation(self):
        return self.coded.relation

    @property
    def scale(self):
        return self.coded.calendar.scale

    def cohort_codes(self) -> np.ndarray:
        """The cohort code of each group of units in the statistics (-1 never treated), as ``period_codes`` gives."""
        return np.asarray(self.stats.keys)

    def group_means(self, initiative: Initiative, names: dict) -> tuple[pd.DataFrame, int]:
        """Mean outcome by (treated or comparison, period), small cells masked, as ``masked_group_means`` in memory.

        From :meth:`PanelStats.trends` (cohort-by-period means and units); with
        ``data.count``, one more aggregate query sums it by cohort and period.
        """
        spec = initiative.data_spec
        trends = self.stats.trends(by_code=True)
        trends = trends[trends["cohort"] != 0]  # always treated: in neither line, as in memory
        trends = trends.assign(_group=np.where(trends["cohort"] >= 0, names[1], names[0]),
                               _tcode=trends["period_code"], _sum=trends["mean"] * trends["n_units"])
        cells = trends.groupby(["_group", "_tcode"], as_index=False)[["_sum", "n_units"]].sum()
        cells[spec["outcome"]] = cells["_sum"] / cells["n_units"]
        cells["n"] = cells["n_units"]
        if spec.get("count"):
            counts = self.coded.query(
                f"SELECT CASE WHEN _gcode >= 0 THEN 1 ELSE 0 END AS g, _tcode, sum(\"{spec['count']}\") AS c "
                "FROM impact_source WHERE _gcode <> 0 GROUP BY 1, 2")
            counts["_group"] = np.where(counts["g"] == 1, names[1], names[0])
            cells = cells.merge(counts[["_group", "_tcode", "c"]], on=["_group", "_tcode"], how="left")
            cells["n"] = np.maximum(cells["n"], cells["c"].fillna(0))
        small = cells["n"] < initiative.min_cell_size
        cells.loc[small, spec["outcome"]] = np.nan
        return cells[["_group", "_tcode", spec["outcome"], "n"]], int(small.sum())


def aggregate_data(initiative: Initiative) -> AggregateData | None:
    """The initiative's data left on disk when they are a glob of Parquet files the report can use from aggregates.

    That is: ``data.file`` is a glob of Parquet files, the data have a
    cohort column, the headline estimator is one of :data:`OUT_OF_CORE`
    without covariates (indicators ``from_data`` come from aggregate queries
    too: :mod:`impact.scale.series`). Otherwise None (the report loads the
    data).
    """
    import glob as _glob

    from impact.scale import panel_statistics
    from impact.scale.coded import coded_relation

    spec, design = initiative.data_spec, initiative.design
    pattern = str(spec.get("file", ""))
    files = initiative.data_files
    if (not _glob.has_magic(pattern) or not files or any(f.suffix.lower() != ".parquet" for f in files)
            or not spec.get("cohort") or spec.get("covariates") or spec.get("panel", True) is False
            or design.get("estimator", "twfe") not in OUT_OF_CORE):
        return None
    coded = coded_relation([str(f) for f in files], spec["time"], spec["cohort"], extra={
        "_treated_group": "CASE WHEN _gcode >= 0 THEN 1 ELSE 0 END",
        "_treated_now": "CASE WHEN _gcode >= 0 AND _tcode >= _gcode THEN 1 ELSE 0 END",
    })
    first = [c for c in coded.calendar.cohort_map.values() if c > 0] if coded.calendar.cohort_map else []
    start = min(first) if first else None
    # In memory _post is 1 from the first adoption on (0 everywhere without one).
    post = f"CASE WHEN _tcode >= {start} THEN 1 ELSE 0 END" if start is not None else "0"
    coded = type(coded)(relation=coded.relation.project(f"*, {post} AS _post"), connection=coded.connection,
                        calendar=coded.calendar, source=coded.source)
    stats = panel_statistics(coded.relation, spec["outcome"], spec["unit"], spec["time"], cohort=spec["cohort"],
                             unbalanced=True)
    return AggregateData(coded=coded, stats=stats, files=tuple(str(f) for f in files))


#: ``data.periods.frequency``: the calendar base, the step of one period on it, and how labels are written.
FREQUENCIES = {"month": ("month", 1, "M"), "quarter": ("month", 3, "Q"), "year": ("month", 12, "Y"),
               "week": ("day", 7, "D"), "day": ("day", 1, "D")}


def calendar_scale(initiative: Initiative, scale):
    """The calendar a report shows: ``scale`` itself, or dates when ``data.periods`` says what integer periods are.

    ``data.periods: {start: 2022-01, frequency: month}`` reads the first
    period of the data (the smallest value of ``time``) as January 2022 and
    each step of ``time`` as one month, so that figures and tables show
    ``Jan 2022`` rather than ``1``. Only the labels change: codes, estimates
    and ``design.start`` stay on the data's own integers.

    Raises
    ------
    ConfigError
        When ``data.periods`` is malformed, or set while ``time`` already
        holds dates (the data's own calendar wins; remove the setting).
    """
    from impact.periods import PeriodScale, infer_scale

    periods = initiative.data_spec.get("periods")
    if periods is None:
        return scale
    where = "data.periods"
    if not isinstance(periods, dict) or set(periods) != {"start", "frequency"}:
        raise ConfigError(f"{where}: must be {{start: <first period>, frequency: <{'|'.join(FREQUENCIES)}>}}, "
                          f"e.g. {{start: 2022-01, frequency: month}} (got {periods!r})")
    frequency, start = periods["frequency"], periods["start"]
    if frequency not in FREQUENCIES:
        raise ConfigError(f"{where}.frequency: must be one of {', '.join(FREQUENCIES)} (got {frequency!r})")
    base, step, written = FREQUENCIES[frequency]
    if scale.base != "int":
        raise ConfigError(f"{where}: the time column {scale.column!r} already holds dates ({scale.frequency}s); "
                          "data.periods is only for integer periods: remove it")
    if isinstance(start, int) and not isinstance(start, bool) and frequency == "year":
        start = f"{start:04d}"
    try:
        first = infer_scale(pd.Series([str(start)]), f"{where}.start")
    except ImpactError:
        first = None
    if first is not None and base == "day" and first.base == "month" and first.written == "datetime":
        # 2022-01-01 reads as a month; for days and weeks it is that day.
        first = replace(first, base="day", start=int(np.datetime64(first.start, "M").astype("datetime64[D]").astype(int)))
    if first is None or first.base != base or (frequency == "quarter" and first.start % 3) or (
            frequency == "year" and first.start % 12):
        example = {"month": "2022-01", "quarter": "2022Q1", "year": "2022", "week": "2022-01-03",
                   "day": "2022-01-01"}[frequency]
        raise ConfigError(f"{where}.start: {start!r} is not the first {frequency} of a calendar; write it like "
                          f"{example}")
    return PeriodScale(base=base, start=first.start, step=step * scale.step, n=scale.n, written=written,
                       column=scale.column)


#: Where :func:`prepare` keeps the calendar of the time column (``DataFrame.attrs``), beside the code columns.
PERIODS_ATTR = "impact_periods"


def prepare(initiative: Initiative, data: pd.DataFrame | None = None) -> pd.DataFrame | AggregateData:
    """Add the derived 0/1 columns an estimator may need (treatment, treated, post) from the cohort.

    Without ``data``: the data the initiative's checks read when it was
    loaded with ``check_data`` (:attr:`Initiative.checked_data`, so a run
    reads or scans its files once), else the initiative's data, left on disk
    as :class:`AggregateData` when they are a Parquet glob the report can use
    from aggregate queries (:func:`aggregate_data`), else read.

    The calendar is computed here once for the whole report: the period code
    of each row (``_tcode``), its cohort code (``_gcode``, with a cohort
    column) and the calendar itself (``frame.attrs["impact_periods"]``), which
    :func:`period_codes_of` hands to the design table and the trends figure.
    """
    own = data is None and isinstance(initiative.checked_data, pd.DataFrame)
    if data is None:
        checked = initiative.checked_data
        if isinstance(checked, AggregateData):
            return checked
        agg = None if own else aggregate_data(initiative)
        if agg is not None:
            return agg
        data = checked if own else initiative.read_data()
    spec = initiative.data_spec
    # The checked frame is the initiative's own, read for this run: no copy of what may be a large panel.
    frame = data if own else data.copy()
    cohort, time = spec.get("cohort"), spec["time"]
    cohort = cohort if cohort and cohort in frame else None
    # Compare periods on their calendar codes: '07/2023' and Excel dates do not order as written.
    scale, tcode, gcode = period_codes(frame, time, cohort)
    calendar_scale(initiative, scale)  # a wrong data.periods fails here, before any estimate
    frame["_tcode"] = tcode
    if gcode is not None:
        never = gcode < 0
        frame["_gcode"] = gcode
        frame["_treated_group"] = (~never).astype(int)
        frame["_treated_now"] = ((~never) & (tcode >= gcode)).astype(int)
        started = gcode[gcode > 0]
        frame["_post"] = (tcode >= started.min()).astype(int) if started.size else 0
    frame.attrs[PERIODS_ATTR] = scale
    return frame


def period_codes_of(initiative: Initiative, frame: pd.DataFrame):
    """The calendar, period codes and cohort codes of a frame, as :func:`impact.data.period_codes` gives them.

    Read from what :func:`prepare` stored; computed only for a frame that
    did not go through it.
    """
    spec = initiative.data_spec
    scale = frame.attrs.get(PERIODS_ATTR)
    cohort = spec.get("cohort") or None
    if scale is not None and "_tcode" in frame and (cohort is None or "_gcode" in frame):
        return scale, frame["_tcode"].to_numpy(), frame["_gcode"].to_numpy() if cohort else None
    return period_codes(frame, spec["time"], cohort)


def _check_applies(initiative: Initiative, estimator: str) -> None:
    """Refuse, naming the missing setting, an estimator the initiative's columns cannot feed.

    A robustness estimator is not checked by :func:`validate_initiative` (only
    the headline is): without this, ``event_study`` on data without a cohort
    column would reach the library with ``cohort=None``.
    """
    from impact.report.initiative import ESTIMATORS

    spec, design = initiative.data_spec, initiative.design
    if estimator not in ESTIMATORS:
        raise ConfigError(f"design.estimator: unknown estimator {estimator!r}; use one of {', '.join(ESTIMATORS)}")
    if estimator in ("event_study", "callaway_santanna", "sun_abraham", "imputation") and not spec.get("cohort"):
        raise ConfigError(f"{estimator} needs data.cohort (the first treated period of each unit); these data have none")
    missing = [f"design.{k}" for k in ("treated_unit", "start") if design.get(k) is None]
    if estimator == "synthetic_control" and missing:
        raise ConfigError(f"synthetic_control needs design.treated_unit (the treated unit) and design.start (its first "
                          f"treated period); {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set")
    if estimator == "two_by_two" and not ((spec.get("treated") and spec.get("post")) or spec.get("cohort")):
        raise ConfigError("two_by_two needs data.treated and data.post (0/1 columns) or data.cohort; "
                          "these data have neither")
    if estimator in ("twfe", "synthetic_did") and not (spec.get("treatment") or spec.get("cohort")):
        raise ConfigError(f"{estimator} needs data.treatment (a 0/1 column) or data.cohort; these data have neither")


def run_estimator(initiative: Initiative, data: pd.DataFrame, estimator: str | None = None):
    """Fit one estimator on the initiative's (prepared) data and return its result.

    Raises
    ------
    ConfigError
        For an unknown estimator (naming the valid ones) or one that the
        initiative's columns cannot feed (naming the missing setting).
    """
    from impact import did

    spec, design = initiative.data_spec, initiative.design
    estimator = estimator or design.get("estimator", "twfe")
    _check_applies(initiative, estimator)
    headline = estimator == design.get("estimator", "twfe")
    options = dict(design.get("options") or {}) if headline else {}
    alpha = design.get("alpha", 0.05)
    y, unit, time = spec["outcome"], spec["unit"], spec["time"]
    cohort = spec.get("cohort")
    covariates = spec.get("covariates") or None
    window = tuple(design["event_window"]) if design.get("event_window") else None
    if isinstance(data, AggregateData):
        if estimator not in OUT_OF_CORE:
            raise ConfigError(f"{estimator} needs the unit-level data; the data ({spec.get('file')}) are read from "
                              f"aggregate queries (out of core), which serve {', '.join(OUT_OF_CORE)}")
        # The per-cohort statistics already computed serve these two unless another cluster is asked for.
        same = options.get("cluster") in (None, unit)
        data = data.stats if estimator in ("callaway_santanna", "event_study") and same else data.relation
    if estimator == "two_by_two":
        treated = spec.get("treated") or "_treated_group"
        post = spec.get("post") or "_post"
        # Units (cities, services) are the clusters, in panels and in repeated cross-sections alike.
        options.setdefault("cluster", unit)
        return did.two_by_two(data, y, treated, post, covariates=covariates, unit=unit, alpha=alpha, **options)
    if estimator == "twfe":
        return did.twfe(data, y, unit, time, spec.get("treatment") or "_treated_now", covariates=covariates,
                        alpha=alpha, **options)
    if estimator == "event_study":
        return did.event_study(data, y, unit, time, cohort, window=window, alpha=alpha, **options)
    if estimator == "callaway_santanna":
        options.setdefault("seed", design.get("seed"))
        options.setdefault("panel", spec.get("panel", True))
        return did.callaway_santanna(data, y, unit, time, cohort, covariates=covariates, alpha=alpha, **options)
    if estimator in ("sun_abraham", "imputation"):
        return getattr(did, estimator)(data, y, unit, time, cohort, window=window, alpha=alpha, **options)
    if estimator == "synthetic_control":
        return did.synthetic_control(data, y, unit, time, design["treated_unit"], design["start"], alpha=alpha,
                                     **options)
    options.setdefault("seed", design.get("seed"))  # synthetic_did, the last of ESTIMATORS
    return did.synthetic_did(data, y, unit, time, spec.get("treatment") or "_treated_now", alpha=alpha, **options)


def run_all(initiative: Initiative, data: pd.DataFrame | AggregateData, lang: str | None = None) -> dict:
    """The headline result and each robustness estimator's, keyed by name.

    A robustness estimator that cannot run on these data (an
    :class:`~impact.errors.ImpactError`: a column it needs is not configured,
    the data do not fit its design, the estimate does not exist) is reported
    as its error message rather than stopping the report; the headline must
    succeed. Any other exception is a bug and propagates.
    On :class:`AggregateData`, those that need unit-level data are skipped and
    the headline's notes say so (in ``lang``, default the initiative's).
    """
    design = initiative.design
    main = design.get("estimator", "twfe")
    results = {main: run_estimator(initiative, data, main)}
    skipped = []
    if isinstance(data, AggregateData):
        from impact.report.i18n import labels
        from impact.report.wording import method_name

        lang = lang or initiative.language
        skipped = [n for n in dict.fromkeys(design.get("robustness") or []) if n not in OUT_OF_CORE and n != main]
        if skipped:
            note = labels(lang)["out_of_core_skipped"].format(
                names=", ".join(method_name(n, lang) for n in skipped), files=initiative.data_spec.get("file"))
            results[main] = replace(results[main], notes=tuple(results[main].notes) + (note,))
            for name in skipped:
                results[name] = NeedsRows(note)
    for name in design.get("robustness") or []:
        if name in results:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results[name] = run_estimator(initiative, data, name)
        except ImpactError as exc:  # "does not apply here"; anything else is a bug and must surface
            results[name] = exc
    return results


class NeedsRows(ConfigError):
    """A robustness estimator left out because the data were read out of core and it needs their rows."""


def comparison_table(results: dict) -> pd.DataFrame:
    """One row per estimator: estimate, standard error, interval, p-value (or the reason it could not run).

    ``skipped`` is True for an estimator left out because it needs the rows of data read out of core.
    """
    rows = []
    for name, res in results.items():
        if isinstance(res, Exception):
            rows.append({"estimator": name, "estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "pvalue": np.nan, "note": str(res).splitlines()[0], "skipped": isinstance(res, NeedsRows)})
        else:
            rows.append({"estimator": name, "estimate": res.estimate, "se": res.se, "ci_low": res.ci_low,
                         "ci_high": res.ci_high, "pvalue": res.pvalue, "note": res.method, "skipped": False})
    return pd.DataFrame(rows)
