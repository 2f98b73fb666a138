"""Survey statistics of beneficiaries' feedback, by question, wave and group.

Every number comes from :mod:`impact.survey` (Taylor-linearised, design-based
intervals that keep the whole design when estimating a domain: a wave, a
group within a wave). This module only decides which statistics to ask for,
in which domains, and which cells are too small to publish.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from impact.data import check_alpha, check_columns, check_int, check_numeric
from impact.errors import ConfigError, DataError
from impact.results import Summary, SummaryDisplay
from impact.survey.checks import column_name

__all__ = ["FEEDBACK_STATISTICS", "FeedbackSummary", "summarise_feedback", "feedback_from_spec",
           "check_feedback_spec", "ROW_COLUMNS", "CHANGE_COLUMNS"]

#: Statistics a question may ask for. ``top_box`` needs ``threshold`` (share answering at or above it);
#: ``net_satisfaction`` needs ``threshold`` and ``dissatisfied`` (share at or above minus share at or below;
#: ``dissatisfied`` defaults to the mirror image of ``threshold`` on the question's ``scale``);
#: ``proportion`` needs ``level`` (share giving that answer).
FEEDBACK_STATISTICS = ("mean", "top_box", "net_satisfaction", "proportion")
ROW_COLUMNS = ("question", "statistic", "wave", "group", "estimate", "se", "ci_low", "ci_high", "n", "masked")
CHANGE_COLUMNS = ("question", "statistic", "group", "from_wave", "to_wave", "estimate", "se", "ci_low", "ci_high",
                  "pvalue", "n", "masked")
_SEP = "\x1f"  # joins wave and group into one domain label (cannot occur in a label read from a file)
_FEEDBACK_HINTS = {
    "wave": "name the one column saying when each respondent answered",
    "group": "name one breakdown column; for a crossing, combine them first, e.g. "
             "data['service_region'] = data['service'] + '/' + data['region']",
    "fpc": "put the population size (or sampling fraction) in a column, e.g. data['fpc'] = 0.1, and pass fpc='fpc'",
}
#: Design settings summarise_feedback sets itself (the others may come through extra_design).
_OWN_DESIGN = ("data", "weights", "strata", "psu", "fpc", "min_cell_size", "alpha")


def _check_extra_design(extra: Any) -> dict:
    """``extra_design`` as a dict of :class:`~impact.survey.SurveyDesign` keywords not set elsewhere."""
    import inspect

    from impact.survey import SurveyDesign

    if extra is None:
        return {}
    if not isinstance(extra, dict):
        raise ConfigError(f"extra_design must be a dict of SurveyDesign options, e.g. {{'nest': True}} (got {extra!r})")
    allowed = [p for p in inspect.signature(SurveyDesign).parameters if p not in _OWN_DESIGN]
    unknown = [k for k in extra if k not in allowed]
    if unknown:
        own = [k for k in unknown if k in _OWN_DESIGN]
        raise ConfigError(
            f"extra_design: {unknown[0]!r} " + ("is an argument of summarise_feedback itself; pass it there" if own
                                               else f"is not a SurveyDesign option; allowed: {', '.join(allowed)}")
        )
    return dict(extra)


def _wave_labels(values: pd.Series) -> pd.Series:
    """Wave labels as written in the data (ISO for dates)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d")
    return values.astype(str).where(values.notna())


def _wave_order(labels: list[str]) -> list[str]:
    """Waves in time order when every label reads as a date, else in the data's natural order."""
    from impact.indicators import parse_date

    try:
        keys = [parse_date(x) for x in labels]
    except ConfigError:
        try:
            return sorted(labels, key=float)
        except ValueError:
            return sorted(labels)
    return [x for _, x in sorted(zip(keys, labels))]


