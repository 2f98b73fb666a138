"""The sections of an evaluation report, as HTML fragments and figures.

The notebook calls one function per section; every text that comes from an
initiative (title, description, labels, category names) is HTML-escaped
here, and every number comes from a library result.
"""

from __future__ import annotations

import html
import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from impact.data import period_position
from impact.periods import period_text
from impact.report.estimate import calendar_scale, period_codes_of
from impact.report.i18n import (
    fmt_datetime,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_pvalue,
    fmt_quantity,
    labels,
)
from impact.report.sanitize import finite
from impact.report.suppress import masked_group_means
from impact.report.templating import render
from impact.report.wording import effect_digits, effect_sentence, method_name, method_words, note_words, outcome_parts

__all__ = [
    "header",
    "heading",
    "notes",
    "design_table",
    "trends_figure",
    "estimates_table",
    "event_time_label",
    "pretrend",
    "build_appraisal",
    "appraisal_table",
    "verdict",
    "provenance_table",
    "summary_record",
    "write_json_atomic",
]

esc = html.escape


def _table(rows: list[tuple[str, str]], lang: str = "en", heading: str | None = None) -> str:
    return render("kv_table.html.j2", lang, rows=rows, heading=heading)


def header(initiative, lang: str, what_was_done: bool = True) -> str:
    """Kicker, title and owner; then "What was done" with the initiative's description unless told not to."""
    owner = initiative.config.get("owner")
    page = render("header.html.j2", lang, title=initiative.title, owner=str(owner) if owner else None)
    desc = initiative.config.get("description")
    if what_was_done and desc:
        page += heading("what_was_done", lang, paragraphs=[str(desc)])
    return page


def heading(key: str, lang: str, level: int = 2, paragraphs: list[str] | tuple = ()) -> str:
    """A section heading from the catalogue (``key``), with plain-text paragraphs after it."""
    return render("section.html.j2", lang, text=labels(lang)[key], level=level, anchor=key.replace("_", "-"),
                  paragraphs=list(paragraphs))


def notes(items, lang: str, css: str = "note") -> str:
    """Paragraphs of notes: the library's notes put in the report's words (unknown ones kept, marked English)."""
    texts = [note_words(str(item), lang)[0] for item in items]
    return render("paragraphs.html.j2", lang, paragraphs=texts, css=css, p_lang=None)


def _groups(initiative, frame: pd.DataFrame) -> pd.Series:
    spec = initiative.data_spec
    if "_treated_group" in frame:
        return frame["_treated_group"]
    if spec.get("treated"):
        return frame[spec["treated"]]
    design = initiative.design
    if design.get("treated_unit") is not None:
        return (frame[spec["unit"]].astype(str) == str(design["treated_unit"])).astype(int)
    treat = spec.get("treatment")
    return frame.groupby(spec["unit"])[treat].transform("max")


