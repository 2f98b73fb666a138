"""Two-group, two-period DiD estimators with their influence functions.

These are the building blocks of :func:`impact.did.callaway_santanna`: each
group-time effect ATT(g, t) is one 2x2 comparison of cohort ``g`` with its
comparison group between period ``t`` and a base period. Three estimators, as
in the R ``DRDID`` package that R ``did`` calls:

- ``reg``: outcome regression (Heckman, Ichimura & Todd 1997), the control
  group's change in outcome predicted from covariates by weighted OLS;
- ``ipw``: normalised (Hajek) inverse probability weighting (Abadie 2005),
  propensity score by weighted logit;
- ``dr``: doubly robust, locally efficient (Sant'Anna & Zhao 2020), combining
  both; it is consistent if either model is right.

Each returns the point estimate and the influence function of every
observation in the cell, on the scale where ``se = sqrt(sum(psi**2)) / n``
(``psi`` has mean zero and ``att_hat - att ~ mean(psi)``). Panel versions take
the outcome change ``dy`` of each unit; repeated cross-section versions take
each observation's outcome and a ``post`` indicator.

References
----------
Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
estimators. *Journal of Econometrics* 219(1), 101-122.
https://doi.org/10.1016/j.jeconom.2020.06.003
"""

from __future__ import annotations

import numpy as np

from impact.errors import EstimationError

__all__ = ["panel_2x2", "rc_2x2", "logit"]

#: Comparison units whose propensity score reaches this level are trimmed (DRDID's ``trim.level``).
TRIM_LEVEL = 0.995


def _solve_gram(x: np.ndarray, w: np.ndarray, n: int, what: str) -> np.ndarray:
    """Inverse of ``x' diag(w) x / n``; raises when singular (collinear covariates)."""
    gram = (x * w[:, None]).T @ x / n
    if not np.all(np.isfinite(gram)) or np.linalg.cond(gram) > 1e15:
        raise EstimationError(
            f"the {what} design is singular: a covariate has no variation or covariates are collinear "
            "among these units; remove or combine covariates"
        )
    return np.linalg.inv(gram)


def _wls(y: np.ndarray, x: np.ndarray, w: np.ndarray, rows: np.ndarray, what: str) -> np.ndarray:
    """Fitted values for every row of ``x`` from weighted OLS of ``y`` on ``x`` over ``rows``."""
    xs, ws = x[rows], w[rows]
    gram = (xs * ws[:, None]).T @ xs
    if xs.shape[0] < x.shape[1] or np.linalg.cond(gram) > 1e15:
        raise EstimationError(
            f"the outcome regression for {what} is singular (too few units or collinear covariates); "
            "remove or combine covariates"
        )
    beta = np.linalg.solve(gram, (xs * ws[:, None]).T @ y[rows])
    return x @ beta


def logit(d: np.ndarray, x: np.ndarray, w: np.ndarray, max_iter: int = 50) -> np.ndarray:
    """Weighted logistic regression by Newton-Raphson; returns fitted probabilities."""
    beta = np.zeros(x.shape[1])
    # Start from the intercept-only solution, which Newton improves quadratically.
    share = np.clip(np.sum(w * d) / np.sum(w), 1e-6, 1 - 1e-6)
    beta[0] = np.log(share / (1 - share)) if np.allclose(x[:, 0], 1) else 0.0
    for _ in range(max_iter):
        eta = np.clip(x @ beta, -500, 500)
        p = 1 / (1 + np.exp(-eta))
        score = x.T @ (w * (d - p))
        hess = (x * (w * p * (1 - p))[:, None]).T @ x
        try:
            step = np.linalg.solve(hess, score)
        except np.linalg.LinAlgError as exc:
            raise EstimationError(
                "the propensity-score logit is singular: a covariate has no variation or covariates are "
                "collinear among these units; remove or combine covariates"
            ) from exc
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    return 1 / (1 + np.exp(-np.clip(x @ beta, -500, 500)))


def _pscore(d, x, w):
    """Propensity score (clipped as DRDID does) and the logit's asymptotic linear representation."""
    n = len(d)
    ps = np.clip(logit(d, x, w), 1e-6, 1 - 1e-6)
    hess_inv = _solve_gram(x, ps * (1 - ps) * w, n, "propensity-score")
    alr_ps = (x * (w * (d - ps))[:, None]) @ hess_inv
    return ps, alr_ps