def _net_column(frame: pd.DataFrame, q: dict) -> tuple[str, pd.Series]:
    """Net satisfaction as a -1/0/1 recoding whose design-based mean is the statistic (missing stays missing)."""
    y = frame[q["column"]].astype(float)
    net = (y >= q["threshold"]).astype(float) - (y <= q["dissatisfied"]).astype(float)
    return f"_net_{q['column']}", net.where(y.notna())


def _design(frame: pd.DataFrame, design: dict, min_cell_size: int, alpha: float):
    from impact.survey import SurveyDesign

    return SurveyDesign(frame, min_cell_size=min_cell_size, alpha=alpha, **design)


def _estimate(svy, statistic: str, q: dict, column: str, domain: str, answered: np.ndarray) -> pd.DataFrame:
    """One :mod:`impact.survey` estimate per domain: the tidy frame (masked rows NaN) indexed by domain.

    Only domains where someone answered the question are estimated (``where=answered``): a question left
    out of one wave, or a group with no answer, is absent from the rows instead of stopping the summary.
    The estimates are unchanged, since unanswered rows weigh nothing in them; every PSU is kept.
    """
    if statistic == "top_box":
        res = svy.top_box(q["column"], q["threshold"], by=domain, where=answered)
    elif statistic == "net_satisfaction":
        res = svy.net_satisfaction(q["column"], q["threshold"], q["dissatisfied"], by=domain, where=answered)
    elif statistic == "proportion":
        res = svy.proportion(q["column"], level=q["level"], by=domain, where=answered)
    else:
        res = svy.mean(q["column"], by=domain, where=answered)
    return res.to_frame(masked=True).set_index(domain)


def _compare(svy, statistic: str, q: dict, column: str, first: str, last: str, where) -> dict:
    """Last wave minus first wave with :meth:`SurveyDesign.compare` (joint linearisation), within ``where``."""
    if statistic == "net_satisfaction":
        # compare() has no net satisfaction; the mean of the -1/0/1 recoding is exactly that statistic.
        res = svy.compare(column, "_wave", statistic="mean", groups=(first, last), where=where)
    else:
        res = svy.compare(q["column"], "_wave", statistic=statistic, groups=(first, last), where=where,
                          level=q.get("level") if statistic == "proportion" else None,
                          threshold=q.get("threshold") if statistic == "top_box" else None)
    diff = res.to_frame(masked=False).iloc[2]
    out = {k: float(getattr(res, k)) for k in ("estimate", "se", "ci_low", "ci_high", "pvalue")}
    out.update(n=int(diff["n_obs"]), masked=bool(diff["masked"]))
    if out["masked"]:
        out.update(estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan, pvalue=np.nan)
    return out


