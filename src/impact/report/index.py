"""The portfolio view: ``index.html`` (a director's dashboard), ``results.csv`` and ``results.xlsx``.

The dashboard is rendered from ``templates/report/index.html.j2`` with
autoescaping: key figures across initiatives, each headline effect with its
interval on its own scale and in its own unit, NPV against cost, indicator
status counts, and a table that sorts by column with a few lines of inline
script (no network, no library). Python hands the template numbers and plain
strings only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from impact.report.i18n import fmt_interval, fmt_money, fmt_number, fmt_pct, fmt_quantity, labels, languages
from impact.report.sanitize import cell_frame, finite, for_cell
from impact.report.templating import render
from impact.report.wording import effect_digits, outcome_parts

__all__ = ["write_index", "results_frame"]

COLUMNS = ["id", "title", "status", "estimator", "estimate", "se", "ci_low", "ci_high", "pvalue", "npv", "bcr",
           "prob_npv_negative", "verdict", "error", "report", "error_page", "generated", "failed_at", "last_good_at"]


def results_frame(records: list[dict]) -> pd.DataFrame:
    """One row per initiative with the headline numbers (the columns of ``results.csv``)."""
    rows = [{**r, "last_good_at": (r.get("last_good") or {}).get("generated")} for r in records]
    # Cleaned before pandas sees them: a lone surrogate (valid in JSON) cannot even become an Arrow string.
    return pd.DataFrame([{c: for_cell(r.get(c)) for c in COLUMNS} for r in rows], columns=COLUMNS)


def _atomic(path: Path, write) -> None:
    """``write(tmp)`` to a uniquely named file beside ``path`` (two batches never share one), then rename it."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; the tables are for others to read
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _href(record: dict, key: str) -> str | None:
    """Link to the record's report or error page when it has one (a failed run keeps its last good report)."""
    target = record.get(key)
    if key == "report" and target is None and record.get("status") == "ok":
        target = "report.html"
    if target not in ("report.html", "error.html"):
        return None
    return f"{quote(str(record['id']))}/{target}"


def _lang(record: dict, default: str) -> str:
    # Each row speaks its own report's language; an unknown one falls back to the index's.
    lang = record.get("language") or default
    return lang if lang in languages() else default


