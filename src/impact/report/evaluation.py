"""The evaluation around the causal estimate: indicators against targets, beneficiaries' feedback, case study.

The notebook calls one function per section. Numbers come from
:mod:`impact.indicators`, :mod:`impact.feedback` and :mod:`impact.survey`;
text from the initiative (labels, case study, quotes) is escaped here, and
quotes go through the same personal-data masking as comments.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

from impact.report.i18n import fmt_interval, fmt_number, fmt_pct, labels

__all__ = [
    "check_evaluation",
    "read_feedback",
    "compute_feedback",
    "compute_comments",
    "compute_indicators",
    "indicators_table",
    "indicators_notes",
    "indicators_figure",
    "feedback_table",
    "feedback_groups_table",
    "feedback_figure",
    "comments_html",
    "case_study_opening",
    "case_study_closing",
]

esc = html.escape
CASE_STUDY_KEYS = ("context", "what_was_done", "results", "lessons", "quotes")
SHARES = ("top_box", "proportion", "net_satisfaction")


# --------------------------------------------------------------------------- validation


def check_evaluation(config: dict, folder=None, check_data: bool = True) -> list[str]:
    """Problems in the ``indicators``, ``feedback`` and ``case_study`` sections of ``initiative.yaml``."""
    from impact.feedback.summary import check_feedback_spec
    from impact.indicators import check_indicator_spec

    problems: list[str] = []
    feedback = config.get("feedback")
    questions = None
    if feedback is not None:
        problems += check_feedback_spec(feedback)
        if isinstance(feedback, dict) and isinstance(feedback.get("questions"), list):
            questions = {q["column"]: list(q.get("statistics") or ["mean"]) for q in feedback["questions"]
                         if isinstance(q, dict) and q.get("column")}
    indicators = config.get("indicators")
    if indicators is not None:
        if not isinstance(indicators, list):
            problems.append("indicators: must be a list of indicators (see templates/initiative.yaml)")
        else:
            seen = set()
            for i, spec in enumerate(indicators):
                problems += check_indicator_spec(spec, f"indicators[{i}]", questions)
                ident = spec.get("id") if isinstance(spec, dict) else None
                if not isinstance(ident, str):
                    continue  # a missing or non-text id is already a problem of check_indicator_spec
                if ident in seen:
                    problems.append(f"indicators[{i}].id: {ident!r} is used twice; ids must be unique")
                seen.add(ident)
    case = config.get("case_study")
    if case is not None:
        if not isinstance(case, dict):
            problems.append("case_study: must be a mapping with context, what_was_done, results, lessons, quotes")
        else:
            problems += [f"case_study.{k}: unknown key; allowed: {', '.join(CASE_STUDY_KEYS)}"
                         for k in case if k not in CASE_STUDY_KEYS]
            for key in ("context", "what_was_done", "results"):
                if case.get(key) is not None and not isinstance(case[key], str):
                    problems.append(f"case_study.{key}: must be text")
            for key in ("lessons", "quotes"):
                value = case.get(key)
                if value is not None and not (isinstance(value, str) or (
                        isinstance(value, list) and all(isinstance(v, str) for v in value))):
                    problems.append(f"case_study.{key}: must be text or a list of texts")
    if check_data and folder is not None and isinstance(feedback, dict) and feedback.get("file") and not problems:
        from pathlib import Path

        if not (Path(folder) / feedback["file"]).is_file():
            problems.append(f"feedback.file: {feedback['file']!r} not found in {str(folder)!r}")
    if check_data and folder is not None and not problems:
        problems += _from_data_columns(config, folder)
    return problems


def _from_data_columns(config: dict, folder) -> list[str]:
    """``from_data`` columns missing from Parquet data, read from the files' schema (no row is read).

    Parquet data may be too large to load for a check (a glob left on disk by
    the report), so a misspelt column would otherwise surface only when the
    report runs. Other formats are left to the data checks, which load them.
    """
    import difflib
    import glob as _glob
    from pathlib import Path

    from impact.errors import ImpactError
    from impact.scale.source import source

    pattern = (config.get("data") or {}).get("file") if isinstance(config.get("data"), dict) else None
    specs = [(i, s["from_data"]) for i, s in enumerate(config.get("indicators") or [])
             if isinstance(s, dict) and isinstance(s.get("from_data"), dict)]
    if not isinstance(pattern, str) or not pattern or not specs:
        return []
    folder = Path(folder)
    files = sorted(folder.glob(pattern)) if _glob.has_magic(pattern) else [folder / pattern]
    if not files or any(not f.is_file() or f.suffix.lower() not in (".parquet", ".pq") for f in files):
        return []  # missing files and other formats are the data checks' to report
    try:
        with source([str(f) for f in files], progress=False).session() as session:
            columns = list(session.columns())
    except ImpactError:
        return []  # unreadable files too
    problems = []
    for i, spec in specs:
        for key in ("column", "dates", "weight"):
            name = spec.get(key)
            if isinstance(name, str) and name and name not in columns:
                close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(f"indicators[{i}].from_data.{key}: column {name!r} not found in {pattern}; {hint}"
                                f"available columns: {', '.join(columns[:30])}")
    return problems


# --------------------------------------------------------------------------- computing


def read_feedback(initiative) -> pd.DataFrame:
    """The feedback survey file (any format :func:`impact.data.read_table` reads)."""
    from impact.data import read_table

    return read_table(initiative.folder / initiative.config["feedback"]["file"])


def compute_feedback(initiative, survey: pd.DataFrame | None = None, alpha: float = 0.05):
    """The initiative's :class:`impact.feedback.FeedbackSummary`, or None without a feedback section."""
    from impact.feedback import feedback_from_spec

    spec = initiative.config.get("feedback")
    if not spec:
        return None
    survey = read_feedback(initiative) if survey is None else survey
    return feedback_from_spec(spec, survey, min_cell_size=initiative.min_cell_size, alpha=alpha)