def design_table(initiative, frame: pd.DataFrame, lang: str) -> str:
    L = labels(lang)
    spec = initiative.data_spec
    unit = spec["unit"]
    if not isinstance(frame, pd.DataFrame):
        # A Parquet glob left on disk (report.estimate.AggregateData): counts from the per-cohort statistics.
        st, scale = frame.stats, frame.scale
        keys, n = np.asarray(st.keys), np.asarray(st.n)
        gcodes, n_units, n_obs = keys, int(n.sum()), int(st.n_obs)
        treated_units, n_always = int(n[keys > 0].sum()), int(n[keys == 0].sum())
    else:
        group = _groups(initiative, frame)
        # Periods and adoption dates in the reader's words (Jul 2023 / juil. 2023), on the data's calendar.
        scale, tcodes, gcodes = period_codes_of(initiative, frame)
        always = np.zeros(len(frame), dtype=bool)
        if gcodes is not None:
            # A cohort at or before the first period has no untreated period: every estimator leaves it out.
            always = gcodes == 0
            group = pd.Series(np.where(always, 0, np.asarray(group)), index=frame.index)
        treated_units = frame.loc[(group == 1).to_numpy(), unit].nunique()
        n_always = frame.loc[always, unit].nunique()
        n_units, n_obs = frame[unit].nunique(), len(frame)
    scale = calendar_scale(initiative, scale)  # months rather than integers when data.periods says so
    first, last = scale.format([0, scale.n - 1], lang)
    rows = [
        (L["outcome"], str(spec.get("outcome_label") or spec["outcome"])),
        (L["estimator"], method_name(initiative.design.get("estimator", "twfe"), lang)),
        (L["units"], fmt_number(n_units, lang, 0)),
        (L["treated_units"], fmt_number(treated_units, lang, 0)),
        (L["comparison_units"], fmt_number(n_units - treated_units - n_always, lang, 0)),
        (L["periods"], period_text("span", lang, first=first, last=last, n=fmt_number(scale.n, lang, 0),
                                   unit=scale.unit_name(lang))),
        (L["observations"], fmt_number(n_obs, lang, 0)),
    ]
    if gcodes is not None:
        starts = np.unique(gcodes[(gcodes > 0) & (gcodes < scale.n)])
        shown = ", ".join(scale.format(starts[:8], lang)) + (" …" if len(starts) > 8 else "")
        rows.append((L["adoption"], shown))
        if n_always:
            rows.append((period_text("always_treated", lang), period_text(
                "always_treated_value", lang, n=fmt_number(n_always, lang, 0), date=first)))
    return f"<h2>{esc(L['design'])}</h2>" + _table(rows)


def trends_figure(initiative, frame: pd.DataFrame, lang: str):
    """Mean outcome by period for treated and comparison units, small cells masked.

    Returns (figure, number of masked points).
    """
    import matplotlib.pyplot as plt

    L = labels(lang)
    spec = initiative.data_spec
    if not isinstance(frame, pd.DataFrame):
        # A Parquet glob left on disk (report.estimate.AggregateData): the same means from per-cohort statistics.
        scale, gcodes = frame.scale, frame.cohort_codes()
        means, n_masked = frame.group_means(initiative, {1: L["treated"], 0: L["comparison"]})
    else:
        # Periods on their calendar (dates for months and quarters, whatever their written form): the axis is a
        # time axis, and always-treated units (cohort at or before the first period) are in neither line.
        scale, tcodes, gcodes = period_codes_of(initiative, frame)
        group = _groups(initiative, frame)
        keep = np.ones(len(frame), dtype=bool) if gcodes is None else gcodes != 0
        data = frame.assign(_group=group.map({1: L["treated"], 0: L["comparison"]}), _tcode=tcodes).loc[keep]
        means, n_masked = masked_group_means(
            data, spec["outcome"], ["_group", "_tcode"], initiative.min_cell_size,
            unit=spec["unit"], count=spec.get("count"),
        )
    # The axis shows the calendar (dates when data.periods says what integer periods are); positions such as
    # design.start stay on the data's own periods.
    shown = calendar_scale(initiative, scale)
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    # Treated first in every language (groupby would order by the translated names and swap the colours).
    for name in (L["treated"], L["comparison"]):
        sub = means[means["_group"] == name].sort_values("_tcode")
        if sub.empty:
            continue
        ax.plot(shown.timestamps(sub["_tcode"].to_numpy()), sub[spec["outcome"]], marker="o", ms=3, label=name)
    start = None
    if gcodes is not None:
        inside = gcodes[(gcodes > 0) & (gcodes < scale.n)]
        start = int(inside.min()) if inside.size else None
    elif initiative.design.get("start") is not None:
        start = period_position(scale.labels, initiative.design["start"], "design.start")
    if start is not None and 0 < start < scale.n:
        before, after = shown.timestamps([start - 1, start])
        ax.axvline(before + (after - before) / 2, color="grey", ls=":", lw=1)
    # A calendar axis speaks for itself in every language; plain period numbers are named by their column.
    ax.set_xlabel("" if shown.base != "int" else spec["time"])
    # Long labels ("new APA applications per 1,000 residents aged 75+ (per month)") would run off the figure.
    ax.set_ylabel(textwrap.fill(str(spec.get("outcome_label") or spec["outcome"]), 38))
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig, n_masked