def panel_2x2(dy: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray, method: str):
    """ATT and influence function for panel data.

    Parameters
    ----------
    dy : outcome change (period t minus base period) of each unit in the cell.
    d : 1 for the treated cohort, 0 for the comparison units.
    x : covariate matrix whose first column is the intercept.
    w : sampling weights (normalised to mean one here).
    method : "reg", "ipw" or "dr".
    """
    n = len(d)
    w = w / w.mean()
    if method == "reg":
        ctrl = d == 0
        out = _wls(dy, x, w, ctrl, "the comparison group")
        w_t = w * d
        m_t = w_t.mean()
        att_t = np.sum(w_t * dy) / np.sum(w_t)
        att_c = np.sum(w_t * out) / np.sum(w_t)
        inf_t = w_t * (dy - att_t) / m_t
        alr = (x * (w * (1 - d) * (dy - out))[:, None]) @ _solve_gram(x, w * (1 - d), n, "outcome regression")
        inf_c = (w_t * (out - att_c) + alr @ np.mean(w_t[:, None] * x, axis=0)) / m_t
        return att_t - att_c, inf_t - inf_c

    ps, alr_ps = _pscore(d, x, w)
    keep = np.where(d == 0, ps < TRIM_LEVEL, True)
    w_t = keep * w * d
    w_c = keep * w * ps * (1 - d) / (1 - ps)
    m_t, m_c = w_t.mean(), w_c.mean()
    if m_c == 0:
        raise EstimationError("no comparison unit is left after trimming propensity scores above 0.995")
    if method == "ipw":
        att_t = np.sum(w_t * dy) / np.sum(w_t)
        att_c = np.sum(w_c * dy) / np.sum(w_c)
        inf_t = w_t * (dy - att_t) / m_t
        inf_c = w_c * (dy - att_c) / m_c
        mom = np.mean((w_c * (dy - att_c))[:, None] * x, axis=0) / m_c
        return att_t - att_c, inf_t - (inf_c + alr_ps @ mom)

    # doubly robust (locally efficient, Sant'Anna & Zhao 2020, eq. 3.1)
    out = _wls(dy, x, w, d == 0, "the comparison group")
    alr_or = (x * (w * (1 - d) * (dy - out))[:, None]) @ _solve_gram(x, w * (1 - d), n, "outcome regression")
    r = dy - out
    eta_t = np.mean(w_t * r) / m_t
    eta_c = np.mean(w_c * r) / m_c
    inf_t = (w_t * (r - eta_t) - alr_or @ np.mean(w_t[:, None] * x, axis=0)) / m_t
    inf_c = (
        w_c * (r - eta_c)
        + alr_ps @ np.mean((w_c * (r - eta_c))[:, None] * x, axis=0)
        - alr_or @ np.mean(w_c[:, None] * x, axis=0)
    ) / m_c
    return eta_t - eta_c, inf_t - inf_c


