"""Plots for appraisals: cumulative discounted cash flow, NPV histogram, tornado, break-even.

Each function returns the matplotlib ``Axes``; matplotlib is imported inside
the functions so that importing :mod:`impact.cba` starts no backend. Every
text on a chart can be replaced through ``labels=`` (a dict of the keys in
``_TEXT``, with the same ``{placeholders}``), and ``lang=`` formats the axes
and the numbers in titles for that language (``1,8 M €``, never ``1e7``), so a
report in another language passes its own words in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.formats import axis_formatter, fmt_number, fmt_pct
from impact.plots import _axes, _money_axis, _texts

__all__ = ["cumulative_plot", "npv_histogram", "tornado_plot", "break_even_plot"]

#: English texts of the charts; ``labels=`` overrides any of them.
_TEXT = {
    "cum_title": "Cumulative discounted cash flow",
    "cum_bar": "discounted net flow of the year",
    "cum_line": "cumulative discounted net flow",
    "cum_payback": "discounted payback ({year})",
    "year": "year",
    "present_value": "present value",
    "npv_axis": "net present value",
    "draws": "number of simulations",
    "mc_title": "Monte Carlo simulations of the NPV: P(NPV < 0) = {p}",
    "tornado_title": "How the NPV moves when one assumption changes",
    "low_value": "assumption at its low value",
    "high_value": "assumption at its high value",
    "be_title": "Effect needed to break even: {category}",
    "be_estimate": "estimated effect and 95% interval",
    "be_line": "break-even effect ({value})",
    "effect": "effect",
}


def cumulative_plot(frame: pd.DataFrame, payback=None, ax=None, color: str = "C0", title: str | None = None,
                    labels: dict | None = None, lang: str = "en", currency: str = "EUR"):
    """Cumulative discounted net flow by year (from ``Appraisal.to_frame()``), payback year marked."""
    T = _texts(_TEXT, labels)
    ax = _axes(ax)
    years = frame["year"].to_numpy()
    cum = frame["cumulative_discounted_net"].to_numpy()
    ax.bar(years, frame["discounted_net"], color=np.where(frame["discounted_net"] >= 0, "C2", "C3"), alpha=0.4,
           label=T["cum_bar"])
    ax.plot(years, cum, marker="o", color=color, label=T["cum_line"])
    ax.axhline(0, color="grey", lw=0.8, ls="--")
    if payback is not None:
        ax.axvline(payback, color="C1", lw=1, ls=":", label=T["cum_payback"].format(year=payback))
    ax.set_xticks(years)
    ax.set_xlabel(T["year"])
    ax.set_ylabel(T["present_value"])
    _money_axis(ax.yaxis, lang, currency)
    ax.set_title(title or T["cum_title"])
    ax.legend(loc="best", fontsize="small")
    return ax


def npv_histogram(draws, prob_negative: float | None = None, ax=None, bins: int = 50, title: str | None = None,
                  labels: dict | None = None, lang: str = "en", currency: str = "EUR"):
    """Histogram of Monte Carlo NPV draws, the bars below zero shaded and their share stated."""
    T = _texts(_TEXT, labels)
    ax = _axes(ax)
    draws = np.asarray(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    counts, edges, patches = ax.hist(draws, bins=bins, color="C0", alpha=0.7)
    for patch, left in zip(patches, edges[:-1]):
        if left < 0:
            patch.set_facecolor("C3")
    share = float(np.mean(draws < 0)) if prob_negative is None else prob_negative
    ax.axvline(0, color="black", lw=1)
    ax.set_xlabel(T["npv_axis"])
    ax.set_ylabel(T["draws"])
    _money_axis(ax.xaxis, lang, currency)
    ax.yaxis.set_major_formatter(axis_formatter(lang))
    ax.set_title(title or T["mc_title"].format(p=fmt_pct(share, lang, 1)))
    return ax


def tornado_plot(table: pd.DataFrame, base_npv: float, ax=None, title: str | None = None,
                 labels: dict | None = None, lang: str = "en", currency: str = "EUR"):
    """Tornado plot of a one-way sensitivity table (``SensitivityResult.to_frame()``)."""
    T = _texts(_TEXT, labels)
    table = table.iloc[::-1]
    ax = _axes(ax, figsize=(7, 0.8 + 0.45 * len(table)))
    y = np.arange(len(table))
    lo = table["npv_low"].to_numpy()
    hi = table["npv_high"].to_numpy()
    ax.barh(y, lo - base_npv, left=base_npv, color="C3", alpha=0.7, label=T["low_value"])
    ax.barh(y, hi - base_npv, left=base_npv, color="C2", alpha=0.7, label=T["high_value"])
    ax.set_yticks(y, table["factor"].astype(str))
    ax.axvline(base_npv, color="black", lw=1)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(T["npv_axis"])
    _money_axis(ax.xaxis, lang, currency)
    ax.set_title(title or T["tornado_title"])
    ax.legend(loc="best", fontsize="small")
    return ax


def break_even_plot(result, ax=None, title: str | None = None, labels: dict | None = None, lang: str = "en"):
    """The estimated effect with its interval, and the break-even effect as a vertical line."""
    T = _texts(_TEXT, labels)
    ax = _axes(ax, figsize=(7, 2.2))
    ax.errorbar([result.estimate], [0], xerr=[[result.estimate - result.ci_low], [result.ci_high - result.estimate]],
                fmt="o", color="C0", capsize=4, label=T["be_estimate"])
    digits = 2 if abs(result.break_even) < 10 else 0
    ax.axvline(result.break_even, color="C3", ls="--",
               label=T["be_line"].format(value=fmt_number(result.break_even, lang, digits)))
    ax.set_yticks([])
    ax.set_xlabel(T["effect"])
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    ax.set_title(title or T["be_title"].format(category=result.category))
    ax.legend(loc="best", fontsize="small")
    return ax
