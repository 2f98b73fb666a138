"""Inference from influence functions: analytic and multiplier-bootstrap standard errors, uniform bands.

Every estimator in :mod:`impact.did.staggered` stores, for each estimated
quantity, the influence function of each independent observation (a unit in a
panel, a row in repeated cross-sections), scaled so that
``estimate - truth ~ mean(psi)`` and ``se = sqrt(sum(psi**2)) / n``. With
clustering, the influence functions are first summed within clusters.

The multiplier bootstrap (Kline & Santos 2012; Callaway & Sant'Anna 2021,
Algorithm 1) perturbs the cluster sums with i.i.d. weights ``V`` of mean zero
and variance one: each draw of ``V @ S / n`` is a draw of the estimation
error. The standard error is the normalised interquartile range of the draws
and the uniform (simultaneous) band's critical value is the ``1 - alpha``
quantile of the largest studentised draw across the estimated quantities, as
in R ``did``'s ``mboot``. Draws are generated in chunks from one seed, so that
an aggregation re-uses exactly the draws of the group-time estimates.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. *Journal of Econometrics* 225(2), 200-230.
https://doi.org/10.1016/j.jeconom.2020.12.001
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

__all__ = [
    "BOOT_WEIGHTS",
    "cluster_sums",
    "analytic_se",
    "influence_vcov",
    "multiplier_draws",
    "bootstrap_se",
    "uniform_crit",
    "Inference",
    "infer",
]

BOOT_WEIGHTS = ("mammen", "rademacher")

# Standard errors at or below this are treated as degenerate (a reference cell), as in R did.
_DEGENERATE = np.sqrt(np.finfo(float).eps) * 10
_IQR_NORMAL = stats.norm.ppf(0.75) - stats.norm.ppf(0.25)
# One block of multipliers (draws x clusters, float32) stays near this many bytes.
_CHUNK_BYTES = 64 * 2**20
_DRAWS_PER_BLOCK = 256


def cluster_sums(psi: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Sum the rows of ``psi`` (n x k) within clusters (integer codes 0..G-1); identity without clusters."""
    if cluster is None:
        return psi
    n_clusters = int(cluster.max()) + 1
    agg = sparse.csr_matrix((np.ones(len(cluster)), (cluster, np.arange(len(cluster)))), shape=(n_clusters, len(cluster)))
    return np.asarray(agg @ psi)


def analytic_se(sums: np.ndarray, n: int) -> np.ndarray:
    """``sqrt(sum_c S_c^2) / n`` for each column; NaN where degenerate."""
    se = np.sqrt(np.einsum("ij,ij->j", sums, sums)) / n
    return np.where(se <= _DEGENERATE, np.nan, se)


def influence_vcov(sums: np.ndarray, n: int) -> np.ndarray:
    """Covariance matrix ``S'S / n^2`` of the estimates."""
    return sums.T @ sums / n**2


# Mammen's two-point weights: mean 0, variance 1, third moment 1. A draw is ``low`` with
# probability p, drawn by comparing a uniform 32-bit integer with round(p * 2**32).
_SQRT5 = np.sqrt(5.0)
_TWO_POINT = {
    "mammen": ((1 - _SQRT5) / 2, (1 + _SQRT5) / 2),
    "rademacher": (-1.0, 1.0),
}
_MAMMEN_THRESHOLD = np.uint32(round((_SQRT5 + 1) / (2 * _SQRT5) * 2**32))


