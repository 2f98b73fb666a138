"""Seeded staggered panels shaped like the RSA example, for the size and power of pre-trend tests.

Two shapes: 96 units x 36 periods in four adoption waves with 24 never-treated
units (the RSA example, ``data/initiatives/rsa-first-appointment/make_data.py``),
and 24 units x 12 periods in three waves with 6 never-treated units.
Untreated outcomes: unit levels, a common drift and seasonality, AR(1) shocks
(rho 0.6) and white noise, so parallel trends hold exactly. ``trend`` adds a
linear pre-trend: treated units drift by ``trend`` per period relative to
their adoption date (``trend * (t - g)``), in the units of the outcome (the
AR(1) innovation has standard deviation 3). No treatment effect is added:
the pre-tests use untreated observations, and TWFE leads would otherwise mix
in heterogeneous effects (Sun & Abraham 2021), a bias rather than a size
problem.

Also a vectorised path for Callaway-Sant'Anna's dynamic leads (never-treated
comparison, varying base period, no covariates, equal weights), with the
influence-function covariance exactly as :mod:`impact.did.aggregate` builds
it, over many panels at once; the tests check it against the library.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHAPES = {
    "96x36": dict(n_periods=36, waves={7: 10, 13: 16, 19: 22, 25: 24}, n_never=24),
    "24x12": dict(n_periods=12, waves={5: 6, 7: 6, 9: 6}, n_never=6),
}


def simulate(shape: str, n_panels: int, seed: int = 0, trend: float = 0.0, rho: float = 0.6):
    """``(y, g)``: outcomes (panels x units x periods) and adoption periods (panels x units, 0 = never)."""
    s = SHAPES[shape]
    rng = np.random.default_rng(seed)
    T = s["n_periods"]
    base = np.concatenate([np.full(k, c) for c, k in s["waves"].items()] + [np.zeros(s["n_never"], int)])
    n = base.size
    g = rng.permuted(np.tile(base, (n_panels, 1)), axis=1)
    t = np.arange(1, T + 1)
    shocks = rng.normal(0, 3.0, (n_panels, n, T))
    ar = np.empty_like(shocks)
    ar[..., 0] = shocks[..., 0]
    for j in range(1, T):  # AR(1) over periods, vectorised over panels and units
        ar[..., j] = rho * ar[..., j - 1] + shocks[..., j]
    season = 8.0 * np.isin((t - 1) % 12 + 1, (7, 8))
    y = rng.uniform(70, 115, (n_panels, n, 1)) + 0.15 * t + season + ar + rng.normal(0, 2.0, (n_panels, n, T))
    y += np.where(g[..., None] > 0, trend * (t - g[..., None]), 0.0)
    return y, g


def frame(y: np.ndarray, g: np.ndarray) -> pd.DataFrame:
    """Long frame (``id``, ``t``, ``g``, ``y``) of one simulated panel."""
    n, T = y.shape
    return pd.DataFrame({"id": np.repeat(np.arange(n), T), "t": np.tile(np.arange(1, T + 1), n),
                         "g": np.repeat(g, T), "y": y.ravel()})


def cs_dynamic_leads(y: np.ndarray, g: np.ndarray):
    """Callaway-Sant'Anna dynamic-aggregation leads and their covariance, for many panels at once.

    Returns ``(event_times, b, V)`` with ``b`` (panels x leads) and ``V``
    (panels x leads x leads) equal to the ``dynamic`` aggregation of
    :func:`impact.did.callaway_santanna` (``control="never"``,
    ``base_period="varying"``, no covariates, unweighted; periods 1..T):
    each lead averages the cohorts' ATT(g, g + e) with cohort-share weights,
    and its influence function adds the estimated weights' term (R did's wif).
    Every panel must have the same cohort sizes (as :func:`simulate` makes).
    """
    P, n, T = y.shape
    dy = np.diff(y, axis=2)  # dy[..., t - 2] = y_t - y_{t-1} for t = 2..T
    cohorts = np.unique(g[0][g[0] > 0])
    never = (g == 0).astype(float)
    n_never = never.sum(axis=1)[0]
    mean_never = np.einsum("pi,pit->pt", never, dy) / n_never
    dev_never = (dy - mean_never[:, None, :]) * never[..., None]
    leads = np.arange(-(cohorts.max() - 2), 0)
    b = np.zeros((P, leads.size))
    psi = np.zeros((P, n, leads.size))
    for k, e in enumerate(leads):
        # Cohort g has lead e in period g + e when g + e >= 2 (the varying base period needs g + e - 1 >= 1).
        sel = cohorts[cohorts + e >= 2]
        sizes = np.array([(g[0] == c).sum() for c in sel], dtype=float)
        share = sizes / n
        total = share.sum()
        w = share / total
        att = np.empty((P, sel.size))
        for j, c in enumerate(sel):
            member = (g == c).astype(float)
            col = c + e - 2
            mean_c = np.einsum("pi,pi->p", member, dy[..., col]) / sizes[j]
            att[:, j] = mean_c - mean_never[:, col]
            cell = n * (dy[..., col] - mean_c[:, None]) * member / sizes[j] - n * dev_never[..., col] / n_never
            psi[..., k] += w[j] * cell
        b[:, k] = att @ w
        for j, c in enumerate(sel):
            psi[..., k] += (g == c) * ((att[:, j] - b[:, k]) / total)[:, None]
    V = np.einsum("pik,pil->pkl", psi, psi) / n**2
    return leads, b, V
