"""Plots of group-time effects: a cohort x period heatmap and one event-study panel per cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.data import show

__all__ = ["group_time_heatmap", "cohort_panels"]

#: English texts of the group-time charts; ``labels=`` overrides any of them (same ``{placeholders}``).
_TEXT = {
    "gt_period": "period",
    "gt_cohort": "cohort (first treated period)",
    "gt_colorbar": "ATT(g, t): effect on cohort g in period t",
    "gt_title": "Group-time effects (* interval excludes 0)",
    "gt_panel": "cohort {cohort}",
    "event_time": "periods relative to adoption",
}


def group_time_heatmap(frame: pd.DataFrame, ax=None, cmap: str = "RdBu_r", annotate: bool = True,
                       labels: dict | None = None, lang: str = "en"):
    """Heatmap of ATT(g, t): cohorts in rows, periods in columns, colour centred at zero.

    Cells whose pointwise interval excludes zero are marked with a star.
    ``labels`` replaces the texts (keys of ``_TEXT``), ``lang`` formats the numbers.
    """
    import matplotlib.pyplot as plt

    from impact.formats import fmt_number
    from impact.plots import _texts

    T = _texts(_TEXT, labels)

    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 0.8 * frame["period"].nunique(), 1 + 0.6 * frame["cohort"].nunique()))
    grid = frame.pivot(index="cohort", columns="period", values="estimate")
    values = grid.to_numpy(dtype=float)
    limit = np.nanmax(np.abs(values)) or 1.0
    image = ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [show(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [show(i) for i in grid.index])
    ax.set_xlabel(T["gt_period"])
    ax.set_ylabel(T["gt_cohort"])
    if annotate:
        sig = frame.assign(sig=(frame["ci_low"] > 0) | (frame["ci_high"] < 0)).pivot(
            index="cohort", columns="period", values="sig")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(values[i, j]):
                    mark = "*" if bool(sig.iloc[i, j]) else ""
                    ax.text(j, i, f"{fmt_number(values[i, j], lang, 2)}{mark}", ha="center", va="center", fontsize="small")
    ax.figure.colorbar(image, ax=ax, label=T["gt_colorbar"])
    ax.set_title(T["gt_title"])
    return ax


def cohort_panels(frame: pd.DataFrame, ax=None, labels: dict | None = None, lang: str = "en"):
    """One event-study panel per cohort (pre-treatment cells in grey); returns the first Axes."""
    import matplotlib.pyplot as plt

    from impact.plots import _texts, event_study_plot

    T = _texts(_TEXT, labels)

    cohorts = list(pd.unique(frame["cohort"]))
    if ax is None:
        _, axes = plt.subplots(len(cohorts), 1, figsize=(7, 2.6 * len(cohorts)), sharex=True, squeeze=False)
        axes = axes[:, 0]
    else:
        axes = [ax] * len(cohorts)
    for a, g in zip(axes, cohorts):
        event_study_plot(frame.loc[frame["cohort"] == g], reference=None, ax=a, title=T["gt_panel"].format(cohort=show(g)),
                         xlabel=T["event_time"], labels=labels, lang=lang)
    return axes[0]
