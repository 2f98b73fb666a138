"""Estimators computed exactly from sufficient statistics (out of core).

:func:`impact.did.callaway_santanna`, :func:`~impact.did.twfe`,
:func:`~impact.did.event_study` and :func:`~impact.did.two_by_two` hand
files, DuckDB relations and saved statistics here. Each returns the same
result class as in memory, with the same numbers (to rounding), computed from
the statistics of :mod:`impact.scale.stats`.

Why this is exact. On a balanced panel without covariates, unit ``i`` in
cohort (or treatment path) ``h`` has an influence function (for CS) or a
regression score (for TWFE) ``psi_i = A_h' y_i + c_h``, affine in its outcome
vector ``y_i`` with coefficients that depend on ``h`` only. Hence

``sum_{i in h} psi_i psi_i' = n_h (A_h' S_h A_h + e_h e_h')``, with ``S_h``
the population covariance of ``y_i`` in ``h`` and ``e_h = A_h' m_h + c_h``,

and with clusters the cluster sums ``A_h' (sum of y_i) + n_ch c_h`` follow
from per-(cluster, cohort) counts and sums. Callaway-Sant'Anna results keep
these as a few *pseudo-rows* whose cross-products equal the unit-level ones
(per cohort one row for the mean and one per eigenvector of ``S_h``;
with clusters one row per (cluster, cohort)), so that every aggregation of
:mod:`impact.did.aggregate`, its standard error and the covariance between
cells are exactly those of the unit-level influence functions.

What cannot be computed from the statistics: covariates (they enter the
comparison unit by unit), sampling weights, repeated cross-sections and
unbalanced panels (a :class:`~impact.errors.ConfigError` or
:class:`~impact.errors.DataError` says so and names the alternative). The
unit-level multiplier bootstrap is replaced by draws from the exact joint
(Gaussian) distribution of the cells and cohort shares, from which the
uniform band comes.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. *Journal of Econometrics* 225(2), 200-230.
https://doi.org/10.1016/j.jeconom.2020.12.001

Wong, J., Lewis, R. and Wardrop, M. (2021). You only compress once: optimal
data compression for estimating linear models. arXiv:2102.11297.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats as sps

from impact.data import check_alpha, check_int
from impact.did import staggered as _cs
from impact.did.event_study import _check_window
from impact.did.inference import cluster_sums, infer, influence_vcov
from impact.errors import ConfigError, DataError, DroppedRowsWarning, EstimationError
from impact import results as _results
from impact.results import EffectResult, EventStudyResult, headline, normal_ci, normal_pvalue, tidy_terms
from impact.scale.stats import CellStats, PanelStats, as_panel_stats, cell_statistics

__all__ = ["StatsGroupTimeResult", "callaway_santanna", "twfe", "event_study", "two_by_two"]

_LEVEL_NOTE = "out of core: exact from per-cohort sufficient statistics"


@dataclass(frozen=True, kw_only=True)
class StatsGroupTimeResult(_cs.GroupTimeResult):
    """A :class:`~impact.did.GroupTimeResult` computed from sufficient statistics.

    ``inffunc`` holds pseudo-rows, not units: a factor whose cross-products
    (summed within ``cluster_codes``) equal those of the unit-level influence
    functions, so that standard errors, ``vcov`` and every ``aggregate()``
    are exact. ``unit_cohort``/``unit_weights`` describe the cohort columns of
    those rows; ``cohort_sizes[g]`` is the number of units in cohort code ``g``
    (the estimated cohort shares are ``cohort_sizes / n_ids``).
    """

    cohort_sizes: np.ndarray = field(repr=False)

    def _cohort_share(self, cohorts: np.ndarray) -> np.ndarray:
        return self.cohort_sizes[np.asarray(cohorts)] / self.n_ids


# --------------------------------------------------------------------------- shared pieces


def _known(cls, **fields) -> dict:
    """The keyword arguments among ``fields`` that the result class ``cls`` has (it gains fields over time)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in fields.items() if k in names}


@dataclass(frozen=True)
class _Groups:
    """Statistics by key after merging keys (per-key moments, or per-(cluster, key) sums)."""

    keys: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    cov: np.ndarray | None
    cl_index: np.ndarray | None
    cl_pos: np.ndarray | None  # index into keys of each (cluster, key) row
    cl_n: np.ndarray | None
    cl_sum: np.ndarray | None


