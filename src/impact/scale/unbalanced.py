"""Callaway-Sant'Anna on an unbalanced panel, exactly from statistics by cohort and pattern of observed periods.

In memory, a panel in which some units miss periods is estimated as repeated
cross-sections with influence functions summed by unit (R did's
``allow_unbalanced_panel``): each ATT(g, t) compares the observations of
periods ``t`` and ``b`` of the cohort and of its comparison group. Without
covariates every method gives the same estimate and influence function
(checked by the tests): a unit ``i`` of cohort ``h`` contributes

``s * n * (1{t observed} (y_it - mu_post) / N_post - 1{b observed} (y_ib - mu_pre) / N_pre)``

with ``s = +1`` for the treated cohort and ``-1`` for comparison units,
``N_post``/``N_pre`` the numbers of observations of its role in each period
and ``n`` the number of units. That is affine in the unit's observed outcomes
with coefficients that depend on its cohort and on which periods it has, so
the statistics grouped by (cohort, pattern of observed periods) give the
estimates and their exact influence-function cross-products, as for a
balanced panel (:mod:`impact.scale.estimators`).
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np

from impact.data import show
from impact.did import staggered as _cs
from impact.errors import DataError, DroppedRowsWarning, EstimationError, EstimationWarning
from impact.scale.stats import PanelStats

__all__ = ["callaway_santanna_unbalanced"]

_MODE = "unbalanced panel (estimated as repeated cross-sections, R did's allow_unbalanced_panel)"


def _bits(patterns: np.ndarray, T: int) -> np.ndarray:
    return ((patterns[:, None] >> np.arange(T)[None, :]) & 1).astype(bool)


def callaway_santanna_unbalanced(st: PanelStats, cohort: str, options: dict):
    """ATT(g, t) for unbalanced statistics (``st.patterns``); same result as the in-memory path."""
    from impact.scale.estimators import _LEVEL_NOTE, _cs_result

    control, anticipation = options["control"], options["anticipation"]
    T0 = len(st.periods)
    clustered = st.cluster is not None
    # One "group" per (key, pattern), or per (cluster, key, pattern) cell with clusters.
    if clustered:
        key, pat, n = st.cl_key, st.cl_pattern, st.cl_n.astype(float)
        mean = st.cl_sum / n[:, None]
        cov, cl_index = None, st.cl_index
    else:
        key, pat, n, mean, cov, cl_index = st.keys, st.patterns, st.n.astype(float), st.mean, st.cov, None
    key = np.where(key >= T0, -1, key)  # treated after the sample: never treated in it
    rows_of = _bits(pat, T0).sum(axis=1)
    notes = [_LEVEL_NOTE, "unbalanced panel: cells use every unit observed in both periods compared"]
    live = np.ones(len(key), dtype=bool)
    always = (key >= 0) & (key <= anticipation)
    if always.any():
        n_drop = int(n[always].sum())
        warnings.warn(
            f"dropped {n_drop} units ({int((n * rows_of)[always].sum())} rows) already treated in the first period "
            f"{show(st.periods[0])}" + (f" (allowing for anticipation={anticipation})" if anticipation else "")
            + "; they have no untreated period to compare with (as R did does)", DroppedRowsWarning, stacklevel=4)
        notes.append(f"{n_drop} always-treated units dropped")
        live &= ~always
    T = T0
    if not (key[live] < 0).any():
        if control == "never":
            raise DataError(
                f"control='never' needs never-treated units; none of the {int(n[live].sum())} units has "
                f"{cohort!r} 0 or missing (or after the last period); use control='not_yet'")
        T = int(key[live].max()) - anticipation
        notes.append(f"no never-treated units: the last cohort is used as comparison only, "
                     f"periods from {show(st.periods[max(T, 0)])} on are dropped")
    if T < 2:
        raise DataError("fewer than two periods remain after dropping always-treated units; nothing to compare")
    obs = _bits(pat, T)
    live &= obs.any(axis=1)  # units with no period left leave the sample, as in memory
    key, n, obs, mean = key[live], n[live], obs[live], mean[live][:, :T]
    cov = cov[live][:, :T, :T] if cov is not None else None
    cl_index = np.unique(cl_index[live], return_inverse=True)[1] if clustered else None
    N = int(n.sum())
    present = np.unique(key[(key >= 0) & (key < T)])
    glist = present[present > anticipation]
    if control == "not_yet" and not (key < 0).any():
        glist = glist[glist < key.max()]
    if glist.size == 0:
        raise DataError(f"no treated cohort with a pre-treatment period remains in {cohort!r}")

    cells = _cs._cells(glist, T, anticipation, base_period=options["base_period"])
    G = len(key)
    A = np.zeros((G, T, len(cells)))
    c = np.zeros((G, len(cells)))
    att, kept = [], []
    for j, (g, t, b, _) in enumerate(cells):
        if t == b:
            att.append(0.0)
            kept.append(j)
            continue
        roles = ((key == g, 1.0), (_cs._controls(key, g, t, b, control, anticipation), -1.0))
        parts = []
        for role, _sign in roles:
            post, pre = role & obs[:, t], role & obs[:, b]
            parts.append((post, pre, n[post].sum(), n[pre].sum()))
        if min(x for p in parts for x in p[2:]) == 0:
            warnings.warn(
                f"group-time cell (cohort {show(st.periods[g])}, period {show(st.periods[t])}) skipped: no treated or no comparison "
                "observation in one of its two periods", EstimationWarning, stacklevel=4)
            continue
        col = len(kept)
        est = 0.0
        for (post, pre, n_post, n_pre), (_, sign) in zip(parts, roles):
            mu_post = n[post] @ mean[post, t] / n_post
            mu_pre = n[pre] @ mean[pre, b] / n_pre
            est += sign * (mu_post - mu_pre)
            A[post, t, col] += sign * N / n_post
            c[post, col] -= sign * N * mu_post / n_post
            A[pre, b, col] -= sign * N / n_pre
            c[pre, col] += sign * N * mu_pre / n_pre
        att.append(est)
        kept.append(j)
    if not kept:
        raise EstimationError("no group-time effect could be estimated")
    cells = [cells[j] for j in kept]
    A, c = A[:, :, :len(kept)], c[:, :len(kept)]
    # Cells kept for a universal base period are zero columns; A and c were filled in kept order.
    att = np.array(att)

    if clustered:
        psi = np.einsum("gt,gtk->gk", n[:, None] * mean, A) + n[:, None] * c
        row_cohort, weight, cl_codes = key, n, cl_index
    else:
        root_n = np.sqrt(n)
        mean_rows = root_n[:, None] * (np.einsum("gt,gtk->gk", mean, A) + c)
        lam, vec = np.linalg.eigh(cov)
        factor = vec * np.sqrt(np.clip(lam, 0, None))[:, None, :]
        cov_rows = root_n[:, None, None] * np.einsum("gts,gtk->gsk", factor, A)
        psi = np.concatenate([mean_rows, cov_rows.reshape(G * T, -1)])
        row_cohort = np.r_[key, np.full(G * T, -1)]
        weight = np.r_[root_n, np.zeros(G * T)]
        cl_codes = None
    options = dict(options, mode=_MODE, n_obs=int((n * obs.sum(axis=1)).sum()))
    groups = SimpleNamespace(keys=key, n=n)
    return _cs_result(st, groups, cells, att, psi, row_cohort, weight, cl_codes, N, T, notes, options)
