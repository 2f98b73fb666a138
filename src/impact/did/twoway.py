"""Canonical difference-in-differences: the 2x2 comparison and two-way fixed effects.

Both rest on parallel trends (absent the initiative, treated and comparison
units would have moved alike) and no anticipation. TWFE with a 0/1
treatment is the standard estimator when every treated unit adopts at once;
under staggered adoption with effects that change over time it can be badly
biased (Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille 2020): use
:func:`impact.did.callaway_santanna` there, and
:func:`impact.did.bacon_decomposition` to see why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from impact.checks import check_given
from impact.data import check_alpha, check_columns, check_complete, check_finite, check_numeric, show, validate_panel
from impact.did._ols import absorbed_ols
from impact.errors import DataError
from impact.did._args import accepts_r_names
from impact.results import EffectResult, headline, tidy_terms
from impact.scale.source import is_out_of_core

__all__ = ["two_by_two", "twfe"]


def _check_binary(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    check_numeric(data, column, role)
    values = data[column].to_numpy()
    ok = np.isin(values, [0, 1])
    if not ok.all():
        raise DataError(f"{role} column {column!r} must hold only 0 and 1 (found {show(values[~ok][0])} in {int((~ok).sum())} rows)")
    return values.astype(float)


def _inference_df(fit) -> float:
    # Stata and fixest use t(G-1) with clustered errors and t(N-K) otherwise.
    return (fit.n_clusters - 1) if fit.n_clusters is not None else (fit.nobs - fit.df_k)


@accepts_r_names
def two_by_two(
    data: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    *,
    unit: str | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """Canonical 2x2 difference-in-differences.

    Fits ``outcome ~ 1 + treated + post + treated:post (+ covariates)`` by OLS;
    the coefficient on ``treated:post`` is the effect. Without covariates it
    equals ``(mean_T,post - mean_T,pre) - (mean_C,post - mean_C,pre)``.

    Parameters
    ----------
    data : DataFrame
        One row per observation (unit-period, or individual in repeated cross-sections).
    outcome : str
        Numeric outcome column.
    treated, post : str
        0/1 columns: the unit belongs to the treated group; the period is after the start.
    cluster : str, optional
        Column to cluster standard errors on (e.g. the unit or city). Without
        it, heteroskedasticity-robust (HC1) errors are used.
    covariates : list of str, optional
        Numeric control variables added linearly.
    unit : str, optional
        Unit identifier, only to report the number of units.
    alpha : float
        1 - confidence level.

    Returns
    -------
    EffectResult
        Headline: the ``treated:post`` coefficient. ``to_frame()`` lists all coefficients.

    Notes
    -----
    Estimand: the average effect on the treated group in the post period.
    Assumptions: parallel trends between the groups and no anticipation.
    Inference uses the Student t with G-1 degrees of freedom when clustered
    (N-K otherwise); with fewer than ~30 clusters prefer
    :func:`impact.did.wild_cluster_bootstrap`.

    References
    ----------
    Card, D. and Krueger, A. (1994). Minimum wages and employment. *AER* 84(4), 772-793.
    """
    check_given("two_by_two", outcome=outcome, treated=treated, post=post)
    if is_out_of_core(data):  # files, a DuckDB relation or statistics: exact from cell statistics
        from impact.scale import estimators
        return estimators.two_by_two(data, outcome, treated, post, cluster, covariates, unit=unit, alpha=alpha)
    alpha = check_alpha(alpha)
    covariates = list(covariates or [])
    check_columns(data, outcome=outcome, treated=treated, post=post, cluster=cluster, covariates=covariates, unit=unit)
    for col, role in [(outcome, "outcome"), *[(cov, "covariate") for cov in covariates]]:
        check_numeric(data, col, role)
        check_finite(data, col, role)
    used = [outcome, treated, post, *covariates] + [c for c in (cluster, unit) if c]
    frame = data[list(dict.fromkeys(used))]
    roles = {outcome: "outcome", treated: "treated", post: "post", **{c: "covariate" for c in covariates},
             **{c: r for c, r in ((cluster, "cluster"), (unit, "unit")) if c}}
    for column in frame.columns:  # a 2x2 drops nothing silently: the first incomplete column, with its rows
        check_complete(frame, column, roles[column])
    d_treat = _check_binary(frame, treated, "treated")
    d_post = _check_binary(frame, post, "post")
    cells = pd.crosstab(d_treat, d_post)
    for g in (0.0, 1.0):
        for p in (0.0, 1.0):
            if g not in cells.index or p not in cells.columns or cells.loc[g, p] == 0:
                raise DataError(
                    f"the 2x2 design needs observations in all four cells; none with {treated}={int(g)} and {post}={int(p)}"
                )
    X = np.column_stack([np.ones(len(frame)), d_treat, d_post, d_treat * d_post] + [frame[c].to_numpy(float) for c in covariates])
    names = ["const", treated, post, f"{treated}:{post}", *covariates]
    fit = absorbed_ols(frame[outcome].to_numpy(float), X, clusters=None if cluster is None else frame[cluster].to_numpy(), names=names)
    se = np.sqrt(np.diag(fit.vcov))
    df = _inference_df(fit)
    terms = tidy_terms(names, fit.beta, se, alpha=alpha, df=df)
    head = terms.iloc[3]
    notes = ()
    if fit.n_clusters is not None and fit.n_clusters < 30:
        notes = (f"only {fit.n_clusters} clusters: cluster-robust errors can be too small; check with wild_cluster_bootstrap",)
    return EffectResult(
        method="2x2 difference-in-differences (OLS)",
        **headline(head),
        n_obs=len(frame),
        n_units=int(frame[unit].nunique()) if unit else None,
        alpha=alpha,
        terms=terms,
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation",
            "Standard errors": f"clustered by {cluster!r} (CRV1, t with G-1 df)" if cluster else "heteroskedasticity-robust (HC1)",
            "Covariates": ", ".join(covariates) or "none",
        },
        notes=notes,
    )


@accepts_r_names
def twfe(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    cluster: str | None = None,
    covariates: Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
) -> EffectResult:
    """Two-way fixed effects regression with a 0/1 treatment indicator.

    Fits ``outcome_it = a_i + l_t + b * treatment_it (+ covariates) + e_it``
    with unit and period effects absorbed; ``b`` is the headline.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (unbalanced panels allowed).
    outcome, unit, time, treatment : str
        Column names; ``treatment`` is 1 in the periods a unit is treated.
    cluster : str, optional
        Cluster for standard errors; defaults to ``unit``.
    covariates : list of str, optional
        Time-varying numeric controls.
    alpha : float
        1 - confidence level.

    Notes
    -----
    Assumptions: parallel trends, no anticipation, and, for ``b`` to be an
    average treatment effect on the treated, effects that are constant across
    cohorts and over time. With staggered adoption and dynamic effects ``b``
    is a weighted average of 2x2 comparisons, some with negative weights
    (Goodman-Bacon 2021). Standard errors: CRV1 as in Stata/fixest, with the
    unit effects nested in unit clusters not counted in the small-sample
    correction; t(G-1) inference.

    References
    ----------
    Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
    *Journal of Econometrics* 225(2), 254-277. https://doi.org/10.1016/j.jeconom.2021.03.014
    """
    check_given("twfe", outcome=outcome, unit=unit, time=time, treatment=treatment)
    if is_out_of_core(data):  # files, a DuckDB relation or statistics: exact from per-path statistics
        from impact.scale import estimators
        return estimators.twfe(data, outcome, unit, time, treatment, cluster, covariates, alpha=alpha)
    alpha = check_alpha(alpha)
    covariates = list(covariates or [])
    panel = validate_panel(data, outcome, unit, time, treatment=treatment, covariates=covariates)
    frame = panel.data
    cluster = cluster or unit
    check_columns(frame, cluster=cluster)
    X = np.column_stack([frame[treatment].to_numpy(float)] + [frame[c].to_numpy(float) for c in covariates])
    names = [treatment, *covariates]
    fit = absorbed_ols(
        panel.y, X, fixed_effects=[panel.unit_codes, panel.time_codes], clusters=frame[cluster].to_numpy(), names=names
    )
    se = np.sqrt(np.diag(fit.vcov))
    terms = tidy_terms(names, fit.beta, se, alpha=alpha, df=_inference_df(fit))
    head = terms.iloc[0]
    notes = []
    if fit.n_clusters < 30:
        notes.append(f"only {fit.n_clusters} clusters: cluster-robust errors can be too small; check with wild_cluster_bootstrap")
    starts = frame.loc[frame[treatment] == 1].groupby(unit)[time].min()
    if starts.nunique() > 1:
        notes.append(
            f"treatment starts at {starts.nunique()} different dates: under staggered adoption TWFE can be biased; "
            "compare with callaway_santanna and bacon_decomposition"
        )
    return EffectResult(
        method="Two-way fixed effects",
        **headline(head),
        n_obs=fit.nobs,
        n_units=panel.n_units,
        alpha=alpha,
        terms=terms,
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation, homogeneous effects",
            "Fixed effects": f"{unit!r} and {time!r}",
            "Standard errors": f"clustered by {cluster!r} ({fit.n_clusters} clusters, CRV1, t with G-1 df)",
            "Covariates": ", ".join(covariates) or "none",
        },
        notes=tuple(notes),
    )