def _scale(lo: float, hi: float, width: float = 290.0, left: float = 5.0):
    """Map [lo, hi] (zero always inside) to SVG x positions."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = 0.08 * ((hi - lo) or 1.0)
    lo, hi = lo - pad if lo < 0 else lo, hi + pad if hi > 0 else hi
    return lambda v: round(left + width * (v - lo) / ((hi - lo) or 1.0), 2), lo, hi


def _effect_row(r: dict, lang: str) -> dict | None:
    est, lo, hi = finite(r.get("estimate")), finite(r.get("ci_low")), finite(r.get("ci_high"))
    if r.get("status") != "ok" or None in (est, lo, hi):
        return None
    noun, unit = outcome_parts(str(r.get("outcome_label") or r.get("outcome") or ""))
    digits = effect_digits(est, lo, hi)
    x, _, _ = _scale(lo, hi)
    return {"lang": lang, "title": r.get("title") or r["id"], "href": _href(r, "report"), "outcome": noun,
            "colon": labels(lang)["colon"],
            "text": f"{fmt_quantity(est, unit, lang, digits)} {fmt_interval(lo, hi, lang, digits)}",
            "x0": x(0.0), "xlo": x(lo), "xhi": x(hi), "xest": x(est)}


def _money_rows(records: list[dict], lang: str) -> list[dict]:
    items = [(r, finite(r.get("pv_costs")), finite(r.get("npv"))) for r in records if r.get("status") == "ok"]
    items = [(r, c, n) for r, c, n in items if c is not None and n is not None]
    if not items:
        return []
    x, _, _ = _scale(min(n for _, _, n in items), max(max(c, n) for _, c, n in items))
    rows = []
    for r, cost, npv in items:
        rl = _lang(r, lang)
        currency = r.get("currency") or "EUR"
        Lr = labels(rl)
        rows.append({"lang": rl, "title": r.get("title") or r["id"], "href": _href(r, "report"), "npv": npv,
                     "text": f"{Lr['cost']}{Lr['colon']}{fmt_money(cost, rl, currency)} · "
                             f"{Lr['npv']}{Lr['colon']}{fmt_money(npv, rl, currency)}",
                     "x0": x(0.0), "cost_w": round(x(cost) - x(0.0), 2), "npv_x": x(min(npv, 0.0)),
                     "npv_w": round(abs(x(npv) - x(0.0)), 2)})
    return rows


STATUSES = ("met", "on_track", "behind", "worse")


def _indicator_counts(r: dict) -> dict:
    found = [i.get("status") for i in (r.get("indicators") or []) if isinstance(i, dict)]
    return {s: found.count(s) for s in STATUSES}


def _indicator_rows(records: list[dict], lang: str) -> list[dict]:
    rows = []
    for r in records:
        counts = _indicator_counts(r)
        total = sum(counts.values())
        if not total:
            continue
        rl = _lang(r, lang)
        L = labels(rl)
        rows.append({"lang": rl, "title": r.get("title") or r["id"], "href": _href(r, "report"),
                     "text": ", ".join(f"{L['status_' + s]} {counts[s]}" for s in STATUSES if counts[s]),
                     "parts": [{"key": s, "width": round(100 * counts[s] / total, 2)} for s in STATUSES if counts[s]]})
    return rows


def _table_row(r: dict, lang: str) -> dict:
    rl = _lang(r, lang)
    L = labels(rl)
    ok = r.get("status") == "ok"
    est, lo, hi = (finite(r.get(k)) for k in ("estimate", "ci_low", "ci_high"))
    digits = effect_digits(est, lo or 0.0, hi or 0.0) if est is not None else 2
    npv, bcr, risk = finite(r.get("npv")), finite(r.get("bcr")), finite(r.get("prob_npv_negative"))
    counts = _indicator_counts(r)
    total = sum(counts.values())
    good = counts["met"] + counts["on_track"]
    blank = lambda v: "" if v is None else repr(v)  # noqa: E731 - data-sort wants a plain number or nothing
    return {
        "lang": rl, "ok": ok, "title": r.get("title") or r["id"], "href": _href(r, "report"),
        "error_href": _href(r, "error_page"), "status": r.get("status") or "",
        "status_text": L["status_ok"] if ok else L["status_failed"],
        "estimate_sort": blank(est if ok else None), "estimate_text": fmt_number(est, rl, digits) if ok else "–",
        "ci_sort": blank(lo if ok else None), "ci_text": fmt_interval(lo, hi, rl, digits) if ok else "–",
        "npv_sort": blank(npv), "npv_text": fmt_money(npv, rl, r.get("currency") or "EUR"),
        "bcr_sort": blank(bcr), "bcr_text": fmt_number(bcr, rl, 2),
        # No draw below zero is "< 0.1 %", as in the report's verdict, not an impossible "0.0 %".
        "risk_sort": blank(risk),
        "risk_text": f"<\u00a0{fmt_pct(0.001, rl, 1)}" if risk is not None and risk < 0.0005 else fmt_pct(risk, rl, 1),
        "ind_sort": blank(good / total if total else None),
        "ind_text": L["card_indicators_of"].format(n=good, total=total) if total else "–",
        # The table keeps the verdict's first sentence (the effect in words); the report has the rest.
        "verdict": str(r.get("verdict") or r.get("error") or "").split("\n")[0], "more": L["report_link"],
    }


def _cards(records: list[dict], lang: str) -> list[dict]:
    L = labels(lang)
    ok = [r for r in records if r.get("status") == "ok"]
    clear = [r for r in ok if (finite(r.get("ci_low")) or 0) > 0 or (finite(r.get("ci_high")) or 0) < 0]
    with_npv = [r for r in ok if finite(r.get("npv")) is not None]
    positive = [r for r in with_npv if r["npv"] >= 0]
    counts = {s: sum(_indicator_counts(r)[s] for r in records) for s in STATUSES}
    total = sum(counts.values())
    cards = [
        {"label": L["index_reports_ok"], "value": L["card_indicators_of"].format(n=len(ok), total=len(records))},
        {"label": L["index_clear_effect"], "value": L["card_indicators_of"].format(n=len(clear), total=len(ok))},
        {"label": L["index_positive_npv"], "value": L["card_indicators_of"].format(n=len(positive), total=len(with_npv))},
        {"label": L["index_total_npv"], "value": fmt_money(sum(r["npv"] for r in with_npv), lang) if with_npv else "–"},
    ]
    if total:
        cards.append({"label": L["card_indicators"],
                      "value": L["card_indicators_of"].format(n=counts["met"] + counts["on_track"], total=total)})
    return cards


def write_index(records: list[dict], out: Path, lang: str = "en") -> Path:
    """Write ``index.html`` (the portfolio dashboard), ``results.csv`` and ``results.xlsx`` into ``out``.

    The page's headings are in ``lang``; each initiative's row, numbers and
    verdict are in its own report's language (``language`` in its summary).
    """
    L = labels(lang)
    frame = cell_frame(results_frame(records))  # no control characters, no formulas from user text
    _atomic(out / "results.csv", lambda p: frame.to_csv(p, index=False))
    _atomic(out / "results.xlsx", lambda p: frame.to_excel(p, index=False, sheet_name="results"))
    effects = [row for row in (_effect_row(r, _lang(r, lang)) for r in records) if row is not None]
    indicators = _indicator_rows(records, lang)
    statuses = [{"key": s, "label": L["status_" + s], "total": sum(_indicator_counts(r)[s] for r in records)}
                for s in STATUSES]
    n_ok = sum(r.get("status") == "ok" for r in records)
    page = render(
        "index.html.j2", lang,
        totals={"n": len(records), "ok": n_ok, "failed": len(records) - n_ok},
        cards=_cards(records, lang), effects=effects, money=_money_rows(records, lang), indicators=indicators,
        statuses=statuses, rows=[_table_row(r, lang) for r in records],
        head=[L["initiative"], L["status"], L["estimate"], L["ci"], L["npv"], L["bcr"], L["prob_negative"],
              L["card_indicators"], L["verdict"]],
    )
    _atomic(out / "index.html", lambda p: p.write_text(page, encoding="utf-8"))
    return out / "index.html"
