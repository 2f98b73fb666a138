"""Replicate-weight variance: every replicate estimate of every domain in one matrix product.

With replicate weights ``W`` (rows x R), the replicate numerators of a
domain statistic are ``A @ W`` where ``A`` is the sparse (domains x rows)
matrix holding each row's numerator variable in its domain's row; the
denominators likewise. The variance is
``scale * sum_r rscale_r (theta_r - centre)^2``, centred at the mean of the
replicates (R ``survey``'s default, ``mse=False``) or at the full-sample
estimate (``mse=True``).

Default scales follow R ``survey``'s ``svrepdesign`` (Lumley 2010, ch. 2.3):

===========  ============================  ==========================
type         scale                         rscales
===========  ============================  ==========================
JK1          (R - 1) / R                   1 (times 1 - f with fpc)
JKn          1                             (n_h - 1) / n_h of the stratum the replicate drops from
BRR          1 / R                         1
Fay          1 / (R (1 - rho)^2)           1
bootstrap    1 / (R - 1)                   1
===========  ============================  ==========================

References
----------
Wolter, K. M. (2007). Introduction to Variance Estimation, 2nd ed.
Springer. https://doi.org/10.1007/978-0-387-35099-8
Judkins, D. R. (1990). Fay's method for variance estimation. Journal of
Official Statistics 6(3), 223-239.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from impact.errors import ConfigError, DataError, EstimationWarning
from impact.survey.checks import finite_number

__all__ = ["REPLICATE_TYPES", "ReplicateSpec", "replicate_spec", "replicate_estimates", "replicate_variance"]

REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap")


@dataclass(frozen=True)
class ReplicateSpec:
    """Replicate weights (rows x R) with their variance multipliers."""

    weights: np.ndarray
    type: str
    scale: float
    rscales: np.ndarray
    mse: bool
    df: int


def _dropped_stratum(weights: np.ndarray, stratum: np.ndarray | None, names) -> np.ndarray:
    """The stratum each jackknife replicate drops a PSU from (the rows its weight zeroes)."""
    zero = weights == 0
    if not zero.any(axis=0).all():
        bad = names[int(np.flatnonzero(~zero.any(axis=0))[0])]
        raise DataError(
            f"replicate weight column {bad!r} has no zero weight, so the jackknife PSU it drops "
            "cannot be found; pass replicate_rscales= explicitly or check replicate_type"
        )
    first = zero.argmax(axis=0)
    return np.zeros(weights.shape[1], dtype=np.int64) if stratum is None else stratum[first]


def replicate_spec(
    weights: np.ndarray,
    names,
    rtype: str,
    fay_rho,
    scale,
    rscales,
    mse: bool,
    stratum: np.ndarray | None,
    n_psu: np.ndarray | None,
    finite: np.ndarray | None,
) -> ReplicateSpec:
    """Check the replicate settings and fill in R ``survey``'s default multipliers.

    ``stratum`` codes each row's stratum (or None), ``n_psu`` the sampled
    PSUs per stratum, ``finite`` the per-stratum ``1 - f_h`` when an fpc
    was given (jackknife replicates only).
    """
    n_rep = weights.shape[1]
    if n_rep < 2:
        raise ConfigError(f"replicate_weights needs at least 2 columns (got {n_rep})")
    if rtype == "Fay":
        if not isinstance(fay_rho, (int, float, np.integer, np.floating)) or not (0 < float(fay_rho) < 1):
            raise ConfigError(f"replicate_type='Fay' needs fay_rho strictly between 0 and 1 (got {fay_rho!r}); 0.5 is usual")
    elif fay_rho is not None:
        raise ConfigError(f"fay_rho is only used with replicate_type='Fay' (got replicate_type={rtype!r})")
    if (weights < 0).any():
        bad = names[int(np.flatnonzero((weights < 0).any(axis=0))[0])]
        raise DataError(f"replicate weight column {bad!r} has negative values; replicate weights must be >= 0")
    defaults = {
        "JK1": (n_rep - 1) / n_rep,
        "JKn": 1.0,
        "BRR": 1.0 / n_rep,
        "Fay": 1.0 / (n_rep * (1.0 - float(fay_rho or 0)) ** 2),
        "bootstrap": 1.0 / (n_rep - 1),
    }
    scale = defaults[rtype] if scale is None else finite_number(
        "replicate_scale", scale, positive=True, hint=f"the overall variance multiplier; {rtype}'s default is "
        f"{defaults[rtype]:g}")
    if rscales is not None:
        given = rscales
        try:
            rscales = np.asarray(rscales, dtype=float)
        except (TypeError, ValueError):
            rscales = np.array([np.nan])
        if isinstance(given, str) or rscales.shape != (n_rep,) or not np.isfinite(rscales).all() or (rscales < 0).any():
            raise ConfigError(f"replicate_rscales must be {n_rep} non-negative numbers, one per replicate column "
                              f"(got {given!r})")
    elif rtype == "JKn" or (rtype == "JK1" and finite is not None):
        if rtype == "JKn" and stratum is None:
            raise ConfigError("replicate_type='JKn' needs strata= (and psu=) to find each replicate's stratum, or replicate_rscales=")
        h = _dropped_stratum(weights, stratum, names)
        rscales = np.ones(n_rep) if rtype == "JK1" else (n_psu[h] - 1) / n_psu[h]
        if finite is not None:
            rscales = rscales * finite[h]
    else:
        rscales = np.ones(n_rep)
    df = _rank(weights) - 1
    return ReplicateSpec(weights, rtype, scale, rscales, bool(mse), max(df, 1))


def _rank(weights: np.ndarray) -> int:
    """Rank of the replicate weights (R ``survey``: degrees of freedom = rank - 1)."""
    norms = np.linalg.norm(weights, axis=0)
    unit = weights / np.where(norms > 0, norms, 1.0)
    return int(np.linalg.matrix_rank(unit.T @ unit, tol=1e-10))


def _domain_matrix(values, code, k):
    inside = code >= 0
    rows = np.flatnonzero(inside)
    return sparse.csr_matrix((values[inside], (code[inside], rows)), shape=(k, code.size))


def replicate_estimates(a, b, code, k: int, spec: ReplicateSpec) -> np.ndarray:
    """Replicate estimates (k domains x R) of the domain ratio (or total when ``b`` is None)."""
    a = np.where(code >= 0, a, 0.0)
    num = _domain_matrix(a, code, k) @ spec.weights
    if b is None:
        return np.asarray(num)
    b = np.where(code >= 0, b, 0.0)
    den = _domain_matrix(b, code, k) @ spec.weights
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(num) / np.asarray(den)


def replicate_variance(replicates: np.ndarray, estimate: np.ndarray, spec: ReplicateSpec) -> np.ndarray:
    """``scale * sum_r rscale_r (theta_r - centre)^2`` for each row of ``replicates``.

    A replicate estimate that does not exist (a domain with no weight left in
    that replicate, e.g. a jackknife replicate dropping the only PSU where the
    domain has respondents) is left out of that row's sum and centre, with an
    :class:`~impact.errors.EstimationWarning`, as R ``survey``'s ``svrVar``
    discards replicates giving NA.
    """
    # R's svrVar: the replicate mean leaves out replicates that carry no weight (rscale 0, e.g. a census stratum)
    used = spec.rscales > 0
    finite = np.isfinite(replicates)
    if finite.all():
        centre = estimate[:, None] if spec.mse else replicates[:, used].mean(axis=1, keepdims=True)
        dev = replicates - centre
        return spec.scale * (dev * dev) @ spec.rscales
    kept = finite & used
    values = np.where(finite, replicates, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = estimate[:, None] if spec.mse else (
            (values * kept).sum(axis=1, keepdims=True) / kept.sum(axis=1, keepdims=True))
    dev = np.where(finite, values - centre, 0.0)
    lost = (~finite).sum(axis=1)
    warnings.warn(
        f"{int(lost.max())} of {replicates.shape[1]} replicate estimates do not exist (no weight left in the domain) "
        f"for {int((lost > 0).sum())} estimate(s); they are left out of the variance, as R's svrVar does",
        EstimationWarning, stacklevel=4,
    )
    return np.where(kept.any(axis=1), spec.scale * (dev * dev) @ spec.rscales, np.nan)
