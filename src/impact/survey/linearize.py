"""Taylor linearisation of survey statistics, all domains in one grouped pass.

Every statistic here is a ratio of two weighted sums over a domain,
``theta_g = sum_i w_i d_ig a_i / sum_i w_i d_ig b_i`` (a mean has ``b = 1``,
a proportion has ``a`` an indicator, a total has no denominator). Its
linearised variable (influence function times weight) is
``z_i = w_i d_ig (a_i - theta_g b_i) / B_g`` and its variance is the
between-PSU variance of the PSU totals of ``z`` within strata
(the "ultimate cluster" estimator; Hansen, Hurwitz & Madow 1953; Wolter 2007,
ch. 6; Lumley 2010, ch. 2).

Each row belongs to at most one domain, so the PSU-by-domain totals are a
sparse matrix with at most one entry per row. The variance of every domain
comes from one sort (or one ``bincount`` when the PSU x domain grid is
small) and a handful of vector operations, with no loop over domains,
PSUs or rows.

References
----------
Binder, D. A. (1983). On the variances of asymptotically normal estimators
from complex surveys. International Statistical Review 51(3), 279-292.
https://doi.org/10.2307/1402588
Lumley, T. (2004). Analysis of complex survey samples. Journal of
Statistical Software 9(8). https://doi.org/10.18637/jss.v009.i08
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Layout", "Linearized", "ratio_by_domain", "stratified_variance", "stratified_variance_dense"]

#: Above this many PSU x domain cells the totals are aggregated sparsely (by sorting)
#: instead of into a dense grid.
_DENSE_CELLS = 5_000_000


@dataclass(frozen=True)
class Layout:
    """The first-stage structure a variance needs, as integer arrays.

    ``psu`` codes each row's PSU (0..P-1, unique across strata);
    ``psu_stratum`` gives each PSU's stratum (0..H-1); ``n_psu`` the number
    of sampled PSUs per stratum; ``scale`` the per-stratum factor
    ``(1 - f_h) n_h / (n_h - 1)`` (0 where the stratum adds no variance:
    census, certainty or removed lonely PSU); ``grand_centre`` flags strata
    whose PSU totals are centred at the sample grand mean (lonely PSUs under
    ``lonely_psu="adjust"``) instead of the stratum mean.
    """

    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu: np.ndarray
    scale: np.ndarray
    grand_centre: np.ndarray

    @property
    def n_psus(self) -> int:
        return int(self.psu_stratum.size)


@dataclass(frozen=True)
class Linearized:
    """Estimates by domain with the linearised variable of the rows inside a domain.

    ``rows`` indexes the rows inside some domain (outside rows contribute
    zero), ``group`` their domain and ``z`` their linearised value, so that
    any contrast of domains is again a single linearised variable.
    """

    estimate: np.ndarray
    rows: np.ndarray
    group: np.ndarray
    z: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray | None


def ratio_by_domain(w, a, b, code, k: int) -> Linearized:
    """Ratio (or total, when ``b`` is None) of weighted sums in each of ``k`` domains.

    Parameters
    ----------
    w : ndarray
        Sampling weights (positive).
    a, b : ndarray
        Numerator and denominator variables, finite wherever ``code >= 0``.
        ``b=None`` estimates the domain total of ``a``.
    code : ndarray of int
        Domain of each row, ``-1`` for rows outside every domain (outside
        ``where``, missing answer): their weight is zero for the estimate but
        their PSU stays in the design.
    k : int
        Number of domains.
    """
    rows = np.flatnonzero(code >= 0)
    group = code[rows]
    weight = w[rows]
    wa = weight * a[rows]
    num = np.bincount(group, weights=wa, minlength=k)
    if b is None:
        return Linearized(num, rows, group, wa, num, None)
    wb = weight * b[rows]
    den = np.bincount(group, weights=wb, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = num / den
        z = (wa - est[group] * wb) / den[group]
    return Linearized(est, rows, group, z, num, den)


def _psu_domain_totals(z, rows, group, k, layout: Layout):
    """Sparse PSU x domain totals of ``z``: (psu index, domain index, total) of the occupied cells."""
    key = layout.psu[rows] * k + group
    cells = layout.n_psus * k
    if cells <= _DENSE_CELLS:
        grid = np.bincount(key, weights=z, minlength=cells)
        occupied = np.flatnonzero(np.bincount(key, minlength=cells))
        return occupied // k, occupied % k, grid[occupied]
    uniq, inverse = np.unique(key, return_inverse=True)
    return uniq // k, uniq % k, np.bincount(inverse, weights=z)


def stratified_variance(z, rows, group, k: int, layout: Layout) -> np.ndarray:
    """Variance of the domain totals of ``z`` under stratified first-stage sampling of PSUs.

    ``z`` holds the linearised values of the rows ``rows`` (in domains
    ``group``); every other row contributes zero. ``V_g = sum_h s_h sum_{i in h}
    (t_ig - c_hg)^2`` where ``t_ig`` is the total of ``z`` over the rows of
    PSU ``i`` in domain ``g`` (zero when the PSU has none: domains never
    drop PSUs), ``c_hg`` the stratum mean of those totals (or the sample
    grand mean of PSU totals for an adjusted lonely PSU) and ``s_h`` the
    stratum scale of :class:`Layout`.

    The sum runs over the occupied cells only; each empty cell of stratum
    ``h`` contributes ``c_hg^2``, added once per stratum. Deviations are
    formed before squaring, so no precision is lost to cancellation.
    """
    n_strata = layout.n_psu.size
    psu_i, g_i, t = _psu_domain_totals(z, rows, group, k, layout)
    h_i = layout.psu_stratum[psu_i]
    hg = h_i * k + g_i
    stratum_sum = np.bincount(hg, weights=t, minlength=n_strata * k).reshape(n_strata, k)
    occupied = np.bincount(hg, minlength=n_strata * k).reshape(n_strata, k)
    centre = stratum_sum / layout.n_psu[:, None]
    if layout.grand_centre.any():
        grand = stratum_sum.sum(axis=0) / layout.n_psus
        centre[layout.grand_centre] = grand
    dev = t - centre[h_i, g_i]
    within = np.bincount(hg, weights=dev * dev, minlength=n_strata * k).reshape(n_strata, k)
    empty = layout.n_psu[:, None] - occupied
    per_stratum = within + empty * centre**2
    return layout.scale @ per_stratum


def stratified_variance_dense(z: np.ndarray, layout: Layout) -> np.ndarray:
    """The same variance for dense linearised variables ``z`` (rows x k), e.g. calibration residuals.

    Used when a column's values are not confined to its domain's rows.
    """
    k = z.shape[1]
    totals = np.column_stack([np.bincount(layout.psu, weights=z[:, j], minlength=layout.n_psus) for j in range(k)])
    n_strata = layout.n_psu.size
    sums = np.column_stack([np.bincount(layout.psu_stratum, weights=totals[:, j], minlength=n_strata)
                            for j in range(k)])
    centre = sums / layout.n_psu[:, None]
    if layout.grand_centre.any():
        centre[layout.grand_centre] = sums.sum(axis=0) / layout.n_psus
    dev = totals - centre[layout.psu_stratum]
    return layout.scale[layout.psu_stratum] @ (dev * dev)
