"""Estimates by domain on the full design: means, totals, ratios, proportions, differences.

A domain (a level of ``by``, rows in ``where``, respondents who answered)
is never a subset of the data: rows outside it keep their PSU and stratum
with a zero contribution, so the variance counts the PSUs where the domain
happened to have no respondent (Lumley 2010, sec. 2.3; West, Berglund &
Heeringa 2008, https://doi.org/10.1177/1536867X0800800404).

The design effect is R ``survey``'s ``deff=TRUE``: the design variance over
the variance of the same estimator under simple random sampling without
replacement of the same number of respondents from a population of
``N = sum of weights``: ``(1 - n/N) s^2 / n`` for a mean, ``N^2`` times that
for a total (Kish 1965). When ``N <= n`` (normalised or absent weights) the
finite-population factor is left out (R's ``deff="replace"``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from impact.data import check_choice, check_columns, check_int, show
from impact.errors import ConfigError, DataError
from impact.survey.checks import answer_level, answer_levels, column_name, column_names, finite_number
from impact.results import normal_ci, normal_pvalue
from impact.survey.calibrate import calibration_residuals
from impact.survey.linearize import Linearized, ratio_by_domain, stratified_variance, stratified_variance_dense
from impact.survey.replicate import replicate_estimates, replicate_variance
from impact.survey.results import SurveyResult

__all__ = ["Domains", "Fit", "domains", "fit", "headline_fit", "estimate_ratio", "estimate_proportion", "compare", "make_result"]

RESERVED = ("term", "estimate", "se", "ci_low", "ci_high", "pvalue", "level", "n_obs", "n_missing", "df", "deff", "masked")
STATISTICS = ("mean", "proportion", "total", "top_box")
#: A proportion for every level is refused beyond this many levels (a score, not a category).
MAX_LEVELS = 100


@dataclass(frozen=True)
class Domains:
    """Each row's domain (-1 outside ``where`` or with ``by`` missing) and the domain labels."""

    code: np.ndarray
    labels: list
    by: str | None
    inside: np.ndarray | None = None  # the rows selected by ``where`` (whatever their ``by``)


def _where_mask(design, where) -> np.ndarray:
    data = design.data
    if where is None:
        return np.ones(len(data), dtype=bool)
    if isinstance(where, str):
        check_columns(data, where=where)
        where = data[where]
    if isinstance(where, pd.Series):
        if not where.index.equals(data.index):
            raise ConfigError("where= as a Series must have the same index as the design's data")
        where = where.to_numpy()
    mask = np.asarray(where)
    if mask.shape != (len(data),) or mask.dtype != bool:
        raise ConfigError(
            f"where must be a boolean column name, Series or array with one value per row "
            f"({len(data)}); got dtype {mask.dtype} and shape {mask.shape} "
            "(missing values are not allowed: use e.g. df['wave'].eq(2).fillna(False))"
        )
    if not mask.any():
        raise DataError("where= selects no respondent; check the condition")
    return mask


def domains(design, by, where) -> Domains:
    """Code the domains of ``by`` (a column, or a list of columns crossed) within ``where``."""
    mask = _where_mask(design, where)
    if by is None:
        return Domains(np.where(mask, 0, -1), [None], None, mask)
    if isinstance(by, (list, tuple)) and not by:
        raise ConfigError("by must name at least one column (got an empty list); leave by=None for all respondents")
    names = column_names("by", by)
    check_columns(design.data, by=names)
    clash = [name for name in names if name in RESERVED]
    if clash:
        raise ConfigError(f"by column {clash[0]!r} clashes with a result column name; rename it")
    if len(names) == 1:
        codes, labels = pd.factorize(design.data[names[0]], sort=True)
        labels = list(labels)
    else:
        # crossed domains: one code per observed combination, rows with a missing part left out
        grouped = design.data.groupby(names, sort=True, dropna=True, observed=True)
        codes = grouped.ngroup().to_numpy()
        labels = list(grouped.groups.keys())
    code = np.where(mask & (codes >= 0), codes, -1)
    present = np.bincount(code[code >= 0], minlength=len(labels)) > 0
    keep = np.flatnonzero(present)
    remap = np.full(len(labels), -1)
    remap[keep] = np.arange(keep.size)
    code = np.where(code >= 0, remap[np.maximum(code, 0)], -1)
    if keep.size == 0:
        raise DataError(f"by column(s) {', '.join(map(repr, names))} missing for every row selected by where=")
    return Domains(code, [labels[i] for i in keep], names[0] if len(names) == 1 else tuple(names), mask)