def _groups(st: PanelStats, keys: np.ndarray, keep_periods: int | None = None) -> _Groups:
    """Merge the groups of ``st`` relabelled ``keys`` (pooled moments by Chan's parallel update)."""
    T = keep_periods or st.mean.shape[1]
    if st.cluster is not None:
        raw_key = keys[np.searchsorted(st.keys, st.cl_key)]
        ukeys = np.unique(raw_key)
        pos = np.searchsorted(ukeys, raw_key)
        cell, inv = np.unique(st.cl_index * len(ukeys) + pos, return_inverse=True)
        cl_n = np.bincount(inv, weights=st.cl_n).astype(np.int64)
        cl_sum = np.zeros((len(cell), T))
        np.add.at(cl_sum, inv, st.cl_sum[:, :T])
        n = np.bincount(pos, weights=st.cl_n, minlength=len(ukeys)).astype(np.int64)
        sums = np.zeros((len(ukeys), T))
        np.add.at(sums, pos, st.cl_sum[:, :T])
        return _Groups(ukeys, n, sums / n[:, None], None, cell // len(ukeys), cell % len(ukeys), cl_n, cl_sum)
    ukeys, inv = np.unique(keys, return_inverse=True)
    n = np.bincount(inv, weights=st.n, minlength=len(ukeys))
    mean = np.zeros((len(ukeys), T))
    np.add.at(mean, inv, st.n[:, None] * st.mean[:, :T])
    mean /= n[:, None]
    dev = st.mean[:, :T] - mean[inv]
    within = st.n[:, None, None] * (st.cov[:, :T, :T] + dev[:, :, None] * dev[:, None, :])
    cov = np.zeros((len(ukeys), T, T))
    np.add.at(cov, inv, within)
    cov /= n[:, None, None]
    return _Groups(ukeys, n.astype(np.int64), mean, cov, None, None, None, None)


def _root_rows(gr: _Groups, coef: np.ndarray, center: np.ndarray, D: np.ndarray):
    """Pseudo-rows of ``psi_i = coef_h * (D' y_i - center_h)`` (per-key ``coef``/``center``, G x k).

    Returns (rows, key index of each row or -1, weight of each row, cluster code or None). Without
    clusters: per key one mean row (weight sqrt(n_h)) and one row per eigenvector of the covariance
    (weight 0); with clusters one row per (cluster, key) with weight n_ch.
    """
    if gr.cl_index is not None:
        rows = coef[gr.cl_pos] * (gr.cl_sum @ D - gr.cl_n[:, None] * center[gr.cl_pos])
        return rows, gr.cl_pos, gr.cl_n.astype(float), gr.cl_index
    G, T = gr.mean.shape
    root_n = np.sqrt(gr.n.astype(float))
    mean_rows = root_n[:, None] * coef * (gr.mean @ D - center)
    lam, vec = np.linalg.eigh(gr.cov)
    factor = vec * np.sqrt(np.clip(lam, 0, None))[:, None, :]  # cov = factor @ factor'
    cov_rows = root_n[:, None, None] * np.einsum("gts,tk->gsk", factor, D) * coef[:, None, :]
    rows = np.concatenate([mean_rows, cov_rows.reshape(G * T, -1)])
    key_pos = np.r_[np.arange(G), np.full(G * T, -1)]
    weight = np.r_[root_n, np.zeros(G * T)]
    return rows, key_pos, weight, None


# --------------------------------------------------------------------------- Callaway & Sant'Anna


def _cs_unsupported(covariates, weights, panel, n_boot, boot_weights):
    if covariates:
        raise ConfigError(
            f"covariates ({', '.join(covariates)}) need unit-level data: out of core, callaway_santanna estimates "
            "without covariates (method='reg'); to adjust for covariates load the data, or a random sample of "
            "units, into a pandas DataFrame"
        )
    if weights is not None:
        raise ConfigError(f"weights={weights!r}: out-of-core estimation is unweighted; load the data into a "
                          "DataFrame to use sampling weights")
    if not panel:
        raise ConfigError("panel=False (repeated cross-sections) needs row-level data; out of core, give a balanced "
                          "panel or load the data into a DataFrame")
    if n_boot and boot_weights != "mammen":
        raise ConfigError(
            f"boot_weights={boot_weights!r}: a multiplier bootstrap needs unit-level influence functions, which "
            "out-of-core estimation does not keep; its n_boot draws come from the exact joint covariance instead "
            "(leave boot_weights at its default), or pass n_boot=0 for analytic standard errors"
        )


def callaway_santanna(data, outcome, unit, time, cohort, covariates=None, control="never", method="dr",
                      base_period="varying", anticipation=0, panel=True, n_boot=999, seed=None, cluster=None,
                      alpha=0.05, weights=None, *, boot_weights="mammen") -> StatsGroupTimeResult:
    """Callaway & Sant'Anna (2021) ATT(g, t) from per-cohort statistics; see :func:`impact.did.callaway_santanna`.

    Same arguments and result. Without covariates every ``method`` is the
    difference of cohort means (as in memory). With ``n_boot > 0`` the draws
    are Gaussian with the exact joint covariance of the cells and cohort
    shares (not unit-level multipliers): standard errors are their normalised
    interquartile ranges and the uniform band their maximum, as R did computes
    them from multiplier draws. Needs a balanced panel.
    """
    seed = _results.check_seed(seed) if hasattr(_results, "check_seed") else seed
    covariates, alpha = _cs._check_options(control, method, base_period, anticipation, n_boot, alpha, boot_weights,
                                           panel, covariates)
    _cs_unsupported(covariates, weights, panel, n_boot, boot_weights)
    st = as_panel_stats(data, outcome, unit, time, cohort=cohort, cluster=cluster)
    T = len(st.periods)
    keys = np.where(st.keys >= T, -1, st.keys)  # treated after the sample: never treated in it
    notes = [_LEVEL_NOTE]
    always = (keys >= 0) & (keys <= anticipation)
    if always.any():
        n_drop = int(st.n[always].sum())
        warnings.warn(
            f"dropped {n_drop} units ({n_drop * T} rows) already treated in the first period {st.periods[0]}"
            + (f" (allowing for anticipation={anticipation})" if anticipation else "")
            + "; they have no untreated period to compare with (as R did does)", DroppedRowsWarning, stacklevel=3)
        notes.append(f"{n_drop} always-treated units dropped")
        keys = np.where(always, -2, keys)
    live = keys != -2
    if not (keys[live] < 0).any():
        if control == "never":
            raise DataError(
                f"control='never' needs never-treated units; none of the {int(st.n[live].sum())} units has "
                f"{cohort!r} 0 or missing (or after the last period); use control='not_yet'")
        latest = int(keys[live].max())
        T = latest - anticipation
        notes.append(f"no never-treated units: the last cohort is used as comparison only, "
                     f"periods from {st.periods[max(T, 0)]} on are dropped")
    if T < 2:
        raise DataError("fewer than two periods remain after dropping always-treated units; nothing to compare")
    gr = _groups(_drop_keys(st, live), keys[live], T)
    N = int(gr.n.sum())
    present = (gr.keys >= 0) & (gr.keys < T)
    glist = gr.keys[present & (gr.keys > anticipation)]
    if control == "not_yet" and not (gr.keys < 0).any():
        glist = glist[glist < gr.keys.max()]
    if glist.size == 0:
        raise DataError(f"no treated cohort with a pre-treatment period remains in {cohort!r}")

    cells = _cs._cells(glist, T, anticipation, base_period)
    k, G = len(cells), len(gr.keys)
    D = np.zeros((T, k))
    coef = np.zeros((G, k))
    center = np.zeros((G, k))
    att = np.zeros(k)
    dm = gr.mean  # per-key period means; a cell's change is dm[:, t] - dm[:, b]
    for j, (g, t, b, _) in enumerate(cells):
        if t == b:
            continue  # universal base period: the reference cell, zero by construction
        D[t, j], D[b, j] = 1.0, -1.0
        gi = int(np.searchsorted(gr.keys, g))
        ctrl = _cs._controls(gr.keys, g, t, b, control, anticipation)
        n_c = gr.n[ctrl].sum()
        if n_c == 0:
            raise EstimationError(f"no comparison unit for cohort code {g} in period code {t}")
        if method != "reg" and gr.n[gi] / (gr.n[gi] + n_c) >= 0.995:
            raise EstimationError(
                f"cohort code {g}, period code {t}: the propensity score of every comparison unit is above "
                "0.995 and all are trimmed; use method='reg'")
        change = dm[:, t] - dm[:, b]
        mu_t, mu_c = change[gi], gr.n[ctrl] @ change[ctrl] / n_c
        att[j] = mu_t - mu_c
        coef[gi, j], center[gi, j] = N / gr.n[gi], mu_t
        coef[ctrl, j], center[ctrl, j] = -N / n_c, mu_c
    psi, key_pos, weight, cl_codes = _root_rows(gr, coef, center, D)
    row_cohort = np.where(key_pos >= 0, gr.keys[np.maximum(key_pos, 0)], -1)
    return _cs_result(st, gr, cells, att, psi, row_cohort, weight, cl_codes, glist, N, T, notes, locals())


def _drop_keys(st: PanelStats, live: np.ndarray) -> PanelStats:
    if live.all():
        return st
    if st.cluster is not None:
        keep = np.isin(st.cl_key, st.keys[live])
        return replace(st, keys=st.keys[live], n=st.n[live], mean=st.mean[live], cl_index=st.cl_index[keep],
                       cl_key=st.cl_key[keep], cl_n=st.cl_n[keep], cl_sum=st.cl_sum[keep])
    return replace(st, keys=st.keys[live], n=st.n[live], mean=st.mean[live], cov=st.cov[live])


def _gaussian_draws(psi, shares, cl_codes, n, n_boot, seed):
    """Draws of the estimation error from the exact joint covariance of the cells and the cohort shares."""
    joint = np.column_stack([cluster_sums(psi, cl_codes), cluster_sums(shares, cl_codes)])
    cov = influence_vcov(joint, n)
    lam, vec = np.linalg.eigh(cov)
    root = vec * np.sqrt(np.clip(lam, 0, None))
    z = np.random.default_rng(seed).standard_normal((n_boot, cov.shape[0]))
    draws = z @ root.T
    return draws[:, :psi.shape[1]], draws[:, psi.shape[1]:]


def _cs_result(st, gr, cells, att, psi, row_cohort, weight, cl_codes, glist, N, T, notes, args):
    alpha, n_boot, seed = args["alpha"], args["n_boot"], args["seed"]
    labels = st.periods
    g_code = np.array([c[0] for c in cells])
    t_code = np.array([c[1] for c in cells])
    b_code = np.array([c[2] for c in cells])
    post = np.array([c[3] for c in cells])
    cohorts = np.unique(g_code)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    draws = cohort_draws = None
    if n_boot:
        shares = np.zeros((len(psi), len(cohorts)))
        on = np.flatnonzero(np.isin(row_cohort, cohorts) & (weight > 0))
        shares[on, np.searchsorted(cohorts, row_cohort[on])] = weight[on]
        draws, cohort_draws = _gaussian_draws(psi, shares, cl_codes, N, n_boot, seed)
    inf = infer(psi, N, cl_codes, alpha, draws=draws)
    pre = np.flatnonzero(~post & (t_code != b_code))
    stat = pval = None
    if pre.size:
        v = influence_vcov(cluster_sums(psi[:, pre], cl_codes), N)
        ok = np.diag(v) > 0
        pre, v = pre[ok], v[np.ix_(ok, ok)]
        if pre.size and np.linalg.cond(v) < 1 / np.finfo(float).eps:
            stat = float(att[pre] @ np.linalg.solve(v, att[pre]))
            pval = float(sps.chi2.sf(stat, pre.size))
    lo, hi = normal_ci(att, inf.se, alpha)
    frame = pd.DataFrame({
        "term": [f"ATT({labels[g]},{labels[t]})" for g, t in zip(g_code, t_code)],
        "estimate": att, "se": inf.se, "ci_low": lo, "ci_high": hi, "pvalue": normal_pvalue(att, inf.se),
        "cohort": labels[g_code], "period": labels[t_code], "event_time": t_code - g_code,
        "base_period": labels[b_code], "post": post,
    })
    if inf.crit is not None:
        frame["cband_low"], frame["cband_high"] = normal_ci(att, inf.se, crit=inf.crit)
    control, unit, cluster = args["control"], args["unit"], args["cluster"]
    wald = "not available" if stat is None else f"chi2({pre.size}) = {stat:.3f}, p = {pval:.4g}"
    assumptions = {
        "Control group": "never treated" if control == "never" else "not yet treated (and never treated)",
        "Anticipation": f"{args['anticipation']} period(s)",
        "Base period": args["base_period"],
        "Estimation method": _cs._METHOD_LABEL[args["method"]] + " without covariates",
        "Data": "balanced panel, out of core (per-cohort sufficient statistics)",
        "Identification": "staggered irreversible adoption; parallel trends; overlap",
        "Inference": ("analytic (influence functions, exact from the statistics)" if n_boot == 0 else
                      f"{n_boot} Gaussian draws of the exact joint covariance (seed {seed}); "
                      f"uniform band critical value {inf.crit:.3f}"),
        "Clustering": f"{unit}" + (f" and {cluster}" if cluster not in (None, unit) else ""),
    }
    if st.masked:
        notes.append(f"statistics withheld on export (fewer units than the minimum cell size): {list(st.masked)}")
    sizes = np.zeros(int(max(gr.keys.max(), cohorts.max())) + 2)
    sizes[gr.keys[gr.keys >= 0]] = gr.n[gr.keys >= 0]
    for arr in (att, psi, row_cohort, weight, sizes):
        arr.setflags(write=False)
    kwargs = dict(
        method="Callaway-Sant'Anna group-time ATT", estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan,
        pvalue=np.nan, n_obs=N * T, n_units=N, alpha=alpha, terms=frame, assumptions=assumptions,
        notes=tuple(notes), att=att, cohort_code=g_code, period_code=t_code, inffunc=psi, unit_cohort=row_cohort,
        unit_weights=weight, cluster_codes=cl_codes, periods=labels, cohorts=cohorts, boot_draws=draws,
        boot_cohort_draws=cohort_draws, crit=inf.crit, n_ids=N, n_boot=n_boot, seed=seed,
        boot_weights="gaussian (exact joint covariance)" if n_boot else args["boot_weights"], control=control,
        estimation_method=args["method"], base_period=args["base_period"], anticipation=args["anticipation"],
        cohort_sizes=sizes,
    )
    fields = {f.name for f in dataclasses.fields(StatsGroupTimeResult)}
    pretest_of = getattr(_cs, "_pretest", None)
    if "r_pretest_stat" in fields and pretest_of is not None:
        # The verdict's pre-test is the in-memory one (on the dynamic aggregation); R did's Wald beside it.
        kwargs.update(r_pretest_stat=stat, r_pretest_pvalue=pval)
        assumptions["R did's chi-squared Wald test"] = wald
    else:
        kwargs.update(pretest_stat=stat, pretest_pvalue=pval)
        assumptions["Pre-test of parallel trends"] = "Wald " + wald
    res = StatsGroupTimeResult(**kwargs)
    head = res.aggregate("simple")
    extra = {}
    if "r_pretest_stat" in fields and pretest_of is not None:
        pretest = pretest_of(res)
        ordered = {k: v for k, v in assumptions.items() if k != "R did's chi-squared Wald test"}
        ordered["Pre-test of parallel trends"] = (
            "not available (no pre-treatment event time)" if pretest is None else
            f"{pretest.label}, p = {pretest.pvalue:.4g} ({pretest.name}; leads {pretest.leads_text()})")
        ordered["R did's chi-squared Wald test"] = wald
        extra = dict(assumptions=ordered, pretest=pretest,
                     pretest_stat=None if pretest is None else pretest.statistic,
                     pretest_pvalue=None if pretest is None else pretest.pvalue)
    return replace(res, method="Callaway-Sant'Anna group-time ATT (headline: simple aggregate)",
                   estimate=head.estimate, se=head.se, ci_low=head.ci_low, ci_high=head.ci_high, pvalue=head.pvalue,
                   **extra)


# --------------------------------------------------------------------------- TWFE and event study


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    vcov: np.ndarray
    n_clusters: int
    nobs: int


def _fe_ols(gr: _Groups, X: np.ndarray, names: list[str]) -> _Fit:
    """Two-way fixed-effects OLS with CRV1 errors from per-key statistics; ``X`` is keys x periods x regressors.

    On a balanced panel the two-way demeaned regressor is ``X_ht - X_h. - X_.t + X_..`` (a function of key
    and period), so X'X, X'y and every unit's score ``sum_t Xd_ht (y_it - ybar_t) - Xd_h' Xd_h b`` follow
    from the key counts, means and covariances (or per-cluster sums). The small-sample factor is that of
    :func:`impact.did._ols.absorbed_ols`: unit effects nested in the clusters do not count.
    """
    n = gr.n.astype(float)
    N, T = n.sum(), X.shape[1]
    w = n / N
    x_t = np.einsum("g,gtk->tk", w, X)
    Xd = X - X.mean(axis=1, keepdims=True) - x_t[None] + x_t.mean(axis=0)
    xtx = np.einsum("g,gtk,gtl->kl", n, Xd, Xd)
    scale = np.sqrt(np.diag(xtx))
    nobs = int(N * T)
    if np.any(scale < 1e-10 * max(1.0, np.sqrt(nobs))):
        bad = names[int(np.argmin(scale))]
        raise EstimationError(
            f"regressor {bad!r} has no variation once unit and period effects are removed; it is collinear with the "
            "fixed effects (e.g. every unit treated at the same time, or no comparison units)")
    cond = np.linalg.cond(xtx / np.outer(scale, scale))
    if cond > 1e12:
        raise EstimationError(f"the regressors {names} are collinear once fixed effects are absorbed (condition "
                              f"number {cond:.2g}); drop a redundant column or widen the window")
    xtx_inv = np.linalg.inv(xtx)
    beta = xtx_inv @ np.einsum("g,gtk,gt->k", n, Xd, gr.mean)
    y_t = w @ gr.mean
    c = -np.einsum("gtk,t->gk", Xd, y_t) - np.einsum("gtk,gtl,l->gk", Xd, Xd, beta)
    if gr.cl_index is not None:
        rows = np.einsum("rt,rtk->rk", gr.cl_sum, Xd[gr.cl_pos]) + gr.cl_n[:, None] * c[gr.cl_pos]
        S = cluster_sums(rows, gr.cl_index)
        meat = S.T @ S
        n_cl = int(gr.cl_index.max()) + 1
    else:
        e = np.einsum("gtk,gt->gk", Xd, gr.mean) + c
        meat = np.einsum("g,gtk,gts,gsl->kl", n, Xd, gr.cov, Xd) + np.einsum("g,gk,gl->kl", n, e, e)
        n_cl = int(N)
    # Residual sum of squares, to refuse an exact fit as absorbed_ols does.
    ssr = _residual_ss(gr, Xd, beta, y_t)
    if ssr <= (1e-10) ** 2 * max(1.0, _total_ss(gr)):
        raise EstimationError(f"the model fits the {nobs} observations exactly (no residual variation), so no "
                              "standard error can be estimated; more units or periods are needed")
    if n_cl < 2:
        raise EstimationError("cluster-robust standard errors need at least two clusters (got 1)")
    K = X.shape[2] + T
    factor = n_cl / (n_cl - 1) * (nobs - 1) / (nobs - K)
    return _Fit(beta, factor * xtx_inv @ meat @ xtx_inv, n_cl, nobs)


def _residual_ss(gr: _Groups, Xd, beta, y_t) -> float:
    """Sum of squared two-way residuals: between-key part from the means plus the within-key variance."""
    if gr.cov is None:
        return np.inf  # the clustered statistics hold no second moments; absorbed_ols' exact-fit check is skipped
    n = gr.n.astype(float)
    mean_dm = gr.mean - gr.mean.mean(axis=1, keepdims=True) - y_t[None] + y_t.mean()
    fitted = Xd @ beta
    within = np.einsum("g,gtt->", n, gr.cov) - np.einsum("g,gts->", n, gr.cov) / gr.mean.shape[1]
    return float(n @ ((mean_dm - fitted) ** 2).sum(axis=1) + within)


def _total_ss(gr: _Groups) -> float:
    n = gr.n.astype(float)
    second = (gr.cov if gr.cov is not None else 0) + gr.mean[:, :, None] * gr.mean[:, None, :]
    return float(np.einsum("g,gtt->", n, second))


def twfe(data, outcome, unit, time, treatment, cluster=None, covariates=None, *, alpha=0.05) -> EffectResult:
    """Two-way fixed effects from per-treatment-path statistics; see :func:`impact.did.twfe` (same result)."""
    alpha = check_alpha(alpha)
    if covariates:
        raise ConfigError(f"covariates ({', '.join(covariates) if not isinstance(covariates, str) else covariates}) "
                          "need unit-level data: out of core, twfe has no covariates; load the data into a DataFrame")
    st = as_panel_stats(data, outcome, unit, time, treatment=treatment, cluster=cluster)
    cluster = cluster or unit
    T = len(st.periods)
    gr = _groups(st, st.keys)
    bits = ((gr.keys[:, None] >> np.arange(T)[None, :]) & 1).astype(float)
    if not bits.any() or bits.all():
        raise DataError(f"treatment column {treatment!r} is always {int(bits.flat[0])}; TWFE needs treated and "
                        "untreated unit-periods")
    fit = _fe_ols(gr, bits[:, :, None], [treatment])
    se = np.sqrt(np.diag(fit.vcov))
    terms = tidy_terms([treatment], fit.beta, se, alpha=alpha, df=fit.n_clusters - 1)
    notes = [_LEVEL_NOTE.replace("cohort", "treatment-path")]
    if fit.n_clusters < 30:
        notes.append(f"only {fit.n_clusters} clusters: cluster-robust errors can be too small; check with "
                     "wild_cluster_bootstrap")
    treated = bits.any(axis=1)
    starts = np.unique(bits[treated].argmax(axis=1))
    if len(starts) > 1:
        notes.append(f"treatment starts at {len(starts)} different dates: under staggered adoption TWFE can be "
                     "biased; compare with callaway_santanna and bacon_decomposition")
    return EffectResult(
        method="Two-way fixed effects", **headline(terms.iloc[0]), n_obs=fit.nobs, n_units=st.n_units, alpha=alpha,
        terms=terms,
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation, homogeneous effects",
            "Fixed effects": f"{unit!r} and {time!r}",
            "Standard errors": f"clustered by {cluster!r} ({fit.n_clusters} clusters, CRV1, t with G-1 df)",
            "Covariates": "none",
            "Data": "balanced panel, out of core (per-treatment-path sufficient statistics)",
        },
        notes=tuple(notes),
    )


