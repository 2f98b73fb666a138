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
comparison unit by unit), sampling weights and repeated cross-sections (a
:class:`~impact.errors.ConfigError` says so and names the alternative).
An unbalanced panel is exact too, from statistics by key and pattern of
observed periods (up to 62 periods): Callaway-Sant'Anna in
:mod:`impact.scale.unbalanced`, TWFE and the event study in
:mod:`impact.scale.unbalanced_fe`. The
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

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from impact import results as _results
from impact.data import show
from impact.did import staggered as _cs
from impact.did.inference import cluster_sums, infer, influence_vcov
from impact.errors import ConfigError, DataError, DroppedRowsWarning, EstimationError
from impact.scale.groups import Groups, merge_groups
from impact.scale.stats import PanelStats, as_panel_stats

__all__ = ["StatsGroupTimeResult", "callaway_santanna", "cs_from_stats", "twfe", "event_study", "two_by_two"]

_LEVEL_NOTE = "out of core: exact from per-cohort sufficient statistics"
_REGRESSION = ("twfe", "event_study", "two_by_two")


def __getattr__(name):
    # The regression estimators load on first use: the in-memory Callaway-Sant'Anna imports this
    # module inside its first call, which a fresh process pays for (issue 13 times that call).
    if name in _REGRESSION:
        from impact.scale import regression

        return getattr(regression, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _root_rows(gr: Groups, coef: np.ndarray, center: np.ndarray, D: np.ndarray):
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
    them from multiplier draws. An unbalanced panel is estimated as in memory
    (R did's ``allow_unbalanced_panel``), from statistics by cohort and
    pattern of observed periods.
    """
    seed = _results.check_seed(seed)
    covariates, alpha = _cs._check_options(control, method, base_period, anticipation, n_boot, alpha, boot_weights,
                                           panel, covariates)
    _cs_unsupported(covariates, weights, panel, n_boot, boot_weights)
    st = as_panel_stats(data, outcome, unit, time, cohort=cohort, cluster=cluster, unbalanced=True)
    options = dict(alpha=alpha, n_boot=n_boot, seed=seed, control=control, unit=unit, cluster=cluster,
                   anticipation=anticipation, base_period=base_period, method=method, boot_weights=boot_weights)
    if not st.balanced:
        from impact.scale.unbalanced import callaway_santanna_unbalanced

        return callaway_santanna_unbalanced(st, cohort, options)
    return cs_from_stats(st, cohort, options)


def cs_from_stats(st: PanelStats, cohort: str, options: dict) -> StatsGroupTimeResult:
    """ATT(g, t), their influence-function pseudo-rows and the result, from the statistics of a balanced panel.

    The one implementation behind both paths: out of core (statistics from
    SQL) and in memory (:func:`impact.did.callaway_santanna` on a balanced
    panel without covariates or weights, with analytic standard errors;
    statistics from :func:`impact.did.cs_data.cohort_statistics`), so the two
    give the same numbers by construction. ``options`` holds the checked
    arguments (``alpha``, ``n_boot``, ``seed``, ``control``, ``unit``,
    ``cluster``, ``anticipation``, ``base_period``, ``method``,
    ``boot_weights``) and ``in_memory`` (labels and notes only).

    Each ATT(g, t) is the change of the cohort's mean minus the count-weighted
    change of the comparison cohorts' means (every ``method`` coincides
    without covariates); a unit's influence function is ``N / n_g`` times its
    deviation from its group's change, so its cross-products follow from the
    per-cohort covariance (module docstring).
    """
    T = len(st.periods)
    anticipation, control, method = options["anticipation"], options["control"], options["method"]
    base_period = options["base_period"]
    keys = np.where(st.keys >= T, -1, st.keys)  # treated after the sample: never treated in it
    notes = [] if options.get("in_memory") else [_LEVEL_NOTE]
    always = (keys >= 0) & (keys <= anticipation)
    if always.any():
        n_drop = int(st.n[always].sum())
        warnings.warn(
            f"dropped {n_drop} units ({n_drop * T} rows) already treated in the first period {show(st.periods[0])}"
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
                     f"periods from {show(st.periods[max(T, 0)])} on are dropped")
    if T < 2:
        raise DataError("fewer than two periods remain after dropping always-treated units; nothing to compare")
    gr = merge_groups(_drop_keys(st, live), keys[live], T)
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
            raise EstimationError(f"no comparison unit for cohort {show(st.periods[g])} in period {show(st.periods[t])}")
        if method != "reg" and gr.n[gi] / (gr.n[gi] + n_c) >= 0.995:
            raise EstimationError(
                f"cohort {show(st.periods[g])}, period {show(st.periods[t])}: the propensity score of every comparison unit is above "
                "0.995 and all are trimmed; use method='reg'")
        change = dm[:, t] - dm[:, b]
        mu_t, mu_c = change[gi], gr.n[ctrl] @ change[ctrl] / n_c
        att[j] = mu_t - mu_c
        coef[gi, j], center[gi, j] = N / gr.n[gi], mu_t
        coef[ctrl, j], center[ctrl, j] = -N / n_c, mu_c
    psi, key_pos, weight, cl_codes = _root_rows(gr, coef, center, D)
    row_cohort = np.where(key_pos >= 0, gr.keys[np.maximum(key_pos, 0)], -1)
    return _cs_result(st, gr, cells, att, psi, row_cohort, weight, cl_codes, N, T, notes, options)


def _drop_keys(st: PanelStats, live: np.ndarray) -> PanelStats:
    if live.all():
        return st
    if st.cluster is not None:
        keep = np.isin(st.cl_key, st.keys[live])
        # Clusters left empty by the drop are renumbered away: the number of clusters enters the
        # pre-test's degrees of freedom (aggregate.cov_degrees), as in memory.
        cl_index = np.unique(st.cl_index[keep], return_inverse=True)[1].astype(np.int64)
        return replace(st, keys=st.keys[live], n=st.n[live], mean=st.mean[live], cl_index=cl_index,
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


def _cs_result(st, gr, cells, att, psi, row_cohort, weight, cl_codes, N, T, notes, args: dict):
    """Inference, tidy frame, assumptions and the result object, as the in-memory path builds them."""
    alpha, n_boot, seed = args["alpha"], args["n_boot"], args["seed"]
    labels = st.periods
    g_code, t_code, b_code, post = _cs.cell_codes(cells)
    cohorts = np.unique(g_code)
    seed = _cs.recordable_seed(seed)
    draws = cohort_draws = None
    if n_boot:
        shares = np.zeros((len(psi), len(cohorts)))
        on = np.flatnonzero(np.isin(row_cohort, cohorts) & (weight > 0))
        shares[on, np.searchsorted(cohorts, row_cohort[on])] = weight[on]
        draws, cohort_draws = _gaussian_draws(psi, shares, cl_codes, N, n_boot, seed)
    inf = infer(psi, N, cl_codes, alpha, draws=draws)
    stat, pval, n_pre = _cs.r_wald_pretest(att, psi, ~post & (t_code != b_code), cl_codes, N)
    frame = _cs.cell_table(att, inf, alpha, labels, g_code, t_code, b_code, post)
    control, unit, cluster = args["control"], args["unit"], args["cluster"]
    in_memory = args.get("in_memory", False)
    wald = ("not available" if stat is None else f"chi2({n_pre}) = {stat:.3f}, p = {pval:.4g} on every "
            "pre-treatment ATT(g,t); over-rejects with many cells and few units, not the verdict")
    assumptions = {
        "Control group": "never treated" if control == "never" else "not yet treated (and never treated)",
        "Anticipation": f"{args['anticipation']} period(s)",
        "Base period": args["base_period"],
        "Estimation method": _cs._METHOD_LABEL[args["method"]] + " without covariates",
        "Data": args.get("mode", "balanced panel") + ("" if in_memory else
                                                      ", out of core (per-cohort sufficient statistics)"),
        "Identification": "staggered irreversible adoption; parallel trends; overlap",
        "Inference": ("analytic (influence functions" + (")" if in_memory else ", exact from the statistics)")
                      if n_boot == 0 else
                      f"{n_boot} Gaussian draws of the exact joint covariance (seed {seed}); "
                      f"uniform band critical value {inf.crit:.3f}"),
        "Clustering": f"{unit}" + (f" and {cluster}" if cluster not in (None, unit) else ""),
    }
    if st.masked:
        notes.append(f"statistics withheld on export (fewer units than the minimum cell size): {list(st.masked)}")
    sizes = np.zeros(int(max(gr.keys.max(), cohorts.max())) + 2)
    np.add.at(sizes, gr.keys[gr.keys >= 0], gr.n[gr.keys >= 0])
    for arr in (att, psi, row_cohort, weight, sizes):
        arr.setflags(write=False)
    kwargs = dict(
        method="Callaway-Sant'Anna group-time ATT", estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan,
        pvalue=np.nan, n_obs=args.get("n_obs", N * T), n_units=N, alpha=alpha, terms=frame, assumptions=assumptions,
        notes=tuple(notes), att=att, cohort_code=g_code, period_code=t_code, inffunc=psi, unit_cohort=row_cohort,
        unit_weights=weight, cluster_codes=cl_codes, periods=labels, cohorts=cohorts, boot_draws=draws,
        boot_cohort_draws=cohort_draws, crit=inf.crit, n_ids=N, n_boot=n_boot, seed=seed,
        boot_weights="gaussian (exact joint covariance)" if n_boot else args["boot_weights"], control=control,
        estimation_method=args["method"], base_period=args["base_period"], anticipation=args["anticipation"],
        cohort_sizes=sizes, r_pretest_stat=stat, r_pretest_pvalue=pval,
    )
    res = StatsGroupTimeResult(**kwargs)
    head = res.aggregate("simple")
    # The verdict's pre-test (on the dynamic aggregation) first, R did's Wald figure after it.
    pretest = _cs._pretest(res)
    assumptions = dict(assumptions)  # the interim result keeps its own
    assumptions["Pre-test of parallel trends"] = (
        "not available (no pre-treatment event time)" if pretest is None else
        f"{pretest.label}, p = {pretest.pvalue:.4g} ({pretest.name}; leads {pretest.leads_text()})")
    assumptions["R did's chi-squared Wald test"] = wald
    return replace(res, method="Callaway-Sant'Anna group-time ATT (headline: simple aggregate)",
                   estimate=head.estimate, se=head.se, ci_low=head.ci_low, ci_high=head.ci_high, pvalue=head.pvalue,
                   assumptions=assumptions, pretest=pretest,
                   pretest_stat=None if pretest is None else pretest.statistic,
                   pretest_pvalue=None if pretest is None else pretest.pvalue)