@dataclass(frozen=True, kw_only=True)
class FeedbackSummary(SummaryDisplay):
    """Feedback statistics per question, wave and group, and their change from the first to the last wave.

    ``rows`` has :data:`ROW_COLUMNS` (``group`` is ``None`` for all
    respondents; masked cells have ``masked=True`` and no estimate);
    ``changes`` has :data:`CHANGE_COLUMNS` (``estimate`` is last wave minus
    first wave).
    """

    rows: pd.DataFrame = field(repr=False)
    changes: pd.DataFrame = field(repr=False)
    waves: tuple[str, ...]
    labels: dict = field(default_factory=dict, repr=False)
    min_cell_size: int = 11
    alpha: float = 0.05
    design: dict = field(default_factory=dict)

    @property
    def n_masked(self) -> int:
        return int(self.rows["masked"].sum())

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def records(self) -> list[dict]:
        """The ``summary.json`` rows: plain Python values, ``None`` for masked or missing numbers."""
        out = []
        for row in self.rows.to_dict("records"):
            rec = {k: row[k] for k in ROW_COLUMNS}
            for k in ("estimate", "se", "ci_low", "ci_high"):
                v = rec[k]
                rec[k] = None if v is None or not math.isfinite(float(v)) else float(v)
            rec["n"], rec["masked"] = int(rec["n"]), bool(rec["masked"])
            rec["group"] = None if rec["group"] is None or (isinstance(rec["group"], float)
                                                            and math.isnan(rec["group"])) else str(rec["group"])
            out.append(rec)
        return out

    def change_records(self) -> list[dict]:
        """First-to-last-wave changes as plain records (:data:`CHANGE_COLUMNS`; ``None`` when masked)."""
        out = []
        for row in self.changes.to_dict("records"):
            rec = {k: row[k] for k in CHANGE_COLUMNS}
            for k in ("estimate", "se", "ci_low", "ci_high", "pvalue"):
                rec[k] = None if rec[k] is None or not math.isfinite(float(rec[k])) else float(rec[k])
            rec["n"], rec["masked"] = int(rec["n"]), bool(rec["masked"])
            rec["group"] = None if rec["group"] is None or rec["group"] != rec["group"] else str(rec["group"])
            out.append(rec)
        return out

    def series(self, question: str, statistic: str, group: str | None = None) -> pd.DataFrame:
        """One statistic over the waves (``date``, ``value``, ``se``, ``ci_low``, ``ci_high``, ``n``), masked cells NaN."""
        asked = list(dict.fromkeys(self.rows["question"]))
        if question not in asked:
            raise ConfigError(f"feedback has no question {question!r}; questions: {', '.join(map(repr, asked))}")
        sel = self.rows[(self.rows["question"] == question) & (self.rows["statistic"] == statistic)]
        if group is not None and not sel.empty and not (sel["group"] == group).any():
            groups = sorted(set(self.rows["group"].dropna()))
            raise ConfigError(f"feedback has no group {group!r} for question {question!r}; groups: "
                              f"{', '.join(map(repr, groups[:20])) or 'none (no group column)'}")
        sel = sel[sel["group"].isna()] if group is None else sel[sel["group"] == group]
        if sel.empty:
            raise ConfigError(f"feedback has no statistic {statistic!r} for question {question!r}; add it to "
                              "that question's statistics")
        return pd.DataFrame({"date": sel["wave"].to_numpy(), "value": sel["estimate"].astype(float).to_numpy(),
                             "se": sel["se"].astype(float).to_numpy(), "ci_low": sel["ci_low"].astype(float).to_numpy(),
                             "ci_high": sel["ci_high"].astype(float).to_numpy(), "n": sel["n"].to_numpy()})

    @cached_property
    def _summary(self) -> Summary:
        header = (("Waves", ", ".join(self.waves)), ("Design", ", ".join(f"{k}={v}" for k, v in self.design.items())),
                  ("Minimum cell size", str(self.min_cell_size)), ("Masked cells", str(self.n_masked)))
        notes = ("Intervals are design-based (Taylor linearisation); domains keep the whole design.",)
        return Summary("Beneficiaries' feedback", header, self.rows, notes)


    def plot(self, question: str | None = None, statistic: str | None = None, ax=None):
        """One statistic for all respondents over the waves, with intervals; returns the Axes."""
        from impact.plots import _axes

        overall = self.rows[self.rows["group"].isna()]
        asked = list(dict.fromkeys(overall["question"]))
        question = asked[0] if question is None else question
        if question not in asked:
            raise ConfigError(f"feedback has no question {question!r}; questions: {', '.join(map(repr, asked))}")
        statistic = statistic or overall.loc[overall["question"] == question, "statistic"].iloc[0]
        s = self.series(question, statistic)
        ax = _axes(ax, figsize=(5, 3))
        x = np.arange(len(s))
        ax.errorbar(x, s["value"], yerr=[s["value"] - s["ci_low"], s["ci_high"] - s["value"]], fmt="o-", ms=3,
                    capsize=2)
        ax.set_xticks(x, s["date"], rotation=45, fontsize=7)
        ax.set_title(f"{self.labels.get(question, question)}: {statistic}", fontsize=9)
        return ax