def event_time_label(initiative, result, lang: str) -> str:
    """The event-study axis title: ``months since adoption`` also when integer periods get their calendar
    from ``data.periods`` (the result itself only knows integers)."""
    from impact.periods import period_text, unit_name

    unit = getattr(result, "time_unit", "period")
    periods = initiative.data_spec.get("periods")
    if unit == "period" and isinstance(periods, dict) and periods.get("frequency"):
        unit = str(periods["frequency"])
    return period_text("event_time", lang, unit=unit_name(unit, lang))


def estimates_table(table: pd.DataFrame, lang: str, digits: int = 2, headline: str | None = None) -> str:
    """HTML table of the comparison of estimators (from ``report.estimate.comparison_table``).

    Estimators are named in words; one that could not run on these data says so, and one left out because
    it needs the rows of data read out of core says that.
    """
    rows = [
        {"name": method_name(r.estimator, lang), "ok": bool(np.isfinite(r.estimate)), "headline": r.estimator == headline,
         "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low, "ci_high": r.ci_high, "pvalue": r.pvalue,
         "skipped": bool(getattr(r, "skipped", False))}
        for r in table.itertuples()
    ]
    return render("estimates.html.j2", lang, rows=rows, digits=digits)


class PretrendP(float):
    """The p-value of the verdict's pre-trend test, carrying the test's name for ``summary.json``."""

    test: str | None = None

    def __new__(cls, p: float, test: str | None = None):
        obj = super().__new__(cls, p)
        obj.test = test
        return obj


def pretrend(result, lang: str) -> tuple[str, PretrendP | None]:
    """Pre-trend test sentences and the p-value the verdict uses (None when the result has no leads).

    The test is :func:`impact.did.pretrend_test`'s default, the same as the
    Callaway-Sant'Anna summary's: a Wald F test with Hotelling's
    small-sample correction, the nearest leads one by one and the earlier
    ones averaged. The text says so, and when the uncorrected chi-squared
    test of every lead (R did's) reaches the other conclusion, why the
    verdict does not follow it.
    """
    from impact.did import pretrend_test
    from impact.errors import ImpactError

    L = labels(lang)
    try:
        test = pretrend_test(result)
    except ImpactError as exc:  # a result without leads: say so rather than fail the report
        return f"<p>{esc(str(exc))}</p>", None
    p = float(test.pvalue)
    key = "pretrend_fail" if p < 0.05 else "pretrend_ok"
    sentences = [L[key].format(p=fmt_pvalue(p, lang))]
    near = [t for t in test.event_times if t not in test.binned]
    near_text = ", ".join(fmt_number(t, lang, 0) for t in sorted(near, reverse=True))
    if test.binned:
        sentences.append(L["pretrend_how_bin"].format(g=test.n_clusters, near=near_text,
                                                      far=f"{fmt_number(min(test.binned), lang, 0)} … "
                                                          f"{fmt_number(max(test.binned), lang, 0)}"))
    else:
        sentences.append(L["pretrend_how"].format(g=test.n_clusters, near=near_text))
    chi2 = pretrend_test(result, test="chi2", leads=None)
    if (chi2.pvalue < 0.05) != (p < 0.05):
        why = "pretrend_chi2_rejects" if chi2.pvalue < 0.05 else "pretrend_chi2_accepts"
        sentences.append(L[why].format(k=chi2.df, p=fmt_pvalue(chi2.pvalue, lang)))
    return "".join(f"<p>{esc(t)}</p>" for t in sentences), PretrendP(p, test.name)


