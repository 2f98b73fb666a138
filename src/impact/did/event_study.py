"""Dynamic two-way fixed effects (event study) with leads and lags around adoption."""

from __future__ import annotations

import numpy as np
import pandas as pd

from impact.checks import check_given
from impact.data import check_alpha, check_columns, check_int, validate_panel
from impact.did._ols import absorbed_ols
from impact.errors import ConfigError, EstimationError
from impact.did._args import accepts_r_names
from impact.results import EventStudyResult, headline, tidy_terms
from impact.scale.source import is_out_of_core

__all__ = ["event_study", "event_time_dummies"]


def _check_window(window, reference: int) -> tuple[int, int] | None:
    if window is None:
        return None
    try:
        lo, hi = (int(w) for w in window)
    except (TypeError, ValueError):
        raise ConfigError(f"window must be a pair of integers (first lead, last lag), e.g. (-4, 6) (got {window!r})") from None
    if not lo < 0 <= hi:
        raise ConfigError(f"window must run from a negative event time to a non-negative one (got {window!r})")
    if not lo <= reference < 0:
        raise ConfigError(f"reference={reference} must be a pre-treatment event time inside window {window!r}")
    return lo, hi


def event_time_dummies(event_time: np.ndarray, treated: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Indicator matrix (rows x len(keep)) for each event time in ``keep``; untreated rows are all zero."""
    return ((event_time[:, None] == keep[None, :]) & treated[:, None]).astype(float)


def event_terms(beta, vcov, df, estimable, reference, alpha):
    """The tidy event-time table (reference period as a zero row) and the post-adoption average's headline row.

    Shared by the in-memory and the out-of-core event studies, so both report the same terms.
    """
    names = [f"e={e}" for e in estimable]
    terms = tidy_terms(names, beta, np.sqrt(np.diag(vcov)), alpha=alpha, df=df, event_time=estimable)
    ref_row = pd.DataFrame({"term": [f"e={reference}"], "estimate": [0.0], "se": [np.nan], "ci_low": [0.0],
                            "ci_high": [0.0], "pvalue": [np.nan], "event_time": [reference]})
    terms = pd.concat([terms, ref_row], ignore_index=True).sort_values("event_time", ignore_index=True)
    w = (estimable >= 0) / (estimable >= 0).sum()
    avg, avg_se = float(w @ beta), float(np.sqrt(w @ vcov @ w))
    return terms, tidy_terms(["post average"], avg, avg_se, alpha=alpha, df=df).iloc[0]


@accepts_r_names
def event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] | None = None,
    reference: int = -1,
    cluster: str | None = None,
    *,
    bin_endpoints: bool = True,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Dynamic TWFE event study: effects by periods since adoption.

    Fits ``y_it = a_i + l_t + sum_{e != reference} b_e 1[t - cohort_i = e] + u_it``
    with unit and period effects absorbed and errors clustered by unit
    (or ``cluster``). Never-treated units (cohort 0 or missing) have every
    indicator at zero and anchor the period effects.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time, cohort : str
        Column names; ``cohort`` is the first treated period, 0 or missing for never treated.
    window : (int, int), optional
        First lead and last lag to estimate, e.g. ``(-4, 6)``. By default every observed event time.
    reference : int
        Event time normalised to zero (default -1, the period before adoption).
    cluster : str, optional
        Cluster for standard errors; defaults to ``unit``.
    bin_endpoints : bool
        With a ``window``, pool event times beyond it into the end points
        (Schmidheiny & Siegloch 2023) rather than dropping those rows; the end
        points then estimate average effects beyond the window.
    alpha : float
        1 - confidence level.

    Returns
    -------
    EventStudyResult
        One row per event time (the reference row has estimate 0 and no
        standard error). The headline is the equally weighted mean of the
        post-adoption coefficients (event times >= 0) with its delta-method
        standard error.

    Notes
    -----
    Each ``b_e`` estimates the effect ``e`` periods after adoption under
    parallel trends and no anticipation; leads (``e < 0``) test for pre-trends.
    With staggered adoption and heterogeneous effects the TWFE leads and lags
    are contaminated by effects from other periods (Sun & Abraham 2021): use
    :func:`impact.did.sun_abraham`, :func:`impact.did.imputation` or the
    ``dynamic`` aggregation of :func:`impact.did.callaway_santanna`. When no
    unit is never treated, the earliest lead is also dropped to identify
    the period effects, as is standard.

    References
    ----------
    Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
    heterogeneous treatment effects. *Journal of Econometrics* 225(2), 175-199.
    https://doi.org/10.1016/j.jeconom.2020.09.006
    """
    check_given("event_study", outcome=outcome, unit=unit, time=time, cohort=cohort)
    if is_out_of_core(data):  # files, a DuckDB relation or statistics: exact from per-cohort statistics
        from impact.scale import estimators
        return estimators.event_study(data, outcome, unit, time, cohort, window, reference, cluster,
                                      bin_endpoints=bin_endpoints, alpha=alpha)
    alpha = check_alpha(alpha)
    reference = check_int("reference", reference)
    if reference >= 0:
        raise ConfigError(f"reference must be a pre-treatment event time such as -1 (got {reference})")
    win = _check_window(window, reference)
    panel = validate_panel(data, outcome, unit, time, cohort=cohort)
    cluster = cluster or unit
    check_columns(panel.data, cluster=cluster)

    cohort_code = panel.cohort_codes
    treated = (cohort_code >= 0) & (cohort_code < panel.n_periods)
    event_time = np.where(treated, panel.time_codes - cohort_code, 0)
    dropped_extra = None
    if win is not None:
        lo, hi = win
        if bin_endpoints:
            event_time = np.clip(event_time, lo, hi)
    if win is not None and not bin_endpoints:
        # Rows outside the window are dropped, not pooled.
        keep_rows = ~treated | ((event_time >= win[0]) & (event_time <= win[1]))
    else:
        keep_rows = np.ones(len(event_time), dtype=bool)
    observed = np.unique(event_time[treated & keep_rows])
    if reference not in observed:
        raise ConfigError(f"reference={reference} is not an observed event time (observed: {observed.min()}..{observed.max()})")
    estimable = observed[observed != reference]
    has_never = bool((cohort_code[keep_rows] < 0).any() | (cohort_code[keep_rows] >= panel.n_periods).any())
    if not has_never and len(estimable) and estimable.min() < reference:
        dropped_extra = int(estimable.min())
        estimable = estimable[estimable != dropped_extra]
    if len(estimable) == 0 or not (estimable >= 0).any():
        raise EstimationError("no post-adoption event time to estimate; check the cohort column and the window")

    X = event_time_dummies(event_time[keep_rows], treated[keep_rows], estimable)
    names = [f"e={e}" for e in estimable]
    fit = absorbed_ols(
        panel.y[keep_rows],
        X,
        fixed_effects=[panel.unit_codes[keep_rows], panel.time_codes[keep_rows]],
        clusters=panel.data[cluster].to_numpy()[keep_rows],
        names=names,
    )
    terms, head = event_terms(fit.beta, fit.vcov, fit.n_clusters - 1, estimable, reference, alpha)
    vcov = pd.DataFrame(fit.vcov, index=estimable, columns=estimable)
    notes = []
    if dropped_extra is not None:
        notes.append(f"no never-treated units: event time {dropped_extra} was also normalised to zero to identify period effects")
    if panel.cohort_codes is not None and len(np.unique(cohort_code[treated])) > 1:
        notes.append("staggered adoption: TWFE leads and lags can mix effects across periods; compare with sun_abraham or callaway_santanna")
    return EventStudyResult(
        method="Event study (dynamic TWFE)",
        **headline(head),
        n_obs=fit.nobs,
        n_units=int(len(np.unique(panel.unit_codes[keep_rows]))),
        alpha=alpha,
        terms=terms,
        vcov=vcov,
        reference=reference,
        time_unit=panel.scale.unit,
        n_clusters=fit.n_clusters,  # CRV1 covariance: pretrend_test's small-sample F uses G - 1 df
        scores=fit.cluster_scores,  # ... or fewer, the clusters that carry the leads
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation",
            "Reference period": f"event time {reference}",
            "Window": "all event times" if win is None else f"{win[0]}..{win[1]}" + (" (end points binned)" if bin_endpoints else ""),
            "Headline": "mean of post-adoption coefficients (equal weights)",
            "Standard errors": f"clustered by {cluster!r} ({fit.n_clusters} clusters, CRV1, t with G-1 df)",
        },
        notes=tuple(notes),
    )