def summarise_feedback(
    data: pd.DataFrame,
    *,
    questions: list[dict],
    wave: str,
    group: str | None = None,
    weights: str | None = None,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    min_cell_size: int = 11,
    alpha: float = 0.05,
    extra_design: dict | None = None,
) -> FeedbackSummary:
    """Requested statistics per question, wave and group, with design-based intervals.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    questions : list of dict
        Each with ``column``, optional ``label``, ``scale: [low, high]``,
        ``statistics`` (from :data:`FEEDBACK_STATISTICS`), ``threshold`` (for
        ``top_box`` and ``net_satisfaction``), ``dissatisfied`` (for
        ``net_satisfaction``; default ``low + high - threshold`` on ``scale``:
        4 on [1, 5] counts 1 and 2 as dissatisfied), ``level`` (for ``proportion``).
    wave : str
        When each respondent answered; its labels are kept as written.
    group : str, optional
        A breakdown (service, region); every statistic is also given for all respondents.
    weights, strata, psu, fpc : str, optional
        Columns of the sampling design, passed to :class:`impact.survey.SurveyDesign`
        (``fpc``: per stratum, the population number of PSUs or the sampling fraction).
    extra_design : dict, optional
        Further :class:`~impact.survey.SurveyDesign` keyword options (``nest``, ``lonely_psu``, ...).
    min_cell_size : int
        Cells with fewer respondents answering are masked (no estimate is published).

    Returns
    -------
    FeedbackSummary

    Notes
    -----
    A wave or a group is a domain of the whole survey: its variance comes from
    the full design (Taylor linearisation of the domain ratio; Lumley 2010,
    *Complex Surveys*, ch. 2, doi:10.1002/9780470580066), not from a subset
    treated as its own survey. The change from the first to the last wave
    uses the joint covariance of the two domain estimates; with independent
    samples per wave in the same strata it is close to the sum of variances.
    The estimates are unbiased for the population the weights represent only
    if non-response is ignorable given the weighting classes.
    """
    if wave is None:
        raise ConfigError("wave must name the column saying when each respondent answered (e.g. wave='wave')")
    for role, value in (("wave", wave), ("group", group), ("weights", weights), ("strata", strata), ("psu", psu),
                        ("fpc", fpc)):
        column_name(role, value, _FEEDBACK_HINTS.get(role))
    check_columns(data, wave=wave, group=group, weights=weights, strata=strata, psu=psu, fpc=fpc)
    min_cell_size = check_int("min_cell_size", min_cell_size, minimum=1)
    alpha = check_alpha(alpha)
    extra_design = _check_extra_design(extra_design)
    problems = _check_questions(questions, "questions")
    if problems:
        raise ConfigError("feedback: " + "; ".join(problems))
    for q in questions:
        check_columns(data, question=q["column"])
        check_numeric(data, q["column"], "question")
        _check_scale(data, q)
    frame = data.copy()
    frame["_wave"] = _wave_labels(frame[wave])
    if frame["_wave"].isna().any():
        raise DataError(f"wave column {wave!r} is missing for {int(frame['_wave'].isna().sum())} respondents; "
                        "fill it or drop them")
    waves = _wave_order(frame["_wave"].unique().tolist())
    frame["_all"] = frame["_wave"]
    if group is not None:
        frame["_grp"] = np.where(frame[group].isna(), None, frame["_wave"] + _SEP + frame[group].astype(str))
    # net satisfaction as a -1/0/1 recoding, for compare() (which has no such statistic)
    needed = dict(_net_column(frame, q) for q in questions if "net_satisfaction" in q["statistics"])
    frame = frame.assign(**needed)
    design = {k: v for k, v in dict(weights=weights, strata=strata, psu=psu, fpc=fpc).items() if v is not None}
    svy = _design(frame, design | (extra_design or {}), min_cell_size, alpha)

    first, last = waves[0], waves[-1]
    subsets = [(None, None)]
    if group is not None:
        labels = frame[group].astype(str).where(frame[group].notna())
        subsets += [(g, (labels == g).to_numpy()) for g in sorted(labels.dropna().unique())]
    domains = ["_all"] + (["_grp"] if group is not None else [])
    rows, changes = [], []
    for q in questions:
        for stat in q["statistics"]:
            column = _net_column(frame, q)[0] if stat == "net_satisfaction" else q["column"]
            for domain in domains:
                est = _estimate(svy, stat, q, column, domain, frame[q["column"]].notna().to_numpy())
                keys = est.index.to_numpy()
                split = [(k, None) if domain == "_all" else tuple(k.split(_SEP, 1)) for k in keys]
                rows.append(pd.DataFrame({
                    "question": q["column"], "statistic": stat,
                    "wave": [w for w, _ in split], "group": [g for _, g in split],
                    **{c: est[c].to_numpy(dtype=float) for c in ("estimate", "se", "ci_low", "ci_high")},
                    "n": est["n_obs"].to_numpy(dtype=int), "masked": est["masked"].to_numpy(dtype=bool),
                }))
            if len(waves) > 1:
                for g, where in subsets:
                    in_pair = (frame["_wave"].isin([first, last]).to_numpy() & (True if where is None else where)
                               & frame[q["column"]].notna().to_numpy())
                    waves_there = set(frame.loc[in_pair, "_wave"])
                    row = {"question": q["column"], "statistic": stat, "group": g, "from_wave": first,
                           "to_wave": last}
                    if waves_there != {first, last}:
                        row.update(estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan, pvalue=np.nan,
                                   n=int(in_pair.sum()), masked=True)
                    else:
                        row.update(_compare(svy, stat, q, column, first, last, where))
                    changes.append(row)
    rows_frame = pd.concat(rows, ignore_index=True)[list(ROW_COLUMNS)]
    rows_frame["group"] = rows_frame["group"].astype(object).where(rows_frame["group"].notna(), None)
    order = {w: i for i, w in enumerate(waves)}
    q_order = {q["column"]: i for i, q in enumerate(questions)}
    s_order = {st: i for i, st in enumerate(FEEDBACK_STATISTICS)}
    # rows come out question by question and statistic by statistic as the yaml lists them
    rows_frame = rows_frame.assign(_o=rows_frame["wave"].map(order), _g=rows_frame["group"].notna()).sort_values(
        ["_g", "group", "_o"], na_position="first", kind="stable")
    rows_frame = rows_frame.assign(_q=rows_frame["question"].map(q_order), _s=rows_frame["statistic"].map(s_order))
    rows_frame = rows_frame.sort_values(["_q", "_s"], kind="stable").drop(columns=["_o", "_g", "_q", "_s"])
    return FeedbackSummary(rows=rows_frame.reset_index(drop=True),
                           changes=pd.DataFrame(changes, columns=list(CHANGE_COLUMNS)),
                           waves=tuple(waves), labels={q["column"]: q.get("label") or q["column"] for q in questions},
                           min_cell_size=min_cell_size, alpha=alpha, design=design)


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and bool(
        np.isfinite(value))


