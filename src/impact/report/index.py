"""The portfolio view: ``index.html``, ``results.csv`` and ``results.xlsx`` across initiatives."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from impact.report.i18n import fmt_interval, fmt_money, fmt_number, fmt_pct, labels

__all__ = ["write_index", "results_frame"]

COLUMNS = ["id", "title", "status", "estimator", "estimate", "se", "ci_low", "ci_high", "pvalue", "npv", "bcr",
           "prob_npv_negative", "verdict", "error"]


def results_frame(records: list[dict]) -> pd.DataFrame:
    """One row per initiative with the headline numbers (the columns of ``results.csv``)."""
    return pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in records], columns=COLUMNS)


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
    write(tmp)
    tmp.replace(path)


def write_index(records: list[dict], out: Path, lang: str = "en") -> Path:
    L = labels(lang)
    esc = html.escape
    frame = results_frame(records)
    _atomic(out / "results.csv", lambda p: frame.to_csv(p, index=False))
    _atomic(out / "results.xlsx", lambda p: frame.to_excel(p, index=False, sheet_name="results"))
    rows = []
    for r in records:
        ok = r.get("status") == "ok"
        est = fmt_number(r.get("estimate"), lang, 2) if ok else "–"
        ci = fmt_interval(r.get("ci_low"), r.get("ci_high"), lang, 2) if ok else "–"
        rows.append(
            "<tr>"
            f"<td><a href='{esc(str(r['id']))}/report.html'>{esc(str(r.get('title') or r['id']))}</a></td>"
            f"<td class='{'ok' if ok else 'failed'}'>{esc(str(r.get('status')))}</td>"
            f"<td>{esc(est)}</td><td>{esc(ci)}</td>"
            f"<td>{esc(fmt_money(r.get('npv'), lang)) if r.get('npv') is not None else '–'}</td>"
            f"<td>{esc(fmt_number(r.get('bcr'), lang, 2)) if r.get('bcr') is not None else '–'}</td>"
            f"<td>{esc(fmt_pct(r.get('prob_npv_negative'), lang, 1)) if r.get('prob_npv_negative') is not None else '–'}</td>"
            f"<td>{esc(str(r.get('verdict') or r.get('error') or ''))}</td>"
            "</tr>"
        )
    head = [L["initiative"], L["status"], L["estimate"], L["ci"], L["npv"], L["bcr"], L["prob_negative"], L["verdict"]]
    page = (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(L['index_title'])}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:0}main{max-width:72rem;margin:auto;padding:1rem}"
        "table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #ddd;padding:.4rem;"
        "text-align:left;vertical-align:top}td{font-variant-numeric:tabular-nums}.failed{color:#c9191e;font-weight:600}"
        ".wrap{overflow-x:auto}</style></head><body><main>"
        f"<h1>{esc(L['index_title'])}</h1><p><a href='results.csv'>results.csv</a> · <a href='results.xlsx'>results.xlsx</a></p>"
        "<div class='wrap'><table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table></div></main></body></html>"
    )
    _atomic(out / "index.html", lambda p: p.write_text(page, encoding="utf-8"))
    return out / "index.html"
