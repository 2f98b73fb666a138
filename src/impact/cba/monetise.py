"""Turning an estimated effect into a benefit stream whose uncertainty is kept.

A benefit built from an estimate is ``effect x affected population x unit
value`` in each year. It is linear in the effect, so an appraisal stores the
flows *per unit of effect* and the effect's sampling distribution separately:
the point appraisal uses the estimate, a Monte Carlo run draws the effect, and
the break-even effect solves a linear equation.

Nothing here imports :mod:`impact.did`: any object with ``estimate`` and ``se``
attributes works (a DiD result, a result from another package, or a small
namedtuple), and one with a 1-d ``draws`` array (bootstrap replicates)
supplies its own sampling distribution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from impact.cba.flows import _year_labels, as_flows
from impact.errors import ConfigError, DataError

__all__ = ["EffectBenefit", "benefits_from_effect"]


@dataclass(frozen=True)
class EffectBenefit:
    """A benefit category proportional to an estimated effect.

    ``per_unit`` gives, by year, the money value of one unit of effect
    (affected population x unit value); the flows at the point estimate are
    ``estimate * per_unit``. ``draws``, when present, are replicates of the
    effect (e.g. bootstrap) used instead of the normal ``N(estimate, se^2)``.
    """

    estimate: float
    se: float
    per_unit: Mapping[int, float]
    alpha: float = 0.05
    ci_low: float | None = None
    ci_high: float | None = None
    draws: np.ndarray | None = field(default=None, repr=False)
    label: str = "effect"

    @property
    def flows(self) -> dict[int, float]:
        """Money flows by year at the point estimate."""
        return {y: self.estimate * v for y, v in self.per_unit.items()}

    @property
    def interval(self) -> tuple[float, float]:
        """The estimate's confidence interval (from the result, else normal)."""
        if self.ci_low is not None and self.ci_high is not None:
            return float(self.ci_low), float(self.ci_high)
        z = stats.norm.ppf(1 - self.alpha / 2)
        return self.estimate - z * self.se, self.estimate + z * self.se

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws from the effect's sampling distribution."""
        if self.draws is not None:
            return rng.choice(self.draws, size=n, replace=True)
        return rng.normal(self.estimate, self.se, size=n)


def _effect_parts(effect) -> tuple[float, float, float | None, float | None, np.ndarray | None, float]:
    if isinstance(effect, tuple) and len(effect) == 2:
        est, se = effect
        lo = hi = draws = None
        alpha = 0.05
    elif hasattr(effect, "estimate") and hasattr(effect, "se"):
        est, se = effect.estimate, effect.se
        lo, hi = getattr(effect, "ci_low", None), getattr(effect, "ci_high", None)
        draws = getattr(effect, "draws", None)
        alpha = getattr(effect, "alpha", 0.05)
    else:
        raise ConfigError(
            "effect must be an estimation result with 'estimate' and 'se' attributes, or an (estimate, se) pair "
            f"(got {type(effect).__name__})"
        )
    try:
        est, se = float(est), float(se)
    except (TypeError, ValueError):
        raise DataError(f"effect estimate and se must be numbers (got {est!r}, {se!r})") from None
    if not math.isfinite(est):
        raise DataError(f"effect estimate must be finite (got {est!r})")
    if not (math.isfinite(se) and se >= 0):
        raise DataError(f"effect standard error must be finite and non-negative (got {se!r})")
    if draws is not None:
        draws = np.asarray(draws, dtype=float).ravel()
        if draws.size < 2 or not np.all(np.isfinite(draws)):
            raise DataError("effect draws must hold at least two finite replicates")
    lo = None if lo is None or not math.isfinite(float(lo)) else float(lo)
    hi = None if hi is None or not math.isfinite(float(hi)) else float(hi)
    return est, se, lo, hi, draws, float(alpha)


