"""Two-way fixed effects, the TWFE event study and the 2x2, exactly from sufficient statistics.

See :mod:`impact.scale.estimators` for why per-key statistics suffice. On a
balanced panel the two-way demeaned regressors depend on the key (cohort or
treatment path) and the period only; on an unbalanced panel they depend on
the key and the pattern of observed periods (:mod:`impact.scale.unbalanced_fe`);
the 2x2 is saturated in its four cells. Standard errors are CRV1 (or HC1 for
the unclustered 2x2) with the small-sample factors of
:func:`impact.did._ols.absorbed_ols`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from impact.data import check_alpha, check_int, show
from impact.did.event_study import _check_window, event_terms
from impact.did.inference import cluster_sums
from impact.errors import ConfigError, DataError, EstimationError, ImpactError
from impact.results import EffectResult, EventStudyResult, headline, tidy_terms
from impact.scale.calendar import observed_columns
from impact.scale.groups import Groups, known_fields, merge_groups
from impact.scale.stats import CellStats, as_panel_stats, cell_statistics
from impact.scale.unbalanced_fe import common_pattern, crv_meat, exact_fit, fe_fit, invert_design, pattern_groups

__all__ = ["twfe", "event_study", "two_by_two"]

_LEVEL_NOTE = "out of core: exact from per-cohort sufficient statistics"

# --------------------------------------------------------------------------- TWFE and event study


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    vcov: np.ndarray
    n_clusters: int
    nobs: int
    scores: np.ndarray | None = None  # per-cluster scores, vcov = scores' scores (coarser clusters only)


def _fe_ols(gr: Groups, X: np.ndarray, names: list[str]) -> _Fit:
    """Two-way fixed-effects OLS with CRV1 errors from per-key statistics; ``X`` is keys x periods x regressors.

    On a balanced panel the two-way demeaned regressor is ``X_ht - X_h. - X_.t + X_..`` (a function of key
    and period), so X'X, X'y and every unit's score ``sum_t Xd_ht (y_it - ybar_t) - Xd_h' Xd_h b`` follow
    from the key counts, means and covariances (or per-cluster sums). The small-sample factor is that of
    :func:`impact.did._ols.absorbed_ols`: unit effects nested in the clusters do not count.
    """
    n = gr.n.astype(float)
    N, T = n.sum(), X.shape[1]
    w = n / N
    x_t = np.einsum("g,gtk->tk", w, X)
    Xd = X - X.mean(axis=1, keepdims=True) - x_t[None] + x_t.mean(axis=0)
    xtx = np.einsum("g,gtk,gtl->kl", n, Xd, Xd)
    nobs = int(N * T)
    xtx_inv = invert_design(xtx, names, nobs)
    beta = xtx_inv @ np.einsum("g,gtk,gt->k", n, Xd, gr.mean)
    y_t = w @ gr.mean
    c = -np.einsum("gtk,t->gk", Xd, y_t) - np.einsum("gtk,gtl,l->gk", Xd, Xd, beta)
    meat, S, n_cl = crv_meat(n, Xd, c, gr.mean, gr.cov, gr.cl_sum, gr.cl_pos, gr.cl_n, gr.cl_index)
    # Residual sum of squares, to refuse an exact fit as absorbed_ols does.
    ssr = _residual_ss(gr, Xd, beta, y_t)
    if exact_fit(ssr, _total_ss(gr)):
        raise EstimationError(f"the model fits the {nobs} observations exactly (no residual variation), so no "
                              "standard error can be estimated; more units or periods are needed")
    if n_cl < 2:
        raise EstimationError("cluster-robust standard errors need at least two clusters (got 1)")
    K = X.shape[2] + T
    factor = n_cl / (n_cl - 1) * (nobs - 1) / (nobs - K)
    scores = None if S is None else np.sqrt(factor) * S @ xtx_inv
    return _Fit(beta, factor * xtx_inv @ meat @ xtx_inv, n_cl, nobs, scores)


def _residual_ss(gr: Groups, Xd, beta, y_t) -> float:
    """Sum of squared two-way residuals: between-key part from the means plus the within-key variance."""
    if gr.cov is None:
        return np.inf  # the clustered statistics hold no second moments; absorbed_ols' exact-fit check is skipped
    n = gr.n.astype(float)
    mean_dm = gr.mean - gr.mean.mean(axis=1, keepdims=True) - y_t[None] + y_t.mean()
    fitted = Xd @ beta
    within = np.einsum("g,gtt->", n, gr.cov) - np.einsum("g,gts->", n, gr.cov) / gr.mean.shape[1]
    return float(n @ ((mean_dm - fitted) ** 2).sum(axis=1) + within)


def _total_ss(gr: Groups) -> float:
    n = gr.n.astype(float)
    second = (gr.cov if gr.cov is not None else 0) + gr.mean[:, :, None] * gr.mean[:, None, :]
    return float(np.einsum("g,gtt->", n, second))


@dataclass(frozen=True)
class _Layout:
    """Balanced statistics merged by key, or unbalanced ones by (key, pattern), and how to fit on them."""

    keys: np.ndarray
    seen: np.ndarray  # groups x periods: observed
    codes: np.ndarray  # calendar code of each period column
    periods: np.ndarray
    groups: object
    balanced: bool

    def fit(self, X: np.ndarray, names: list[str]) -> _Fit:
        if self.balanced:
            return _fe_ols(self.groups, X, names)
        f = fe_fit(self.groups, X, names)
        return _Fit(f.beta, f.vcov, f.n_clusters, f.nobs, f.scores)


def _layout(st, patterns: bool = False) -> _Layout:
    if common_pattern(st) and not patterns:
        # Balanced apart from periods without any row (they only have no period effect).
        sub, codes = observed_columns(st)
        gr = merge_groups(sub, sub.keys)
        return _Layout(gr.keys, np.ones((len(gr.keys), len(codes)), dtype=bool), codes, sub.periods, gr, True)
    pg = pattern_groups(st)
    return _Layout(pg.keys, pg.obs, np.arange(len(st.periods)), st.periods, pg, False)


def _need_both(ever: np.ndarray, column: str, periods) -> None:
    """The in-memory panel check: some unit is treated and some never is (in the sample)."""
    if not ever.any():
        raise DataError(f"no treated unit: every value of {column!r} means untreated (0, empty, or after the last "
                        f"period {show(periods[-1])}); check the column and its coding")
    if ever.all():
        raise DataError(f"no untreated unit: every unit is treated at some point according to {column!r}; "
                        "a comparison group is needed (never-treated or not-yet-treated units)")


def _data_note(lay: _Layout, key: str) -> str:
    kind = "balanced panel" if lay.balanced else "unbalanced panel (statistics by pattern of observed periods)"
    return f"{kind}, out of core (per-{key} sufficient statistics)"


def twfe(data, outcome, unit, time, treatment, cluster=None, covariates=None, *, alpha=0.05) -> EffectResult:
    """Two-way fixed effects from per-treatment-path statistics; see :func:`impact.did.twfe` (same result).

    Balanced or not: on an unbalanced panel the statistics are grouped by treatment path and pattern of
    observed periods (:mod:`impact.scale.unbalanced_fe`).
    """
    alpha = check_alpha(alpha)
    if covariates:
        raise ConfigError(f"covariates ({', '.join(covariates) if not isinstance(covariates, str) else covariates}) "
                          "need unit-level data: out of core, twfe has no covariates; load the data into a DataFrame")
    st = as_panel_stats(data, outcome, unit, time, treatment=treatment, cluster=cluster, unbalanced=True)
    cluster = cluster or unit
    lay = _layout(st)
    T = len(lay.periods)
    # A path's bit for an unobserved period is 0 (no row): only observed unit-periods count.
    bits = ((lay.keys[:, None] >> np.arange(T)[None, :]) & 1).astype(bool) & lay.seen
    treated = bits.any(axis=1)
    _need_both(treated, treatment, lay.periods)
    fit = lay.fit(bits[:, :, None].astype(float), [treatment])
    se = np.sqrt(np.diag(fit.vcov))
    terms = tidy_terms([treatment], fit.beta, se, alpha=alpha, df=fit.n_clusters - 1)
    notes = [_LEVEL_NOTE.replace("cohort", "treatment-path")]
    if fit.n_clusters < 30:
        notes.append(f"only {fit.n_clusters} clusters: cluster-robust errors can be too small; check with "
                     "wild_cluster_bootstrap")
    starts = np.unique(bits[treated].argmax(axis=1))
    if len(starts) > 1:
        notes.append(f"treatment starts at {len(starts)} different dates: under staggered adoption TWFE can be "
                     "biased; compare with callaway_santanna and bacon_decomposition")
    return EffectResult(
        method="Two-way fixed effects", **headline(terms.iloc[0]), n_obs=fit.nobs, n_units=st.n_units, alpha=alpha,
        terms=terms,
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation, homogeneous effects",
            "Fixed effects": f"{unit!r} and {time!r}",
            "Standard errors": f"clustered by {cluster!r} ({fit.n_clusters} clusters, CRV1, t with G-1 df)",
            "Covariates": "none",
            "Data": _data_note(lay, "treatment-path"),
        },
        notes=tuple(notes),
    )


def _time_unit(periods) -> str:
    """The step of the periods (month, quarter, ...) for event-time axes, as the in-memory path names it."""
    try:
        from impact.periods import infer_scale

        return infer_scale(pd.Series(periods)).unit
    except (ImportError, ImpactError):
        return "period"


def event_study(data, outcome, unit, time, cohort, window=None, reference=-1, cluster=None, *,
                bin_endpoints=True, alpha=0.05) -> EventStudyResult:
    """Dynamic TWFE event study from per-cohort statistics; see :func:`impact.did.event_study` (same result).

    Balanced or not: on an unbalanced panel the statistics are grouped by cohort and pattern of observed
    periods (:mod:`impact.scale.unbalanced_fe`). With a ``window`` and ``bin_endpoints=False`` the rows of
    treated units outside it are dropped as in memory: each group keeps its periods inside the window,
    whose moments the statistics already hold.
    """
    alpha = check_alpha(alpha)
    reference = check_int("reference", reference)
    if reference >= 0:
        raise ConfigError(f"reference must be a pre-treatment event time such as -1 (got {reference})")
    win = _check_window(window, reference)
    full = as_panel_stats(data, outcome, unit, time, cohort=cohort, cluster=cluster, unbalanced=True)
    cluster = cluster or unit
    # Event time counts calendar periods; a period without any row has no period effect (as in memory).
    drop = win is not None and not bin_endpoints
    lay = _layout(full, patterns=drop)
    T = len(full.periods)
    treated = (lay.keys >= 0) & (lay.keys < T)
    _need_both(treated, cohort, full.periods)
    event = np.where(treated[:, None], lay.codes[None, :] - lay.keys[:, None], 0)
    if drop:
        # Rows of treated units outside the window are dropped, not pooled: fewer periods per unit.
        pg = lay.groups.keep(~treated[:, None] | ((event >= win[0]) & (event <= win[1])))
        lay = _Layout(pg.keys, pg.obs, lay.codes, lay.periods, pg, False)
        treated = (lay.keys >= 0) & (lay.keys < T)
        event = np.where(treated[:, None], lay.codes[None, :] - lay.keys[:, None], 0)
    elif win is not None:
        event = np.clip(event, *win)
    observed = np.unique(event[treated[:, None] & lay.seen])
    if reference not in observed:
        raise ConfigError(f"reference={reference} is not an observed event time (observed: {observed.min()}.."
                          f"{observed.max()})")
    estimable = observed[observed != reference]
    dropped_extra = None
    if not (~treated).any() and len(estimable) and estimable.min() < reference:
        dropped_extra = int(estimable.min())
        estimable = estimable[estimable != dropped_extra]
    if len(estimable) == 0 or not (estimable >= 0).any():
        raise EstimationError("no post-adoption event time to estimate; check the cohort column and the window")
    X = ((event[:, :, None] == estimable[None, None, :]) & treated[:, None, None]).astype(float)
    names = [f"e={e}" for e in estimable]
    fit = lay.fit(X, names)
    df = fit.n_clusters - 1
    terms, head = event_terms(fit.beta, fit.vcov, df, estimable, reference, alpha)
    notes = [_LEVEL_NOTE]
    if dropped_extra is not None:
        notes.append(f"no never-treated units: event time {dropped_extra} was also normalised to zero to identify "
                     "period effects")
    if len(np.unique(lay.keys[treated])) > 1:
        notes.append("staggered adoption: TWFE leads and lags can mix effects across periods; compare with "
                     "sun_abraham or callaway_santanna")
    return EventStudyResult(
        method="Event study (dynamic TWFE)", **headline(head), n_obs=fit.nobs,
        n_units=int(round(float(lay.groups.n.sum()))) if drop else full.n_units, alpha=alpha,
        terms=terms, vcov=pd.DataFrame(fit.vcov, index=estimable, columns=estimable), reference=reference,
        **known_fields(EventStudyResult, n_clusters=fit.n_clusters, time_unit=_time_unit(full.periods),
                       scores=fit.scores),
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation",
            "Reference period": f"event time {reference}",
            "Window": "all event times" if win is None else f"{win[0]}..{win[1]}" + (" (end points binned)"
                                                                                     if bin_endpoints else ""),
            "Headline": "mean of post-adoption coefficients (equal weights)",
            "Standard errors": f"clustered by {cluster!r} ({fit.n_clusters} clusters, CRV1, t with G-1 df)",
            "Data": _data_note(lay, "cohort"),
        },
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- 2x2


def two_by_two(data, outcome, treated, post, cluster=None, covariates=None, *, unit=None,
               alpha=0.05) -> EffectResult:
    """Canonical 2x2 DiD from the four cell means and variances; see :func:`impact.did.two_by_two` (same result)."""
    alpha = check_alpha(alpha)
    if covariates:
        raise ConfigError("covariates need row-level data: out of core, two_by_two has no covariates; load the data "
                          "into a DataFrame")
    if isinstance(data, CellStats):
        cs = data
        for role, have, want in (("outcome", cs.outcome, outcome), ("treated", cs.treated, treated),
                                 ("post", cs.post, post), ("cluster", cs.cluster, cluster)):
            if have != want:
                raise ConfigError(f"these statistics were computed with {role}={have!r}, not {want!r}; recompute them "
                                  "with impact.scale.cell_statistics for these columns")
    else:
        cs = cell_statistics(data, outcome, treated, post, cluster=cluster, unit=unit)
    X = np.column_stack([np.ones(4), cs.d, cs.p, cs.d * cs.p]).astype(float)
    n = cs.n.astype(float)
    N = int(n.sum())
    xtx_inv = np.linalg.inv(X.T @ (n[:, None] * X))
    beta = xtx_inv @ (X.T @ (n * cs.mean))  # saturated: reproduces the four cell means
    ssr = float(n @ cs.var)
    if np.sqrt(ssr) <= 1e-10 * max(1.0, np.sqrt(float(n @ (cs.var + cs.mean**2)))):
        raise EstimationError(f"the model fits the {N} observations exactly (no residual variation), so no standard "
                              "error can be estimated; more units or periods are needed")
    K = 4
    if cluster is not None:
        resid = cs.cl_sum - cs.cl_n * cs.mean[cs.cl_cell]
        S = cluster_sums(X[cs.cl_cell] * resid[:, None], cs.cl_index)
        n_cl = int(cs.cl_index.max()) + 1
        if n_cl < 2:
            raise EstimationError("cluster-robust standard errors need at least two clusters (got 1)")
        vcov = n_cl / (n_cl - 1) * (N - 1) / (N - K) * xtx_inv @ (S.T @ S) @ xtx_inv
        df = n_cl - 1
    else:
        n_cl = None
        vcov = N / (N - K) * xtx_inv @ (X.T @ ((n * cs.var)[:, None] * X)) @ xtx_inv
        df = N - K
    names = ["const", treated, post, f"{treated}:{post}"]
    terms = tidy_terms(names, beta, np.sqrt(np.diag(vcov)), alpha=alpha, df=df)
    notes = ["out of core: exact from the four cell means and variances"]
    if n_cl is not None and n_cl < 30:
        notes.append(f"only {n_cl} clusters: cluster-robust errors can be too small; check with wild_cluster_bootstrap")
    return EffectResult(
        method="2x2 difference-in-differences (OLS)", **headline(terms.iloc[3]), n_obs=N, n_units=cs.n_units,
        alpha=alpha, terms=terms,
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation",
            "Standard errors": f"clustered by {cluster!r} (CRV1, t with G-1 df)" if cluster else
                               "heteroskedasticity-robust (HC1)",
            "Covariates": "none",
        },
        notes=tuple(notes),
    )
