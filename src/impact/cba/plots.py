"""Plots for appraisals: cumulative discounted cash flow, NPV histogram, tornado, break-even.

Each function returns the matplotlib ``Axes``; matplotlib is imported inside
the functions so that importing :mod:`impact.cba` starts no backend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.plots import _axes

__all__ = ["cumulative_plot", "npv_histogram", "tornado_plot", "break_even_plot"]


def cumulative_plot(frame: pd.DataFrame, payback=None, ax=None, color: str = "C0", title: str | None = None):
    """Cumulative discounted net flow by year (from ``Appraisal.to_frame()``), payback year marked."""
    ax = _axes(ax)
    years = frame["year"].to_numpy()
    cum = frame["cumulative_discounted_net"].to_numpy()
    ax.bar(years, frame["discounted_net"], color=np.where(frame["discounted_net"] >= 0, "C2", "C3"), alpha=0.4,
           label="discounted net flow")
    ax.plot(years, cum, marker="o", color=color, label="cumulative discounted net flow")
    ax.axhline(0, color="grey", lw=0.8, ls="--")
    if payback is not None:
        ax.axvline(payback, color="C1", lw=1, ls=":", label=f"discounted payback ({payback})")
    ax.set_xlabel("year")
    ax.set_ylabel("present value")
    ax.set_title(title or "Cumulative discounted cash flow")
    ax.legend(loc="best", fontsize="small")
    return ax


def npv_histogram(draws, prob_negative: float | None = None, ax=None, bins: int = 50, title: str | None = None):
    """Histogram of Monte Carlo NPV draws, the bars below zero shaded and their share stated."""
    ax = _axes(ax)
    draws = np.asarray(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    counts, edges, patches = ax.hist(draws, bins=bins, color="C0", alpha=0.7)
    for patch, left in zip(patches, edges[:-1]):
        if left < 0:
            patch.set_facecolor("C3")
    share = float(np.mean(draws < 0)) if prob_negative is None else prob_negative
    ax.axvline(0, color="black", lw=1)
    ax.set_xlabel("net present value")
    ax.set_ylabel("draws")
    ax.set_title(title or f"Monte Carlo NPV: P(NPV < 0) = {share:.1%}")
    return ax


def tornado_plot(table: pd.DataFrame, base_npv: float, ax=None, title: str | None = None):
    """Tornado plot of a one-way sensitivity table (``SensitivityResult.to_frame()``)."""
    table = table.iloc[::-1]
    ax = _axes(ax, figsize=(7, 0.8 + 0.45 * len(table)))
    y = np.arange(len(table))
    lo = table["npv_low"].to_numpy()
    hi = table["npv_high"].to_numpy()
    ax.barh(y, lo - base_npv, left=base_npv, color="C3", alpha=0.7, label="low value")
    ax.barh(y, hi - base_npv, left=base_npv, color="C2", alpha=0.7, label="high value")
    ax.set_yticks(y, table["factor"].astype(str))
    ax.axvline(base_npv, color="black", lw=1)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("net present value")
    ax.set_title(title or "One-way sensitivity of the NPV")
    ax.legend(loc="best", fontsize="small")
    return ax


def break_even_plot(result, ax=None, title: str | None = None):
    """The estimated effect with its interval, and the break-even effect as a vertical line."""
    ax = _axes(ax, figsize=(7, 2.2))
    ax.errorbar([result.estimate], [0], xerr=[[result.estimate - result.ci_low], [result.ci_high - result.estimate]],
                fmt="o", color="C0", capsize=4, label="estimate and CI")
    ax.axvline(result.break_even, color="C3", ls="--", label=f"break-even ({result.break_even:.3g})")
    ax.set_yticks([])
    ax.set_xlabel("effect")
    ax.set_title(title or f"Break-even effect: {result.category}")
    ax.legend(loc="best", fontsize="small")
    return ax
