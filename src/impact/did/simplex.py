"""Weights on the simplex: non-negative, summing to one.

Synthetic control and synthetic difference-in-differences both choose
weights ``w >= 0``, ``sum(w) = 1`` that make a weighted average of control
units (or periods) reproduce a target. Two solvers live here:

- :func:`simplex_weights`, an exact solve of the (importance-weighted)
  least-squares problem, used by :func:`impact.did.synthetic_control`;
- a Frank-Wolfe solver with exact line search and the stopping rule, ridge
  penalty and sparsification step of the R package ``synthdid``, batched over
  many problems at once for placebo and bootstrap replications, used by
  :func:`impact.did.synthetic_did` so that its estimates match ``synthdid``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from impact.errors import EstimationError

__all__ = ["simplex_weights"]


# --------------------------------------------------------------------------- simplex least squares


def simplex_weights(B: np.ndarray, a: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    """Weights ``w >= 0``, ``sum(w) = 1`` minimising ``sum_k v_k (a_k - (B w)_k)^2``.

    Solved as a non-negative least-squares problem (Lawson-Hanson) with the
    adding-up constraint appended as a heavily weighted row, which enforces it
    to machine precision for well-scaled data; the result is renormalised.

    Parameters
    ----------
    B : (K, J) array, one column per donor.
    a : (K,) array, the treated unit.
    v : (K,) non-negative importance weights, default all ones.
    """
    J = B.shape[1]
    if v is not None:
        root = np.sqrt(np.asarray(v, dtype=float))
        B, a = B * root[:, None], a * root
    scale = max(float(np.abs(B).max()), float(np.abs(a).max()), 1.0)
    big = 1e4 * scale
    M = np.vstack([B, np.full((1, J), big)])
    rhs = np.append(a, big)
    try:
        w, _ = optimize.nnls(M, rhs, maxiter=50 * J)
    except RuntimeError as exc:  # iteration limit: degenerate or badly scaled donors
        raise EstimationError(
            f"the synthetic-control weights did not converge ({exc}); check for constant or duplicated donors "
            "and rescale the outcome and predictors"
        ) from exc
    total = w.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(J, 1.0 / J)
    return w / total


# --------------------------------------------------------------------------- Frank-Wolfe

# Up to this many problems, solving them one by one (scalar bookkeeping) beats the batch,
# whose cost per step is dominated by NumPy call overhead rather than arithmetic.
_FEW = 3
# Largest number of Gram-matrix entries held at once by a batch (8 bytes each).
_GRAM_BUDGET = 20_000_000


def _fw_solve(A, b, x, eta, zeta2, n_rows, col_ok, min_decrease, max_iter):
    """Frank-Wolfe on the simplex for ``|A x - b|^2 + eta |x|^2``, one problem per leading slice.

    ``A`` is (R, n, k), ``b`` (R, n), ``x`` (R, k) the starting weights;
    ``col_ok`` (R, k) marks the columns that may receive weight. Each slice
    stops on its own once its objective ``zeta2 |x|^2 + |A x - b|^2 / n_rows``
    decreases by less than ``min_decrease ** 2`` in an iteration (the rule of
    ``synthdid::sc.weight.fw``), or after ``max_iter`` iterations.

    The iterations are those of ``synthdid`` (vertex = smallest gradient
    coordinate, exact line search), written in terms of the Gram matrix
    ``A'A`` with ``A'A x``, ``x'A'A x`` and ``|x|^2`` updated in O(k) per
    step, because thousands of steps are typical and the work per step must
    stay small. The decrease of the objective is computed exactly from the
    line search rather than as a difference of two objective values.
    """
    R, _, k = A.shape
    eta = np.broadcast_to(np.asarray(eta, dtype=float), (R,)).copy()
    n_rows = np.broadcast_to(np.asarray(n_rows, dtype=float), (R,)).copy()
    chunk = max(1, _GRAM_BUDGET // (k * k))
    if R > chunk:
        # Bound the memory of the (R, k, k) Gram matrices when there are many units.
        return np.concatenate([
            _fw_solve(A[s:s + chunk], b[s:s + chunk], x[s:s + chunk], eta[s:s + chunk], zeta2,
                      n_rows[s:s + chunk], col_ok[s:s + chunk], min_decrease, max_iter)
            for s in range(0, R, chunk)
        ])
    if R <= _FEW:
        return np.stack([
            _fw_solve_one(A[r], b[r], x[r], eta[r], n_rows[r], col_ok[r], min_decrease, max_iter) for r in range(R)
        ])
    out = np.array(x, dtype=float, copy=True)
    G = np.matmul(np.swapaxes(A, 1, 2), A)
    c = np.matmul(b[:, None, :], A)[:, 0, :]
    penalty = np.where(col_ok, 0.0, np.inf)
    x = out.copy()
    Gx = np.matmul(G, x[:, :, None])[:, :, 0]
    xGx = (x * Gx).sum(axis=1)
    xx = (x * x).sum(axis=1)
    diag = np.diagonal(G, axis1=1, axis2=2).copy()
    # Slices still iterating; finished ones are written to `out` and dropped from the
    # working arrays, so a batch costs what its unfinished slices cost.
    idx = np.arange(R)
    threshold = min_decrease**2
    for t in range(1, max_iter + 1):
        rows = np.arange(len(idx))
        half_grad = Gx - c + eta[:, None] * x
        i = np.argmin(half_grad + penalty, axis=1)
        xi, Gxi, Gii = x[rows, i], Gx[rows, i], diag[rows, i]
        num = (half_grad * x).sum(axis=1) - half_grad[rows, i]
        den = Gii - 2.0 * Gxi + xGx + eta * (xx - 2.0 * xi + 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.minimum(np.maximum(num / den, 0.0), 1.0)
        step[~(den > 0)] = 0.0
        keep = 1.0 - step
        xGx = keep**2 * xGx + 2.0 * step * keep * Gxi + step**2 * Gii
        xx = keep**2 * xx + 2.0 * step * keep * xi + step**2
        Gx = keep[:, None] * Gx + step[:, None] * G[rows, i, :]
        x *= keep[:, None]
        x[rows, i] += step
        if t < 2:
            continue
        active = (2.0 * step * num - step**2 * den) / n_rows > threshold
        if not active.all():
            out[idx[~active]] = x[~active]
            if not active.any():
                return out
            if active.sum() <= _FEW:
                # A few slow slices left: the scalar solver finishes them faster than the batch would.
                for j in np.flatnonzero(active):
                    out[idx[j]] = _fw_solve_one(
                        None, None, x[j], eta[j], n_rows[j], None, min_decrease, max_iter,
                        first=t + 1, gram=(G[j], c[j], penalty[j], Gx[j], xGx[j], xx[j], diag[j]),
                    )
                return out
            idx = idx[active]
            x, Gx, xGx, xx, G, c, diag = x[active], Gx[active], xGx[active], xx[active], G[active], c[active], diag[active]
            eta, n_rows, penalty = eta[active], n_rows[active], penalty[active]
    out[idx] = x
    return out


def _fw_solve_one(A, b, x, eta, n_rows, col_ok, min_decrease, max_iter, first=1, gram=None):
    """:func:`_fw_solve` for a single problem, with the scalar bookkeeping in Python floats.

    The same iterations as the batched solver (tests check that they agree);
    a single fit runs up to ``max_iter`` steps, so each step is kept to a
    handful of NumPy calls on k-vectors. ``first`` and ``gram`` (the Gram
    matrix, ``A'b``, column penalty, ``A'A x``, ``x'A'A x``, ``|x|^2`` and
    the diagonal) let the batched solver hand over a slice mid-way.
    """
    x = np.array(x, dtype=float, copy=True)
    if gram is None:
        G, c = A.T @ A, A.T @ b
        penalty = np.where(col_ok, 0.0, np.inf)
        Gx = G @ x
        xGx, xx = float(x @ Gx), float(x @ x)
        diag = np.diagonal(G).copy()
    else:
        G, c, penalty, Gx, xGx, xx, diag = gram
        Gx, xGx, xx = Gx.copy(), float(xGx), float(xx)
    eta, n_rows = float(eta), float(n_rows)
    threshold = min_decrease**2
    for t in range(first, max_iter + 1):
        half_grad = Gx - c + eta * x
        i = int(np.argmin(half_grad + penalty))
        xi, Gxi, Gii = float(x[i]), float(Gx[i]), float(diag[i])
        num = float(half_grad @ x) - float(half_grad[i])
        den = Gii - 2.0 * Gxi + xGx + eta * (xx - 2.0 * xi + 1.0)
        step = min(max(num / den, 0.0), 1.0) if den > 0 else 0.0
        keep = 1.0 - step
        xGx = keep * keep * xGx + 2.0 * step * keep * Gxi + step * step * Gii
        xx = keep * keep * xx + 2.0 * step * keep * xi + step * step
        Gx *= keep
        Gx += step * G[i]
        x *= keep
        x[i] += step
        if t >= 2 and (2.0 * step * num - step * step * den) / n_rows <= threshold:
            break
    return x


def _sparsify(x):
    """Zero the weights at or below a quarter of the largest and renormalise (``synthdid``'s default)."""
    x = np.where(x <= x.max(axis=1, keepdims=True) / 4, 0.0, x)
    return x / x.sum(axis=1, keepdims=True)


def _fw_weights(A, b, x0, zeta, n_rows, col_ok, min_decrease, max_iter, sparsify=True, max_iter_pre=100):
    """Weights with the two-round (solve, sparsify, solve again) scheme of ``synthdid_estimate``."""
    eta = n_rows * zeta**2
    if not sparsify:
        return _fw_solve(A, b, x0, eta, zeta**2, n_rows, col_ok, min_decrease, max_iter)
    x = _fw_solve(A, b, x0, eta, zeta**2, n_rows, col_ok, min_decrease, max_iter_pre)
    return _fw_solve(A, b, _sparsify(x), eta, zeta**2, n_rows, col_ok, min_decrease, max_iter)
