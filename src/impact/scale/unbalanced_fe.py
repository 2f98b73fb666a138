"""Two-way fixed effects on an unbalanced panel, exactly from statistics by key and pattern of observed periods.

Notation. Unit ``i`` has key ``h`` (cohort or treatment path) and pattern
``p`` (its observed periods, the 0/1 vector ``o_p`` over the ``T`` calendar
periods, ``|p|`` of them); a *group* ``g = (h, p)`` holds ``n_g`` units with
period means ``m_g`` (0 where unobserved) and population covariance
``C_g``, or, with clusters coarser than units, per (cluster, group) counts
and period sums. The regressors ``X_g`` (``T x K``) depend on key and
period. This is the "compress once" idea of Wong, Lewis and Wardrop (2021)
with the pattern of observed periods added to the key.

Unit effects. Demeaning a unit over its own periods is the projection
``W_p = diag(o_p) - o_p o_p' / |p|`` (symmetric, idempotent, ``W_p 1 = 0``);
it depends on the pattern only. Period effects. After the unit effects, the
period dummies of a unit are the columns of ``W_p``, so the period effects of
any variable ``z`` (one ``T``-vector per unit) solve the normal equations

``H gamma(z) = sum_i W_{p_i} z_i``,  ``H = sum_g n_g W_g``,

and the two-way residual of ``z_i`` is ``W_{p_i} (z_i - gamma(z))``
(Frisch-Waugh-Lovell). ``H`` is singular along the constant of each set of
periods linked by common units (and along periods without any unit
observed twice); its right-hand side is orthogonal to those directions, so
``H`` plus the projection on them gives the same solution.

Regression. With ``Gamma = gamma(X)`` and ``Z_g = X_g - Gamma``, the
residualised regressors of every unit of ``g`` are ``A_g = W_g Z_g``, so

``X'X = sum_g n_g Z_g' W_g Z_g``,  ``X'y = sum_g n_g A_g' m_g``,

and unit ``i``'s score ``s_i = A_g' y_i + c_g`` with
``c_g = -A_g' (gamma(y) + Z_g beta)``: affine in its outcomes with
coefficients that depend on its group only. Hence, as for a balanced panel
(:mod:`impact.scale.estimators`), the cluster-robust (CRV1; Cameron,
Gelbach and Miller 2008) meat is
``sum_g n_g (A_g' C_g A_g + e_g e_g')`` with ``e_g = A_g' m_g + c_g`` when
units are the clusters, and the cluster sums ``sum_g A_g' (sum of y_i in the
cell) + n_cg c_g`` otherwise. Units seen once have ``W_p = 0``: they carry
no information but count as observations and clusters, as in memory.
Dropping rows by key and period (an event-study window without binned end
points) only narrows each group's pattern; the moments of the periods left
are already held (:meth:`PatternGroups.keep`).

Small-sample factor. That of :func:`impact.did._ols.absorbed_ols`:
``G/(G-1) (N-1)/(N-K)`` with ``K`` the regressors plus the fixed-effect
levels not nested in the clusters, counted as pyhdfe counts them (Correia
2015): singleton observations are removed iteratively, unit effects are
nested in the clusters, period effects count their levels among the
remaining observations unless every period falls in a single cluster.

References
----------
Correia, S. (2015). Singletons, cluster-robust standard errors and fixed
effects: a bad mix. Technical note, Duke University.

Wong, J., Lewis, R. and Wardrop, M. (2021). You only compress once: optimal
data compression for estimating linear models. arXiv:2102.11297.

Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based
improvements for inference with clustered errors. *Review of Economics and
Statistics* 90(3), 414-427. https://doi.org/10.1162/rest.90.3.414
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components

from impact.did.inference import cluster_sums
from impact.errors import EstimationError
from impact.scale.stats import PanelStats

__all__ = ["PatternGroups", "pattern_groups", "common_pattern", "fe_fit", "exact_fit", "invert_design"]


@dataclass(frozen=True)
class PatternGroups:
    """Statistics by (key, pattern): ``obs[g]`` the observed periods, means and sums 0 where unobserved.

    With clusters, ``cl_group`` points each (cluster, key, pattern) cell at its group. Covariances of
    unobserved periods may hold anything finite: every use multiplies them by a within projection,
    which is 0 there (no G x T x T copy is made to mask them).
    """

    keys: np.ndarray
    obs: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    cov: np.ndarray | None
    cl_index: np.ndarray | None = None
    cl_group: np.ndarray | None = None
    cl_n: np.ndarray | None = None
    cl_sum: np.ndarray | None = None

    def keep(self, obs: np.ndarray) -> "PatternGroups":
        """The same units with only the periods ``obs`` (within theirs); units left without any leave.

        The moments of the remaining periods are already held (every unit of a group has the same
        periods), so dropping rows by key and period, as an event-study window does, needs no new scan.
        """
        obs = obs & self.obs
        live = obs.any(axis=1)
        o = obs.astype(float)
        sub = dict(keys=self.keys[live], obs=obs[live], n=self.n[live], mean=(self.mean * o)[live],
                   cov=None if self.cov is None else self.cov[live])
        if self.cl_index is None:
            return PatternGroups(**sub)
        cells = live[self.cl_group]
        pos = np.cumsum(live) - 1
        # Clusters whose units all left are no longer counted (as in memory, which counts the kept rows').
        return PatternGroups(**sub, cl_index=np.unique(self.cl_index[cells], return_inverse=True)[1].ravel(),
                             cl_group=pos[self.cl_group[cells]], cl_n=self.cl_n[cells],
                             cl_sum=(self.cl_sum * o[self.cl_group])[cells])


def _bits(patterns: np.ndarray, T: int) -> np.ndarray:
    return ((np.asarray(patterns, dtype=np.int64)[:, None] >> np.arange(T)[None, :]) & 1).astype(bool)


def common_pattern(st: PanelStats) -> bool:
    """True when every unit has the same periods (a balanced panel, possibly with periods nobody has)."""
    if st.balanced:
        return True
    pats = st.patterns if st.cluster is None else st.cl_pattern
    return bool((pats == pats[0]).all())


def pattern_groups(st: PanelStats) -> PatternGroups:
    """The statistics of ``st`` (balanced or not) as groups by (key, pattern)."""
    T = len(st.periods)
    G = len(st.keys)
    obs = np.ones((G, T), dtype=bool) if st.balanced else _bits(st.patterns, T)
    base = dict(keys=np.asarray(st.keys, dtype=np.int64), obs=obs, n=st.n.astype(float),
                mean=np.where(obs, st.mean, 0.0))
    if st.cluster is None:
        # Unobserved entries only need to be finite (another engine may return them missing).
        return PatternGroups(**base, cov=st.cov if np.isfinite(st.cov).all() else np.nan_to_num(st.cov))
    if st.balanced:
        cl_group = np.searchsorted(st.keys, st.cl_key)
    else:
        pairs = np.concatenate([np.column_stack([st.keys, st.patterns]),
                                np.column_stack([st.cl_key, st.cl_pattern])]).astype(np.int64)
        inv = np.unique(pairs, axis=0, return_inverse=True)[1].ravel()
        pos = np.empty(inv.max() + 1, dtype=np.int64)
        pos[inv[:G]] = np.arange(G)
        cl_group = pos[inv[G:]]
    return PatternGroups(**base, cov=None, cl_index=np.asarray(st.cl_index, dtype=np.int64), cl_group=cl_group,
                         cl_n=st.cl_n.astype(float), cl_sum=np.where(obs[cl_group], st.cl_sum, 0.0))


# --------------------------------------------------------------------------- the projections


def _within(o: np.ndarray, p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``W_g v_g`` for every group (``v`` is G x T or G x T x K): demeaned over each group's own periods."""
    if v.ndim == 2:
        return o * v - o * ((o * v).sum(axis=1) / p)[:, None]
    return o[:, :, None] * v - o[:, :, None] * (np.einsum("gt,gtk->gk", o, v) / p[:, None])[:, None, :]


