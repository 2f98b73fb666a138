"""Plots shared by several result types.

Each function takes a tidy frame (the output of ``to_frame()``) and an
optional matplotlib ``Axes`` and returns the ``Axes``, so that a notebook can
compose figures. matplotlib is imported inside the functions: importing
impact does not start a plotting backend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["coefficient_plot", "event_study_plot", "trends_plot"]

#: English texts of the shared plots; ``labels=`` overrides any of them (same ``{placeholders}``).
_TEXT = {
    "estimate": "estimate",
    "before_adoption": "before adoption",
    "after_adoption": "after adoption",
    "uniform_band": "uniform 95% band (all periods at once)",
    "reference": "reference period ({ref})",
}


def _texts(defaults: dict, labels: dict | None) -> dict:
    """The chart texts: ``defaults`` (English) overridden by the caller's ``labels`` (e.g. a report's language)."""
    if labels is None:
        return dict(defaults)
    if not isinstance(labels, dict):
        from impact.errors import ConfigError

        raise ConfigError(f"labels must be a dict of chart texts, e.g. {{'effect': 'effet'}} (got {type(labels).__name__})")
    return {**defaults, **{k: v for k, v in labels.items() if isinstance(v, str)}}


def _money_axis(axis, lang: str, currency: str) -> None:
    """Money tick labels in ``lang`` (``1,8 M €``), at most six of them: money labels are wide."""
    from matplotlib.ticker import MaxNLocator

    from impact.formats import axis_formatter

    axis.set_major_locator(MaxNLocator(nbins=5))
    axis.set_major_formatter(axis_formatter(lang, "money", currency))


def _axes(ax, figsize=(7, 4)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def coefficient_plot(frame: pd.DataFrame, ax=None, label: str = "term", color: str = "C0", labels: dict | None = None,
                     lang: str = "en"):
    """Horizontal point-and-interval plot, one row per term."""
    from impact.formats import axis_formatter

    T = _texts(_TEXT, labels)
    ax = _axes(ax, figsize=(7, 0.5 + 0.4 * len(frame)))
    y = np.arange(len(frame))
    ax.errorbar(
        frame["estimate"],
        y,
        xerr=[frame["estimate"] - frame["ci_low"], frame["ci_high"] - frame["estimate"]],
        fmt="o",
        color=color,
        capsize=3,
    )
    ax.set_yticks(y, frame[label].astype(str))
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(T["estimate"])
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    return ax


def event_study_plot(
    frame: pd.DataFrame,
    reference: int | None = -1,
    ax=None,
    color: str = "C0",
    title: str | None = None,
    xlabel: str = "periods relative to adoption",
    ylabel: str = "effect",
    labels: dict | None = None,
    lang: str = "en",
):
    """Event-study plot with pointwise intervals, a uniform band when present, and the reference period marked.

    ``frame`` needs ``event_time``, ``estimate``, ``ci_low``, ``ci_high`` and
    optionally ``cband_low``/``cband_high``. ``labels`` replaces the legend
    texts (keys of ``_TEXT``) and ``lang`` formats the tick labels, for a
    report in another language.
    """
    from impact.formats import axis_formatter, fmt_number

    T = _texts(_TEXT, labels)
    ax = _axes(ax)
    frame = frame.sort_values("event_time")
    e = frame["event_time"].to_numpy()
    est = frame["estimate"].to_numpy(dtype=float)
    if {"cband_low", "cband_high"} <= set(frame.columns) and frame["cband_low"].notna().any():
        ax.fill_between(e, frame["cband_low"], frame["cband_high"], color=color, alpha=0.15, step=None,
                        label=T["uniform_band"])
    pre = e < 0
    for mask, marker, after in ((pre, "s", False), (~pre, "o", True)):
        if mask.any():
            lo = est[mask] - frame["ci_low"].to_numpy(dtype=float)[mask]
            hi = frame["ci_high"].to_numpy(dtype=float)[mask] - est[mask]
            ax.errorbar(e[mask], est[mask], yerr=[np.nan_to_num(lo), np.nan_to_num(hi)], fmt=marker,
                        color=color if after else "C7", capsize=3,
                        label=T["after_adoption"] if after else T["before_adoption"])
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(-0.5, color="grey", lw=0.8, ls=":")
    if reference is not None and (e == reference).any():
        ax.scatter([reference], [0], marker="D", facecolor="white", edgecolor="black", zorder=5,
                   label=T["reference"].format(ref=fmt_number(reference, lang, 0)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # event times are whole periods
    ax.xaxis.set_major_formatter(axis_formatter(lang))
    ax.yaxis.set_major_formatter(axis_formatter(lang))
    if title:
        ax.set_title(title)
    # Below the axes: a legend inside an event study hides estimates wherever it is put.
    ax.legend(frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return ax


def trends_plot(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    group: str,
    ax=None,
    estimator: str = "mean",
    labels: dict | None = None,
    ylabel: str | None = None,
):
    """Mean outcome by period for each group (e.g. treated vs comparison), with seaborn."""
    import seaborn as sns

    ax = _axes(ax)
    frame = data[[outcome, time, group]].copy()
    if labels:
        frame[group] = frame[group].map(lambda v: labels.get(v, v))
    sns.lineplot(data=frame, x=time, y=outcome, hue=group, estimator=estimator, errorbar=("ci", 95),
                 marker="o", ax=ax)
    ax.set_ylabel(ylabel or outcome)
    ax.legend(title=None, frameon=False)
    return ax
