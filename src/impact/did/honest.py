"""HonestDiD sensitivity analysis (Rambachan & Roth 2023).

How large a violation of parallel trends would overturn the conclusion? The
post-adoption event-study coefficients estimate ``tau + delta_post`` where
``delta`` is the difference in trends; the pre-adoption coefficients
estimate ``delta_pre``. Restricting ``delta`` to a set (post-adoption
violations at most ``Mbar`` times the largest pre-adoption one; or a trend
whose slope changes by at most ``M`` per period) gives confidence sets for
``theta = l' tau`` that stay valid under that restriction.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impact.data import check_alpha, check_choice
from impact.errors import ConfigError, EstimationError
from impact.did._args import accepts_r_names
from impact.results import DEFAULT_SEED, EffectResult, EventStudyResult, check_seed, seed_label

__all__ = ["honest_did", "HonestResult"]

Method = Literal["relative_magnitude", "smoothness"]


@dataclass(frozen=True, kw_only=True)
class HonestResult(EffectResult):
    """Robust confidence sets over a grid of restrictions, with the breakdown value.

    Headline fields: the original estimate of ``theta`` and its usual
    confidence interval. ``to_frame()`` has one row for the original
    interval and one per value of the restriction (column ``Mbar`` or ``M``),
    with ``ci_low``/``ci_high`` the robust set (its hull) and ``method``
    (``"original"``, ``"C-LF"`` or ``"FLCI"``). ``breakdown`` is the largest
    restriction under which the robust set still excludes zero (None when
    the original interval already contains zero).
    """

    restriction: str
    breakdown: float | None
    target: str

    def plot(self, ax=None, color: str = "C0", labels: dict | None = None, lang: str = "en", **kwargs):
        """Sensitivity plot: the original interval, then the robust interval for each restriction value.

        ``labels`` replaces the chart's texts (keys ``honest_x``, ``honest_y``,
        ``honest_original``, ``honest_robust``, ``honest_breakdown``) and
        ``lang`` formats its numbers, for a report in another language.
        """
        from impact.formats import axis_formatter, fmt_number
        from impact.plots import _axes, _texts

        symbol = "Mbar" if self.restriction == "Mbar" else "M"
        T = _texts({"honest_x": f"{symbol}: bound on departures from parallel trends after adoption",
                    "honest_y": f"confidence set for {self.target}", "honest_original": "original (parallel trends)",
                    "honest_robust": "robust confidence set", "honest_breakdown": "breakdown {value}"}, labels)
        ax = _axes(ax)
        frame = self.to_frame()
        robust = frame[frame["method"] != "original"]
        x = robust[self.restriction].to_numpy(dtype=float)
        step = np.min(np.diff(x)) if len(x) > 1 else 1.0
        x0 = x.min() - step
        ax.errorbar([x0], [self.estimate], yerr=[[self.estimate - self.ci_low], [self.ci_high - self.estimate]],
                    fmt="s", color="C7", capsize=3, label=T["honest_original"])
        mid = 0.5 * (robust["ci_low"] + robust["ci_high"])
        ax.errorbar(x, mid, yerr=[mid - robust["ci_low"], robust["ci_high"] - mid], fmt="none", color=color,
                    capsize=3, label=T["honest_robust"], **kwargs)
        ax.axhline(0, color="grey", lw=0.8)
        if self.breakdown is not None and np.isfinite(self.breakdown):
            ax.axvline(self.breakdown, color="C3", ls=":", lw=0.8,
                       label=T["honest_breakdown"].format(value=fmt_number(self.breakdown, lang, 2)))
        ax.set_xlabel(T["honest_x"])
        ax.set_ylabel(T["honest_y"])
        ax.xaxis.set_major_formatter(axis_formatter(lang))
        ax.yaxis.set_major_formatter(axis_formatter(lang))
        # Below the x-axis title: inside the axes it covers the intervals it explains.
        ax.legend(frameon=False, fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2))
        return ax


# --------------------------------------------------------------------------- inputs


def _event_study_inputs(result: EventStudyResult):
    if not isinstance(result, EventStudyResult) or result.vcov is None:
        raise ConfigError(
            f"honest_did needs an event-study result with a covariance matrix (got {type(result).__name__})"
        )
    if result.reference != -1:
        raise ConfigError(
            f"honest_did needs event-study coefficients normalised to zero at event time -1 (reference is "
            f"{result.reference!r}); re-estimate with reference=-1 (event_study or sun_abraham)"
        )
    times = np.asarray(result.vcov.index, dtype=int)
    pre, post = np.sort(times[times < -1]), np.sort(times[times >= 0])
    if len(pre) == 0 or len(post) == 0:
        raise ConfigError("honest_did needs at least one pre-adoption coefficient (before -1) and one post-adoption one")
    if not (np.array_equal(pre, np.arange(pre[0], -1)) and np.array_equal(post, np.arange(0, post[-1] + 1))):
        raise ConfigError(
            f"honest_did needs consecutive event times around the reference -1 (got {list(times)}); "
            "estimate every lead and lag in the window"
        )
    frame = result.to_frame().set_index("event_time")
    order = np.concatenate([pre, post])
    beta = frame.loc[order, "estimate"].to_numpy(dtype=float)
    sigma = result.vcov.loc[order, order].to_numpy(dtype=float)
    if not (np.all(np.isfinite(beta)) and np.all(np.isfinite(sigma))):
        raise EstimationError("the event-study coefficients or their covariance contain NaN")
    return beta, sigma, len(pre), len(post)


def _target(e, n_post: int) -> tuple[np.ndarray, str]:
    if isinstance(e, str):
        if e != "average":
            raise ConfigError(f"e must be a post-adoption event time (0..{n_post - 1}) or 'average' (got {e!r})")
        return np.full(n_post, 1.0 / n_post), "average effect over event times 0.." + str(n_post - 1)
    if isinstance(e, bool) or not isinstance(e, (int, np.integer)) or not 0 <= e < n_post:
        raise ConfigError(f"e must be a post-adoption event time (0..{n_post - 1}) or 'average' (got {e!r})")
    l_vec = np.zeros(n_post)
    l_vec[e] = 1.0
    return l_vec, f"effect at event time {e}"


def _grid(values, name: str) -> np.ndarray:
    grid = np.atleast_1d(np.asarray(values, dtype=float))
    if grid.size == 0 or not np.all(np.isfinite(grid)) or (grid < 0).any():
        raise ConfigError(f"{name} must be non-negative numbers (got {values!r})")
    return np.unique(grid)


# --------------------------------------------------------------------------- smoothness: FLCI


def _trend_and_curvature(n_pre: int, n_post: int):
    """``delta = c * t + A @ eta`` over periods t = -n_pre..-1, 1..n_post (delta_0 = 0), eta = second differences."""
    t = np.concatenate([np.arange(-n_pre, 0), np.arange(1, n_post + 1)]).astype(float)
    n_eta = n_pre + n_post - 1  # second differences centred at -n_pre+1 .. n_post-1
    A = np.zeros((len(t), n_eta))
    for k in range(n_eta):
        centre = -n_pre + 1 + k
        # Slope s_j = delta_j - delta_{j-1}; a unit second difference at `centre` raises the slopes after it
        # (post side) or lowers those up to it (pre side), with s_1 the free linear part.
        for i, ti in enumerate(t):
            if ti > 0 and centre >= 1:
                A[i, k] = max(ti - centre, 0.0)
            elif ti < 0 and centre <= 0:
                A[i, k] = max(centre - ti, 0.0) if ti < centre else 0.0
    return t, A


def _cv_abs_normal(bias_over_sd: float, alpha: float) -> float:
    """1 - alpha quantile of |N(b, 1)|."""
    if bias_over_sd < 1e-10:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(np.sqrt(stats.ncx2.ppf(1 - alpha, df=1, nc=bias_over_sd**2)))


def _flci(beta, sigma, n_pre, n_post, l_vec, M, alpha):
    """Optimal fixed-length CI over affine estimators l'b_post - w'b_pre (Armstrong & Kolesar; R&R section 4.1)."""
    t, A = _trend_and_curvature(n_pre, n_post)
    t_pre, t_post = t[:n_pre], t[n_pre:]
    # Unbounded linear trends: the estimator must difference them out exactly, sum w t_pre = l' t_post.
    w0 = t_pre * (l_vec @ t_post) / (t_pre @ t_pre)
    null = np.linalg.svd(t_pre[None, :])[2][1:].T  # basis of {w: w't_pre = 0}

    ell0 = np.concatenate([-w0, l_vec])
    N = np.vstack([-null, np.zeros((n_post, null.shape[1]))])
    AT = A.T
    k, m = N.shape[1], AT.shape[0]
    b0, B = AT @ ell0, AT @ N  # curvature exposure of the estimator: b0 + B z

    def sd_of(z):
        ell = ell0 + N @ z
        return float(np.sqrt(max(ell @ sigma @ ell, 0.0)))

    # Lowest achievable standard deviation (GLS on the pre-period coefficients).
    if k:
        z_var = -np.linalg.lstsq(N.T @ sigma @ N, N.T @ sigma @ ell0, rcond=None)[0]
        lp = optimize.linprog(np.r_[np.zeros(k), np.ones(m)],
                              A_ub=np.block([[B, -np.eye(m)], [-B, -np.eye(m)]]), b_ub=np.r_[-b0, b0],
                              bounds=[(None, None)] * k + [(0, None)] * m, method="highs")
        z_bias = lp.x[:k] if lp.status == 0 else z_var
    else:
        z_var = z_bias = np.zeros(0)
    h_lo, h_hi = sd_of(z_var), max(sd_of(z_bias), sd_of(z_var))

    def min_bias(h):
        """Smallest worst-case bias |b0 + B z|_1 among estimators with standard deviation <= h (convex)."""
        if k == 0:
            return np.zeros(0), float(np.abs(b0).sum())
        x0 = np.r_[z_var, np.abs(b0 + B @ z_var) + 1e-12]
        cons = [
            {"type": "ineq", "fun": lambda x: x[k:] - (b0 + B @ x[:k]), "jac": lambda x: np.hstack([-B, np.eye(m)])},
            {"type": "ineq", "fun": lambda x: x[k:] + (b0 + B @ x[:k]), "jac": lambda x: np.hstack([B, np.eye(m)])},
            {"type": "ineq", "fun": lambda x: h**2 - (ell0 + N @ x[:k]) @ sigma @ (ell0 + N @ x[:k]),
             "jac": lambda x: np.r_[-2 * N.T @ sigma @ (ell0 + N @ x[:k]), np.zeros(m)]},
        ]
        opt = optimize.minimize(lambda x: x[k:].sum(), x0, jac=lambda x: np.r_[np.zeros(k), np.ones(m)],
                                constraints=cons, method="SLSQP", options={"ftol": 1e-15, "maxiter": 500})
        z = opt.x[:k]
        return z, float(np.abs(b0 + B @ z).sum())

    def half_length(h):
        z, bias = min_bias(h)
        sd = sd_of(z)
        return sd * _cv_abs_normal(M * bias / sd, alpha), z

    if M == 0 or h_hi <= h_lo * (1 + 1e-9):
        z_best = z_var if M == 0 else z_bias
        best = (z_best, sd_of(z_best) * _cv_abs_normal(M * float(np.abs(b0 + B @ z_best).sum()) / sd_of(z_best), alpha))
    else:
        opt = optimize.minimize_scalar(lambda h: half_length(h)[0], bounds=(h_lo, h_hi), method="bounded",
                                       options={"xatol": 1e-7 * h_lo})
        chi, z = half_length(opt.x)
        best = (z, chi)
    ell = ell0 + N @ best[0]
    centre = float(ell @ beta)
    return centre - best[1], centre + best[1], centre


# --------------------------------------------------------------------------- relative magnitudes: ARP C-LF


def _rm_moments(n_pre, n_post, Mbar, s, positive):
    """R&R's A matrix for Delta^RM with the largest pre-period change at position ``s`` (post rows only)."""
    n = n_pre + n_post
    At = np.zeros((n, n + 1))
    At[np.arange(n), np.arange(n)] = -1.0
    At[np.arange(n), np.arange(n) + 1] = 1.0
    v = np.zeros(n + 1)
    v[n_pre + s - 1], v[n_pre + s] = -1.0, 1.0
    if not positive:
        v = -v
    bound = np.vstack([np.tile(v, (n_pre, 1)), np.tile(Mbar * v, (n_post, 1))])
    A = np.vstack([At - bound, -At - bound])
    A = A[(A**2).sum(axis=1) > 1e-10]
    A = np.delete(A, n_pre, axis=1)
    # The post-period rows only (HonestDiD's postPeriodMomentsOnly = TRUE).
    return A[np.abs(A[:, n_pre:]).sum(axis=1) > 0]