def _by_columns(dom: Domains) -> dict:
    """The ``by`` column(s) of the tidy frame, named after the ``by`` variable(s)."""
    if dom.by is None:
        return {}
    if isinstance(dom.by, str):
        return {dom.by: dom.labels}
    return {name: [None if label is None else label[i] for label in dom.labels] for i, name in enumerate(dom.by)}


def _domain_name(dom: Domains, label) -> str:
    if isinstance(dom.by, str):
        return f"domain {dom.by}={show(label)}"
    return "domain " + ", ".join(f"{n}={show(v)}" for n, v in zip(dom.by, label))


@dataclass(frozen=True)
class Fit:
    """Estimates, variances and counts of one statistic in every domain."""

    estimate: np.ndarray
    variance: np.ndarray
    n_obs: np.ndarray
    n_missing: np.ndarray
    deff: np.ndarray
    lin: Linearized | None
    replicates: np.ndarray | None
    undefined: np.ndarray | None = None  # domains without an estimate (a ratio whose denominator totals zero)


def taylor_variance(design, z, rows, group, k: int) -> np.ndarray:
    """Linearisation variance of ``k`` domain totals of ``z``; calibration residuals first if the design was raked."""
    if design._margins is None:
        variance = stratified_variance(z, rows, group, k, design.layout)
        if design.layout2 is not None:  # within-PSU variance of a two-stage sample
            variance = variance + stratified_variance(z, rows, group, k, design.layout2)
        return variance
    residuals = calibration_residuals(z, rows, group, k, design._w, design._w_design, design._margins)
    variance = stratified_variance_dense(residuals, design.layout)
    if design.layout2 is not None:
        variance = variance + stratified_variance_dense(residuals, design.layout2)
    return variance


