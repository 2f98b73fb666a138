"""Borusyak, Jaravel & Spiess (2024) imputation estimator.

Fit unit and period effects on the untreated observations only (never
treated and not yet treated), impute each treated observation's untreated
outcome from them, and average the differences. Every estimate is a linear
combination ``sum v_it y_it`` of the outcomes, which gives BJS's conservative
standard errors and makes event-study and overall estimates come from one
set of weights.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import sparse

from impact.checks import check_given
from impact.data import check_alpha, check_columns, check_int, show, validate_panel
from impact.did._args import accepts_r_names
from impact.did.diagnostics import _pretrend
from impact.did.event_study import _check_window
from impact.did.sun_abraham import drop_always_treated
from impact.errors import ConfigError, DataError, DroppedRowsWarning, EstimationError
from impact.results import EventStudyResult, headline, tidy_terms

__all__ = ["imputation"]


def _indicator(codes: np.ndarray, n_levels: int) -> sparse.csr_matrix:
    n = len(codes)
    return sparse.csr_matrix((np.ones(n), (np.arange(n), codes)), shape=(n, n_levels))


class _TwoWay:
    """Normal equations of a unit + period fixed-effects regression on a fixed sample.

    Solves ``(Z0'Z0) gamma = b`` for many right-hand sides by eliminating the
    unit effects (a diagonal block), leaving a small period x period system:
    cost linear in the number of rows, no loop over units.
    """

    def __init__(self, unit: np.ndarray, time: np.ndarray, n_units: int, n_periods: int):
        self.U, self.T = _indicator(unit, n_units), _indicator(time, n_periods)
        self.n_i = np.asarray(self.U.sum(axis=0)).ravel()
        self.n_t = np.asarray(self.T.sum(axis=0)).ravel()
        self.C = (self.U.T @ self.T).toarray()  # units x periods counts
        inv_n = np.where(self.n_i > 0, 1.0 / np.where(self.n_i > 0, self.n_i, 1), 0.0)
        self.inv_n = inv_n
        self.S = np.diag(self.n_t) - self.C.T @ (self.C * inv_n[:, None])

    def solve(self, b_unit: np.ndarray, b_time: np.ndarray):
        """Unit and period effects ``(a, l)`` for right-hand sides ``(b_unit, b_time)`` (columns = problems)."""
        rhs = b_time - self.C.T @ (b_unit * self.inv_n[:, None])
        # S is singular (a constant can move between unit and period effects); any solution gives the same fit.
        lam = np.linalg.lstsq(self.S, rhs, rcond=None)[0]
        alpha = (b_unit - self.C @ lam) * self.inv_n[:, None]
        return alpha, lam

    def fit(self, unit: np.ndarray, time: np.ndarray, values: np.ndarray, on: np.ndarray):
        """Fixed-effects fit, on rows ``unit, time``, of ``values`` regressed on the sample rows ``on``."""
        v = np.where(on[:, None], values, 0.0)
        b_unit = _indicator(unit, self.U.shape[1]).T @ v
        b_time = _indicator(time, self.T.shape[1]).T @ v
        alpha, lam = self.solve(b_unit, b_time)
        return alpha[unit] + lam[time]


@accepts_r_names
def imputation(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    window: tuple[int, int] | None = None,
    reference: int = -1,
    cluster: str | None = None,
    *,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Borusyak-Jaravel-Spiess imputation estimator with event-study output and pre-trend coefficients.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per unit and period (balanced or not).
    outcome, unit, time, cohort : str
        Column names; ``cohort`` is the first treated period, 0 or missing
        for never treated.
    window : (int, int), optional
        ``(lo, hi)``: post-adoption horizons ``0..hi`` are estimated (and the
        headline averages treated observations with event time up to ``hi``);
        pre-trend coefficients are estimated for leads ``lo..-1``. By default
        every observed horizon, and every observed lead but the earliest.
    reference : int
        Accepted for a common signature with :func:`impact.did.event_study`;
        the imputation estimator has no reference period (its leads are
        measured against the untreated periods left out of the pre-trend
        regression), so it must be -1 and the result's ``reference`` is None.
    cluster : str, optional
        Column to cluster standard errors on (default ``unit``).
    alpha : float
        1 - confidence level.

    Returns
    -------
    EventStudyResult
        Rows for each lead (BJS pre-trend coefficients) and each horizon;
        ``vcov`` over all of them; headline: the average effect over treated
        observations.

    Raises
    ------
    DataError
        Missing columns, non-numeric outcome, duplicates, cohorts varying
        within a unit, no untreated observation to fit the model on.
    ConfigError
        Bad ``window``, ``reference`` or ``alpha``.

    Notes
    -----
    Estimand: averages of ``tau_it = Y_it(1) - Y_it(0)`` over treated
    observations (all of them for the headline; those ``h`` periods after
    adoption for horizon ``h``). Assumptions (BJS 2024, A1-A2): parallel
    trends ``E[Y_it(0)] = a_i + l_t`` for every observation and no
    anticipation; effects may vary arbitrarily across units and periods.
    Step 1 fits ``a_i + l_t`` by OLS on untreated observations; step 2
    imputes ``Y_it(0)`` and ``tau_it``; step 3 averages. Standard errors
    are BJS's conservative ones (Theorem 3): ``sum_c (sum_{it in c} v_it
    e_it)^2`` with ``e_it`` the step-1 residual for untreated observations
    and ``tau_it`` minus its cohort x horizon mean for treated ones, as in R
    ``didimputation``. Leads come from BJS's pre-trend regression (their
    Test 1): the untreated observations regressed on lead indicators and
    unit and period effects, cluster-robust (CRV1) as in fixest; their
    covariance with the horizons is estimated from the same cluster scores.
    Confidence intervals are normal. Always-treated units, and treated
    observations in periods with no untreated observation, cannot be
    imputed and are dropped with a :class:`~impact.errors.DroppedRowsWarning`.

    References
    ----------
    Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting event-study
    designs: robust and efficient estimation. *Review of Economic Studies*,
    91(6), 3253-3285. https://doi.org/10.1093/restud/rdae007

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from impact.did import imputation
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 6), "t": np.tile(np.arange(1, 7), 40)})
    >>> df["g"] = np.repeat(rng.choice([0, 3, 5], 40), 6)
    >>> df["y"] = rng.normal(size=len(df)) + 2.0 * ((df.g > 0) & (df.t >= df.g))
    >>> res = imputation(df, "y", "id", "t", "g")
    >>> bool(abs(res.estimate - 2) < 4 * res.se)
    True
    """
    alpha = check_alpha(alpha)
    reference = check_int("reference", reference)
    if reference != -1:
        raise ConfigError(
            f"imputation has no reference period (got reference={reference}); leads are measured against the "
            "untreated periods outside the window: choose them with window=(lo, hi)"
        )
    win = _check_window(window, reference)
    check_given("imputation", outcome=outcome, unit=unit, time=time, cohort=cohort)
    panel = validate_panel(data, outcome, unit, time, cohort=cohort, require_untreated=False)
    cluster = cluster or unit
    check_columns(panel.data, cluster=cluster)
    panel = drop_always_treated(panel, outcome, unit, time, cohort)

    T = panel.n_periods
    g = np.where(panel.cohort_codes >= T, -1, panel.cohort_codes)
    t_code, u_code = panel.time_codes, panel.unit_codes
    treated = (g >= 0) & (t_code >= g)
    untreated = ~treated
    if not untreated.any():
        raise DataError("no untreated observation to fit unit and period effects on")
    # Treated observations in periods without any untreated one cannot be imputed.
    n_t0 = np.bincount(t_code[untreated], minlength=T)
    lost = treated & (n_t0[t_code] == 0)
    keep = ~lost
    if lost.any():
        warnings.warn(
            f"dropped {int(lost.sum())} treated rows in periods {', '.join(show(p) for p in panel.period_label(np.unique(t_code[lost])))} "
            "where no unit is untreated: their untreated outcome cannot be imputed",
            DroppedRowsWarning,
            stacklevel=3,
        )
    e = np.where(g >= 0, t_code - g, np.iinfo(np.int64).min)
    y = panel.y
    lo = None if win is None else win[0]
    hi = None if win is None else win[1]
    in_post = treated & keep & (True if hi is None else e <= hi)
    if not in_post.any():
        raise EstimationError("no treated observation to estimate; check the cohort column and the window")

    fe = _TwoWay(u_code[untreated], t_code[untreated], panel.n_units, T)
    # Step 1-2: fit on untreated rows, impute everywhere.
    fitted = fe.fit(u_code, t_code, y[:, None], untreated)[:, 0]
    adj = y - fitted  # residual (untreated) or tau_hat (treated)

    # Targets: one weight vector per horizon, plus the overall average (last column).
    horizons = np.unique(e[in_post])
    W = (e[:, None] == horizons[None, :]) & in_post[:, None]
    W = np.column_stack([W, in_post]).astype(float)
    W /= W.sum(axis=0, keepdims=True)
    # Weights on untreated outcomes: v0 = -Z0 (Z0'Z0)^-1 Z1' w (BJS eq. 6).
    U, Tm = _indicator(u_code, panel.n_units), _indicator(t_code, T)
    a, lam = fe.solve(U.T @ W, Tm.T @ W)
    V = np.where(untreated[:, None], -(a[u_code] + lam[t_code]), W)
    V[~keep] = 0.0

    # Residuals for the variance: tau_hat minus its cohort x horizon mean (weighted by v^2).
    group = np.unique((g + 1) * (2 * T + 1) + np.where(g >= 0, e, 0) + T, return_inverse=True)[1].ravel()
    Gm = _indicator(group, group.max() + 1)
    v2 = np.where(treated[:, None], V**2, 0.0)
    num, den = Gm.T @ (v2 * adj[:, None]), Gm.T @ v2
    tau_bar = np.divide(num, den, out=np.zeros_like(num), where=den > 0)[group]
    resid = np.where(treated[:, None], adj[:, None] - tau_bar, adj[:, None])
    clusters = np.unique(panel.data[cluster].to_numpy(), return_inverse=True)[1].ravel()
    Cm = _indicator(clusters, clusters.max() + 1)
    scores_post = Cm.T @ (V * resid)
    beta_post = W.T @ np.where(treated, adj, 0.0)

    # BJS Test 1: leads in a regression on untreated observations.
    lead_e = np.unique(e[untreated & (g >= 0)])
    if lo is not None:
        leads = lead_e[lead_e >= lo]
        if len(leads) == len(lead_e) and len(leads):
            leads = leads[1:]  # the earliest lead is collinear with the unit effects
    else:
        leads = lead_e[1:]
    scores_pre = np.zeros((Cm.shape[1], 0))
    beta_pre = np.zeros(0)
    notes = []
    rows = np.flatnonzero(untreated)
    sub = _TwoWay(u_code[rows], t_code[rows], panel.n_units, T)
    yt = y[rows] - sub.fit(u_code[rows], t_code[rows], y[rows, None], np.ones(len(rows), dtype=bool))[:, 0]
    wanted = leads
    while len(leads):
        X = (e[rows, None] == leads[None, :]).astype(float)
        Xt = X - sub.fit(u_code[rows], t_code[rows], X, np.ones(len(rows), dtype=bool))
        xtx = Xt.T @ Xt
        if np.linalg.matrix_rank(xtx, tol=1e-9 * np.abs(xtx).max()) == len(leads):
            break
        # Without enough never-treated units the earliest leads are collinear with the
        # unit and period effects; they join the untested periods.
        leads = leads[1:]
    if len(leads) < len(wanted):
        notes.append(f"leads {list(map(int, wanted[:len(wanted) - len(leads)]))} are not identified separately from "
                     "the unit and period effects and were left out of the pre-trend regression")
    if len(leads):
        proj = np.linalg.solve(xtx, Xt.T).T  # rows: each observation's weight on each lead
        beta_pre = proj.T @ yt
        u = yt - Xt @ beta_pre
        c_rows = clusters[rows]
        G = len(np.unique(c_rows))
        # fixest CRV1: unit effects nested in unit clusters; period effects counted.
        K = len(leads) + len(np.unique(t_code[rows]))
        n = len(rows)
        if G < 2 or n <= K:  # a clustered variance needs two clusters and residual degrees of freedom
            raise EstimationError(
                f"the pre-trend regression has {G} cluster(s) and {n} observations for {K} parameters: too few to "
                "estimate its standard errors; add units or periods before adoption"
            )
        factor = G / (G - 1) * (n - 1) / (n - K)
        scores_pre = np.sqrt(factor) * (_indicator(c_rows, Cm.shape[1]).T @ (proj * u[:, None]))

    S = np.column_stack([scores_pre, scores_post])
    vcov_all = S.T @ S
    k_pre, k_post = len(leads), len(horizons)
    est = np.concatenate([beta_pre, beta_post[:k_post]])
    idx = np.r_[np.arange(k_pre), k_pre + np.arange(k_post)]
    vcov = vcov_all[np.ix_(idx, idx)]
    se = np.sqrt(np.diag(vcov))
    event_times = np.concatenate([leads, horizons]).astype(int)
    terms = tidy_terms([f"e={k}" for k in event_times], est, se, alpha=alpha, event_time=event_times)

    att = float(beta_post[-1])
    att_se = float(np.sqrt(vcov_all[-1, -1]))
    head = tidy_terms(["ATT"], att, att_se, alpha=alpha).iloc[0]
    assumptions = {
        "Identifying assumption": "parallel trends (Y(0) = unit + period effects for all observations), no anticipation",
        "Control observations": "never-treated and not-yet-treated",
        "Headline": "average effect over treated observations" + ("" if hi is None else f" with event time <= {hi}"),
        "Standard errors": f"BJS conservative, clustered by {cluster!r} ({Cm.shape[1]} clusters); leads CRV1",
    }
    n_clusters = int(Cm.shape[1])
    if k_pre:
        # The same small-sample test as pretrend_test (far leads binned, Hotelling F); chi2 figure beside it.
        test = _pretrend(beta_pre, vcov_all[:k_pre, :k_pre], leads.astype(int), n_clusters, None, 1.0,
                         "imputation", scores=S[:, :k_pre])
        assumptions["Pre-trend test"] = (
            f"{test.label}, p = {test.pvalue:.3g} ({test.name}; leads {test.leads_text()}); "
            f"uncorrected chi2({test.df}) = {test.wald:.3g}, p = {test.chi2_pvalue:.3g}"
        )
    return EventStudyResult(
        method="Imputation estimator (Borusyak, Jaravel & Spiess)",
        **headline(head),
        n_obs=int(keep.sum()),
        n_units=panel.n_units,
        alpha=alpha,
        terms=terms,
        vcov=pd.DataFrame(vcov, index=event_times, columns=event_times),
        time_unit=panel.scale.unit,
        reference=None,
        n_clusters=n_clusters,
        scores=S[:, idx],
        assumptions=assumptions,
        notes=tuple(notes),
    )
