"""Wild cluster bootstrap for difference-in-differences with few clusters.

With a handful of clusters (départements, regions, ministries) cluster-robust
t-tests over-reject. The wild cluster bootstrap with the null imposed
(WCR; Cameron, Gelbach & Miller 2008) keeps close to nominal size with as
few as 6-10 clusters, using Webb weights below about 12.

Everything is matrix algebra on cluster-level quantities (Roodman, MacKinnon,
Nielsen & Webb 2019, "fast and wild"): after partialling out the fixed
effects and the other regressors, each bootstrap draw's coefficient and
cluster scores are linear in the G cluster weights, so B draws cost one
G x G by G x B product.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from impact.data import check_alpha, check_choice, check_columns, check_finite, check_int, check_numeric, validate_panel
from impact.did.imputation import _TwoWay
from impact.errors import ConfigError, DataError, DroppedRowsWarning
from impact.did._args import accepts_r_names
from impact.results import DEFAULT_SEED, EffectResult, check_seed, normal_pvalue, seed_label

__all__ = ["wild_cluster_bootstrap", "WildBootstrapResult", "wild_bootstrap_test"]

Weights = Literal["rademacher", "webb"]
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


@dataclass(frozen=True, kw_only=True)
class WildBootstrapResult(EffectResult):
    """Coefficient with a wild cluster bootstrap p-value and confidence interval.

    ``se`` is the analytic cluster-robust (CR1) standard error; ``pvalue``,
    ``ci_low`` and ``ci_high`` come from the bootstrap. ``t_stat`` is the
    observed t statistic for ``H0: coefficient = 0``.
    """

    t_stat: float
    n_clusters: int
    n_boot: int
    weights: str
    impose_null: bool
    enumerated: bool


def _draws(G: int, kind: str, n_boot: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """G x B weight matrix; every sign pattern once when there are no more than ``n_boot`` of them."""
    support = np.array([-1.0, 1.0]) if kind == "rademacher" else _WEBB
    if len(support) ** G <= n_boot:
        grid = np.array(list(itertools.product(support, repeat=G))).T
        return grid, True
    return rng.choice(support, size=(G, n_boot)), False


class _Design:
    """FWL pieces of ``y = x b + Z g + u`` with clusters, linear in the tested value of ``b``."""

    def __init__(self, y, x, project: Callable[[np.ndarray], np.ndarray], clusters, k_total: int):
        self.codes = np.unique(clusters, return_inverse=True)[1].ravel()
        G = int(self.codes.max()) + 1
        if G < 2:
            raise DataError("the wild cluster bootstrap needs at least two clusters (got 1); choose a finer cluster column")
        self.G, n = G, len(y)
        self.M = sparse.csr_matrix((np.ones(n), (np.arange(n), self.codes)), shape=(n, G))
        self.yt = y - project(y[:, None])[:, 0]
        self.xt = x - project(x[:, None])[:, 0]
        self.xx = float(self.xt @ self.xt)
        self.xx_g = self.M.T @ (self.xt**2)
        # B[g, h] = x_g' (P_Z v 1_h)_g for v = y~ and v = x~: the cross-cluster leakage of the projection.
        self.By = self._leak(self.yt, project)
        self.Bx = self._leak(self.xt, project)
        self.cy = self.M.T @ (self.xt * self.yt)
        self.cx = self.M.T @ (self.xt * self.xt)
        self.beta = float(self.cy.sum() / self.xx)
        resid = self.yt - self.beta * self.xt
        self.factor = G / (G - 1) * (n - 1) / (n - k_total)
        score = self.M.T @ (self.xt * resid)
        self.se = float(np.sqrt(self.factor * (score @ score)) / self.xx)

    def _leak(self, v, project):
        spread = self.M.multiply(v[:, None]).toarray()  # column h: v on cluster h, 0 elsewhere
        return self.M.T @ (self.xt[:, None] * project(spread))

    def boot_t(self, w: np.ndarray, residual_beta: float) -> np.ndarray:
        """Bootstrap t statistics (centred at the value imposed on the residuals)."""
        c = self.cy - residual_beta * self.cx
        B = self.By - residual_beta * self.Bx
        delta = (c @ w) / self.xx
        scores = c[:, None] * w - B @ w - self.xx_g[:, None] * delta[None, :]
        se = np.sqrt(self.factor * (scores**2).sum(axis=0)) / self.xx
        with np.errstate(divide="ignore", invalid="ignore"):
            return delta / se

    def pvalue(self, w: np.ndarray, beta0: float, impose_null: bool) -> float:
        t_obs = abs(self.beta - beta0) / self.se
        t_boot = self.boot_t(w, beta0 if impose_null else self.beta)
        return float(np.mean(np.abs(t_boot) >= t_obs - 1e-12 * max(1.0, t_obs)))


def _invert(design: _Design, w: np.ndarray, alpha: float) -> tuple[float, float]:
    """Confidence set of the WCR test by bisection on each side of the estimate."""
    b, se = design.beta, design.se
    bounds = []
    for sign in (-1.0, 1.0):
        inside, step = b, se
        outside = b + sign * step
        for _ in range(60):
            if design.pvalue(w, outside, True) <= alpha:
                break
            inside, step = outside, 2 * step
            outside = b + sign * step
        else:
            bounds.append(sign * np.inf)
            continue
        for _ in range(60):
            mid = 0.5 * (inside + outside)
            if design.pvalue(w, mid, True) > alpha:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) <= 1e-8 * max(se, 1e-300):
                break
        bounds.append(0.5 * (inside + outside))
    return bounds[0], bounds[1]


def wild_bootstrap_test(
    y: np.ndarray,
    x: np.ndarray,
    project: Callable[[np.ndarray], np.ndarray],
    clusters: np.ndarray,
    k_total: int,
    *,
    weights: str = "rademacher",
    n_boot: int = 9999,
    seed=DEFAULT_SEED,
    impose_null: bool = True,
    alpha: float = 0.05,
) -> dict:
    """Wild cluster bootstrap for the coefficient on ``x`` in ``y = x b + Z g + u`` (the generic engine).

    ``project(V)`` returns the least-squares projection of the columns of
    ``V`` on the other regressors ``Z`` (fixed effects included); ``k_total``
    is the number of parameters counted in the CR1 small-sample factor.
    Returns a dict with ``estimate``, ``se``, ``t_stat``, ``pvalue``,
    ``ci_low``, ``ci_high``, ``n_clusters``, ``enumerated``.
    """
    design = _Design(np.asarray(y, float), np.asarray(x, float), project, clusters, k_total)
    w, enumerated = _draws(design.G, weights, n_boot, np.random.default_rng(seed))
    p = design.pvalue(w, 0.0, impose_null)
    if impose_null:
        lo, hi = _invert(design, w, alpha)
    else:
        t_boot = np.abs(design.boot_t(w, design.beta))
        crit = float(np.quantile(t_boot, 1 - alpha))
        lo, hi = design.beta - crit * design.se, design.beta + crit * design.se
    return {"estimate": design.beta, "se": design.se, "t_stat": design.beta / design.se, "pvalue": p,
            "ci_low": lo, "ci_high": hi, "n_clusters": design.G, "enumerated": enumerated, "n_draws": w.shape[1]}


def _binary(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce").to_numpy()
    ok = np.isin(values, [0, 1])
    if not ok.all():
        raise DataError(f"{role} column {column!r} must hold only 0 and 1 (found {values[~ok][0]!r})")
    return values.astype(float)


@accepts_r_names
def wild_cluster_bootstrap(
    data: pd.DataFrame,
    outcome: str,
    unit: str | None = None,
    time: str | None = None,
    treatment: str | None = None,
    cluster: str | None = None,
    *,
    treated: str | None = None,
    post: str | None = None,
    weights: Weights = "rademacher",
    n_boot: int = 9999,
    seed=DEFAULT_SEED,
    impose_null: bool = True,
    alpha: float = 0.05,
) -> WildBootstrapResult:
    """Wild cluster bootstrap p-value and confidence interval for a TWFE or 2x2 DiD coefficient.

    Parameters
    ----------
    data : pandas.DataFrame
        Long-form data.
    outcome : str
        Outcome column.
    unit, time, treatment : str, optional
        TWFE design: ``y_it = a_i + l_t + b D_it + u_it`` with ``treatment``
        the 0/1 column ``D``. Clusters default to ``unit``.
    cluster : str, optional
        Cluster column (required for the 2x2 design).
    treated, post : str, optional
        2x2 design instead: ``y = c + g treated + l post + b treated*post + u``
        (0/1 columns), as :func:`impact.did.two_by_two`.
    weights : {"rademacher", "webb"}
        Bootstrap weights; Webb's six-point weights are advised below about
        12 clusters, where Rademacher weights have too few distinct draws.
    n_boot : int
        Number of draws (at least 99). When the weights have at most
        ``n_boot`` distinct sign patterns (``2**G`` or ``6**G``), every
        pattern is used once instead (full enumeration, no randomness).
    seed : int, numpy.random.Generator or None
        Seed for the draws; :data:`impact.results.DEFAULT_SEED` by default,
        so identical calls give identical numbers; None for fresh draws.
    impose_null : bool
        WCR (default: residuals from the model with ``b = 0`` imposed; the
        confidence interval inverts the test) or WCU (unrestricted residuals,
        percentile-t interval).
    alpha : float
        1 - confidence level.

    Returns
    -------
    WildBootstrapResult

    Raises
    ------
    ConfigError
        Neither or both designs given, unknown ``weights``, ``n_boot < 99``,
        bad ``alpha``.
    DataError
        Missing columns, non-0/1 treatment, a single cluster.

    Notes
    -----
    The statistic is the CR1 cluster-robust t statistic (fixest's small
    sample factor); the p-value is the share of bootstrap ``|t*|`` at least
    as large as the observed ``|t|`` (symmetric test). Bootstrap samples
    are ``y* = X b~ + u~ * w_g`` with ``w_g`` drawn once per cluster. With
    unit and period effects partialled out (Frisch-Waugh-Lovell), the
    draws' coefficients and cluster scores are linear in ``w`` (Roodman et
    al. 2019, section 5), so no regression is re-run. The confidence
    interval of the WCR bootstrap is the set of ``b0`` not rejected at
    ``alpha``, found by bisection with the draws held fixed.

    References
    ----------
    Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based
    improvements for inference with clustered errors. *Review of Economics
    and Statistics*, 90(3), 414-427. https://doi.org/10.1162/rest.90.3.414

    Roodman, D., MacKinnon, J. G., Nielsen, M. O. and Webb, M. D. (2019).
    Fast and wild: bootstrap inference in Stata using boottest. *Stata
    Journal*, 19(1), 4-60. https://doi.org/10.1177/1536867X19830877

    Webb, M. D. (2023). Reworking wild bootstrap-based inference for
    clustered errors. *Canadian Journal of Economics*, 56(3), 839-858.
    https://doi.org/10.1111/caje.12661
    """
    alpha = check_alpha(alpha)
    check_choice("weights", weights, ("rademacher", "webb"))
    n_boot = check_int("n_boot", n_boot, minimum=99)
    if not isinstance(impose_null, (bool, np.bool_)):
        raise ConfigError(f"impose_null must be True or False (got {impose_null!r})")
    twfe = treatment is not None
    two_by_two = treated is not None or post is not None
    if twfe == two_by_two:
        raise ConfigError(
            "give either unit=, time= and treatment= (TWFE) or treated= and post= (2x2 DiD), not both or neither"
        )
    if twfe:
        if unit is None or time is None:
            raise ConfigError("the TWFE design needs unit= and time= as well as treatment=")
        panel = validate_panel(data, outcome, unit, time, treatment=treatment)
        cluster = cluster or unit
        check_columns(panel.data, cluster=cluster)
        frame = panel.data
        y, x = panel.y, frame[treatment].to_numpy(dtype=float)
        fe = _TwoWay(panel.unit_codes, panel.time_codes, panel.n_units, panel.n_periods)
        every = np.ones(len(y), dtype=bool)

        def project(V):
            return fe.fit(panel.unit_codes, panel.time_codes, V, every)

        clusters = frame[cluster].to_numpy()
        nested = len(np.unique(np.column_stack([panel.unit_codes, np.unique(clusters, return_inverse=True)[1]]),
                               axis=0)) == panel.n_units
        # fixest K: the regressor, the period effects, and the unit effects unless nested in clusters.
        k_total = 1 + panel.n_periods + (0 if nested else panel.n_units - 1)
        method = "TWFE coefficient, wild cluster bootstrap"
    else:
        if treated is None or post is None:
            raise ConfigError("the 2x2 design needs both treated= and post=")
        if cluster is None:
            raise ConfigError("the 2x2 wild cluster bootstrap needs cluster= (e.g. the state or département column)")
        check_columns(data, outcome=outcome, treated=treated, post=post, cluster=cluster)
        check_numeric(data, outcome, "outcome")
        check_finite(data, outcome, "outcome")
        frame = data.dropna(subset=[outcome, treated, post, cluster]).reset_index(drop=True)
        if len(frame) < len(data):
            warnings.warn(f"dropped {len(data) - len(frame)} of {len(data)} rows with missing values",
                          DroppedRowsWarning, stacklevel=3)
        y = pd.to_numeric(frame[outcome], errors="coerce").to_numpy(dtype=float)
        if np.isnan(y).any():
            raise DataError(f"outcome column {outcome!r} must be numeric")
        d, p = _binary(frame, treated, "treated"), _binary(frame, post, "post")
        x = d * p
        Z = np.column_stack([np.ones_like(d), d, p])
        zz_inv = np.linalg.pinv(Z.T @ Z)

        def project(V):
            return Z @ (zz_inv @ (Z.T @ V))

        clusters = frame[cluster].to_numpy()
        k_total = 4
        method = "2x2 DiD coefficient, wild cluster bootstrap"
    seed = check_seed(seed)
    out = wild_bootstrap_test(y, x, project, clusters, k_total, weights=weights, n_boot=n_boot, seed=seed,
                              impose_null=impose_null, alpha=alpha)
    notes = []
    if out["enumerated"]:
        notes.append(f"all {out['n_draws']} {weights} weight patterns of {out['n_clusters']} clusters enumerated")
    elif weights == "rademacher" and out["n_clusters"] < 12:
        notes.append("fewer than 12 clusters: Rademacher weights have few distinct values; consider weights='webb'")
    terms = pd.DataFrame({
        "term": ["treatment" if twfe else "treated:post"], "estimate": [out["estimate"]], "se": [out["se"]],
        "ci_low": [out["ci_low"]], "ci_high": [out["ci_high"]], "pvalue": [out["pvalue"]],
        "t_stat": [out["t_stat"]], "pvalue_analytic": [float(normal_pvalue(out["estimate"], out["se"],
                                                                            df=out["n_clusters"] - 1))],
    })
    return WildBootstrapResult(
        method=method,
        estimate=out["estimate"],
        se=out["se"],
        ci_low=out["ci_low"],
        ci_high=out["ci_high"],
        pvalue=out["pvalue"],
        n_obs=len(y),
        n_units=int(frame[unit].nunique()) if twfe else None,
        alpha=alpha,
        terms=terms,
        t_stat=out["t_stat"],
        n_clusters=out["n_clusters"],
        n_boot=out["n_draws"],
        weights=weights,
        impose_null=impose_null,
        enumerated=out["enumerated"],
        assumptions={
            "Bootstrap": f"{'WCR (null imposed)' if impose_null else 'WCU (unrestricted)'}, {weights} weights, "
                         f"{out['n_draws']} draws, clusters: {cluster!r} ({out['n_clusters']})"
                         + ("" if out["enumerated"] else f", seed {seed_label(seed)}"),
            "Statistic": "CR1 cluster-robust t, symmetric p-value",
            "Identifying assumption": "parallel trends, no anticipation; errors independent across clusters",
        },
        notes=tuple(notes),
    )
