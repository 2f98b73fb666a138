"""Aggregating group-time effects into summary parameters, from stored influence functions.

Callaway & Sant'Anna (2021, section 3) summarise the ATT(g, t) by weighted
averages ``theta = sum_gt w(g, t) ATT(g, t)``:

- ``simple``: every post-treatment cell, weighted by cohort size;
- ``dynamic``: by event time ``e = t - g`` (an event study), cohort-size
  weights within each ``e``; the headline averages ``e >= 0``;
- ``group``: the average post-treatment effect of each cohort; the headline
  weights cohorts by size;
- ``calendar``: the effect in each calendar period among cohorts already
  treated; the headline averages the periods.

Nothing is re-estimated (as R ``did``'s ``aggte``): each aggregate's influence
function is the weighted sum of the cells' influence functions plus, where the
weights are estimated cohort shares, the weights' own influence function
("wif"), exactly as R ``did`` computes it. Standard errors and uniform bands
then come from :mod:`impact.did.inference`, with the multiplier draws of the
group-time estimates when they were bootstrapped.

References
----------
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with
multiple time periods. *Journal of Econometrics* 225(2), 200-230.
https://doi.org/10.1016/j.jeconom.2020.12.001
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from impact.data import check_choice, show
from impact.periods import infer_scale
from impact.errors import ConfigError, EstimationError
from impact.results import EffectResult, EventStudyResult, normal_ci, normal_pvalue
from impact.did.inference import cluster_sums, infer, influence_vcov

if TYPE_CHECKING:
    from impact.did.staggered import GroupTimeResult

__all__ = ["AggregateResult", "aggregate", "cov_degrees", "simple", "dynamic", "group", "calendar", "AGGREGATIONS"]

Aggregation = Literal["simple", "dynamic", "group", "calendar"]
AGGREGATIONS = ("simple", "dynamic", "group", "calendar")


@dataclass(frozen=True, kw_only=True)
class AggregateResult(EffectResult):
    """A summary of group-time effects: the headline and, for ``group``/``calendar``, one row per component.

    ``influence`` holds the influence function of each component (n x m) and
    ``overall_influence`` that of the headline, on the scale of
    :mod:`impact.did.inference`.
    """

    kind: str
    influence: np.ndarray = field(repr=False)
    overall_influence: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class _Linear:
    """Estimates that are linear in the stored influence functions.

    Component j has influence function ``psi @ a[:, j] + C @ b[:, j]`` where
    ``psi`` holds the group-time influence functions and ``C`` the columns
    ``w_i * 1{G_i = g}`` of each cohort (the estimated cohort shares enter
    through them). Bootstrap draws combine the same way.
    """

    est: np.ndarray
    a: np.ndarray
    b: np.ndarray


def _combine(res: GroupTimeResult, sel: np.ndarray, parts: _Linear, cohorts: np.ndarray, wif: bool):
    """Cohort-share weighted average of components ``sel`` of ``parts`` (cohort codes ``cohorts``).

    With ``wif`` the estimation of the shares ``pg = mean(w * 1{G = g})`` is
    accounted for as in R did's ``wif``. Per unit it reduces to
    ``sum_g w_i 1{G_i = g} (A(g) / S - N(g) P / S^2)`` with ``A(g)`` the sum of
    the values of cohort ``g``, ``N(g)`` their number, ``P = sum pg_j value_j``
    and ``S = sum pg_j``: a combination of the cohort columns.
    """
    pg = res._cohort_share(cohorts[sel])
    total = pg.sum()
    weights = pg / total
    vals = parts.est[sel]
    a = parts.a[:, sel] @ weights
    b = parts.b[:, sel] @ weights
    if wif:
        pos = np.searchsorted(res.cohorts, cohorts[sel])
        size = len(res.cohorts)
        a_g = np.bincount(pos, weights=vals, minlength=size)
        n_g = np.bincount(pos, minlength=size)
        b = b + a_g / total - n_g * (pg @ vals) / total**2
    return float(weights @ vals), a, b


def _stack(items) -> _Linear:
    est, a, b = zip(*items)
    return _Linear(np.array(est), np.column_stack(a), np.column_stack(b))


def _cells(res: GroupTimeResult) -> _Linear:
    k = len(res.att)
    return _Linear(np.asarray(res.att), np.eye(k), np.zeros((len(res.cohorts), k)))


def _post(res, max_e):
    e = res.period_code - res.cohort_code
    return (e >= 0) & (e <= max_e)


def simple(res: GroupTimeResult, max_e: float = np.inf) -> _Linear:
    """Cohort-size weighted average of all post-treatment ATT(g, t) (R did ``aggte(type="simple")``)."""
    keep = np.flatnonzero(_post(res, max_e))
    if keep.size == 0:
        raise EstimationError("no post-treatment group-time effect to aggregate; check max_e")
    return _stack([_combine(res, keep, _cells(res), res.cohort_code, wif=True)])


def dynamic(res: GroupTimeResult, min_e=-np.inf, max_e=np.inf, balance_e=None):
    """Effects by event time ``e = t - g`` and the average of ``e >= 0`` (R did ``aggte(type="dynamic")``)."""
    e_cell = res.period_code - res.cohort_code
    include = np.ones(len(e_cell), dtype=bool)
    last = int(res.period_code.max())
    if balance_e is not None:
        # Keep cohorts observed for at least balance_e periods after adoption, so that the
        # composition of the event-time averages does not change with e.
        include = (last - res.cohort_code) >= balance_e
    eseq = np.unique(e_cell[include])
    if balance_e is not None:
        eseq = eseq[(eseq <= balance_e) & (eseq >= balance_e - last)]
    eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
    if eseq.size == 0:
        raise ConfigError(
            f"no event time falls within min_e={min_e}, max_e={max_e}, balance_e={balance_e}; widen the window"
        )
    cells = _cells(res)
    comp = _stack([_combine(res, np.flatnonzero((e_cell == e) & include), cells, res.cohort_code, wif=True)
                   for e in eseq])
    post = eseq >= 0
    overall = None
    if post.any():
        overall = _Linear(np.array([comp.est[post].mean()]), comp.a[:, post].mean(axis=1, keepdims=True),
                          comp.b[:, post].mean(axis=1, keepdims=True))
    return eseq, comp, overall


def group(res: GroupTimeResult, max_e=np.inf):
    """Average post-treatment effect of each cohort, and their cohort-size weighted average."""
    post = _post(res, max_e)
    cohorts = np.array([g for g in res.cohorts if (post & (res.cohort_code == g)).any()])
    if cohorts.size == 0:
        raise EstimationError("no cohort has a post-treatment group-time effect; check max_e")
    k, size = len(res.att), len(res.cohorts)
    items = []
    for g in cohorts:
        cells = np.flatnonzero(post & (res.cohort_code == g))
        a = np.zeros(k)
        a[cells] = 1 / len(cells)
        items.append((res.att[cells].mean(), a, np.zeros(size)))
    comp = _stack(items)
    overall = _stack([_combine(res, np.arange(len(cohorts)), comp, cohorts, wif=True)])
    return cohorts, comp, overall


def calendar(res: GroupTimeResult):
    """Effect in each calendar period among cohorts already treated, and the average over periods."""
    post = res.period_code >= res.cohort_code
    periods = np.unique(res.period_code[post])
    cells = _cells(res)
    comp = _stack([_combine(res, np.flatnonzero(post & (res.period_code == t)), cells, res.cohort_code, wif=True)
                   for t in periods])
    overall = _Linear(np.array([comp.est.mean()]), comp.a.mean(axis=1, keepdims=True),
                      comp.b.mean(axis=1, keepdims=True))
    return periods, comp, overall


def _influence(res: GroupTimeResult, lin: _Linear) -> np.ndarray:
    """n_ids x m influence functions of linear estimates ``lin``."""
    out = res.inffunc @ lin.a
    treated = res.unit_cohort >= 0
    pos = np.searchsorted(res.cohorts, res.unit_cohort[treated])
    found = (pos < len(res.cohorts)) & (res.cohorts[np.minimum(pos, len(res.cohorts) - 1)] == res.unit_cohort[treated])
    rows = np.flatnonzero(treated)[found]
    out[rows] += res.unit_weights[rows, None] * lin.b[pos[found]]
    return out


def _inference(res: GroupTimeResult, lin: _Linear, band: np.ndarray):
    """Influence functions, standard errors, critical value and covariance of ``lin``'s components."""
    psi = _influence(res, lin)
    draws = None
    if res.boot_draws is not None:
        draws = res.boot_draws @ lin.a + res.boot_cohort_draws @ lin.b
    inf = infer(psi, res.n_ids, res.cluster_codes, res.alpha, draws=draws, band=band)
    vcov = influence_vcov(cluster_sums(psi, res.cluster_codes), res.n_ids)
    return psi, inf, vcov