def event_study(data, outcome, unit, time, cohort, window=None, reference=-1, cluster=None, *,
                bin_endpoints=True, alpha=0.05) -> EventStudyResult:
    """Dynamic TWFE event study from per-cohort statistics; see :func:`impact.did.event_study` (same result)."""
    alpha = check_alpha(alpha)
    reference = check_int("reference", reference)
    if reference >= 0:
        raise ConfigError(f"reference must be a pre-treatment event time such as -1 (got {reference})")
    win = _check_window(window, reference)
    if win is not None and not bin_endpoints:
        raise ConfigError("bin_endpoints=False drops the rows outside the window, which unbalances the panel; out of "
                          "core, keep bin_endpoints=True or load the data into a DataFrame")
    st = as_panel_stats(data, outcome, unit, time, cohort=cohort, cluster=cluster)
    cluster = cluster or unit
    T = len(st.periods)
    gr = _groups(st, st.keys)
    treated = (gr.keys >= 0) & (gr.keys < T)
    event = np.where(treated[:, None], np.arange(T)[None, :] - gr.keys[:, None], 0)
    if win is not None:
        event = np.clip(event, *win)
    observed = np.unique(event[treated])
    if reference not in observed:
        raise ConfigError(f"reference={reference} is not an observed event time (observed: {observed.min()}.."
                          f"{observed.max()})")
    estimable = observed[observed != reference]
    dropped_extra = None
    if not (~treated).any() and len(estimable) and estimable.min() < reference:
        dropped_extra = int(estimable.min())
        estimable = estimable[estimable != dropped_extra]
    if len(estimable) == 0 or not (estimable >= 0).any():
        raise EstimationError("no post-adoption event time to estimate; check the cohort column and the window")
    X = ((event[:, :, None] == estimable[None, None, :]) & treated[:, None, None]).astype(float)
    names = [f"e={e}" for e in estimable]
    fit = _fe_ols(gr, X, names)
    df = fit.n_clusters - 1
    se = np.sqrt(np.diag(fit.vcov))
    terms = tidy_terms(names, fit.beta, se, alpha=alpha, df=df, event_time=estimable)
    ref_row = pd.DataFrame({"term": [f"e={reference}"], "estimate": [0.0], "se": [np.nan], "ci_low": [0.0],
                            "ci_high": [0.0], "pvalue": [np.nan], "event_time": [reference]})
    terms = pd.concat([terms, ref_row], ignore_index=True).sort_values("event_time", ignore_index=True)
    post = estimable >= 0
    w = post / post.sum()
    avg, avg_se = float(w @ fit.beta), float(np.sqrt(w @ fit.vcov @ w))
    head = tidy_terms(["post average"], avg, avg_se, alpha=alpha, df=df).iloc[0]
    notes = [_LEVEL_NOTE]
    if dropped_extra is not None:
        notes.append(f"no never-treated units: event time {dropped_extra} was also normalised to zero to identify "
                     "period effects")
    if treated.sum() > 1:
        notes.append("staggered adoption: TWFE leads and lags can mix effects across periods; compare with "
                     "sun_abraham or callaway_santanna")
    return EventStudyResult(
        method="Event study (dynamic TWFE)", **headline(head), n_obs=fit.nobs, n_units=st.n_units, alpha=alpha,
        terms=terms, vcov=pd.DataFrame(fit.vcov, index=estimable, columns=estimable), reference=reference,
        **_known(EventStudyResult, n_clusters=fit.n_clusters),
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation",
            "Reference period": f"event time {reference}",
            "Window": "all event times" if win is None else f"{win[0]}..{win[1]} (end points binned)",
            "Headline": "mean of post-adoption coefficients (equal weights)",
            "Standard errors": f"clustered by {cluster!r} ({fit.n_clusters} clusters, CRV1, t with G-1 df)",
            "Data": "balanced panel, out of core (per-cohort sufficient statistics)",
        },
        notes=tuple(notes),
    )