def _srs_variance(lin: Linearized, weight, u, k, n, kind):
    """Variance under SRS without replacement of the same size (Kish's deff denominator), rows inside domains only."""
    g = lin.group
    pop = np.bincount(g, weights=weight, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.bincount(g, weights=weight * u, minlength=k) / pop
        s2 = np.bincount(g, weights=weight * (u - centre[g]) ** 2, minlength=k) / pop * n / (n - 1)
        factor = np.where(pop > n, 1 - n / pop, 1.0)
        v = factor * s2 / n
        if kind == "total":
            return v * pop**2
        if kind == "ratio":
            return v / (lin.denominator / pop) ** 2
        return v


def fit(design, a, b, respond, dom: Domains, kind: str) -> Fit:
    """Estimate a domain ratio (``kind`` "mean"/"ratio") or total (``kind`` "total") with its variance.

    ``a`` and ``b`` are the numerator and denominator variables (``b`` is 1
    for a mean), ``respond`` flags rows with a usable answer.
    """
    k = len(dom.labels)
    code = np.where(respond, dom.code, -1)
    n = np.bincount(code[code >= 0], minlength=k).astype(float)
    missing = np.bincount(dom.code[(dom.code >= 0) & ~respond], minlength=k)
    empty = np.flatnonzero(n == 0)
    if empty.size:
        label = dom.labels[empty[0]]
        where = _domain_name(dom, label) if dom.by else "the selected rows"
        raise DataError(
            f"{where} has no respondent with an answer (item non-response: {int(missing[empty[0]])}); "
            "drop that domain with where= or check the column"
        )
    b_used = None if kind == "total" else (np.ones_like(a) if b is None else b)
    lin = ratio_by_domain(design._w, a, b_used, code, k)
    return _variances(design, lin, a, b, b_used, code, n, missing, kind)


def _variances(design, lin: Linearized, a, b, b_used, code, n, missing, kind: str) -> Fit:
    """Variances, replicates and design effects of the domain estimates in ``lin`` (rows coded by ``code``)."""
    k = lin.estimate.size
    w = design._w
    undefined = None
    if kind == "ratio":
        # A domain whose denominator totals zero has no ratio (R's svyratio prints NaN there). It is
        # flagged and masked by make_result; its rows carry zero so that no NaN reaches another domain.
        size = np.bincount(lin.group, weights=np.abs(w[lin.rows] * b[lin.rows]), minlength=k)
        undefined = np.abs(lin.denominator) <= 1e-12 * size
        if undefined.any():
            lin = replace(lin, estimate=np.where(undefined, 0.0, lin.estimate),
                          z=np.where(undefined[lin.group], 0.0, lin.z))
    with np.errstate(divide="ignore", invalid="ignore"):
        if design.replicates is None:
            variance = taylor_variance(design, lin.z, lin.rows, lin.group, k)
            reps = None
        else:
            reps = replicate_estimates(a, b_used, code, k, design.replicates)
            if undefined is not None and undefined.any():
                reps[undefined] = 0.0  # no ratio there in any replicate either; made NaN below, without a warning
            variance = replicate_variance(reps, lin.estimate, design.replicates)
        u = a[lin.rows]
        if kind == "ratio":
            u = u - lin.estimate[lin.group] * b[lin.rows]
        srs = _srs_variance(lin, w[lin.rows], u, k, n, kind)
        deff = variance / srs
    if undefined is not None and undefined.any():
        nan = np.where(undefined, np.nan, 0.0)
        lin = replace(lin, estimate=lin.estimate + nan)
        variance, deff = variance + nan, deff + nan
        if reps is not None:
            reps = reps + nan[:, None]
    return Fit(lin.estimate, variance, n.astype(int), missing, deff, lin, reps, undefined)


def headline_fit(design, a, b, respond, dom: Domains, kind: str, fit_: Fit) -> Fit:
    """The statistic over every respondent in ``where``: ``fit_`` itself without ``by``, else from ``fit_``'s pass.

    When ``by`` is known for every row in ``where``, the headline's rows are
    the union of the domains' rows: its totals are the sums of the domain
    totals and its linearised variable is formed from the same rows, so
    nothing is gathered, coded or counted a second time (a fresh fit would
    do all of it again for every call with ``by``). Otherwise (rows in
    ``where`` with ``by`` missing count in the headline only) it is fitted
    on its own. Either way the numbers are those of ``by=None``.
    """
    if dom.by is None:
        return fit_
    inside = dom.code >= 0
    if not np.array_equal(inside, dom.inside):
        return fit(design, a, b, respond, Domains(np.where(dom.inside, 0, -1), [None], None, dom.inside), kind)
    part = fit_.lin
    rows = part.rows
    num = np.array([part.numerator.sum()])
    if kind == "total":
        lin, b_used = Linearized(num, rows, np.zeros_like(part.group), part.z, num, None), None
    else:
        b_used = np.ones_like(a) if b is None else b
        den = np.array([part.denominator.sum()])
        weight = design._w[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            estimate = num / den
            z = (weight * a[rows] - estimate[0] * (weight if b is None else weight * b[rows])) / den[0]
        lin = Linearized(estimate, rows, np.zeros_like(part.group), z, num, den)
    code = np.where(inside & respond, 0, -1)
    return _variances(design, lin, a, b, b_used, code, np.array([float(fit_.n_obs.sum())]),
                      np.array([fit_.n_missing.sum()]), kind)


@lru_cache(maxsize=256)
def t_quantile(alpha: float, df: float) -> float:
    """Two-sided Student t critical value (cached: scipy's ppf costs more than a small estimate)."""
    return float(stats.t.ppf(1 - alpha / 2, df))


def _interval_columns(design, estimate, se, n_obs, ci) -> dict:
    """The protocol's estimate, se, ci_low, ci_high, pvalue: Student t on the design's df, or ``ci`` for proportions."""
    crit = t_quantile(design.alpha, design.df)
    low, high = normal_ci(estimate, se, design.alpha, crit)
    if ci is not None:
        low, high = ci(estimate, se, n_obs)
    return {"estimate": estimate, "se": se, "ci_low": low, "ci_high": high,
            "pvalue": normal_pvalue(estimate, se, design.df)}


def make_result(design, *, method, statistic, column, dom: Domains, fit_: Fit, headline: Fit, terms_label,
                min_cell_size, notes=(), extra=None, ci=None) -> SurveyResult:
    """Assemble the tidy table (one row per domain) and the headline into a :class:`SurveyResult`."""
    cell = design.min_cell_size if min_cell_size is None else check_int("min_cell_size", min_cell_size, minimum=1)
    k = len(fit_.estimate)
    columns = _interval_columns(design, fit_.estimate, np.sqrt(fit_.variance), fit_.n_obs, ci)
    columns = {"term": [terms_label] * k if isinstance(terms_label, str) else list(terms_label), **columns}
    columns.update(_by_columns(dom))
    columns.update(extra or {})
    masked = fit_.n_obs < cell
    if fit_.undefined is not None:
        masked |= fit_.undefined
    if statistic == "difference":
        # a difference is only as publishable as the smaller of its two domains
        masked[2] = masked[:2].any()
    columns.update(n_obs=fit_.n_obs, n_missing=fit_.n_missing, df=np.full(k, float(design.df)), deff=fit_.deff,
                   masked=masked)
    # one construction from a dict: building column by column costs more than the estimate itself
    frame = pd.DataFrame(columns)
    head = _interval_columns(design, headline.estimate[:1], np.sqrt(headline.variance[:1]), headline.n_obs[:1], ci)
    head = {key: value[0] for key, value in head.items()}
    missing = int(headline.n_missing.sum())
    assumptions = {
        "Domains": "estimated on the full design (zero weight outside, every PSU kept)",
        "deff": "design variance over SRS-without-replacement variance of the same size (R deff=TRUE)",
    }
    if missing:
        assumptions["Missing answers"] = f"{missing} (item non-response: left out, counted in n_missing)"
    return SurveyResult(
        method=method,
        statistic=statistic,
        column=column,
        by=dom.by,
        estimate=float(head["estimate"]),
        se=float(head["se"]),
        ci_low=float(head["ci_low"]),
        ci_high=float(head["ci_high"]),
        pvalue=float(head["pvalue"]),
        n_obs=int(headline.n_obs[0]),
        n_units=design.n_psus,
        alpha=design.alpha,
        terms=frame,
        df=float(design.df),
        deff=float(headline.deff[0]),
        min_cell_size=cell,
        design=design.describe(),
        assumptions=assumptions,
        notes=tuple(notes),
    )


def _values(design, column: str, role: str = "column") -> tuple[np.ndarray, np.ndarray]:
    """Numeric values and the answered flag; infinite values are an error, NaN is non-response."""
    from impact.survey.design import _numeric

    column_name(role, column, "name one column; for several, call once per column", required=True)
    check_columns(design.data, **{role: column})
    y = _numeric(design.data, column, role)
    if np.isinf(y).any():
        row = design.data.index[np.flatnonzero(np.isinf(y))[0]]
        raise DataError(f"{role} column {column!r} has infinite values (first at row {show(row)}); replace them")
    return y, ~np.isnan(y)


def estimate_ratio(design, kind, column, denominator, by, where, min_cell_size) -> SurveyResult:
    """Mean, total or ratio of ``column`` by domain."""
    y, respond = _values(design, column)
    b = None
    if kind == "ratio":
        b, answered = _values(design, denominator, "denominator")
        respond = respond & answered
    dom = domains(design, by, where)
    fit_ = fit(design, y, b, respond, dom, kind)
    headline = headline_fit(design, y, b, respond, dom, kind, fit_)
    name = f"{column}/{denominator}" if kind == "ratio" else column
    notes = []
    if headline.undefined is not None and headline.undefined[0]:
        raise DataError(
            f"denominator column {denominator!r} totals zero over the respondents selected{' by where=' * (where is not None)}, "
            "so the ratio is undefined; check the column or the where= condition"
        )
    if fit_.undefined is not None and fit_.undefined.any():
        names = [_domain_name(dom, label) for label, bad in zip(dom.labels, fit_.undefined) if bad][:5]
        notes.append(f"{int(fit_.undefined.sum())} domain(s) masked because denominator {denominator!r} totals zero "
                     f"there, so the ratio is undefined ({', '.join(names)}); R's svyratio prints NaN for them.")
    return make_result(
        design, method=f"Survey {kind} of {name}", statistic=kind, column=name, dom=dom, fit_=fit_,
        headline=headline, terms_label=f"{kind}({name})", min_cell_size=min_cell_size, notes=notes,
    )


def _levels(series: pd.Series, level, several: bool = False):
    """The answer levels to estimate: ``level`` (one value, or a list when ``several``) or every observed one."""
    values = pd.unique(series.dropna())
    if level is not None:
        levels = answer_levels("level", level) if several else [answer_level("level", level)]
        for lev in levels:
            if not (series == lev).any():
                raise DataError(
                    f"level {show(lev)} does not occur in column {series.name!r} "
                    f"(values: {', '.join(map(show, values[:10]))})"
                )
        return levels
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def estimate_proportion(design, column, level, by, where, ci, min_cell_size) -> SurveyResult:
    """Share of each level of ``column`` by domain, with a logit, Wald or Wilson interval."""
    from impact.survey.barometer import CI_METHODS, proportion_ci

    column_name("column", column, "name one column; for several, call once per column", required=True)
    check_columns(design.data, column=column)
    check_choice("ci", ci, CI_METHODS)
    series = design.data[column]
    respond = series.notna().to_numpy()
    dom = domains(design, by, where)
    frames, heads = [], []
    levels = _levels(series, level, several=True)
    if len(levels) > MAX_LEVELS:
        raise ConfigError(
            f"column {column!r} has {len(levels)} distinct answers; a proportion per level needs a categorical "
            "column: pass level=, or use top_box()/mean() for a score"
        )
    for lev in levels:  # a handful of answer levels, each one vectorised pass over the rows
        a = (series == lev).to_numpy(dtype=float)
        fit_ = fit(design, a, None, respond, dom, "mean")
        headline = headline_fit(design, a, None, respond, dom, "mean", fit_)
        result = make_result(
            design, method=f"Survey proportion of {column}", statistic="proportion", column=column, dom=dom,
            fit_=fit_, headline=headline, terms_label=f"proportion({column}={lev})", min_cell_size=min_cell_size,
            extra={"level": [lev] * len(dom.labels)}, ci=proportion_ci(ci, design.df, design.alpha),
        )
        frames.append(result.terms)
        heads.append(result)
    # a yes/no answer is headlined by its "yes" share, anything else by its first level
    binary = len(levels) == 2 and {*levels} in ({0, 1}, {False, True})
    first = heads[-1] if binary else heads[0]
    notes = []
    if len(levels) > 1:
        notes.append(f"Headline fields give level {show(levels[-1] if binary else levels[0])}; the table has every level.")
    terms = pd.concat(frames, ignore_index=True)
    return SurveyResult(
        **{**_fields(first), "terms": terms, "notes": tuple(notes),
           "assumptions": {**first.assumptions, "Interval": f"{ci} (Student t, {design.df} df)"}}
    )


def _fields(result: SurveyResult) -> dict:
    from dataclasses import fields

    return {f.name: getattr(result, f.name) for f in fields(result)}


def compare(design, column, by, statistic, level, groups, where, threshold, min_cell_size) -> SurveyResult:
    """Difference of a statistic between two domains, variance from the joint linearisation."""
    check_choice("statistic", statistic, STATISTICS)
    if not isinstance(by, str):
        raise ConfigError(
            f"compare needs by= as one column whose two levels (e.g. waves) are compared (got {by!r}); "
            "narrow other variables with where="
        )
    dom = domains(design, by, where)
    if groups is not None:
        if not isinstance(groups, (list, tuple, pd.Index, np.ndarray)):
            raise ConfigError(f"groups must be a pair (first, second) of levels of {by!r} (got {groups!r})")
        groups = list(groups)
        missing = [g for g in groups if g not in dom.labels]
        if len(groups) != 2 or missing or groups[0] == groups[1]:
            raise ConfigError(
                f"groups must be two different levels of {by!r} (got {groups!r}; levels: {', '.join(map(str, dom.labels[:10]))})"
            )
        index = {label: i for i, label in enumerate(dom.labels)}
        remap = np.full(len(dom.labels), -1)
        remap[index[groups[0]]], remap[index[groups[1]]] = 0, 1
        dom = Domains(np.where(dom.code >= 0, remap[np.maximum(dom.code, 0)], -1), groups, by)
    elif len(dom.labels) != 2:
        raise ConfigError(
            f"by column {by!r} has {len(dom.labels)} levels ({', '.join(map(str, dom.labels[:10]))}); "
            "compare needs two: pass groups=(first, second) or narrow with where="
        )
    a, respond, label = _statistic_variable(design, column, statistic, level, threshold)
    kind = "total" if statistic == "total" else "mean"
    fit_ = fit(design, a, None, respond, dom, kind)
    diff = fit_.estimate[1] - fit_.estimate[0]
    if design.replicates is None:
        lin = fit_.lin
        # the difference's linearised variable: +z in the second domain, -z in the first
        z = np.where(lin.group == 1, lin.z, -lin.z)
        var = taylor_variance(design, z, lin.rows, np.zeros_like(lin.group), 1)
    else:
        delta = fit_.replicates[1:2] - fit_.replicates[0:1]
        var = replicate_variance(delta, np.array([diff]), design.replicates)
    srs = fit_.variance / fit_.deff
    joint = Fit(
        np.append(fit_.estimate, diff), np.append(fit_.variance, var), np.append(fit_.n_obs, fit_.n_obs.sum()),
        np.append(fit_.n_missing, fit_.n_missing.sum()), np.append(fit_.deff, var / srs.sum()), None, None,
    )
    headline = Fit(joint.estimate[2:], joint.variance[2:], joint.n_obs[2:], joint.n_missing[2:], joint.deff[2:],
                   None, None)
    both = Domains(dom.code, [dom.labels[0], dom.labels[1], None], by)
    g0, g1 = (show(x) for x in dom.labels)
    terms = [f"{label}", f"{label}", f"{label}: {g1} - {g0}"]
    return make_result(
        design, method=f"Difference in {label} between {by}={g1} and {by}={g0}", statistic="difference",
        column=column, dom=both, fit_=joint, headline=headline, terms_label=terms, min_cell_size=min_cell_size,
    )


def _statistic_variable(design, column, statistic, level, threshold):
    """The per-row variable whose domain mean (or total) is ``statistic``, the answered flag and a label."""
    unused = [name for name, value, needs in (("threshold", threshold, "top_box"), ("level", level, "proportion"))
              if value is not None and statistic != needs]
    if unused:
        raise ConfigError(f"{unused[0]}= is only used with statistic={'top_box' if unused[0] == 'threshold' else 'proportion'!r} "
                          f"(got statistic={statistic!r}); drop it or change the statistic")
    if statistic in ("mean", "total"):
        y, respond = _values(design, column)
        return y, respond, f"{statistic}({column})"
    if statistic == "top_box":
        if threshold is None:
            raise ConfigError("statistic='top_box' needs threshold= (e.g. 8 on a 0-10 scale)")
        cut = finite_number("threshold", threshold, hint="a number on the score's scale, e.g. 8 on 0-10")
        y, respond = _values(design, column)
        return (y >= cut).astype(float), respond, f"top_box({column}>={threshold})"
    column_name("column", column, "name one column; for several, call once per column", required=True)
    check_columns(design.data, column=column)
    series = design.data[column]
    if level is None:
        values = set(pd.unique(series.dropna()))
        if values <= {0, 1} or values <= {False, True}:
            level = 1
        else:
            raise ConfigError(
                f"statistic='proportion' needs level= (one of {', '.join(map(str, sorted(values, key=str)[:10]))})"
            )
    _levels(series, level)
    return (series == level).to_numpy(dtype=float), series.notna().to_numpy(), f"proportion({column}={level})"
