"""Power-curve plot for :class:`impact.design.PowerResult`.

matplotlib is imported inside the function: importing impact does not start
a plotting backend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["power_curve_plot", "history_plot"]


def power_curve_plot(
    frame: pd.DataFrame,
    mde: float | None = None,
    target_power: float = 0.8,
    alpha: float | None = 0.05,
    outcome: str = "outcome",
    analytic: bool = True,
    ax=None,
    color: str = "C0",
    title: str | None = None,
):
    """Power against effect size, with a +/- 2 Monte Carlo SE band, the target power and the MDE.

    ``frame`` needs ``effect``, ``power`` and optionally ``power_se`` and
    ``analytic_power`` (the output of ``PowerResult.to_frame()``). Returns
    the Axes.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    frame = frame.sort_values("effect")
    x = frame["effect"].to_numpy(dtype=float)
    p = frame["power"].to_numpy(dtype=float)
    ax.plot(x, p, "o-", color=color, ms=3, label="simulated on history")
    if "power_se" in frame:
        se = frame["power_se"].to_numpy(dtype=float)
        ax.fill_between(x, np.clip(p - 2 * se, 0, 1), np.clip(p + 2 * se, 0, 1), color=color, alpha=0.15,
                        label="Monte Carlo +/- 2 SE")
    if analytic and "analytic_power" in frame:
        ax.plot(x, frame["analytic_power"], "--", color="C7", label="analytic (normal)")
    ax.axhline(target_power, color="grey", lw=0.8, ls=":")
    if alpha is not None:
        ax.axhline(alpha, color="grey", lw=0.8, ls="-.", label=f"significance level {alpha:g}")
    if mde is not None and np.isfinite(mde):
        ax.axvline(mde, color="C3", lw=1, label=f"MDE at {100 * target_power:g}% power: {mde:.3g}")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"true effect on {outcome}")
    ax.set_ylabel("power (share of tests rejecting no effect)")
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def history_plot(data: pd.DataFrame, outcome: str, unit: str, time: str, ax=None, highlight=None):
    """Every unit's outcome over time (thin lines) and the mean across units (thick); returns the Axes.

    ``highlight`` is an optional list of units drawn in colour (e.g. the
    candidate pilot sites).
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 4))
    wide = data.pivot(index=time, columns=unit, values=outcome).sort_index()
    x = np.arange(len(wide))
    ax.plot(x, wide.to_numpy(dtype=float), color="0.75", lw=0.7)
    for k, name in enumerate(highlight or []):
        ax.plot(x, wide[name].to_numpy(dtype=float), color=f"C{k % 10}", lw=1.2, label=str(name))
    ax.plot(x, wide.mean(axis=1).to_numpy(dtype=float), color="black", lw=2.2, label=f"mean of {wide.shape[1]} {unit}")
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], wide.index.astype(str)[::step], rotation=45, ha="right")
    ax.set_xlabel(time)
    ax.set_ylabel(outcome)
    ax.legend(frameon=False, fontsize="small")
    return ax
