"""Plots of group-time effects: a cohort x period heatmap and one event-study panel per cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["group_time_heatmap", "cohort_panels"]


def group_time_heatmap(frame: pd.DataFrame, ax=None, cmap: str = "RdBu_r", annotate: bool = True):
    """Heatmap of ATT(g, t): cohorts in rows, periods in columns, colour centred at zero.

    Cells whose pointwise interval excludes zero are marked with a dot.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 + 0.8 * frame["period"].nunique(), 1 + 0.6 * frame["cohort"].nunique()))
    grid = frame.pivot(index="cohort", columns="period", values="estimate")
    values = grid.to_numpy(dtype=float)
    limit = np.nanmax(np.abs(values)) or 1.0
    image = ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [str(i) for i in grid.index])
    ax.set_xlabel("period")
    ax.set_ylabel("cohort (first treated period)")
    if annotate:
        sig = frame.assign(sig=(frame["ci_low"] > 0) | (frame["ci_high"] < 0)).pivot(
            index="cohort", columns="period", values="sig")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(values[i, j]):
                    mark = "*" if bool(sig.iloc[i, j]) else ""
                    ax.text(j, i, f"{values[i, j]:.3g}{mark}", ha="center", va="center", fontsize="small")
    ax.figure.colorbar(image, ax=ax, label="ATT(g, t)")
    ax.set_title("Group-time effects (* interval excludes 0)")
    return ax


def cohort_panels(frame: pd.DataFrame, ax=None):
    """One event-study panel per cohort (pre-treatment cells in grey); returns the first Axes."""
    import matplotlib.pyplot as plt

    from impact.plots import event_study_plot

    cohorts = list(pd.unique(frame["cohort"]))
    if ax is None:
        _, axes = plt.subplots(len(cohorts), 1, figsize=(7, 2.6 * len(cohorts)), sharex=True, squeeze=False)
        axes = axes[:, 0]
    else:
        axes = [ax] * len(cohorts)
    for a, g in zip(axes, cohorts):
        event_study_plot(frame.loc[frame["cohort"] == g], reference=None, ax=a, title=f"cohort {g}",
                         xlabel="periods relative to adoption")
    return axes[0]