def build_appraisal(initiative, effect):
    """The initiative's :class:`impact.cba.Appraisal`, with effect-based benefits from ``effect``."""
    from impact.cba import Appraisal

    spec = {k: v for k, v in initiative.cost_benefit.items() if k not in ("currency", "monte_carlo")}
    return Appraisal.from_dict(spec, effect=effect)


def appraisal_table(appraisal, mc, break_even, lang: str, currency: str = "EUR") -> str:
    L = labels(lang)
    rows = [
        (L["pv_costs"], fmt_money(appraisal.pv_costs, lang, currency)),
        (L["pv_benefits"], fmt_money(appraisal.pv_benefits, lang, currency)),
        (L["npv"], fmt_money(appraisal.npv, lang, currency)),
        (L["bcr"], fmt_number(appraisal.bcr, lang, 2)),
        (L["irr"], fmt_pct(appraisal.irr, lang, 1) if appraisal.irr is not None else "–"),
        (L["payback"], str(appraisal.payback_year) if appraisal.payback_year is not None else "–"),
    ]
    if mc is not None:
        rows.append((L["prob_negative"], fmt_pct(mc.prob_npv_negative, lang, 1)))
    if break_even is not None:
        rows.append((L["break_even"], fmt_number(break_even.break_even, lang, 2)))
    return _table(rows, lang)


def verdict(initiative, result, lang: str, appraisal=None, mc=None, break_even=None, pretrend_p=None) -> str:
    """A plain-language verdict that never overstates.

    It says when the interval includes zero, when pre-trends fail, and when
    the appraisal hinges on the monetised effect.
    """
    L = labels(lang)
    spec, design = initiative.data_spec, initiative.design
    lower_is_better = design.get("better", "lower") == "lower"
    method = method_words(design.get("estimator", "twfe"), lang, result.method)
    sentences = [effect_sentence(spec.get("outcome_label") or spec["outcome"], result.estimate, result.ci_low,
                                 result.ci_high, method, lang)]
    includes_zero = result.ci_low <= 0 <= result.ci_high
    if includes_zero:
        sentences.append(L["v_zero"])
    else:
        good = (result.estimate < 0) == lower_is_better
        sentences.append(L["v_good"] if good else L["v_bad"])
    if pretrend_p is not None and pretrend_p < 0.05:
        sentences.append(L["v_pretrend"])
    if appraisal is not None:
        key = "v_npv_pos" if appraisal.npv >= 0 else "v_npv_neg"
        currency = initiative.cost_benefit.get("currency", "EUR")
        sentences.append(L[key].format(npv=fmt_money(appraisal.npv, lang, currency), bcr=fmt_number(appraisal.bcr, lang, 2)))
        if mc is not None:
            p = float(mc.prob_npv_negative)
            # None of the draws below zero is "less than 0.1 %", not an impossible "0.0 %".
            risk = f"<\u00a0{fmt_pct(0.001, lang, 1)}" if p < 0.0005 else fmt_pct(p, lang, 1)
            sentences.append(L["v_risk"].format(p=risk))
        be = None if break_even is None else break_even.break_even
        if be is not None and np.isfinite(be):
            edge = result.ci_high if lower_is_better else result.ci_low
            # In the outcome's unit and with the verdict's decimals: "at least 42 days", not "41.62".
            _, unit = outcome_parts(spec.get("outcome_label") or spec["outcome"])
            digits = effect_digits(result.estimate, result.ci_low, result.ci_high)
            sentences.append(L["v_breakeven"].format(be=fmt_quantity(abs(be), unit, lang, digits),
                                                     edge=fmt_quantity(edge, unit, lang, digits)))
        # One assumption carrying the verdict: the monetised effect is the only benefit.
        effect_cats = list((initiative.cost_benefit or {}).get("effect_benefits") or {})
        plain = (initiative.cost_benefit or {}).get("benefits") or {}
        if len(effect_cats) == 1 and not plain and appraisal.npv > 0:
            sv = appraisal.switching_values()
            m = float(sv.loc[effect_cats[0], "multiplier"])
            if np.isfinite(m) and 0 < m < 1:
                sentences.append(L["v_depends"].format(pct=fmt_pct(1 - m, lang, 0)))
    return render("paragraphs.html.j2", lang, paragraphs=sentences, css=None, p_lang=None)