def _check_question(q: Any, where: str) -> list[str]:
    """Every problem of one question; fills in ``statistics`` (mean) and ``dissatisfied`` (see below) when absent.

    ``dissatisfied`` for ``net_satisfaction`` defaults to the mirror image of
    ``threshold`` on the question's ``scale`` (:func:`impact.survey.barometer.mirror_threshold`:
    threshold 4 on [1, 5] counts 1 and 2 as dissatisfied), so that a question
    written as in the ``initiative.yaml`` schema (``column, label, scale,
    statistics, threshold``) is complete.
    """
    from impact.survey.barometer import mirror_threshold

    if not isinstance(q, dict) or not q.get("column"):
        return [f"{where}: must be a mapping with column, label, scale, statistics"]
    allowed = {"column", "label", "scale", "statistics", "threshold", "dissatisfied", "level"}
    problems = [f"{where}.{k}: unknown key; allowed: {', '.join(sorted(allowed))}" for k in q if k not in allowed]
    if not isinstance(q["column"], str):
        problems.append(f"{where}.column: must be one column name (got {q['column']!r}); give one question per column")
    label = q.get("label")
    if label is not None and not (isinstance(label, str) or (isinstance(label, dict) and label and all(
            isinstance(k, str) and isinstance(v, str) for k, v in label.items()))):
        problems.append(f"{where}.label: must be a text, or one text per language such as {{en: ..., fr: ...}} "
                        f"(got {label!r})")
    stats = q.get("statistics", ["mean"])
    if not isinstance(stats, list) or not stats:
        return problems + [f"{where}.statistics: must be a non-empty list, e.g. [mean, top_box]"]
    for s in stats:
        if s not in FEEDBACK_STATISTICS:
            problems.append(f"{where}.statistics: unknown statistic {s!r}; use {', '.join(FEEDBACK_STATISTICS)}")
    if len(set(map(str, stats))) != len(stats):
        problems.append(f"{where}.statistics: lists a statistic twice ({stats}); list each once")
    scale = q.get("scale")
    scale_ok = scale is None or (isinstance(scale, list) and len(scale) == 2 and all(map(_is_number, scale))
                                 and scale[0] < scale[1])
    if not scale_ok:
        problems.append(f"{where}.scale: must be [lowest, highest] answer, e.g. [0, 10] (got {scale!r})")
    if ("net_satisfaction" in stats and q.get("dissatisfied") is None and _is_number(q.get("threshold"))
            and scale is not None and scale_ok):
        try:
            q["dissatisfied"] = mirror_threshold(q["threshold"], scale, f"{where}.scale")
        except ConfigError as exc:
            problems.append(f"{where}.dissatisfied: {exc}")
            return problems
    needs = {"top_box": ("threshold",), "net_satisfaction": ("threshold", "dissatisfied"), "proportion": ("level",)}
    for s in stats:
        for key in needs.get(s, ()) if isinstance(s, str) else ():
            if not _is_number(q.get(key)):
                fix = (" (or a scale [lowest, highest] to count as many bottom answers as top ones, e.g. threshold 4 "
                       "on [1, 5] gives dissatisfied 2)" if key == "dissatisfied" else "")
                problems.append(f"{where}.{key}: statistic {s!r} needs a numeric {key}{fix} (got {q.get(key)!r})")
    if ("net_satisfaction" in stats and _is_number(q.get("threshold")) and _is_number(q.get("dissatisfied"))
            and not q["dissatisfied"] < q["threshold"]):
        problems.append(f"{where}.dissatisfied: must be below threshold ({q['dissatisfied']!r} >= {q['threshold']!r})")
    q.setdefault("statistics", stats)
    return problems