def rc_2x2(y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray, method: str):
    """ATT and influence function for repeated cross-sections (one entry per observation).

    ``post`` is 1 for observations in period t and 0 in the base period.
    """
    n = len(d)
    w = w / w.mean()
    post = post.astype(float)
    pre = 1 - post

    def alr_ols(rows_w, fitted, what):
        return (x * (rows_w * (y - fitted))[:, None]) @ _solve_gram(x, rows_w, n, what)

    if method == "reg":
        c_pre, c_post = (d == 0) & (post == 0), (d == 0) & (post == 1)
        out_pre = _wls(y, x, w, c_pre, "the comparison group before")
        out_post = _wls(y, x, w, c_post, "the comparison group after")
        w_tpre, w_tpost, w_c = w * d * pre, w * d * post, w * d
        e_tpre = np.sum(w_tpre * y) / np.sum(w_tpre)
        e_tpost = np.sum(w_tpost * y) / np.sum(w_tpost)
        e_c = np.sum(w_c * (out_post - out_pre)) / np.sum(w_c)
        inf_t = w_tpost * (y - e_tpost) / w_tpost.mean() - w_tpre * (y - e_tpre) / w_tpre.mean()
        deriv = np.mean(w_c[:, None] * x, axis=0)
        alr_pre = alr_ols(w * c_pre, out_pre, "outcome regression (before)")
        alr_post = alr_ols(w * c_post, out_post, "outcome regression (after)")
        inf_c = (w_c * (out_post - out_pre - e_c) + alr_post @ deriv - alr_pre @ deriv) / w_c.mean()
        return e_tpost - e_tpre - e_c, inf_t - inf_c

    ps, alr_ps = _pscore(d, x, w)
    keep = np.where(d == 0, ps < TRIM_LEVEL, True)
    odds = ps / (1 - ps)
    w_tpre, w_tpost = keep * w * d * pre, keep * w * d * post
    w_cpre, w_cpost = keep * w * odds * (1 - d) * pre, keep * w * odds * (1 - d) * post
    if w_cpre.sum() == 0 or w_cpost.sum() == 0:
        raise EstimationError("no comparison observation is left after trimming propensity scores above 0.995")

    if method == "ipw":
        a = {k: np.sum(v * y) / np.sum(v) for k, v in
             (("tpre", w_tpre), ("tpost", w_tpost), ("cpre", w_cpre), ("cpost", w_cpost))}
        inf_t = w_tpost * (y - a["tpost"]) / w_tpost.mean() - w_tpre * (y - a["tpre"]) / w_tpre.mean()
        inf_c = w_cpost * (y - a["cpost"]) / w_cpost.mean() - w_cpre * (y - a["cpre"]) / w_cpre.mean()
        m_post = np.mean((w_cpost * (y - a["cpost"]))[:, None] * x, axis=0) / w_cpost.mean()
        m_pre = np.mean((w_cpre * (y - a["cpre"]))[:, None] * x, axis=0) / w_cpre.mean()
        att = (a["tpost"] - a["tpre"]) - (a["cpost"] - a["cpre"])
        return att, inf_t - (inf_c + alr_ps @ (m_post - m_pre))

    # doubly robust, locally efficient (Sant'Anna & Zhao 2020, eq. 3.4)
    c_pre, c_post = (d == 0) & (post == 0), (d == 0) & (post == 1)
    t_pre, t_post = (d == 1) & (post == 0), (d == 1) & (post == 1)
    oc_pre = _wls(y, x, w, c_pre, "the comparison group before")
    oc_post = _wls(y, x, w, c_post, "the comparison group after")
    ot_pre = _wls(y, x, w, t_pre, "the treated cohort before")
    ot_post = _wls(y, x, w, t_post, "the treated cohort after")
    oc = post * oc_post + pre * oc_pre
    r = y - oc
    w_d = keep * w * d
    w_dt1, w_dt0 = w_tpost, w_tpre

    def part(weight, values):
        m = weight.mean()
        att = np.mean(weight * values) / m
        return att, weight * (values - att) / m

    a_tpre, i_tpre = part(w_tpre, r)
    a_tpost, i_tpost = part(w_tpost, r)
    a_cpre, i_cpre = part(w_cpre, r)
    a_cpost, i_cpost = part(w_cpost, r)
    a_dpost, i_dpost = part(w_d, ot_post - oc_post)
    a_dt1, i_dt1 = part(w_dt1, ot_post - oc_post)
    a_dpre, i_dpre = part(w_d, ot_pre - oc_pre)
    a_dt0, i_dt0 = part(w_dt0, ot_pre - oc_pre)
    att = (a_tpost - a_tpre) - (a_cpost - a_cpre) + (a_dpost - a_dt1) - (a_dpre - a_dt0)

    alr_cpre = alr_ols(w * c_pre, oc_pre, "outcome regression (comparison, before)")
    alr_cpost = alr_ols(w * c_post, oc_post, "outcome regression (comparison, after)")
    alr_tpre = alr_ols(w * t_pre, ot_pre, "outcome regression (treated, before)")
    alr_tpost = alr_ols(w * t_post, ot_post, "outcome regression (treated, after)")

    def mean_x(v):
        return np.mean(v[:, None] * x, axis=0)

    inf_treat = (
        i_tpost - i_tpre
        + alr_cpost @ (-mean_x(w_tpost * post) / w_tpost.mean())
        + alr_cpre @ (-mean_x(w_tpre * pre) / w_tpre.mean())
    )
    m_ps = mean_x(w_cpost * (r - a_cpost)) / w_cpost.mean() - mean_x(w_cpre * (r - a_cpre)) / w_cpre.mean()
    inf_cont = (
        i_cpost - i_cpre
        + alr_ps @ m_ps
        + alr_cpost @ (-mean_x(w_cpost * post) / w_cpost.mean())
        + alr_cpre @ (-mean_x(w_cpre * pre) / w_cpre.mean())
    )
    inf_eff = (i_dpost - i_dt1) - (i_dpre - i_dt0)
    mom_post = mean_x(w_d / w_d.mean() - w_dt1 / w_dt1.mean())
    mom_pre = mean_x(w_d / w_d.mean() - w_dt0 / w_dt0.mean())
    inf_or = (alr_tpost - alr_cpost) @ mom_post - (alr_tpre - alr_cpre) @ mom_pre
    return att, inf_treat - inf_cont + inf_eff + inf_or