def _period_solver(o: np.ndarray, n: np.ndarray, p: np.ndarray):
    """``b -> gamma`` solving ``H gamma = b`` for right-hand sides orthogonal to the null space of ``H``."""
    H = np.diag(n @ o) - np.einsum("g,gt,gs->ts", n / p, o, o)
    # Periods linked by a unit observed in both form a component; H is singular along each one's constant
    # (a period that no unit shares with another is a component of its own).
    linked = np.einsum("g,gt,gs->ts", n * (p > 1), o, o) > 0
    n_comp, label = connected_components(linked, directed=False)
    U = (label[:, None] == np.arange(n_comp)[None, :]).astype(float)
    U /= np.sqrt(U.sum(axis=0))
    scale = max(float(np.abs(np.diag(H)).max()), 1.0)
    H_reg = H + scale * U @ U.T
    return lambda b: np.linalg.solve(H_reg, b)


def fe_dof(o: np.ndarray, n: np.ndarray, cl_index=None, cl_group=None) -> int:
    """Fixed-effect levels counted in ``K`` by :func:`~impact.did._ols.absorbed_ols` (pyhdfe's count).

    Singletons (a unit, or a period, with fewer than two remaining observations) are removed until
    none is left; unit effects are nested in the clusters; period effects count their remaining
    levels unless each remaining period lies within one cluster.
    """
    live = o.astype(bool)
    while True:
        before = live.copy()
        live &= (live.sum(axis=1) >= 2)[:, None]
        live &= (n @ live >= 2)[None, :]
        if (live == before).all():
            break
    periods = (n @ live) > 0
    if not periods.any():
        return 0
    if cl_index is None:  # unit clusters: a remaining period has two or more units, so two clusters
        return int(periods.sum())
    cell = live[cl_group]
    lo = np.where(cell, cl_index[:, None], np.iinfo(np.int64).max).min(axis=0)
    hi = np.where(cell, cl_index[:, None], -1).max(axis=0)
    nested = bool((lo[periods] == hi[periods]).all())
    return 0 if nested else int(periods.sum())