def _check_questions(questions: Any, where: str) -> list[str]:
    """Problems of the question list: each question's, and a column asked twice."""
    if not isinstance(questions, (list, tuple)) or not questions:
        return [f"{where}: must be a non-empty list of questions, each {{column, label, scale, statistics}}"]
    problems = [p for i, q in enumerate(questions) for p in _check_question(q, f"{where}[{i}]")]
    columns = [q["column"] for q in questions if isinstance(q, dict) and isinstance(q.get("column"), str)]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        problems.append(f"{where}: column {twice[0]!r} is asked twice; give one question with every statistic it needs")
    return problems


def _check_scale(data: pd.DataFrame, q: dict) -> None:
    scale = q.get("scale")
    if scale is None:
        return
    y = data[q["column"]]
    outside = y.notna() & ((y < scale[0]) | (y > scale[1]))
    if outside.any():
        bad = sorted(y[outside].unique().tolist())[:5]
        raise DataError(f"question column {q['column']!r} has {int(outside.sum())} answers outside its scale "
                        f"{scale} (e.g. {bad}); correct them, set them missing, or widen the scale")


def check_feedback_spec(spec: Any, where: str = "feedback") -> list[str]:
    """Every problem in the ``feedback`` section of ``initiative.yaml``, each prefixed with its location."""
    if not isinstance(spec, dict):
        return [f"{where}: must be a mapping with file, design, wave, questions"]
    allowed = {"file", "design", "wave", "group", "questions", "comments"}
    problems = [f"{where}.{k}: unknown key; allowed: {', '.join(sorted(allowed))}" for k in spec if k not in allowed]
    for key in ("file", "wave", "questions"):
        if not spec.get(key):
            problems.append(f"{where}.{key}: required key is missing")
    for key in ("file", "wave", "group"):
        if spec.get(key) and not isinstance(spec[key], str):
            what = "a file name" if key == "file" else "one column name"
            problems.append(f"{where}.{key}: must be {what} (got {spec[key]!r})")
    design = spec.get("design") or {}
    if not isinstance(design, dict):
        problems.append(f"{where}.design: must be a mapping {{weights, strata, psu, fpc}}")
    else:
        extra = set(design) - {"weights", "strata", "psu", "fpc", "nest", "lonely_psu"}
        if extra:
            problems.append(f"{where}.design: unknown keys {sorted(extra)}; allowed: weights, strata, psu, fpc, "
                            "nest, lonely_psu")
        problems += _check_design_spec(design, f"{where}.design")
    if spec.get("questions"):
        problems += _check_questions(spec["questions"], f"{where}.questions")
    comments = spec.get("comments")
    if comments is not None:
        if not isinstance(comments, dict) or not comments.get("column"):
            problems.append(f"{where}.comments: must be {{column, language}}")
        elif not isinstance(comments["column"], str):
            problems.append(f"{where}.comments.column: must be one column name (got {comments['column']!r})")
        else:
            if comments.get("language", "en") not in ("en", "fr"):
                problems.append(f"{where}.comments.language: must be 'en' or 'fr' (got {comments['language']!r})")
            extra = set(comments) - {"column", "language", "themes", "n_topics", "quotes"}
            if extra:
                problems.append(f"{where}.comments: unknown keys {sorted(extra)}; allowed: column, language, themes, "
                                "n_topics, quotes")
    return problems