def cov_degrees(res: GroupTimeResult) -> tuple[int, int]:
    """Clusters ``G`` and degrees of freedom ``nu`` of the influence-function covariance.

    Every ATT(g, t) is a difference of means of a cohort and a comparison
    group, so the covariance ``S'S / n^2`` estimates one mean per cohort and
    one for the comparison group within the clusters: ``nu = G - (cohorts + 1)``
    (at least 1). It is an HC0-type estimate, biased down by about ``nu / G``,
    which :func:`impact.did.pretrend_test` corrects.
    """
    G = int(res.cluster_codes.max()) + 1 if res.cluster_codes is not None else int(res.n_ids)
    return G, max(G - len(res.cohorts) - 1, 1)


def _frame(terms, est, se, crit, alpha, **extra) -> pd.DataFrame:
    lo, hi = normal_ci(est, se, alpha)
    frame = pd.DataFrame({"term": terms, "estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
                          "pvalue": normal_pvalue(est, se)})
    for k, v in extra.items():
        frame[k] = v
    if crit is not None:
        frame["cband_low"], frame["cband_high"] = normal_ci(est, se, crit=crit)
    return frame


def aggregate(res: GroupTimeResult, kind: Aggregation = "simple", min_e=None, max_e=None, balance_e=None):
    """Aggregate a :class:`~impact.did.staggered.GroupTimeResult`; see :meth:`GroupTimeResult.aggregate`."""
    check_choice("kind", kind, AGGREGATIONS)
    for name, value in (("min_e", min_e), ("max_e", max_e), ("balance_e", balance_e)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
            raise ConfigError(f"{name} must be an integer number of periods or None (got {value!r})")
    if balance_e is not None and balance_e < 0:
        raise ConfigError(f"balance_e must be at least 0 (got {balance_e})")
    if kind != "dynamic" and (min_e is not None or balance_e is not None):
        raise ConfigError(f"min_e and balance_e apply to kind='dynamic' only (got kind={kind!r})")
    if kind == "calendar" and max_e is not None:
        raise ConfigError("max_e does not apply to kind='calendar'; use kind='dynamic' or 'group'")
    lo_e = -np.inf if min_e is None else min_e
    hi_e = np.inf if max_e is None else max_e
    z = stats.norm.ppf(1 - res.alpha / 2)
    assumptions = dict(res.assumptions)
    assumptions["Aggregation"] = {
        "simple": "cohort-size weighted average of post-treatment ATT(g,t)",
        "dynamic": "by event time (cohort-size weights); headline = mean over e >= 0",
        "group": "by cohort; headline weights cohorts by size",
        "calendar": "by calendar period; headline = mean over periods",
    }[kind]
    common = dict(alpha=res.alpha, n_obs=res.n_obs, n_units=res.n_units, assumptions=assumptions, notes=res.notes)

    if kind == "simple":
        lin = simple(res, hi_e)
        psi, inf, _ = _inference(res, lin, band=np.zeros(1, dtype=bool))
        est, se = float(lin.est[0]), float(inf.se[0])
        frame = _frame(["ATT (simple)"], lin.est, inf.se, None, res.alpha)
        return AggregateResult(method="Callaway-Sant'Anna ATT, simple aggregation", estimate=est, se=se,
                               ci_low=est - z * se, ci_high=est + z * se, pvalue=float(normal_pvalue(est, se)),
                               terms=frame, kind=kind, influence=psi, overall_influence=psi[:, 0], **common)

    if kind == "dynamic":
        comp, parts, overall = dynamic(res, lo_e, hi_e, balance_e)
    elif kind == "group":
        comp, parts, overall = group(res, hi_e)
    else:
        comp, parts, overall = calendar(res)
    m = len(comp)
    both = parts if overall is None else _Linear(np.r_[parts.est, overall.est], np.column_stack([parts.a, overall.a]),
                                                 np.column_stack([parts.b, overall.b]))
    band = np.r_[np.ones(m, dtype=bool), np.zeros(len(both.est) - m, dtype=bool)]
    psi, inf, vcov = _inference(res, both, band)
    se_c = inf.se[:m]
    if overall is None:
        head = dict(estimate=np.nan, se=np.nan, ci_low=np.nan, ci_high=np.nan, pvalue=np.nan)
        overall_psi = np.full(res.n_ids, np.nan)
    else:
        est, se = float(overall.est[0]), float(inf.se[m])
        head = dict(estimate=est, se=se, ci_low=est - z * se, ci_high=est + z * se,
                    pvalue=float(normal_pvalue(est, se)))
        overall_psi = psi[:, m]

    if kind == "dynamic":
        frame = _frame([f"e={e}" for e in comp], parts.est, se_c, inf.crit, res.alpha, event_time=comp.astype(int))
        ok = np.isfinite(se_c)
        # Universal base period: the reference cell is normalised to zero and has no standard error.
        reference = -1 - res.anticipation if res.base_period == "universal" else None
        cov = pd.DataFrame(vcov[:m, :m][np.ix_(ok, ok)], index=comp[ok], columns=comp[ok])
        G, nu = cov_degrees(res)
        return EventStudyResult(method="Callaway-Sant'Anna event study (dynamic aggregation)", terms=frame,
                                vcov=cov, reference=reference, n_clusters=G, cov_df=nu, cov_scale=G / nu,
                                time_unit=infer_scale(pd.Series(res.periods)).unit,
                                **head, **common)
    labels = res.periods[comp]
    if kind == "group":
        frame = _frame([f"cohort {show(g)}" for g in labels], parts.est, se_c, inf.crit, res.alpha, cohort=labels)
    else:
        frame = _frame([f"period {show(t)}" for t in labels], parts.est, se_c, inf.crit, res.alpha, period=labels)
    return AggregateResult(method=f"Callaway-Sant'Anna ATT, {kind} aggregation", terms=frame, kind=kind,
                           influence=psi[:, :m], overall_influence=overall_psi, **head, **common)