def compute_comments(initiative, survey: pd.DataFrame | None = None, seed: int | None = None,
                     lang: str | None = None):
    """Themes, topics and quotes of the survey's free-text comments, or None without ``feedback.comments``.

    ``lang`` is the report's language, for theme labels and notes (quotes stay in the comments' language).
    """
    from impact.feedback.comments import analyse_comments

    spec = (initiative.config.get("feedback") or {}).get("comments")
    if not spec:
        return None
    survey = read_feedback(initiative) if survey is None else survey
    from impact.data import check_columns

    check_columns(survey, comments=spec["column"])
    return analyse_comments(survey[spec["column"]], language=spec.get("language", "fr"), themes=spec.get("themes"),
                            n_topics=spec.get("n_topics"), n_quotes=spec.get("quotes", 3),
                            seed=0 if seed is None else int(seed), min_cell_size=initiative.min_cell_size,
                            output_language=lang)


def _unit_mask(initiative, frame: pd.DataFrame, units: str) -> np.ndarray | None:
    if units == "all":
        return None
    from impact.report.sections import _groups

    treated = np.asarray(_groups(initiative, frame)) == 1
    return treated if units == "treated" else ~treated


def compute_indicators(initiative, frame: pd.DataFrame, feedback=None) -> list:
    """Every indicator of the initiative as an :class:`impact.indicators.IndicatorResult`.

    ``frame`` is the prepared evaluation data (for ``from_data``): a DataFrame, or the
    :class:`~impact.report.estimate.AggregateData` of a Parquet glob, which is not loaded;
    ``feedback`` the :class:`~impact.feedback.FeedbackSummary` (for ``from_survey``).
    """
    from impact.errors import ImpactError

    out = []
    for spec in initiative.config.get("indicators") or []:
        try:
            out.append(_one_indicator(initiative, spec, frame, feedback))
        except ImpactError as exc:
            # Name the indicator whose settings or data failed, unless the message already does.
            where = f"indicators.{spec.get('id')}"
            if where in str(exc):
                raise
            raise type(exc)(f"{where} ({_source_key(spec)}): {exc}") from exc
    return out