def _check_design_spec(design: dict, where: str) -> list[str]:
    """Types of the ``design`` mapping: column names, ``nest`` true/false, ``lonely_psu`` one of the rules."""
    from impact.survey import LONELY_PSU

    problems = []
    for key in ("weights", "strata", "psu", "fpc"):
        value = design.get(key)
        if value is not None and not isinstance(value, str):
            fix = "; put it in a column of the survey file and name that column" if key == "fpc" else ""
            problems.append(f"{where}.{key}: must be one column name or null (got {value!r}){fix}")
    if "nest" in design and not isinstance(design["nest"], bool):
        problems.append(f"{where}.nest: must be true or false (got {design['nest']!r})")
    if "lonely_psu" in design and design["lonely_psu"] not in LONELY_PSU:
        problems.append(f"{where}.lonely_psu: must be one of {', '.join(LONELY_PSU)} (got {design['lonely_psu']!r})")
    return problems


def feedback_from_spec(spec: dict, data: pd.DataFrame, *, min_cell_size: int = 11,
                       alpha: float = 0.05) -> FeedbackSummary:
    """:func:`summarise_feedback` with the arguments of an ``initiative.yaml`` ``feedback`` section."""
    problems = check_feedback_spec(spec)
    if problems:
        raise ConfigError("; ".join(problems))
    design = spec.get("design") or {}
    return summarise_feedback(data, questions=spec["questions"], wave=spec["wave"], group=spec.get("group"),
                              weights=design.get("weights"), strata=design.get("strata"), psu=design.get("psu"),
                              fpc=design.get("fpc"), min_cell_size=min_cell_size, alpha=alpha,
                              extra_design={k: design[k] for k in ("nest", "lonely_psu") if k in design})
