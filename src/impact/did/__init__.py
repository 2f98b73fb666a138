"""Difference-in-differences and synthetic-control estimators.

Names are imported lazily, so that ``import impact.did`` stays fast and one
estimator's optional machinery never slows another's import.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "two_by_two": "twoway",
    "twfe": "twoway",
    "event_study": "event_study",
    "callaway_santanna": "staggered",
    "GroupTimeResult": "staggered",
    "sun_abraham": "sun_abraham",
    "imputation": "imputation",
    "bacon_decomposition": "bacon",
    "honest_did": "honest",
    "pretrend_test": "diagnostics",
    "placebo_test": "diagnostics",
    "wild_cluster_bootstrap": "wild",
    "synthetic_control": "synthetic",
    "synthetic_did": "sdid",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        module = importlib.import_module(f"impact.did.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'impact.did' has no attribute {name!r}")


def __dir__():
    return __all__
