"""Least squares with absorbed fixed effects and cluster-robust covariance.

Used by the regression-based estimators (TWFE, event study). Fixed effects
are partialled out with pyhdfe (Correia 2015), then the coefficients come
from the Frisch-Waugh-Lovell regression on the residualised data.

The cluster-robust covariance follows the convention of Stata's
``reghdfe``/``xtreg, fe vce(cluster)`` and R ``fixest`` (CRV1):
``V = G/(G-1) * (N-1)/(N-K) * (X'X)^-1 (sum_g s_g s_g') (X'X)^-1`` where
``K`` counts the regressors and the fixed-effect levels *not nested* within
the clusters (a unit effect is nested in unit clusters, so it does not
inflate ``K``). Without clusters, HC1: ``N/(N-K)`` times the sandwich.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyhdfe
from scipy import sparse

from impact.errors import EstimationError

__all__ = ["OLSFit", "absorbed_ols"]


@dataclass(frozen=True)
class OLSFit:
    beta: np.ndarray
    vcov: np.ndarray
    resid: np.ndarray
    nobs: int
    df_k: int
    n_clusters: int | None
    xtx_inv: np.ndarray
    #: Per-cluster influence of each coefficient (G x k), ``vcov = cluster_scores' cluster_scores``;
    #: None without clusters. Small-sample tests count the clusters that carry a coefficient from it.
    cluster_scores: np.ndarray | None = None


def absorbed_ols(
    y: np.ndarray,
    X: np.ndarray,
    fixed_effects: list[np.ndarray] | None = None,
    clusters: np.ndarray | None = None,
    names: list[str] | None = None,
) -> OLSFit:
    """OLS of ``y`` on ``X`` after absorbing ``fixed_effects``; cluster-robust (CRV1) or HC1 covariance.

    Without fixed effects ``X`` must contain the intercept if one is wanted.
    Raises :class:`EstimationError` naming the collinear regressor when the
    design is singular once the fixed effects are absorbed.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n, k = X.shape
    names = names or [f"x{i}" for i in range(k)]
    fe_dof = 0
    if fixed_effects:
        ids = np.column_stack(fixed_effects)
        cluster_ids = None if clusters is None else np.asarray(clusters)[:, None]
        algo = pyhdfe.create(
            ids,
            cluster_ids=cluster_ids,
            drop_singletons=False,
            residualize_method="map",
            options={"tol": 1e-14, "iteration_limit": 100_000},
        )
        resid = algo.residualize(np.column_stack([y, X]))
        y, X = resid[:, 0], resid[:, 1:]
        fe_dof = int(algo.degrees)
    xtx = X.T @ X
    scale = np.sqrt(np.diag(xtx))
    if np.any(scale < 1e-10 * max(1.0, np.sqrt(n))):
        bad = names[int(np.argmin(scale))]
        raise EstimationError(
            f"regressor {bad!r} has no variation once unit and period effects are removed; "
            "it is collinear with the fixed effects (e.g. every unit treated at the same time, or no comparison units)"
        )
    cond = np.linalg.cond(xtx / np.outer(scale, scale))
    if cond > 1e12:
        raise EstimationError(
            f"the regressors {names} are collinear once fixed effects are absorbed (condition number {cond:.2g}); "
            "drop a redundant column or widen the window"
        )
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ (X.T @ y)
    e = y - X @ beta
    if np.sqrt(e @ e) <= 1e-10 * max(1.0, np.sqrt(y @ y)):
        raise EstimationError(
            f"the model fits the {n} observations exactly (no residual variation), so no standard error can be "
            "estimated; more units or periods are needed"
        )
    K = k + fe_dof
    if n - K <= 0:
        raise EstimationError(f"no residual degrees of freedom: {n} observations for {K} parameters")
    scores = X * e[:, None]
    if clusters is not None:
        _, codes = np.unique(np.asarray(clusters), return_inverse=True)
        G = int(codes.max()) + 1
        if G < 2:
            raise EstimationError("cluster-robust standard errors need at least two clusters (got 1)")
        S = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(G, n)) @ scores
        meat = S.T @ S
        c = G / (G - 1) * (n - 1) / (n - K)
    else:
        G = None
        meat = scores.T @ scores
        c = n / (n - K)
    vcov = c * xtx_inv @ meat @ xtx_inv
    cluster_scores = np.sqrt(c) * np.asarray(S @ xtx_inv) if clusters is not None else None
    return OLSFit(beta=beta, vcov=vcov, resid=e, nobs=n, df_k=K, n_clusters=G, xtx_inv=xtx_inv,
                  cluster_scores=cluster_scores)