def _source_key(spec: dict) -> str:
    return next((k for k in ("from_data", "from_survey") if spec.get(k)), "values")


def _one_indicator(initiative, spec: dict, frame, feedback):
    from impact.errors import ConfigError
    from impact.indicators import indicator, series_from_data

    method = _source_key(spec)
    if method == "from_data":
        src = spec["from_data"]
        common = dict(time=initiative.data_spec["time"], statistic=src.get("statistic", "mean"),
                      dates=src.get("dates"), weight=src.get("weight"))
        if isinstance(frame, pd.DataFrame):
            values = series_from_data(frame, src["column"],
                                      mask=_unit_mask(initiative, frame, src.get("units", "all")), **common)
        else:
            # A Parquet glob left on disk (report.estimate.AggregateData): one aggregate query on its relation,
            # whose _treated_group is the in-memory one (cohort coded on the calendar).
            values = series_from_data(frame.relation, src["column"], units=src.get("units", "all"),
                                      group="_treated_group", **common)
    elif method == "from_survey":
        if feedback is None:
            raise ConfigError("computed from the survey, but there is no feedback section; add one or give values")
        values = feedback.series(spec["from_survey"]["question"], spec["from_survey"]["statistic"])
    else:
        values = spec["values"]
    return indicator(
        spec["id"], label=spec.get("label"), unit=spec.get("unit", ""), direction=spec["direction"],
        baseline=spec["baseline"].get("value"), baseline_date=spec["baseline"]["date"],
        target=spec["target"]["value"], target_date=spec["target"]["date"], values=values,
        source=spec.get("source"), method=method,
        alpha=feedback.alpha if feedback is not None and method == "from_survey" else 0.05,
    )


# --------------------------------------------------------------------------- indicators


def _digits(r) -> int:
    """Decimals for one indicator's numbers: as few as show every value as entered, at most 2."""
    values = np.array([r.baseline, r.target, *r.series["value"].to_numpy(dtype=float)])
    for digits in (0, 1):
        if np.allclose(values * 10 ** digits, np.round(values * 10 ** digits), rtol=0, atol=1e-9):
            return digits
    return 1 if np.nanmax(np.abs(values)) >= 10 else 2