def provenance_table(prov: dict, lang: str) -> str:
    L = labels(lang)
    versions = ", ".join(f"{k} {v}" for k, v in prov["versions"].items() if v)
    rows = [
        (L["generated"], fmt_datetime(prov["generated"], lang)),
        (L["data_sha"], f"{prov['data_file']}: {prov['data_sha256']}"),
        (L["config_sha"], prov["config_sha256"]),
        (L["commit"], prov["commit"] or "–"),
        (L["seed"], str(prov["seed"])),
        (L["versions"], versions),
        (L["parameters"], json.dumps(prov["parameters"], ensure_ascii=False, default=str)),
    ]
    return _table(rows, lang, heading=L["appendix"])


def summary_record(initiative, result, appraisal=None, mc=None, verdict_html: str = "", prov: dict | None = None,
                   pretrend_p=None, lang: str = "en", indicators=None, feedback=None) -> dict:
    """The ``summary.json`` record of one initiative (status is set by the runner).

    ``indicators`` (a list of :class:`impact.indicators.IndicatorResult`) and
    ``feedback`` (an :class:`impact.feedback.FeedbackSummary`) add the
    ``indicators`` and ``feedback`` lists of the contract.
    """
    record = {
        "id": initiative.id,
        "title": initiative.title,
        "status": "ok",
        "language": lang,
        "estimator": initiative.design.get("estimator", "twfe"),
        "method": result.method,
        "outcome": initiative.data_spec["outcome"],
        "outcome_label": initiative.data_spec.get("outcome_label") or initiative.data_spec["outcome"],
        "currency": (initiative.cost_benefit or {}).get("currency", "EUR"),
        "estimate": finite(result.estimate),
        "se": finite(result.se),
        "ci_low": finite(result.ci_low),
        "ci_high": finite(result.ci_high),
        "pvalue": finite(result.pvalue),
        "n_obs": int(result.n_obs),
        "pretrend_pvalue": finite(pretrend_p),
        "pretrend_test": getattr(pretrend_p, "test", None),
        "verdict": html.unescape(verdict_html.replace("</p><p>", " ").replace("<p>", "").replace("</p>", "")),
        "provenance": prov or {},
    }
    if appraisal is not None:
        record.update(npv=finite(appraisal.npv), bcr=finite(appraisal.bcr), pv_costs=finite(appraisal.pv_costs),
                      pv_benefits=finite(appraisal.pv_benefits))
        record["prob_npv_negative"] = finite(mc.prob_npv_negative) if mc is not None else None
    if indicators:
        record["indicators"] = [r.to_record() for r in indicators]
    if feedback is not None:
        record["feedback"] = feedback.records()
        record["feedback_changes"] = feedback.change_records()
    return record


