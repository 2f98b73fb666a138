"""Sun & Abraham (2021) interaction-weighted event study.

A dynamic TWFE regression with one coefficient per event time averages
effects across cohorts with weights that can be negative and borrows effects
from other event times. Sun & Abraham instead estimate one coefficient per
cohort and event time (cohort x relative-period interactions, with a clean
control cohort) and average them with the cohorts' sample shares.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from impact.checks import check_given
from impact.data import check_alpha, check_choice, check_columns, check_int, show, validate_panel
from impact.did._ols import absorbed_ols
from impact.did.event_study import _check_window
from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.did._args import accepts_r_names
from impact.results import EventStudyResult, headline, tidy_terms

__all__ = ["sun_abraham", "SunAbrahamResult", "drop_always_treated"]

Control = Literal["never", "last"]


@dataclass(frozen=True, kw_only=True)
class SunAbrahamResult(EventStudyResult):
    """Interaction-weighted event study; ``cohort_effects`` holds the cohort x event-time coefficients.

    ``cohort_effects`` columns: ``term``, ``estimate``, ``se``, ``ci_low``,
    ``ci_high``, ``pvalue``, ``cohort``, ``event_time``, ``weight`` (the
    cohort's share of the observations at that event time).
    """

    cohort_effects: pd.DataFrame = field(default=None, repr=False)


def drop_always_treated(panel, outcome: str, unit: str, time: str, cohort: str):
    """Drop units treated in the first observed period (no pre-period), with a warning; returns a new panel."""
    always = panel.cohort_codes == 0
    if not always.any():
        return panel
    n_units = len(np.unique(panel.unit_codes[always]))
    warnings.warn(
        f"dropped {int(always.sum())} rows of {n_units} always-treated units (cohort {cohort!r} at or before the "
        f"first period {show(panel.periods[0])}): they have no untreated period to compare with",
        DroppedRowsWarning,
        stacklevel=4,
    )
    return validate_panel(panel.data.loc[~always], outcome, unit, time, cohort=cohort, require_untreated=False)


@accepts_r_names
def sun_abraham(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] | None = None,
    reference: int = -1,
    cluster: str | None = None,
    *,
    control: Control = "never",
    alpha: float = 0.05,
) -> SunAbrahamResult:
    """Sun & Abraham (2021) interaction-weighted (IW) event-study estimator.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period (balanced or not).
    outcome, unit, time, cohort : str
        Column names; ``cohort`` is the first treated period, 0 or missing
        for never treated (a cohort after the last period counts as never
        treated).
    window : (int, int), optional
        Event times to report, e.g. ``(-4, 5)``. The regression always keeps
        every relative period (binning distant periods would reintroduce the
        contamination the estimator removes); the window selects the rows of
        the result and the post-adoption cells of the headline.
    reference : int
        Event time normalised to zero in every cohort (default -1).
    cluster : str, optional
        Column to cluster standard errors on (default ``unit``).
    control : {"never", "last"}
        Control cohort: never-treated units, or the last-treated cohort
        (periods from its adoption on are dropped; never-treated units, if
        any, stay in the control group).
    alpha : float
        1 - confidence level.

    Returns
    -------
    SunAbrahamResult
        One row per event time (``event_time`` column; the reference row has
        estimate 0 and NaN standard error), ``vcov`` indexed by event time,
        ``cohort_effects`` for the underlying cohort x event-time
        coefficients. The headline is the average effect over treated
        observations in the window (all post-adoption cohort x event-time
        cells weighted by their number of observations, as fixest's
        ``aggregate(att = TRUE)``).

    Raises
    ------
    DataError
        Missing columns, non-numeric outcome, duplicates, varying cohorts,
        no never-treated units with ``control="never"``.
    ConfigError
        Unknown ``control``, bad ``window``/``reference``/``alpha``.

    Notes
    -----
    Regression: ``y_it = a_i + l_t + sum_{g} sum_{e != r} d_{g,e} 1{G_i = g} 1{t - g = e} + u_it`` on
    treated cohorts and the control cohort. ``d_{g,e}`` estimates
    ``CATT_{g,e} = E[Y_{i,g+e}(g) - Y_{i,g+e}(inf) | G_i = g]`` relative to
    event time ``r`` under parallel trends (for the control cohort) and no
    anticipation. The IW estimate for event time ``e`` is
    ``sum_g Pr(G = g | e observed) d_{g,e}`` with shares from the estimation
    sample. Standard errors are cluster-robust (CRV1) and propagated by the
    delta method treating the shares as fixed, as fixest's ``sunab`` does;
    tests use the t distribution with G-1 degrees of freedom. Always-treated
    units are dropped with a :class:`~impact.errors.DroppedRowsWarning`; so
    is a cohort in which the reference period is not observed.

    References
    ----------
    Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in
    event studies with heterogeneous treatment effects. *Journal of
    Econometrics*, 225(2), 175-199. https://doi.org/10.1016/j.jeconom.2020.09.006

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from impact.did import sun_abraham
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 6), "t": np.tile(np.arange(1, 7), 40)})
    >>> df["g"] = np.repeat(rng.choice([0, 3, 5], 40), 6)
    >>> df["y"] = rng.normal(size=len(df)) + 2.0 * ((df.g > 0) & (df.t >= df.g))
    >>> res = sun_abraham(df, "y", "id", "t", "g")
    >>> res.to_frame()[["event_time", "estimate"]].shape[1]
    2
    """
    alpha = check_alpha(alpha)
    check_choice("control", control, ("never", "last"))
    reference = check_int("reference", reference)
    if reference >= 0:
        raise ConfigError(f"reference must be a pre-treatment event time such as -1 (got {reference})")
    win = _check_window(window, reference)
    check_given("sun_abraham", outcome=outcome, unit=unit, time=time, cohort=cohort)
    panel = validate_panel(data, outcome, unit, time, cohort=cohort, require_untreated=False)
    cluster = cluster or unit
    check_columns(panel.data, cluster=cluster)
    panel = drop_always_treated(panel, outcome, unit, time, cohort)

    T = panel.n_periods
    g = np.where(panel.cohort_codes >= T, -1, panel.cohort_codes)
    keep = np.ones(len(g), dtype=bool)
    if control == "never":
        if not (g < 0).any():
            raise DataError(
                f"control='never' needs never-treated units; none of the {panel.n_units} units has {cohort!r} "
                "0, missing or after the last period; use control='last'"
            )
    else:
        last = g.max()
        if len(np.unique(g[g >= 0])) < 2:
            raise DataError(f"control='last' needs at least two treated cohorts in {cohort!r} (found one)")
        keep = panel.time_codes < last
        g = np.where(g == last, -1, g)

    treated = g >= 0
    e = np.where(treated, panel.time_codes - g, 0)
    # A cohort without its reference period cannot be normalised: drop it.
    has_ref = pd.Series(keep & treated & (e == reference)).groupby(g).any()
    bad = [c for c in np.unique(g[treated]) if not has_ref.get(c, False)]
    if bad:
        drop = np.isin(g, bad) & keep
        warnings.warn(
            f"dropped {int(drop.sum())} rows of cohorts {', '.join(show(panel.period_label(c).item()) for c in bad)} whose "
            f"reference event time {reference} is not observed",
            DroppedRowsWarning,
            stacklevel=3,
        )
        keep &= ~np.isin(g, bad)
    if not (keep & treated).any():
        raise DataError(f"no treated cohort left to estimate in {cohort!r}")
    cells = pd.DataFrame({"g": g[keep], "e": e[keep]})[treated[keep]]
    cells = cells.value_counts().rename("n").reset_index().sort_values(["g", "e"], ignore_index=True)
    cells = cells[cells["e"] != reference].reset_index(drop=True)

    # Cohort x event-time interactions (rows of the control cohort are all zero).
    cell_id = pd.MultiIndex.from_frame(cells[["g", "e"]])
    row_cell = cell_id.get_indexer(pd.MultiIndex.from_arrays([g[keep], e[keep]]))
    row_cell[~treated[keep]] = -1
    X = np.zeros((int(keep.sum()), len(cells)))
    rows = np.flatnonzero(row_cell >= 0)
    X[rows, row_cell[rows]] = 1.0
    labels = panel.period_label(cells["g"].to_numpy())
    names = [f"cohort={c}, e={k}" for c, k in zip(labels, cells["e"])]
    fit = absorbed_ols(panel.y[keep], X, [panel.unit_codes[keep], panel.time_codes[keep]],
                       clusters=panel.data[cluster].to_numpy()[keep], names=names)
    df = fit.n_clusters - 1
    se_cell = np.sqrt(np.diag(fit.vcov))

    # Interaction weights: cohort shares among the observations at each event time.
    event_times = np.unique(cells["e"])
    if win is not None:
        event_times = event_times[(event_times >= win[0]) & (event_times <= win[1])]
    W = (cells["e"].to_numpy()[None, :] == event_times[:, None]) * cells["n"].to_numpy()[None, :]
    W = W / W.sum(axis=1, keepdims=True)
    beta = W @ fit.beta
    vcov = W @ fit.vcov @ W.T
    se = np.sqrt(np.diag(vcov))
    terms = tidy_terms([f"e={k}" for k in event_times], beta, se, alpha=alpha, df=df, event_time=event_times)
    ref_row = pd.DataFrame({"term": [f"e={reference}"], "estimate": [0.0], "se": [np.nan], "ci_low": [0.0],
                            "ci_high": [0.0], "pvalue": [np.nan], "event_time": [reference]})
    terms = pd.concat([terms, ref_row], ignore_index=True).sort_values("event_time", ignore_index=True)

    cell_weight = W.sum(axis=0)  # each cell enters exactly one event time
    cohort_effects = tidy_terms(names, fit.beta, se_cell, alpha=alpha, df=df, cohort=labels,
                                event_time=cells["e"].to_numpy(), weight=cell_weight)

    post = (cells["e"].to_numpy() >= 0) & np.isin(cells["e"].to_numpy(), event_times)
    a = np.where(post, cells["n"].to_numpy(), 0.0)
    a = a / a.sum()
    att, att_se = float(a @ fit.beta), float(np.sqrt(a @ fit.vcov @ a))
    head = tidy_terms(["ATT"], att, att_se, alpha=alpha, df=df).iloc[0]
    return SunAbrahamResult(
        method="Sun-Abraham interaction-weighted event study",
        **headline(head),
        n_obs=fit.nobs,
        n_units=int(len(np.unique(panel.unit_codes[keep]))),
        alpha=alpha,
        terms=terms,
        vcov=pd.DataFrame(vcov, index=event_times, columns=event_times),
        reference=reference,
        time_unit=panel.scale.unit,
        cohort_effects=cohort_effects,
        assumptions={
            "Identifying assumption": "parallel trends with the control cohort, no anticipation",
            "Control cohort": "never treated" if control == "never" else "last-treated cohort (its treated periods dropped)",
            "Reference period": f"event time {reference} in every cohort",
            "Weights": "cohort shares of the observations at each event time (treated as fixed)",
            "Headline": "average over treated observations in the window (fixest aggregate att=TRUE)",
            "Standard errors": f"clustered by {cluster!r} ({fit.n_clusters} clusters, CRV1, t with G-1 df)",
        },
    )