# --------------------------------------------------------------------------- 2x2


def two_by_two(data, outcome, treated, post, cluster=None, covariates=None, *, unit=None,
               alpha=0.05) -> EffectResult:
    """Canonical 2x2 DiD from the four cell means and variances; see :func:`impact.did.two_by_two` (same result)."""
    alpha = check_alpha(alpha)
    if covariates:
        raise ConfigError("covariates need row-level data: out of core, two_by_two has no covariates; load the data "
                          "into a DataFrame")
    if isinstance(data, CellStats):
        cs = data
    else:
        cs = cell_statistics(data, outcome, treated, post, cluster=cluster, unit=unit)
    X = np.column_stack([np.ones(4), cs.d, cs.p, cs.d * cs.p]).astype(float)
    n = cs.n.astype(float)
    N = int(n.sum())
    xtx_inv = np.linalg.inv(X.T @ (n[:, None] * X))
    beta = xtx_inv @ (X.T @ (n * cs.mean))  # saturated: reproduces the four cell means
    ssr = float(n @ cs.var)
    if np.sqrt(ssr) <= 1e-10 * max(1.0, np.sqrt(float(n @ (cs.var + cs.mean**2)))):
        raise EstimationError(f"the model fits the {N} observations exactly (no residual variation), so no standard "
                              "error can be estimated; more units or periods are needed")
    K = 4
    if cluster is not None:
        resid = cs.cl_sum - cs.cl_n * cs.mean[cs.cl_cell]
        S = cluster_sums(X[cs.cl_cell] * resid[:, None], cs.cl_index)
        n_cl = int(cs.cl_index.max()) + 1
        if n_cl < 2:
            raise EstimationError("cluster-robust standard errors need at least two clusters (got 1)")
        vcov = n_cl / (n_cl - 1) * (N - 1) / (N - K) * xtx_inv @ (S.T @ S) @ xtx_inv
        df = n_cl - 1
    else:
        n_cl = None
        vcov = N / (N - K) * xtx_inv @ (X.T @ ((n * cs.var)[:, None] * X)) @ xtx_inv
        df = N - K
    names = ["const", treated, post, f"{treated}:{post}"]
    terms = tidy_terms(names, beta, np.sqrt(np.diag(vcov)), alpha=alpha, df=df)
    notes = ["out of core: exact from the four cell means and variances"]
    if n_cl is not None and n_cl < 30:
        notes.append(f"only {n_cl} clusters: cluster-robust errors can be too small; check with wild_cluster_bootstrap")
    return EffectResult(
        method="2x2 difference-in-differences (OLS)", **headline(terms.iloc[3]), n_obs=N, n_units=cs.n_units,
        alpha=alpha, terms=terms,
        assumptions={
            "Identifying assumption": "parallel trends, no anticipation",
            "Standard errors": f"clustered by {cluster!r} (CRV1, t with G-1 df)" if cluster else
                               "heteroskedasticity-robust (HC1)",
            "Covariates": "none",
        },
        notes=tuple(notes),
    )