# --------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class UnbalancedFit:
    beta: np.ndarray
    vcov: np.ndarray
    n_clusters: int
    nobs: int
    scores: np.ndarray | None  # per-cluster scores with vcov = scores' scores (coarser clusters only)


def fe_fit(pg: PatternGroups, X: np.ndarray, names: list[str]) -> UnbalancedFit:
    """Two-way FE OLS with CRV1 errors from :class:`PatternGroups`; ``X`` is groups x periods x regressors.

    Same checks, messages and small-sample factor as :func:`impact.did._ols.absorbed_ols` (see the
    module docstring for the algebra).
    """
    o = pg.obs.astype(float)
    n = pg.n
    p = o.sum(axis=1)
    nobs = int(round(float(n @ p)))
    solve = _period_solver(o, n, p)
    WX = _within(o, p, X)
    Gamma = solve(np.einsum("g,gtk->tk", n, WX))
    gamma_y = solve(n @ _within(o, p, pg.mean))
    Z = X - Gamma[None]
    A = _within(o, p, Z)
    xtx = np.einsum("g,gtk,gtl->kl", n, Z, A)
    xtx_inv = invert_design(xtx, names, nobs)
    beta = xtx_inv @ np.einsum("g,gtk,gt->k", n, A, pg.mean)
    fitted = gamma_y[None] + Z @ beta
    c = -np.einsum("gtk,gt->gk", A, fitted)
    meat, S, n_cl = crv_meat(n, A, c, pg.mean, pg.cov, pg.cl_sum, pg.cl_group, pg.cl_n, pg.cl_index)
    if S is None:
        _refuse_exact_fit(pg, o, p, fitted, nobs)
    K = X.shape[2] + fe_dof(o, n, pg.cl_index, pg.cl_group)
    if nobs - K <= 0:
        raise EstimationError(f"no residual degrees of freedom: {nobs} observations for {K} parameters")
    if n_cl < 2:
        raise EstimationError("cluster-robust standard errors need at least two clusters (got 1)")
    factor = n_cl / (n_cl - 1) * (nobs - 1) / (nobs - K)
    scores = None if S is None else np.sqrt(factor) * S @ xtx_inv
    return UnbalancedFit(beta, factor * xtx_inv @ meat @ xtx_inv, n_cl, nobs, scores)


