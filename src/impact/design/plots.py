"""Power-curve plot for :class:`impact.design.PowerResult`.

matplotlib is imported inside the function: importing impact does not start
a plotting backend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.data import validate_panel
from impact.plots import _texts

__all__ = ["power_curve_plot", "history_plot"]

#: English texts of the design charts; ``labels=`` overrides any of them (same ``{placeholders}``).
_TEXT = {
    "power_simulated": "simulated on history",
    "power_band": "Monte Carlo +/- 2 SE",
    "power_analytic": "analytic (normal)",
    "power_alpha": "significance level {alpha}",
    "power_mde": "MDE at {power} power: {mde}",
    "power_x": "true effect on {outcome}",
    "power_y": "power (share of tests rejecting no effect)",
    "history_mean": "mean of {n} {unit}",
}


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
    labels: dict | None = None,
    lang: str = "en",
):
    """Power against effect size, with a +/- 2 Monte Carlo SE band, the target power and the MDE.

    ``frame`` needs ``effect``, ``power`` and optionally ``power_se`` and
    ``analytic_power`` (the output of ``PowerResult.to_frame()``). Returns
    the Axes. ``labels`` replaces the texts (keys of ``_TEXT``) and ``lang``
    formats the numbers, for a report in another language.
    """
    from impact.formats import axis_formatter, fmt_number, fmt_pct

    T = _texts(_TEXT, labels)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    frame = frame.sort_values("effect")
    x = frame["effect"].to_numpy(dtype=float)
    p = frame["power"].to_numpy(dtype=float)
    ax.plot(x, p, "o-", color=color, ms=3, label=T["power_simulated"])
    if "power_se" in frame:
        se = frame["power_se"].to_numpy(dtype=float)
        ax.fill_between(x, np.clip(p - 2 * se, 0, 1), np.clip(p + 2 * se, 0, 1), color=color, alpha=0.15,
                        label=T["power_band"])
    if analytic and "analytic_power" in frame:
        ax.plot(x, frame["analytic_power"], "--", color="C7", label=T["power_analytic"])
    ax.axhline(target_power, color="grey", lw=0.8, ls=":")
    if alpha is not None:
        ax.axhline(alpha, color="grey", lw=0.8, ls="-.", label=T["power_alpha"].format(alpha=fmt_number(alpha, lang, 2)))
    if mde is not None and np.isfinite(mde):
        ax.axvline(mde, color="C3", lw=1, label=T["power_mde"].format(power=fmt_pct(target_power, lang, 0), mde=fmt_number(mde, lang, 2)))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(T["power_x"].format(outcome=outcome))
    ax.set_ylabel(T["power_y"])
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    ax.yaxis.set_major_formatter(axis_formatter(lang, "percent"))
    if title:
        ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def history_plot(data: pd.DataFrame, outcome: str, unit: str, time: str, ax=None, highlight=None,
                 labels: dict | None = None, lang: str = "en"):
    """Every unit's outcome over time (thin lines) and the mean across units (thick); returns the Axes.

    ``highlight`` is an optional list of units drawn in colour (e.g. the
    candidate pilot sites).
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(8, 4))
    # Validated first: bad values are named with their rows, periods ordered on their calendar (not as text).
    panel = validate_panel(data, outcome, unit, time)
    wide = pd.DataFrame(panel.wide().T, index=panel.period_text(np.arange(panel.n_periods), lang), columns=panel.units)
    x = np.arange(len(wide))
    ax.plot(x, wide.to_numpy(dtype=float), color="0.75", lw=0.7)
    for k, name in enumerate(highlight or []):
        ax.plot(x, wide[name].to_numpy(dtype=float), color=f"C{k % 10}", lw=1.2, label=str(name))
    ax.plot(x, wide.mean(axis=1).to_numpy(dtype=float), color="black", lw=2.2, label=_texts(_TEXT, labels)["history_mean"].format(n=wide.shape[1], unit=unit))
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], wide.index.astype(str)[::step], rotation=45, ha="right")
    ax.set_xlabel(time)
    ax.set_ylabel(outcome)
    ax.legend(frameon=False, fontsize="small")
    return ax
