"""Uncertainty in an appraisal: Monte Carlo, switching values, one-way sensitivity, break-even effect.

Every function uses the appraisal's linear form: the NPV is
``sum_c sign_c * level_c * pv_c`` where ``pv_c`` is category ``c``'s present
value per unit of level (level 1 for an ordinary category, one unit of effect
for a benefit built from an estimate). Monte Carlo draws an ``(n x C)``
matrix of levels and computes every NPV with one matrix product.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from impact.cba.appraisal import _money
from impact.cba.distributions import Distribution, parse_distribution
from impact.data import check_alpha, check_int
from impact.errors import ConfigError, EstimationError
from impact.results import DEFAULT_SEED, EffectResult, Summary, check_seed, seed_label, tidy_terms

__all__ = [
    "MonteCarloResult",
    "SensitivityResult",
    "BreakEvenResult",
    "monte_carlo",
    "switching_values",
    "sensitivity",
    "break_even_effect",
]


def _uncertain_specs(appraisal, uncertain) -> dict[str, Distribution]:
    if uncertain is None:
        return {}
    appraisal._check_categories(uncertain, "uncertain")
    return {cat: parse_distribution(spec, f"uncertain[{cat!r}]") for cat, spec in uncertain.items()}


# --------------------------------------------------------------------------- Monte Carlo


@dataclass(frozen=True, kw_only=True)
class MonteCarloResult(EffectResult):
    """Distribution of the NPV over Monte Carlo draws.

    Headline fields: ``estimate`` is the mean NPV, ``se`` its standard
    deviation across draws, ``ci_low``/``ci_high`` the ``alpha/2`` and
    ``1 - alpha/2`` percentiles (a percentile interval, not a confidence
    interval), ``pvalue`` is NaN. ``to_frame()`` has one row per quantity
    (``npv``, ``pv_benefits``, ``pv_costs``, ``bcr``) with columns
    ``term, estimate (mean), se (sd), ci_low, ci_high, pvalue`` plus
    ``median`` and ``prob_negative``.
    """

    median: float
    prob_npv_negative: float
    point_npv: float
    npv_draws: np.ndarray = field(repr=False)
    pv_benefits_draws: np.ndarray = field(repr=False)
    pv_costs_draws: np.ndarray = field(repr=False)
    levels: pd.DataFrame = field(repr=False)
    distributions: Mapping[str, str] = field(default_factory=dict)
    seed: int | None = None

    @property
    def mean(self) -> float:
        return self.estimate

    @property
    def sd(self) -> float:
        return self.se

    def percentiles(self, q=(5, 50, 95)) -> pd.Series:
        """NPV percentiles (``q`` in percent)."""
        q = np.atleast_1d(np.asarray(q, dtype=float))
        if np.any((q < 0) | (q > 100)):
            raise ConfigError(f"percentiles must lie between 0 and 100 (got {q.tolist()})")
        return pd.Series(np.percentile(self.npv_draws, q), index=q, name="npv")

    @cached_property
    def _summary(self) -> Summary:
        level = f"{100 * (1 - self.alpha):g}%"
        header = [
            ("Method", self.method),
            ("Draws", f"{self.n_obs:,} (seed {seed_label(self.seed)})"),
            ("NPV at point values", _money(self.point_npv)),
            ("Mean NPV", _money(self.estimate)),
            ("Median NPV", _money(self.median)),
            ("SD of NPV", _money(self.se)),
            (f"{level} interval", f"[{_money(self.ci_low)}, {_money(self.ci_high)}]"),
            ("P(NPV < 0)", f"{self.prob_npv_negative:.1%}"),
        ]
        header += [(f"Uncertain: {k}", v) for k, v in self.distributions.items()]
        header += [(k, str(v)) for k, v in self.assumptions.items()]
        return Summary(self.method, tuple(header), self.to_frame(), tuple(self.notes))

    def plot(self, ax=None, **kwargs):
        """Histogram of the NPV draws, the share below zero shaded and stated; returns the Axes."""
        from impact.cba.plots import npv_histogram

        return npv_histogram(self.npv_draws, prob_negative=self.prob_npv_negative, ax=ax, **kwargs)


def monte_carlo(appraisal, n: int = 10_000, seed=DEFAULT_SEED, uncertain=None, *, effect_uncertainty: bool = True, alpha: float = 0.05) -> MonteCarloResult:
    """Monte Carlo distribution of an appraisal's NPV.

    Parameters
    ----------
    appraisal : Appraisal
    n : int
        Number of draws.
    seed : int, numpy.random.Generator or None
        Seed for :func:`numpy.random.default_rng`; :data:`impact.results.DEFAULT_SEED`
        by default, so identical calls give identical numbers; None for fresh draws.
    uncertain : mapping of category -> (distribution, *params), optional
        A multiplier on that category's flows, e.g.
        ``{"staff": ("triangular", 0.9, 1.0, 1.4)}``; see
        :mod:`impact.cba.distributions`. On a benefit built from an estimate
        the multiplier acts on top of the effect's own draw (e.g. an
        uncertain unit value).
    effect_uncertainty : bool, default True
        Draw each estimated effect from its sampling distribution (normal
        with the estimate's SE, or its bootstrap ``draws``).
    alpha : float
        Level of the percentile interval.

    Returns
    -------
    MonteCarloResult

    Notes
    -----
    Draws are independent across categories (no correlation). The NPV of
    each draw is ``L @ (sign * pv)`` for the ``(n x C)`` matrix of levels
    ``L``, so that a draw changes a category's flows in every year by the
    same factor (the uncertainty is about the level of a stream, not
    year-to-year noise).
    """
    n = check_int("n", n, minimum=2)
    alpha = check_alpha(alpha)
    specs = _uncertain_specs(appraisal, uncertain)
    seed = check_seed(seed)
    rng = np.random.default_rng(seed)
    cats = list(appraisal.categories)
    levels = np.tile(appraisal._level, (n, 1))
    if effect_uncertainty:
        for cat, eff in appraisal._effects.items():
            levels[:, cats.index(cat)] = eff.sample(n, rng)
    for cat, dist in specs.items():
        levels[:, cats.index(cat)] *= dist.sample(n, rng)
    pv = appraisal._unit_pv
    is_cost = appraisal._kind == "cost"
    npvs = levels @ (appraisal._sign * pv)
    pv_b = levels[:, ~is_cost] @ pv[~is_cost]
    pv_c = levels[:, is_cost] @ pv[is_cost]
    with np.errstate(divide="ignore", invalid="ignore"):
        bcr = np.where(pv_c > 0, pv_b / pv_c, np.nan)
    lo_q, hi_q = 100 * alpha / 2, 100 * (1 - alpha / 2)
    rows = []
    for name, draws in (("npv", npvs), ("pv_benefits", pv_b), ("pv_costs", pv_c), ("bcr", bcr)):
        finite = draws[np.isfinite(draws)]
        if finite.size == 0:
            rows.append((name, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan))
            continue
        rows.append((name, finite.mean(), finite.std(ddof=1), *np.percentile(finite, [lo_q, hi_q]), np.median(finite), float(np.mean(finite < 0))))
    table = pd.DataFrame(rows, columns=["term", "estimate", "se", "ci_low", "ci_high", "median", "prob_negative"])
    table.insert(5, "pvalue", np.nan)
    described = {cat: str(d) for cat, d in specs.items()}
    if effect_uncertainty:
        for cat, eff in appraisal._effects.items():
            base = "bootstrap draws of the effect" if eff.draws is not None else f"effect ~ normal({eff.estimate:.4g}, {eff.se:.4g})"
            described[cat] = base + (f" x {described[cat]}" if cat in described else "")
    npv_row = table.iloc[0]
    return MonteCarloResult(
        method="Monte Carlo appraisal",
        estimate=float(npv_row["estimate"]),
        se=float(npv_row["se"]),
        ci_low=float(npv_row["ci_low"]),
        ci_high=float(npv_row["ci_high"]),
        pvalue=math.nan,
        n_obs=n,
        alpha=alpha,
        terms=table,
        assumptions={
            "Draws": "independent across categories; one multiplier per category applies to all its years",
            "Discounting": appraisal.schedule.label(),
        },
        notes=(f"{float(np.mean(npvs < 0)):.1%} of draws have a negative NPV.",),
        median=float(np.median(npvs)),
        prob_npv_negative=float(np.mean(npvs < 0)),
        point_npv=appraisal.npv,
        npv_draws=npvs,
        pv_benefits_draws=pv_b,
        pv_costs_draws=pv_c,
        levels=pd.DataFrame(levels, columns=cats),
        distributions=described,
        seed=seed if isinstance(seed, (int, np.integer)) else None,
    )


# --------------------------------------------------------------------------- switching values


def switching_values(appraisal) -> pd.DataFrame:
    """The factor on each category's flows at which the NPV becomes zero.

    Returns
    -------
    pandas.DataFrame
        Indexed by category, columns ``kind``, ``pv`` (present value at the
        point values, costs positive), ``multiplier`` (the switching factor:
        scale that category's flows by it, all else fixed, and the NPV is 0),
        and ``change`` (``multiplier - 1``: -0.3 means a 30% fall switches the
        decision). ``multiplier`` is NaN for a category with zero PV, and a
        negative multiplier means the sign of the flows would have to flip.

    Notes
    -----
    ``NPV(m) = NPV + (m - 1) * sign_c * PV_c = 0`` gives
    ``m = 1 - NPV / (sign_c * PV_c)`` (HM Treasury Green Book, switching values).
    """
    pv = appraisal._unit_pv * appraisal._level
    contribution = appraisal._sign * pv
    with np.errstate(divide="ignore", invalid="ignore"):
        mult = np.where(contribution != 0, 1 - appraisal.npv / contribution, np.nan)
    frame = pd.DataFrame(
        {"kind": appraisal._kind, "pv": pv, "multiplier": mult, "change": mult - 1},
        index=pd.Index(list(appraisal.categories), name="category"),
    )
    return frame


# --------------------------------------------------------------------------- one-way sensitivity


@dataclass(frozen=True)
class SensitivityResult:
    """One-way sensitivity of the NPV: one row per factor, sorted by swing (largest first)."""

    table: pd.DataFrame
    base_npv: float

    def to_frame(self) -> pd.DataFrame:
        """Columns ``factor, low, high, npv_low, npv_high, swing``."""
        return self.table.copy()

    @cached_property
    def _summary(self) -> Summary:
        header = (("NPV at point values", _money(self.base_npv)), ("Method", "one factor at a time, others at point values"))
        return Summary("One-way sensitivity of the NPV", header, self.to_frame())

    def summary(self) -> str:
        return self._summary.as_text()

    def _repr_html_(self) -> str:
        return self._summary.as_html()

    def plot(self, ax=None, **kwargs):
        """Tornado plot: each factor's NPV range around the point NPV; returns the Axes."""
        from impact.cba.plots import tornado_plot

        return tornado_plot(self.table, self.base_npv, ax=ax, **kwargs)


def sensitivity(appraisal, ranges=None, *, low: float = 0.8, high: float = 1.2, uncertain=None, quantiles=(0.05, 0.95), rates=None) -> SensitivityResult:
    """One-way sensitivity table: the NPV when one category's multiplier moves, all else fixed.

    Parameters
    ----------
    ranges : mapping of category -> (low, high), optional
        Multiplier range per category. Categories not listed use
        ``(low, high)``; those in ``uncertain`` use the ``quantiles`` of their
        distribution. Benefits built from an estimate use the estimate's
        confidence interval unless listed.
    uncertain : mapping of category -> (distribution, *params), optional
        As in :func:`monte_carlo`.
    rates : (float, float), optional
        Also recompute the NPV at these two constant discount rates.
    """
    if not (isinstance(low, (int, float)) and isinstance(high, (int, float)) and low <= high):
        raise ConfigError(f"low and high must be numbers with low <= high (got {low!r}, {high!r})")
    q = np.asarray(quantiles, dtype=float)
    if q.shape != (2,) or not (0 < q[0] < q[1] < 1):
        raise ConfigError(f"quantiles must be two probabilities 0 < q1 < q2 < 1 (got {quantiles!r})")
    ranges = dict(ranges or {})
    if ranges:
        appraisal._check_categories(ranges, "ranges")
    specs = _uncertain_specs(appraisal, uncertain)
    cats = list(appraisal.categories)
    contribution = appraisal._sign * appraisal._unit_pv * appraisal._level
    rows = []
    for i, cat in enumerate(cats):
        if cat in ranges:
            lo, hi = ranges[cat]
            source = "given"
        elif cat in specs:
            lo, hi = specs[cat].ppf(q)
            source = f"{specs[cat]} {100 * q[0]:g}-{100 * q[1]:g}%"
        elif cat in appraisal._effects and appraisal._effects[cat].estimate != 0:
            eff = appraisal._effects[cat]
            lo, hi = (np.array(eff.interval) / eff.estimate)
            lo, hi = min(lo, hi), max(lo, hi)
            source = "effect CI"
        else:
            lo, hi, source = low, high, "default"
        lo, hi = float(lo), float(hi)
        npv_lo = appraisal.npv + (lo - 1) * contribution[i]
        npv_hi = appraisal.npv + (hi - 1) * contribution[i]
        rows.append((cat, lo, hi, npv_lo, npv_hi, abs(npv_hi - npv_lo), source))
    if rates is not None:
        r_lo, r_hi = rates
        npv_lo = appraisal.with_discounting(rate=r_lo).npv
        npv_hi = appraisal.with_discounting(rate=r_hi).npv
        rows.append(("discount rate", float(r_lo), float(r_hi), npv_lo, npv_hi, abs(npv_hi - npv_lo), "constant rates"))
    table = pd.DataFrame(rows, columns=["factor", "low", "high", "npv_low", "npv_high", "swing", "range"])
    table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return SensitivityResult(table=table, base_npv=appraisal.npv)


# --------------------------------------------------------------------------- break-even effect


@dataclass(frozen=True)
class BreakEvenResult:
    """The effect size at which the NPV is zero, set beside the estimate and its interval.

    ``direction`` is ``">="`` when a larger effect raises the NPV (the NPV is
    non-negative for effects at or above ``break_even``), ``"<="`` otherwise.
    ``prob_worthwhile`` is the probability, under the estimate's normal
    sampling distribution, that the effect lies on the worthwhile side.
    """

    category: str
    break_even: float
    direction: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    alpha: float
    npv_at_estimate: float
    prob_worthwhile: float
    verdict: str

    def to_frame(self) -> pd.DataFrame:
        frame = tidy_terms([self.category], [self.estimate], [self.se], alpha=self.alpha)
        frame["ci_low"], frame["ci_high"] = self.ci_low, self.ci_high
        frame["break_even"] = self.break_even
        frame["direction"] = self.direction
        frame["prob_worthwhile"] = self.prob_worthwhile
        return frame

    @cached_property
    def _summary(self) -> Summary:
        level = f"{100 * (1 - self.alpha):g}%"
        header = (
            ("Effect", self.category),
            ("Break-even effect", f"{self.break_even:.4g} (NPV >= 0 when effect {self.direction} {self.break_even:.4g})"),
            ("Estimate", f"{self.estimate:.4g} (SE {self.se:.4g})"),
            (f"{level} CI", f"[{self.ci_low:.4g}, {self.ci_high:.4g}]"),
            ("P(worthwhile)", f"{self.prob_worthwhile:.1%}"),
        )
        return Summary("Break-even effect size", header, self.to_frame(), (self.verdict,))

    def summary(self) -> str:
        return self._summary.as_text()

    def _repr_html_(self) -> str:
        return self._summary.as_html()

    def plot(self, ax=None, **kwargs):
        """The estimate with its interval and the break-even line; returns the Axes."""
        from impact.cba.plots import break_even_plot

        return break_even_plot(self, ax=ax, **kwargs)


def break_even_effect(appraisal, category: str | None = None) -> BreakEvenResult:
    """The smallest effect at which the NPV is >= 0, beside the estimate's confidence interval.

    The NPV is linear in the effect ``e`` of a monetised benefit category:
    ``NPV(e) = NPV_rest + e * PV_per_unit``, so ``e* = -NPV_rest / PV_per_unit``.

    Raises
    ------
    ConfigError
        The appraisal has no benefit built from an estimate, or several and
        ``category`` does not say which.
    EstimationError
        The benefit's per-unit present value is zero (no population or value).
    """
    effects = appraisal._effects
    if not effects:
        raise ConfigError("break_even_effect needs a benefit built with benefits_from_effect(); the appraisal has none")
    if category is None:
        if len(effects) > 1:
            raise ConfigError(f"several benefits come from estimates ({list(effects)}); pass category=")
        category = next(iter(effects))
    if category not in effects:
        raise ConfigError(f"category {category!r} is not a benefit built from an estimate; choose one of {list(effects)}")
    eff = effects[category]
    i = list(appraisal.categories).index(category)
    per_unit = appraisal._unit_pv[i]
    if per_unit == 0:
        raise EstimationError(f"benefit {category!r} is worth 0 per unit of effect (population or unit value is zero)")
    rest = appraisal.npv - per_unit * eff.estimate
    threshold = -rest / per_unit
    direction = ">=" if per_unit > 0 else "<="
    lo, hi = eff.interval
    if eff.se > 0:
        z = (eff.estimate - threshold) / eff.se
        prob = float(stats.norm.cdf(z) if per_unit > 0 else stats.norm.sf(z))
    else:
        prob = float((eff.estimate >= threshold) if per_unit > 0 else (eff.estimate <= threshold))
    good_lo, good_hi = (lo >= threshold, hi >= threshold) if per_unit > 0 else (hi <= threshold, lo <= threshold)
    level = f"{100 * (1 - eff.alpha):g}%"
    if good_lo and good_hi:
        verdict = f"The whole {level} confidence interval lies on the worthwhile side of the break-even effect."
    elif not good_lo and not good_hi:
        verdict = f"The whole {level} confidence interval lies on the losing side of the break-even effect."
    else:
        verdict = f"The {level} confidence interval contains the break-even effect: the data cannot tell whether the initiative pays off."
    return BreakEvenResult(
        category=category, break_even=float(threshold), direction=direction, estimate=eff.estimate, se=eff.se,
        ci_low=lo, ci_high=hi, alpha=eff.alpha, npv_at_estimate=appraisal.npv, prob_worthwhile=prob, verdict=verdict,
    )