def crv_meat(n, A, c, mean, cov, cl_sum, cl_group, cl_n, cl_index):
    """The CRV1 meat from group statistics, the cluster scores (None for unit clusters) and the number of clusters.

    A unit of group ``g`` has the score ``A_g' y + c_g`` (``A`` groups x periods x regressors, unobserved periods
    zero); summed over a cluster's cells, from their outcome sums ``cl_sum`` and counts ``cl_n``; with units as
    clusters, its cross-products follow from the group's mean and covariance.
    """
    if cl_index is not None:
        rows = np.einsum("rt,rtk->rk", cl_sum, A[cl_group]) + cl_n[:, None] * c[cl_group]
        S = cluster_sums(rows, cl_index)
        return S.T @ S, S, int(cl_index.max()) + 1
    e = np.einsum("gtk,gt->gk", A, mean) + c
    CA = np.matmul(cov, A)  # per group C_g A_g; a four-operand einsum would not be contracted pairwise
    meat = np.einsum("g,gtk,gtl->kl", n, A, CA) + np.einsum("g,gk,gl->kl", n, e, e)
    return meat, None, int(round(float(n.sum())))


def invert_design(xtx: np.ndarray, names: list[str], nobs: int) -> np.ndarray:
    """``(X'X)^-1`` of the residualised regressors, refused as absorbed_ols refuses it (same messages)."""
    scale = np.sqrt(np.clip(np.diag(xtx), 0, None))
    if np.any(scale < 1e-10 * max(1.0, np.sqrt(nobs))):
        bad = names[int(np.argmin(scale))]
        raise EstimationError(
            f"regressor {bad!r} has no variation once unit and period effects are removed; it is collinear with the "
            "fixed effects (e.g. every unit treated at the same time, or no comparison units)")
    cond = np.linalg.cond(xtx / np.outer(scale, scale))
    if cond > 1e12:
        raise EstimationError(f"the regressors {names} are collinear once fixed effects are absorbed (condition "
                              f"number {cond:.2g}); drop a redundant column or widen the window")
    return np.linalg.inv(xtx)


def exact_fit(ssr: float, raw_ss: float) -> bool:
    """Whether a residual sum of squares computed from moments is zero up to their rounding.

    absorbed_ols compares residual norms row by row (1e-10 relative); from means and covariances the
    residual sum of squares carries rounding of order ``eps`` times the raw second moment, so a model
    that fits exactly shows a residual of that size, far below any real noise.
    """
    return ssr <= 64 * np.finfo(float).eps * max(1.0, raw_ss)


def _refuse_exact_fit(pg, o, p, fitted, nobs) -> None:
    """absorbed_ols' exact-fit refusal, from the within-group variances and the residual of the means."""
    n = pg.n
    # tr(W_g C_g): the within-group variance left once each unit's own mean is removed.
    within = np.einsum("gtt,gt->g", pg.cov, o) - np.einsum("gt,gts,gs->g", o, pg.cov, o) / p
    r = pg.mean - fitted
    ssr = float(n @ (np.einsum("gt,gt->g", r, _within(o, p, r)) + within))
    raw = float(n @ (np.einsum("gtt,gt->g", pg.cov, o) + (pg.mean ** 2).sum(axis=1)))
    if exact_fit(ssr, raw):
        raise EstimationError(f"the model fits the {nobs} observations exactly (no residual variation), so no "
                              "standard error can be estimated; more units or periods are needed")
