""""At a glance": the four to six key figures a decision-maker reads first, as cards.

The effect with its interval and unit, the share of indicators met or on
track, satisfaction from the latest feedback wave, the net present value and
the chance that it is negative. Each figure comes from a library result the
report has already computed; nothing is estimated here.
"""

from __future__ import annotations

from impact.report.i18n import fmt_money, fmt_number, fmt_pct, fmt_quantity, labels
from impact.report.sanitize import finite
from impact.report.templating import render
from impact.report.wording import effect_digits, outcome_parts

__all__ = ["glance_cards", "glance"]

_SHARES = ("top_box", "proportion", "net_satisfaction")


def _effect_card(initiative, result, lang: str) -> dict:
    L = labels(lang)
    noun, unit = outcome_parts(initiative.data_spec.get("outcome_label") or initiative.data_spec["outcome"])
    digits = effect_digits(result.estimate, result.ci_low, result.ci_high)
    sign = "+" if result.estimate > 0 else ""
    interval = L["card_interval"].format(lo=fmt_number(result.ci_low, lang, digits),
                                         hi=fmt_number(result.ci_high, lang, digits))
    return {"label": f"{L['card_effect']} ({noun})", "value": sign + fmt_quantity(result.estimate, unit, lang, digits),
            "detail": interval}


def _satisfaction_card(feedback, lang: str) -> dict | None:
    # The first question's headline statistic, all respondents, latest wave with a shown (unmasked) value.
    rows = getattr(feedback, "rows", None)
    if rows is None or rows.empty:
        return None
    rows = rows[rows["group"].isna() & ~rows["masked"].astype(bool)]
    if rows.empty:
        return None
    question = rows["question"].iloc[0]
    sel = rows[rows["question"] == question]
    stats = list(dict.fromkeys(sel["statistic"]))
    stat = next((s for s in ("top_box", "net_satisfaction", "mean", "proportion") if s in stats), stats[0])
    last = sel[sel["statistic"] == stat].iloc[-1]
    value = fmt_pct(last["estimate"], lang, 0) if stat in _SHARES else fmt_number(last["estimate"], lang, 1)
    label = (getattr(feedback, "labels", {}) or {}).get(question, question)
    L = labels(lang)
    return {"label": L["card_satisfaction"], "value": value, "detail": f"{label} ({last['wave']})"}


def glance_cards(initiative, result, lang: str, indicators=None, feedback=None, appraisal=None, mc=None) -> list[dict]:
    """The key-figure cards (label, value, detail), in the order a reader scans them."""
    L = labels(lang)
    cards = [_effect_card(initiative, result, lang)]
    statuses = [getattr(i, "status", None) for i in (indicators or [])]
    if statuses:
        good = sum(s in ("met", "on_track") for s in statuses)
        cards.append({"label": L["card_indicators"],
                      "value": L["card_indicators_of"].format(n=good, total=len(statuses)),
                      "detail": ", ".join(f"{L['status_' + s]} {statuses.count(s)}"
                                          for s in ("met", "on_track", "behind", "worse") if statuses.count(s))})
    if feedback is not None:
        card = _satisfaction_card(feedback, lang)
        if card:
            cards.append(card)
    if appraisal is not None and finite(appraisal.npv) is not None:
        currency = (initiative.cost_benefit or {}).get("currency", "EUR")
        cards.append({"label": L["card_npv"], "value": fmt_money(appraisal.npv, lang, currency),
                      "detail": f"{L['bcr']} {fmt_number(appraisal.bcr, lang, 2)}" if finite(appraisal.bcr) is not None
                      else None,
                      "tone": "good" if appraisal.npv >= 0 else "bad"})
    if mc is not None and finite(mc.prob_npv_negative) is not None:
        p = float(mc.prob_npv_negative)
        # "0 %" from a finite number of draws would read as "impossible": say "below 1 %".
        value = f"<\u00a0{fmt_pct(0.01, lang, 0)}" if p < 0.005 else fmt_pct(p, lang, 0)
        cards.append({"label": L["card_risk"], "value": value})
    return cards


def glance(initiative, result, lang: str, indicators=None, feedback=None, appraisal=None, mc=None) -> str:
    """The "At a glance" section as HTML (``templates/report/cards.html.j2``)."""
    return render("cards.html.j2", lang, cards=glance_cards(initiative, result, lang, indicators, feedback,
                                                            appraisal, mc))