def _dual_vertices(sd: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Vertices of {lam >= 0, sd'lam = 1, X'lam = 0}: eta(y) = min_tau max_j (y - X tau)_j / sd_j = max_v lam_v'y."""
    m, k = X.shape
    E = np.vstack([sd, X.T])  # (k+1) x m
    combos = np.array(list(itertools.combinations(range(m), k + 1)))
    blocks = E[:, combos].transpose(1, 0, 2)  # n_combo x (k+1) x (k+1)
    ok = np.abs(np.linalg.det(blocks)) > 1e-12
    rhs = np.zeros(k + 1)
    rhs[0] = 1.0
    lam_b = np.linalg.solve(blocks[ok], np.broadcast_to(rhs, (ok.sum(), k + 1))[..., None])[..., 0]
    feasible = (lam_b >= -1e-12).all(axis=1)
    V = np.zeros((feasible.sum(), m))
    rows = np.repeat(np.arange(feasible.sum()), k + 1)
    V[rows, combos[ok][feasible].ravel()] = np.clip(lam_b[feasible], 0, None).ravel()
    return np.unique(np.round(V, 14), axis=0)


def _clf_accept(Y, a1, X, SY, thetas, alpha, kappa, n_sims, rng):
    """Conditional-least-favourable hybrid test (Andrews, Roth & Pakes 2023) of each theta; True = not rejected."""
    sd = np.sqrt(np.diag(SY))
    V = _dual_vertices(sd, X)
    # Least-favourable critical value: 1 - kappa quantile of eta under mean zero.
    # SY is singular (each moment appears with both signs): a symmetric square root, not Cholesky.
    w, U = np.linalg.eigh(SY)
    root = U * np.sqrt(np.clip(w, 0, None))
    xi = root @ rng.standard_normal((len(sd), n_sims))
    lf_cv = float(np.quantile((V @ xi).max(axis=0), 1 - kappa))
    y = Y[:, None] - a1[:, None] * thetas[None, :]  # moments at each theta
    vals = V @ y
    best = vals.argmax(axis=0)
    eta = vals[best, np.arange(len(thetas))]
    lam = V[best]  # n_theta x m
    s2 = np.einsum("ij,jk,ik->i", lam, SY, lam)
    c = (SY @ lam.T) / s2  # m x n_theta
    z = y - c * eta
    num = V @ z
    den = 1.0 - V @ c
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = num / den
    vlo = np.where(den > 1e-12, ratio, -np.inf).max(axis=0)
    vup = np.where(den < -1e-12, ratio, np.inf).min(axis=0)
    sB = np.sqrt(s2)
    stat = eta / sB
    zlo, zup = vlo / sB, np.minimum(vup, lf_cv) / sB
    alpha_t = (alpha - kappa) / (1 - kappa)
    inside = (zlo <= stat) & (stat <= zup)
    cval = np.zeros_like(stat)
    lo_c, up_c = np.where(inside, zlo, 0.0), np.where(inside, zup, 1.0)
    cval[inside] = np.maximum(0.0, stats.truncnorm.ppf(1 - alpha_t, lo_c[inside], up_c[inside]))
    reject = (eta > lf_cv) | (inside & (stat > cval))
    return ~reject


def _rm_set(beta, sigma, n_pre, n_post, l_vec, Mbar, alpha, grid, n_sims, seed):
    """Union over the position and sign of the largest pre-period change of the C-LF confidence sets."""
    Gamma = np.vstack([l_vec, np.linalg.svd(l_vec[None, :])[2][1:]])  # invertible, first row l'
    accept = np.zeros(len(grid), dtype=bool)
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = _rm_moments(n_pre, n_post, Mbar, s, positive)
            AG = A[:, n_pre:] @ np.linalg.inv(Gamma)
            rng = np.random.default_rng(seed)
            accept |= _clf_accept(A @ beta, AG[:, 0], AG[:, 1:], A @ sigma @ A.T, grid, alpha, alpha / 10,
                                  n_sims, rng)
    return accept


def _hull(grid, accept):
    if not accept.any():
        return np.nan, np.nan
    idx = np.flatnonzero(accept)
    return float(grid[idx[0]]), float(grid[idx[-1]])


# --------------------------------------------------------------------------- public


@accepts_r_names
def honest_did(
    result: EventStudyResult,
    method: Method = "relative_magnitude",
    Mbar=None,
    M=None,
    alpha: float = 0.05,
    e: int | str = 0,
    *,
    grid_points: int = 1000,
    n_sims: int = 1000,
    seed: int | None = DEFAULT_SEED,
    breakdown: bool = True,
) -> HonestResult:
    """Rambachan-Roth robust confidence sets and breakdown value for an event study.

    Parameters
    ----------
    result : EventStudyResult
        Event study normalised at event time -1, with ``vcov`` over
        consecutive leads (before -1) and lags (from 0), e.g. from
        :func:`event_study` or :func:`sun_abraham`.
    method : {"relative_magnitude", "smoothness"}
        ``Delta^RM(Mbar)``: each post-adoption change in the trend violation
        is at most ``Mbar`` times the largest pre-adoption change;
        ``Delta^SD(M)``: the slope of the violation changes by at most ``M``
        between consecutive periods.
    Mbar, M : float or sequence of float
        Grid of restriction values for the chosen method (defaults: Mbar
        0, 0.5, 1, 1.5, 2; M ten values from 0 to twice the standard error of
        the first lead's change).
    alpha : float
        1 - confidence level.
    e : int or "average"
        Target ``theta``: the effect at post-adoption event time ``e``
        (default 0) or the average over all post-adoption event times.
    grid_points : int
        Values of ``theta`` tested (relative magnitudes), over
        ``theta_hat +- 20`` standard errors, as HonestDiD.
    n_sims, seed : int
        Draws (and their seed) for the least-favourable critical value of
        the relative-magnitudes set; the seed is
        :data:`impact.results.DEFAULT_SEED` by default, so identical calls
        give identical numbers; None for fresh draws.
    breakdown : bool
        Search for the breakdown value (a bisection: a few more robust sets).

    Returns
    -------
    HonestResult

    Raises
    ------
    ConfigError
        Unknown method, bad ``e``, ``alpha`` or grid, or an event study
        without covariance, reference -1 or consecutive event times.

    Notes
    -----
    Relative magnitudes use the conditional-least-favourable hybrid test of
    Andrews, Roth & Pakes (2023) (HonestDiD's default ``"C-LF"``, with
    ``kappa = alpha/10`` and post-period moments only), inverted over a grid
    of ``theta`` and united over the position and sign of the largest
    pre-adoption change; the dual vertices of the test's linear program are
    enumerated, which is exact and fast for the usual few post periods.
    Smoothness uses the optimal fixed-length confidence interval (FLCI) over
    affine estimators ``l'b_post - w'b_pre``, which are valid for all
    ``delta`` in ``Delta^SD(M)``. The breakdown value is found by bisection
    on the restriction. Both assume ``b_hat ~ N(beta, Sigma)`` with
    ``Sigma`` the event study's covariance, and ``beta = (delta_pre,
    tau_post + delta_post)`` (no anticipation: ``tau_pre = 0``).

    References
    ----------
    Rambachan, A. and Roth, J. (2023). A more credible approach to parallel
    trends. *Review of Economic Studies*, 90(5), 2555-2591.
    https://doi.org/10.1093/restud/rdad018

    Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear
    conditional moment inequalities. *Review of Economic Studies*, 90(6),
    2763-2791. https://doi.org/10.1093/restud/rdad004
    """
    alpha = check_alpha(alpha)
    seed = check_seed(seed)
    check_choice("method", method, ("relative_magnitude", "smoothness"))
    searched = bool(breakdown)
    beta, sigma, n_pre, n_post = _event_study_inputs(result)
    l_vec, target = _target(e, n_post)
    theta = float(l_vec @ beta[n_pre:])
    sd_theta = float(np.sqrt(l_vec @ sigma[n_pre:, n_pre:] @ l_vec))
    z = stats.norm.ppf(1 - alpha / 2)
    lo0, hi0 = theta - z * sd_theta, theta + z * sd_theta

    if method == "relative_magnitude":
        if M is not None:
            raise ConfigError("M is the smoothness bound; for method='relative_magnitude' give Mbar")
        if method == "relative_magnitude" and n_pre < 1:
            raise ConfigError("relative magnitudes need at least one pre-adoption change")
        values = _grid([0, 0.5, 1, 1.5, 2] if Mbar is None else Mbar, "Mbar")
        grid = np.linspace(theta - 20 * sd_theta, theta + 20 * sd_theta, grid_points)

        def robust(v):
            accept = _rm_set(beta, sigma, n_pre, n_post, l_vec, v, alpha, grid, n_sims, seed)
            if accept[0] or accept[-1]:
                open_at.append(float(v))
            return _hull(grid, accept) + (np.nan,)

        label, kind = "Mbar", "C-LF"
    else:
        if Mbar is not None:
            raise ConfigError("Mbar is the relative-magnitudes bound; for method='smoothness' give M")
        if M is None:
            sd_change = float(np.sqrt(sigma[n_pre - 1, n_pre - 1]))
            M = np.linspace(0, 2 * sd_change, 10)
        values = _grid(M, "M")

        def robust(v):
            return _flci(beta, sigma, n_pre, n_post, l_vec, v, alpha)

        label, kind = "M", "FLCI"

    open_at: list[float] = []
    rows = [robust(v) for v in values]
    lows = np.array([r[0] for r in rows])
    highs = np.array([r[1] for r in rows])
    centres = np.array([r[2] for r in rows])
    breakdown = _breakdown(values, lows, highs, lo0, hi0, robust) if breakdown else None

    nan = np.full(len(values), np.nan)
    frame = pd.DataFrame({
        "term": ["original"] + [f"{label}={v:g}" for v in values],
        "estimate": np.concatenate([[theta], np.where(np.isnan(centres), theta, centres)]),
        "se": np.concatenate([[sd_theta], nan]),
        "ci_low": np.concatenate([[lo0], lows]),
        "ci_high": np.concatenate([[hi0], highs]),
        "pvalue": np.concatenate([[2 * stats.norm.sf(abs(theta) / sd_theta)], nan]),
        label: np.concatenate([[np.nan], values]),
        "method": ["original"] + [kind] * len(values),
    })
    restriction_text = (
        "Delta^RM: post-adoption changes in the violation <= Mbar x largest pre-adoption change"
        if label == "Mbar" else "Delta^SD: the violation's slope changes by <= M per period"
    )
    return HonestResult(
        method=f"HonestDiD sensitivity ({kind})",
        estimate=theta,
        se=sd_theta,
        ci_low=lo0,
        ci_high=hi0,
        pvalue=float(2 * stats.norm.sf(abs(theta) / sd_theta)),
        n_obs=result.n_obs,
        n_units=result.n_units,
        alpha=alpha,
        terms=frame,
        restriction=label,
        breakdown=breakdown,
        target=target,
        assumptions={
            "Target": target,
            "Restriction": restriction_text,
            "Inference": f"conditional-least-favourable hybrid (ARP 2023), {n_sims} draws, seed {seed_label(seed)}"
            if kind == "C-LF" else "optimal fixed-length confidence interval",
            "Breakdown": "not searched" if not searched else "none: the original interval contains 0"
            if breakdown is None
            else f"{label} = {breakdown:.4g} (largest value whose robust set excludes 0)",
            "Source": result.method,
        },
        notes=tuple(
            [f"the robust set reaches the edge of the theta grid (+-20 standard errors) for {label} = "
             f"{sorted(set(open_at))}; its bounds there are grid limits, not estimates"] if open_at else []
        ),
    )


def _breakdown(values, lows, highs, lo0, hi0, robust) -> float | None:
    """Largest restriction value whose robust set excludes zero, refined by bisection."""
    if lo0 <= 0 <= hi0:
        return None
    excludes = lambda lo, hi: bool(np.isfinite(lo) and (lo > 0 or hi < 0))  # noqa: E731
    ok = np.array([excludes(lo, hi) for lo, hi in zip(lows, highs)])
    if not ok[0]:
        inside, outside = 0.0, float(values[0])
        if values[0] == 0:
            return 0.0
    elif ok.all():
        return float(np.inf) if not np.isfinite(values[-1]) else _extend(values[-1], robust, excludes)
    else:
        first_bad = int(np.argmin(ok))
        inside, outside = float(values[first_bad - 1]), float(values[first_bad])
    for _ in range(30):
        mid = 0.5 * (inside + outside)
        lo, hi, _ = robust(mid)
        if excludes(lo, hi):
            inside = mid
        else:
            outside = mid
        if outside - inside <= 1e-3 * max(outside, 1e-12):
            break
    return inside


def _extend(last: float, robust, excludes) -> float:
    inside, outside = last, 2 * last if last > 0 else 1.0
    for _ in range(12):
        lo, hi, _ = robust(outside)
        if not excludes(lo, hi):
            break
        inside, outside = outside, 2 * outside
    else:
        return float(np.inf)
    for _ in range(30):
        mid = 0.5 * (inside + outside)
        lo, hi, _ = robust(mid)
        if excludes(lo, hi):
            inside = mid
        else:
            outside = mid
        if outside - inside <= 1e-3 * outside:
            break
    return inside