def _value(x, unit: str, lang: str, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if unit == "%":
        return fmt_pct(x, lang, 1)
    return fmt_number(x, lang, digits)


def _bar(progress) -> str:
    """Progress bar clamped to 0-100 % (the reported progress itself is unclamped)."""
    width = 0 if progress is None else int(round(100 * min(max(progress, 0.0), 1.0)))
    return (f"<span class='bar' style='display:inline-block;width:60px;height:8px;background:#ddd'>"
            f"<span style='display:block;width:{width}%;height:8px;background:#555'></span></span>")


def indicators_table(results: list, lang: str) -> str:
    """HTML table: indicator, baseline, target, latest value, progress (bar) and status."""
    from impact.indicators import STATUS_COLOURS

    L = labels(lang)
    head = [L["ind_indicator"], L["ind_baseline"], L["ind_target"], L["ind_current"], L["ind_progress"],
            L["status"]]
    rows = []
    for r in results:
        unit = f" ({r.unit})" if r.unit and r.unit != "%" else ""
        d = _digits(r)
        current = _value(r.current, r.unit, lang, d)
        if r.has_interval:
            scale, digits = (100, 1) if r.unit == "%" else (1, 2 if abs(r.current) < 10 else 1)
            current += " " + fmt_interval(scale * r.ci_low, scale * r.ci_high, lang, digits)
        progress = L["ind_hold"] if r.progress is None else fmt_pct(r.progress, lang, 0)
        cells = [
            esc(r.label + unit),
            esc(f"{_value(r.baseline, r.unit, lang, d)} ({r.baseline_date})"),
            esc(f"{_value(r.target, r.unit, lang, d)} ({r.target_date})"),
            esc(f"{current} ({r.current_date})"),
            _bar(r.progress) + " " + esc(progress),
            f"<span style='color:{STATUS_COLOURS[r.status]};font-weight:bold'>{esc(L['st_' + r.status])}</span>",
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    return f"<table class='indicators'><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def indicators_notes(results: list, lang: str) -> str:
    """Sentences for the survey-based indicators: does the interval include the target?"""
    L = labels(lang)
    out = [f"<p class='note'>{esc(L['ind_rule'])}</p>"]
    for r in results:
        if r.target_in_interval is None:
            continue
        key = "ind_ci_in" if r.target_in_interval else "ind_ci_out"
        d = _digits(r)
        out.append("<p>" + esc(L[key].format(label=r.label, lo=_value(r.ci_low, r.unit, lang, d),
                                             hi=_value(r.ci_high, r.unit, lang, d),
                                             target=_value(r.target, r.unit, lang, d))) + "</p>")
    return "".join(out)


def indicators_figure(results: list, lang: str):
    """Small multiples: one panel per indicator with baseline, series, target and the status colour."""
    import matplotlib.pyplot as plt

    L = labels(lang)
    n = len(results)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.7 * rows), squeeze=False)
    for ax, r in zip(axes.ravel(), results):
        r.plot(ax=ax)
        ax.set_title(f"{r.label}\n{L['st_' + r.status]}", fontsize=8)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_fontsize(6)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- feedback


def _stat_name(stat: str, question: dict, lang: str) -> str:
    L = labels(lang)
    return L["stat_" + stat].format(t=fmt_number(question.get("threshold"), lang, 0) if question.get("threshold")
                                    is not None else "", low=question.get("dissatisfied", ""),
                                    level=question.get("level", ""))


def _stat_value(x, stat: str, lang: str) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return fmt_pct(x, lang, 1) if stat in SHARES else fmt_number(x, lang, 2)


def _stat_interval(lo, hi, stat: str, lang: str) -> str:
    if lo is None or not math.isfinite(lo):
        return "–"
    if stat in SHARES:
        return fmt_interval(100 * lo, 100 * hi, lang, 1)
    return fmt_interval(lo, hi, lang, 2)


def feedback_table(summary, initiative, lang: str) -> str:
    """Per question and statistic: each wave for all respondents, and the change from first to last wave."""
    L = labels(lang)
    spec = initiative.config["feedback"]
    questions = {q["column"]: q for q in spec["questions"]}
    rows = summary.rows[summary.rows["group"].isna()]
    waves = list(summary.waves)
    head = [L["fb_question"]] + waves + [L["fb_change"].format(first=waves[0], last=waves[-1])]
    body = []
    for (question, stat), sub in rows.groupby(["question", "statistic"], sort=False):
        q = questions[question]
        by_wave = sub.set_index("wave")
        cells = [esc(f"{q.get('label') or question}{L['colon']}{_stat_name(stat, q, lang)}")]
        for w in waves:
            r = by_wave.loc[w] if w in by_wave.index else None
            text = "–" if r is None or r["masked"] else _stat_value(r["estimate"], stat, lang)
            cells.append(esc(text))
        ch = summary.changes[(summary.changes["question"] == question) & (summary.changes["statistic"] == stat)
                             & summary.changes["group"].isna()]
        if ch.empty or bool(ch["masked"].iloc[0]):
            cells.append("–")
        else:
            c = ch.iloc[0]
            sign = "+" if c["estimate"] > 0 else ""
            if stat in SHARES:  # a change in a share is in percentage points, not per cent
                change = L["fb_points"].format(x=sign + fmt_number(100 * c["estimate"], lang, 1))
            else:
                change = sign + _stat_value(c["estimate"], stat, lang)
            cells.append(esc(f"{change} {_stat_interval(c['ci_low'], c['ci_high'], stat, lang)}"))
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    n_resp = summary.rows.loc[summary.rows["group"].isna()].groupby("wave")["n"].max()
    n_row = "<tr><td>" + esc(L["fb_n"]) + "</td>" + "".join(
        f"<td>{esc(fmt_number(n_resp.get(w, 0), lang, 0))}</td>" for w in waves) + "<td></td></tr>"
    note = L["fb_design"].format(design=", ".join(f"{k}{L['colon']}{v}" for k, v in summary.design.items()) or "–",
                                 k=summary.min_cell_size)
    masked = summary.n_masked
    extra = f" {L['masked'].format(n=masked, k=summary.min_cell_size)}" if masked else ""
    return (f"<table class='feedback'><thead><tr>{th}</tr></thead><tbody>{''.join(body)}{n_row}</tbody></table>"
            f"<p class='note'>{esc(note + extra)}</p>")