def write_json_atomic(path: str | Path, record: dict) -> None:
    """Write JSON atomically (:func:`impact.report.execute.write_atomic`: a unique temporary file, then a rename)."""
    from impact.report.execute import write_atomic

    write_atomic(Path(path), json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n")


def synthetic_text(result, lang: str) -> str:
    """Weights, pre-period fit and placebo rank of a synthetic-control result, in words."""
    L = labels(lang)
    weights = result.weights[result.weights["weight"] > 0.005]
    top = ", ".join(f"{u} {fmt_pct(w, lang, 0)}" for u, w in weights.head(4).itertuples(index=False))
    table = result.placebo_table
    rank = int((table["ratio"] >= table["ratio"].iloc[0]).sum())
    text = L["synthetic_text"].format(n=len(weights), top=top, rmspe=fmt_number(result.pre_rmspe, lang, 3),
                                      rank=rank, total=len(table), p=fmt_pvalue(result.pvalue, lang))
    return render("paragraphs.html.j2", lang, paragraphs=[text], css=None, p_lang=None)


def dynamic_result(results: dict, headline: str):
    """The event study to show: the headline's own (its dynamic aggregation), else a robustness one.

    Heterogeneity-robust event studies (Sun-Abraham, imputation) are
    preferred to the TWFE event study, whose leads and lags are contaminated
    under staggered adoption.
    """
    main = results[headline]
    if hasattr(main, "pre_trend_terms"):
        return main
    if hasattr(main, "aggregate"):
        return main.aggregate("dynamic")
    for name in ("sun_abraham", "imputation", "event_study"):
        if hasattr(results.get(name), "pre_trend_terms"):
            return results[name]
    return None


def in_window(result, window):
    """The event study restricted, for display, to ``design.event_window`` (estimates and tests unchanged).

    Returns ``result`` itself when there is no window or it would leave nothing.
    """
    import dataclasses

    if result is None or not window or getattr(result, "terms", None) is None or "event_time" not in result.terms:
        return result
    keep = result.terms["event_time"].between(min(window), max(window))
    if keep.all() or not keep.any():
        return result
    return dataclasses.replace(result, terms=result.terms.loc[keep].reset_index(drop=True))


def _for_sensitivity(results: dict, dynamic, max_post: int = 6):
    """An event study normalised at -1 with at most ``max_post`` post periods, or None.

    HonestDiD's relative-magnitude test enumerates vertices whose number grows
    as C(2P, P) in the P post periods, so the target is the average effect over
    the first ``max_post`` periods after adoption.
    """
    import dataclasses

    candidates = [dynamic] + [results.get(n) for n in ("sun_abraham", "event_study")]
    chosen = next((r for r in candidates if hasattr(r, "pre_trend_terms") and r.reference == -1 and r.vcov is not None), None)
    if chosen is None:
        return None
    terms = chosen.to_frame()
    keep = terms["event_time"] < max_post
    kept = terms.loc[keep & terms["se"].notna(), "event_time"].to_numpy()
    vcov = chosen.vcov.loc[kept, kept]
    return dataclasses.replace(chosen, terms=terms.loc[keep].reset_index(drop=True), vcov=vcov)


def sensitivity(results: dict, dynamic, lang: str, max_post: int = 6):
    """HonestDiD sensitivity of the average effect over the first post-adoption periods.

    Returns (HTML sentence, HonestResult or None). Relative magnitudes
    (Rambachan & Roth 2023): departures from parallel trends after adoption
    bounded by Mbar times the largest one before adoption.
    """
    from impact.did import honest_did
    from impact.errors import ImpactError

    L = labels(lang)
    target = _for_sensitivity(results, dynamic, max_post)
    if target is None:
        return render("paragraphs.html.j2", lang, paragraphs=[L["honest_na"]], css="note", p_lang=None), None
    try:
        honest = honest_did(target, "relative_magnitude", e="average", seed=0)
    except ImpactError:
        return render("paragraphs.html.j2", lang, paragraphs=[L["honest_na"]], css="note", p_lang=None), None
    n_post = int(((target.to_frame()["event_time"] >= 0) & target.to_frame()["se"].notna()).sum())
    if honest.breakdown is None:
        text = L["honest_none"]
    elif not np.isfinite(honest.breakdown):
        text = L["honest_inf"].format(k=n_post)
    else:
        text = L["honest_rm"].format(bd=fmt_number(honest.breakdown, lang, 2), k=n_post)
    return render("paragraphs.html.j2", lang, paragraphs=[text], css=None, p_lang=None), honest
