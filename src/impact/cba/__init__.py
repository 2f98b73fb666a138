"""Cost-benefit appraisal: discounting, NPV and IRR, appraisals with uncertainty.

Names are imported lazily, so that ``import impact.cba`` stays fast.

- :mod:`~impact.cba.discounting`: :data:`SCHEDULES`, :func:`discount_factors`, :func:`france_2021`, :func:`to_real`
- :mod:`~impact.cba.flows`: :func:`npv`, :func:`irr`
- :mod:`~impact.cba.monetise`: :func:`benefits_from_effect`
- :mod:`~impact.cba.appraisal`: :class:`Appraisal`
- :mod:`~impact.cba.uncertainty`: Monte Carlo, switching values, sensitivity, break-even effect
"""

from __future__ import annotations

import importlib

_WHERE = {
    "SCHEDULES": "discounting",
    "DiscountSchedule": "discounting",
    "discount_factors": "discounting",
    "constant": "discounting",
    "stepped": "discounting",
    "france_2021": "discounting",
    "to_real": "discounting",
    "npv": "flows",
    "irr": "flows",
    "EffectBenefit": "monetise",
    "benefits_from_effect": "monetise",
    "Appraisal": "appraisal",
    "MonteCarloResult": "uncertainty",
    "SensitivityResult": "uncertainty",
    "BreakEvenResult": "uncertainty",
    "parse_distribution": "distributions",
    "tornado_plot": "plots",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        module = importlib.import_module(f"impact.cba.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'impact.cba' has no attribute {name!r}")


def __dir__():
    return __all__