def _low_indicator(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    """0/1 matrix (float32, exact) marking the multipliers that take the low value."""
    if kind == "rademacher":
        size = shape[0] * shape[1]
        bits = np.unpackbits(np.frombuffer(rng.bytes((size + 7) // 8), dtype=np.uint8), count=size)
        return bits.reshape(shape).astype(np.float32)
    draws = rng.integers(0, 2**32, size=shape, dtype=np.uint32)
    return (draws < _MAMMEN_THRESHOLD).astype(np.float32)


def multiplier_draws(sums, n: int, n_boot: int, seed: int, kind: str = "mammen"):
    """``n_boot`` draws of the estimation error, ``(V @ sums) / n`` with i.i.d. two-point multipliers ``V``.

    ``V = high + (low - high) * M`` with ``M`` the 0/1 indicator of the low
    value, so ``V @ S = high * colsum(S) + (low - high) * (M @ S)``: the random
    matrix is generated as cheap integers and enters one matrix product.
    The (n_boot x n_clusters) multipliers are generated block by block from
    ``seed``, so memory stays bounded and a seed always gives the same draws
    for the same number of clusters and draws.
    ``sums`` may be a tuple of matrices with the same rows; they then share
    the multipliers and a tuple of draws is returned.
    """
    parts = sums if isinstance(sums, tuple) else (sums,)
    n_clusters = parts[0].shape[0]
    low, high = _TWO_POINT[kind]
    rng = np.random.default_rng(seed)
    # Blocks of draws x clusters: enough draws per block for an efficient matrix product
    # (BLAS is slow on short, very wide matrices) and enough clusters to bound memory.
    per_chunk = min(n_boot, _DRAWS_PER_BLOCK)
    per_block = max(1, _CHUNK_BYTES // (4 * per_chunk))
    # One single-precision matrix for all parts: the 0/1 matrix is read once per chunk, and
    # single precision (exact for 0/1; ~1e-7 relative rounding of the sums, far below the
    # bootstrap's own sampling error) halves time and memory.
    widths = np.cumsum([0] + [p.shape[1] for p in parts])
    stacked = np.empty((n_clusters, widths[-1]), dtype=np.float32)
    for p, lo_col, hi_col in zip(parts, widths[:-1], widths[1:]):
        stacked[:, lo_col:hi_col] = p
    out = np.zeros((n_boot, widths[-1]))
    for start in range(0, n_boot, per_chunk):
        stop = min(n_boot, start + per_chunk)
        for first in range(0, n_clusters, per_block):
            last = min(n_clusters, first + per_block)
            out[start:stop] += _low_indicator(rng, (stop - start, last - first), kind) @ stacked[first:last]
    out *= low - high
    out += high * np.concatenate([p.sum(axis=0) for p in parts])
    out /= n
    outs = [out[:, lo_col:hi_col] for lo_col, hi_col in zip(widths[:-1], widths[1:])]
    return tuple(outs) if isinstance(sums, tuple) else outs[0]


def bootstrap_se(draws: np.ndarray) -> np.ndarray:
    """Normalised interquartile range of each column of draws (R did's ``bSigma``)."""
    q = np.quantile(draws, [0.25, 0.75], axis=0, method="inverted_cdf")
    se = (q[1] - q[0]) / _IQR_NORMAL
    return np.where(se <= _DEGENERATE, np.nan, se)


def uniform_crit(draws: np.ndarray, se: np.ndarray, alpha: float) -> float:
    """Critical value of the simultaneous band: the ``1 - alpha`` quantile of ``max_j |draw_j| / se_j``."""
    ok = np.isfinite(se)
    if not ok.any():
        return float(stats.norm.ppf(1 - alpha / 2))
    t_max = np.max(np.abs(draws[:, ok]) / se[ok], axis=1)
    return float(np.quantile(t_max, 1 - alpha, method="inverted_cdf"))


@dataclass(frozen=True)
class Inference:
    """Standard errors and the uniform-band critical value of a set of estimates."""

    se: np.ndarray
    crit: float | None


def infer(psi: np.ndarray, n: int, cluster: np.ndarray | None, alpha: float,
          draws: np.ndarray | None = None, band: np.ndarray | None = None) -> Inference:
    """Analytic (``draws is None``) or bootstrap inference for the columns of ``psi``.

    ``draws`` are the multiplier-bootstrap draws of the same columns (from
    :func:`multiplier_draws`); the uniform critical value needs them and is
    ``None`` without. ``band`` (boolean, one per column) selects the columns
    the simultaneous band covers (default: all).
    """
    if draws is None:
        return Inference(analytic_se(cluster_sums(psi, cluster), n), None)
    se = bootstrap_se(draws)
    band = np.ones(draws.shape[1], dtype=bool) if band is None else np.asarray(band, dtype=bool)
    crit = uniform_crit(draws[:, band], se[band], alpha) if band.any() else None
    return Inference(se, crit)
