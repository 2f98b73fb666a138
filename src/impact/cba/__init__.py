"""Cost-benefit appraisal: discounting, NPV and IRR, appraisals with uncertainty.

- :mod:`~impact.cba.discounting`: :data:`SCHEDULES`, :func:`discount_factors`, :func:`france_2021`, :func:`to_real`
- :mod:`~impact.cba.flows`: :func:`npv`, :func:`irr`
- :mod:`~impact.cba.monetise`: :func:`benefits_from_effect`
- :mod:`~impact.cba.appraisal`: :class:`Appraisal`
- :mod:`~impact.cba.uncertainty`: Monte Carlo, switching values, sensitivity, break-even effect
"""

from impact.cba.appraisal import Appraisal
from impact.cba.discounting import SCHEDULES, DiscountSchedule, constant, discount_factors, france_2021, stepped, to_real
from impact.cba.distributions import parse_distribution
from impact.cba.flows import irr, npv
from impact.cba.monetise import EffectBenefit, benefits_from_effect
from impact.cba.plots import tornado_plot
from impact.cba.uncertainty import BreakEvenResult, MonteCarloResult, SensitivityResult

__all__ = [
    "SCHEDULES",
    "Appraisal",
    "BreakEvenResult",
    "DiscountSchedule",
    "EffectBenefit",
    "MonteCarloResult",
    "SensitivityResult",
    "benefits_from_effect",
    "constant",
    "discount_factors",
    "france_2021",
    "irr",
    "npv",
    "parse_distribution",
    "stepped",
    "to_real",
    "tornado_plot",
]