def feedback_groups_table(summary, initiative, lang: str) -> str:
    """The latest wave by group (one row per group, one column per question and statistic); masked cells '–'."""
    L = labels(lang)
    spec = initiative.config["feedback"]
    if not spec.get("group"):
        return ""
    questions = {q["column"]: q for q in spec["questions"]}
    wave = summary.waves[-1]
    rows = summary.rows[summary.rows["group"].notna() & (summary.rows["wave"] == wave)]
    pairs = list(dict.fromkeys(zip(rows["question"], rows["statistic"])))
    table = rows.pivot_table(index="group", columns=["question", "statistic"], values="estimate", aggfunc="first",
                             dropna=False)
    counts = rows.groupby("group")["n"].max()
    head = [spec["group"]] + [f"{questions[q].get('label') or q}{L['colon']}{_stat_name(st, questions[q], lang)}"
                              for q, st in pairs] + [L["fb_n"]]
    body = []
    for group in sorted(rows["group"].unique()):
        cells = [group] + [_stat_value(table.loc[group].get((q, st), np.nan), st, lang) for q, st in pairs]
        cells.append(fmt_number(counts[group], lang, 0))
        body.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in cells) + "</tr>")
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    return (f"<h3>{esc(L['fb_by_group'].format(group=spec['group'], wave=wave))}</h3>"
            f"<table class='feedback-groups'><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def feedback_figure(summary, initiative, lang: str):
    """One panel per question and statistic: all respondents, each wave with its design-based interval."""
    import matplotlib.pyplot as plt

    questions = {q["column"]: q for q in initiative.config["feedback"]["questions"]}
    pairs = summary.rows.loc[summary.rows["group"].isna(), ["question", "statistic"]].drop_duplicates()
    n = len(pairs)
    cols = min(n, 3)
    fig, axes = plt.subplots(math.ceil(n / cols), cols, figsize=(3.4 * cols, 2.6 * math.ceil(n / cols)),
                             squeeze=False)
    for ax, (question, stat) in zip(axes.ravel(), pairs.itertuples(index=False)):
        s = summary.series(question, stat)
        scale = 100 if stat in SHARES else 1
        x = np.arange(len(s))
        ax.errorbar(x, scale * s["value"], yerr=[scale * (s["value"] - s["ci_low"]), scale * (s["ci_high"] - s["value"])],
                    fmt="o-", ms=3, capsize=2, lw=1)
        ax.set_xticks(x, s["date"], rotation=45, fontsize=6)
        q = questions[question]
        ax.set_title(f"{q.get('label') or question}\n{_stat_name(stat, q, lang)}", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def comments_html(comments, lang: str) -> str:
    """Themes (count, share, quotes) and data-driven topics of the comments, all from masked text."""
    L = labels(lang)
    masked = ", ".join(f"{L.get('pd_' + k, k)} {v}" for k, v in comments.n_masked.items() if v) or "0"
    parts = [f"<p>{esc(L['cm_intro'].format(n=fmt_number(comments.n_comments, lang, 0), masked=masked))}</p>"]
    themes = comments.themes[~comments.themes["masked"]]
    if len(themes):
        rows = "".join(
            f"<tr><td>{esc(str(t.label))}</td><td>{esc(fmt_number(t.count, lang, 0))}</td>"
            f"<td>{esc(fmt_pct(t.share, lang, 0))}</td><td>{_quotes(t.quotes[:2])}</td></tr>"
            for t in themes.itertuples(index=False) if t.count > 0
        )
        head = "".join(f"<th>{esc(h)}</th>" for h in (L["cm_theme"], L["cm_count"], L["cm_share"], L["cm_quotes"]))
        parts.append(f"<table class='themes'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    if len(comments.topics):
        parts.append(f"<h3>{esc(L['cm_topics'])}</h3>")
        rows = "".join(
            f"<tr><td>{esc(', '.join(map(str, t.terms[:6])))}</td><td>{esc(fmt_pct(t.share, lang, 0))}</td>"
            f"<td>{_quotes(t.quotes[:1])}</td></tr>" for t in comments.topics.itertuples(index=False)
        )
        head = "".join(f"<th>{esc(h)}</th>" for h in (L["cm_terms"], L["cm_share"], L["cm_quotes"]))
        parts.append(f"<table class='topics'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    parts += [f"<p class='note'>{esc(n)}</p>" for n in comments.notes]
    return "".join(parts)


def _quotes(quotes) -> str:
    return "".join(f"<q>{esc(str(q))}</q><br>" for q in quotes)


# --------------------------------------------------------------------------- case study


def _paragraphs(text: Any) -> str:
    if isinstance(text, list):
        return "<ul>" + "".join(f"<li>{esc(str(t).strip())}</li>" for t in text) + "</ul>"
    return "".join(f"<p>{esc(p.strip())}</p>" for p in str(text).split("\n\n") if p.strip())


def _masked(text: Any, lang: str):
    from impact.feedback.comments import mask_personal_data

    if isinstance(text, list):
        return [mask_personal_data(str(t), language=lang) for t in text]
    return mask_personal_data(str(text), language=lang)


def case_study_opening(initiative, lang: str) -> str:
    """The narrative opening: context and what was done (empty without a case study)."""
    case = initiative.config.get("case_study") or {}
    L = labels(lang)
    parts = []
    for key, title in (("context", "cs_context"), ("what_was_done", "cs_done")):
        if case.get(key):
            parts.append(f"<h3>{esc(L[title])}</h3>{_paragraphs(_masked(case[key], lang))}")
    return f"<h2>{esc(L['case_study'])}</h2>" + "".join(parts) if parts else ""


def case_study_closing(initiative, lang: str) -> str:
    """The closing: results in words, lessons, and beneficiaries' or staff's quotes (personal data masked)."""
    case = initiative.config.get("case_study") or {}
    L = labels(lang)
    parts = []
    if case.get("results"):
        parts.append(f"<h3>{esc(L['cs_results'])}</h3>{_paragraphs(_masked(case['results'], lang))}")
    if case.get("quotes"):
        quotes = case["quotes"] if isinstance(case["quotes"], list) else [case["quotes"]]
        parts.append(f"<h3>{esc(L['cs_quotes'])}</h3>" + "".join(
            f"<blockquote>{esc(q)}</blockquote>" for q in _masked(quotes, lang)))
    if case.get("lessons"):
        parts.append(f"<h3>{esc(L['lessons'])}</h3>{_paragraphs(_masked(case['lessons'], lang))}")
    return f"<h2>{esc(L['cs_closing'])}</h2>" + "".join(parts) if parts else ""