def _by_year(value, years: np.ndarray, name: str) -> np.ndarray:
    """A scalar, or a ``{year: value}`` mapping covering ``years``, as an array over ``years``."""
    if isinstance(value, Mapping) or hasattr(value, "index") and hasattr(value, "to_dict"):
        y, v = as_flows(value, name)
        lookup = dict(zip(y.tolist(), v.tolist()))
        missing = [int(t) for t in years if int(t) not in lookup]
        if missing:
            raise DataError(f"{name} has no value for year(s) {missing[:10]} of the benefit period")
        return np.array([lookup[int(t)] for t in years])
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise DataError(f"{name} must be a number or a {{year: value}} mapping (got {value!r})")
    return np.full(len(years), float(value))


def benefits_from_effect(
    effect,
    population,
    unit_value,
    years: Sequence[int] | range,
    *,
    label: str | None = None,
) -> EffectBenefit:
    """Benefits by year built from an estimated effect: effect x population x unit value.

    Parameters
    ----------
    effect : result or (estimate, se)
        Anything with ``estimate`` and ``se`` attributes (e.g. a DiD result;
        ``ci_low``/``ci_high``/``alpha`` are used when present, and a 1-d
        ``draws`` array of replicates replaces the normal approximation), or
        an ``(estimate, se)`` pair. The effect is per affected person (or
        unit) and per year.
    population : float or {year: float}
        Number of people (units) affected each year.
    unit_value : float or {year: float}
        Money value of one unit of the outcome per person, in the appraisal's
        prices. Choose its sign so that a beneficial effect gives a positive
        benefit (e.g. an effect of -2 visits per person valued at -30 EUR
        per visit is a benefit of +60 EUR).
    years : sequence of int
        Years in which the benefit accrues (contiguous), e.g. ``range(1, 6)``.
    label : str, optional
        Name of the effect in tables.

    Returns
    -------
    EffectBenefit
        Pass it as a benefit category of :class:`~impact.cba.Appraisal`.

    Notes
    -----
    The benefit assumes that the estimated effect persists unchanged over
    ``years`` and scales linearly with the affected population: an
    extrapolation beyond the evaluation period that the appraisal should
    state. The effect's sampling uncertainty is carried into
    :meth:`Appraisal.monte_carlo` and :meth:`Appraisal.break_even_effect`.

    Examples
    --------
    >>> from impact.cba import benefits_from_effect
    >>> b = benefits_from_effect((2.0, 0.5), population=1000, unit_value=30, years=range(1, 4))
    >>> b.flows
    {1: 60000.0, 2: 60000.0, 3: 60000.0}
    """
    est, se, lo, hi, draws, alpha = _effect_parts(effect)
    years_arr = _years(years)
    pop = _by_year(population, years_arr, "population")
    value = _by_year(unit_value, years_arr, "unit_value")
    if np.any(pop < 0):
        raise DataError("population must be zero or positive in every year")
    per_unit = {int(y): float(p * v) for y, p, v in zip(years_arr, pop, value)}
    return EffectBenefit(
        estimate=est, se=se, per_unit=per_unit, alpha=alpha, ci_low=lo, ci_high=hi, draws=draws,
        label=label or getattr(effect, "method", None) or "effect",
    )


def _years(years) -> np.ndarray:
    if isinstance(years, (str, bytes, Mapping)):
        raise ConfigError(f"years must be a sequence of years such as range(1, 6) (got {years!r})")
    try:
        items = list(years)
    except TypeError:
        raise ConfigError(f"years must be a sequence of years such as range(1, 6) (got {years!r})") from None
    if not items:
        raise ConfigError("years is empty; give the years in which the benefit accrues, e.g. range(1, 6)")
    labels = _year_labels(items, "years")
    if len(set(labels.tolist())) != len(labels):
        raise ConfigError(f"years lists a year twice ({items}); give each year once")
    return as_flows(dict.fromkeys(labels.tolist(), 0.0), "years")[0]
