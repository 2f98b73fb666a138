"""Group-time cells of Callaway & Sant'Anna (2021) with unit-level influence functions.

:func:`impact.did.callaway_santanna` lists its (cohort, period, base period)
cells with :func:`_cells` and, where the estimate needs unit-level influence
functions (the multiplier bootstrap, covariates, weights, unbalanced panels,
repeated cross-sections), computes each cell's ATT and influence function
here: :func:`_panel_cells` for a balanced panel (a difference of weighted means
from one periods x units matrix without covariates, the 2x2 estimators of
:mod:`impact.did.drdid` with them), :func:`_rc_cells` for repeated
cross-sections and unbalanced panels (R did's ``allow_unbalanced_panel``).
The comparison group of a cell is :func:`_controls`, shared with the
estimators from per-cohort statistics (:mod:`impact.scale.estimators`).

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. *Journal of Econometrics* 225(2), 200-230.
https://doi.org/10.1016/j.jeconom.2020.12.001
"""

from __future__ import annotations

import warnings

import numpy as np

from impact.did.drdid import panel_2x2, rc_2x2
from impact.errors import EstimationError, EstimationWarning

def _code_name(g, t) -> str:
    return f"cohort code {g}, period code {t}"


def _cells(glist, n_periods, anticipation, base_period):
    """(cohort, period, base, post) codes of every group-time cell, in R did's order."""
    cells = []
    for g in glist:
        pret = g - 1 - anticipation
        first = 1 if base_period == "varying" else 0
        for t in range(first, n_periods):
            post = g <= t
            base = pret if (post or base_period == "universal") else t - 1
            cells.append((g, t, base, post))
    return cells


def _controls(unit_cohort, g, t, b, control, anticipation):
    never = unit_cohort < 0
    if control == "never":
        return never
    return never | ((unit_cohort > max(t, b) + anticipation) & (unit_cohort != g))


def _panel_cells(cells, y, x, w, unit_cohort, control, anticipation, method, name=_code_name):
    """ATT and influence functions for a balanced panel: ``y`` is periods x units, ``x`` periods x units x p."""
    n = y.shape[1]
    att = np.empty(len(cells))
    # Column-major: each cell's influence function is one contiguous column.
    psi = np.zeros((n, len(cells)), order="F")
    never = (unit_cohort < 0).astype(float)
    treated = {g: (unit_cohort == g) for g in np.unique([c[0] for c in cells])}
    if x is None:
        # Weighted period means of each cohort and of the never-treated, from one matrix product:
        # a cell's ATT is then a difference of differences of these means.
        w_sums = {g: float(w @ d) for g, d in treated.items()}
        cohort_means = {g: (y @ (w * d)) / w_sums[g] for g, d in treated.items()}
        w_never = w * never
        s_never = w_never.sum()
        never_means = (y @ w_never) / s_never if s_never > 0 else None
        scaled_treated = {g: w * d * (n / w_sums[g]) for g, d in treated.items()}
        scaled_never = w_never * (n / s_never) if s_never > 0 else None
        scratch = np.empty(n)
    for j, (g, t, b, _) in enumerate(cells):
        if t == b:
            att[j] = 0.0  # universal base period: the reference cell, zero by construction
            continue
        d = treated[g]
        if control == "never":
            c = never  # callaway_santanna has checked that never-treated units exist
        else:
            c = _controls(unit_cohort, g, t, b, control, anticipation).astype(float)
            if not c.any():
                raise EstimationError(f"no comparison unit for {name(g, t)}")
        dy = y[t] - y[b]
        if x is None:
            # Without covariates every method is a difference of weighted means (exactly DRDID's result).
            sd = w_sums[g]
            if control == "never":
                wc, sc = w_never, s_never
                mu_c = never_means[t] - never_means[b]
            else:
                wc = w * c
                sc = wc.sum()
                mu_c = wc @ dy / sc
            if method != "reg" and sd / (sd + sc) >= 0.995:
                raise EstimationError(
                    f"{name(g, t)}: the propensity score of every comparison unit is above "
                    "0.995 and all are trimmed; use method='reg'"
                )
            mu_t = cohort_means[g][t] - cohort_means[g][b]
            att[j] = mu_t - mu_c
            # Treated and comparison units are disjoint: psi = n w (dy - mu) / s on each.
            col = psi[:, j]
            np.subtract(dy, mu_t, out=col)
            col *= scaled_treated[g]
            np.subtract(dy, mu_c, out=scratch)
            scratch *= scaled_never if control == "never" else wc * (n / sc)
            col -= scratch
        else:
            keep = np.flatnonzero(d | (c > 0))
            try:
                est, inf = panel_2x2(dy[keep], d[keep].astype(float), x[min(t, b)][keep], w[keep], method)
            except EstimationError as exc:
                raise EstimationError(f"{name(g, t)}: {exc}") from None
            att[j] = est
            psi[keep, j] = inf * n / len(keep)
    return att, psi


def _rc_cells(cells, y, tcode, ids, n_ids, x, w, row_cohort, control, anticipation, method, name=_code_name):
    """ATT and influence functions (summed by id) for repeated cross-sections or an unbalanced panel."""
    att, cols, kept = [], [], []
    for j, (g, t, b, _) in enumerate(cells):
        if t == b:
            att.append(0.0)
            cols.append(np.zeros(n_ids))
            kept.append(j)
            continue
        in_period = (tcode == t) | (tcode == b)
        d = (row_cohort == g) & in_period
        c = _controls(row_cohort, g, t, b, control, anticipation) & in_period
        sel = np.flatnonzero(d | c)
        post = tcode[sel] == t
        dd = d[sel]
        counts = [(dd & post).sum(), (dd & ~post).sum(), (~dd & post).sum(), (~dd & ~post).sum()]
        if min(counts) == 0:
            warnings.warn(
                f"group-time cell ({name(g, t)}) skipped: no treated or no comparison "
                "observation in one of its two periods",
                EstimationWarning,
                stacklevel=4,
            )
            continue
        try:
            est, inf = rc_2x2(y[sel], post, dd.astype(float), x[sel], w[sel], method)
        except EstimationError as exc:
            raise EstimationError(f"cohort code {g}, period code {t}: {exc}") from None
        att.append(est)
        cols.append(np.bincount(ids[sel], weights=inf * n_ids / len(sel), minlength=n_ids))
        kept.append(j)
    return np.array(att), np.column_stack(cols), kept
